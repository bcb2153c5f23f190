-- counters/unique-track.lua
-- Adds members to one day's HyperLogLog and sets when that day's counter expires.
-- KEYS[1] the day's HyperLogLog
-- ARGV[1] epoch ms at which the key expires, ARGV[2..] members
-- Returns 1 if the estimate changed (some member was new), else 0
local changed = redis.call('PFADD', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return changed
