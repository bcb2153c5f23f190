-- queue/promote.lua
-- Moves delayed jobs whose time has come (by Redis TIME) into the stream, atomically,
-- so two workers promoting at once never enqueue a job twice.
-- KEYS[1] stream, KEYS[2] delayed set
-- ARGV[1] most jobs to move, ARGV[2] maxLen (0 = no trim)
-- Returns {jobs moved, ms until the next delayed job is due (-1 when none is left)}.
--- @include "core/lua/time.lua"
local now = redis_now()
local maxLen = tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  if maxLen > 0 then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*', unpack(cjson.decode(member)))
  else
    redis.call('XADD', KEYS[1], '*', unpack(cjson.decode(member)))
  end
end
if #due > 0 then redis.call('ZREM', KEYS[2], unpack(due)) end
local nextDue = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if nextDue[2] == nil then return { #due, -1 } end
return { #due, math.max(0, tonumber(nextDue[2]) - now) }
