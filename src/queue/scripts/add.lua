-- queue/add.lua
-- Adds jobs in one call: each is deduplicated on its job id (when it has one), then
-- either parked in the delayed set (due at Redis TIME + delay) or appended to the stream.
-- KEYS[1] stream, KEYS[2] delayed set (score = due ms, member = JSON array of the entry's fields),
-- KEYS[3] ids hash (job id -> 1 while that job is waiting, delayed, running or dead)
-- ARGV[1] maxLen (0 = no trim), ARGV[2] number of jobs, then per job:
--   job id ('' = none), delay ms, number of fields n, then the n field/value strings
-- Returns per job: the stream entry id, 'delayed', or '' when the id was already taken.
--- @include "core/lua/time.lua"
local maxLen = tonumber(ARGV[1])
local out = {}
local now
local i = 3
for j = 1, tonumber(ARGV[2]) do
  local id, delay, n = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local fields = { unpack(ARGV, i + 3, i + 2 + n) }
  i = i + 3 + n
  if id ~= '' and redis.call('HSETNX', KEYS[3], id, 1) == 0 then
    out[j] = ''
  elseif delay > 0 then
    -- Read once, and only when a job of the call is delayed.
    if not now then now = redis_now() end
    redis.call('ZADD', KEYS[2], now + delay, cjson.encode(fields))
    out[j] = 'delayed'
  elseif maxLen > 0 then
    out[j] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*', unpack(fields))
  else
    out[j] = redis.call('XADD', KEYS[1], '*', unpack(fields))
  end
end
return out
