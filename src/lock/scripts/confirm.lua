-- lock/confirm.lua
-- Turns the caller's live hold into a booking, atomically: only the holder, only while the hold lives.
-- KEYS[1] hold key, KEYS[2] booking key
-- ARGV[1] holder id, ARGV[2] TTL of the booking in ms ('0' = no TTL: a booking is a record)
-- Returns 'confirmed' (now or by an earlier confirm of the same holder), 'booked' (by another
-- holder) or 'not-held' (no live hold of the caller: expired, released, or never placed).
local booked = redis.call('GET', KEYS[2])
if booked then
  if booked == ARGV[1] then return 'confirmed' end
  return 'booked'
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'not-held' end
if ARGV[2] == '0' then
  redis.call('SET', KEYS[2], ARGV[1])
else
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
end
redis.call('DEL', KEYS[1])
return 'confirmed'
