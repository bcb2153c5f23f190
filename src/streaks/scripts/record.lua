-- streaks/record.lua
-- Records activity in one period and updates the streak atomically.
-- KEYS[1] state hash (fields: last, current, longest)
-- KEYS[2] history sorted set (member and score = period index)
-- ARGV[1] period index of the activity (integer, computed by the caller from its date and time zone)
-- ARGV[2] grace: how many missed periods between two active ones keep the streak alive
-- ARGV[3] history limit: most recent active periods kept
-- ARGV[4] TTL of both keys in ms, refreshed on every record
-- Returns {current, longest, status, last}: status 1 = counted, 0 = same period as the
-- last record (no change), -1 = older than the last record (ignored).
local period = tonumber(ARGV[1])
local grace = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'last', 'current', 'longest')
local last = tonumber(state[1])
local current = tonumber(state[2]) or 0
local longest = tonumber(state[3]) or 0

-- Late or repeated records never rewrite the past: the streak only moves forward.
if last and period <= last then
  local status = 0
  if period < last then status = -1 end
  return {current, longest, status, last}
end

if last and period - last <= grace + 1 then
  current = current + 1
else
  current = 1
end
if current > longest then longest = current end

redis.call('HSET', KEYS[1], 'last', period, 'current', current, 'longest', longest)
redis.call('ZADD', KEYS[2], period, period)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {current, longest, 1, period}
