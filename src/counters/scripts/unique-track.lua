-- counters/unique-track.lua
-- Adds members to one day's HyperLogLog and sets when that day's counter expires.
-- KEYS[1] the day's HyperLogLog
-- ARGV[1] epoch ms at which the key expires, ARGV[2..] members
-- Returns 1 if the estimate changed (some member was new), else 0
local changed = 0
-- unpack() is bounded by Lua's stack (about 8000 values): add the members in slices.
for first = 2, #ARGV, 1000 do
  if redis.call('PFADD', KEYS[1], unpack(ARGV, first, math.min(first + 999, #ARGV))) == 1 then changed = 1 end
end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return changed
