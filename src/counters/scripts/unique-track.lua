-- counters/unique-track.lua
-- Adds members to one day's HyperLogLog and sets when that day's counter expires.
-- KEYS[1] the day's HyperLogLog
-- ARGV[1] epoch ms at which the key expires, ARGV[2..] members (up to 10,000: more than one
-- `unpack` returns, so PFADD runs in chunks)
-- Returns 1 if the estimate changed (some member was new), else 0
--- @include "core/lua/chunked.lua"
local changed = 0
for _, reply in ipairs(call_chunked('PFADD', KEYS[1], ARGV, 2)) do
  if reply == 1 then changed = 1 end
end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return changed
