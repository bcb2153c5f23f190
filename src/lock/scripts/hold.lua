-- lock/hold.lua
-- Places a temporary hold on a slot for one holder; the hold vanishes by itself after its TTL.
-- Holding again by the same holder extends the hold.
-- KEYS[1] hold key (value = holder id, PX = TTL), KEYS[2] booking key (value = holder id)
-- ARGV[1] holder id, ARGV[2] TTL in ms
-- Returns {state, holder id, remaining ms}: state 'held' (by the caller), 'taken' (held by
-- another holder), or 'booked' (confirmed; remaining -1 when the booking has no TTL).
local booked = redis.call('GET', KEYS[2])
if booked then return {'booked', booked, redis.call('PTTL', KEYS[2])} end
local current = redis.call('GET', KEYS[1])
if not current or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {'held', ARGV[1], tonumber(ARGV[2])}
end
return {'taken', current, redis.call('PTTL', KEYS[1])}
