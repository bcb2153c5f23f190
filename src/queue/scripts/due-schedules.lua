-- queue/due-schedules.lua
-- The schedules whose next run has come (by Redis TIME), for a worker to compute each one's
-- following run (cron needs the calendar, so that happens in the client) and fire them with
-- fire-schedules.lua, which checks that nobody fired them meanwhile.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] most schedules
-- Returns {now ms, ms until the next run after these (-1 when none), {id, due (string), spec}, ...}.
--- @include "core/lua/time.lua"
--- @include "queue/scripts/includes/keys.lua"
local now = redis_now()
local due = redis.call('ZRANGEBYSCORE', K.scheduleDue, '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
local out = { now, -1 }
for i = 1, #due, 2 do
  out[#out + 1] = { due[i], due[i + 1], redis.call('HGET', K.schedules, due[i]) or '' }
end
local later = redis.call('ZRANGEBYSCORE', K.scheduleDue, '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if later[2] then out[2] = tonumber(later[2]) - now end
return out
