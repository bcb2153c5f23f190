-- cache/invalidate.lua
-- Deletes the entries a tag index listed (read just before with ZRANGE) and
-- removes exactly those members from the index. Members added since the read
-- stay, so a concurrent tagged set is never lost from the index.
-- KEYS[1]        the tag index (sorted set of entry keys) of one slot bucket
-- KEYS[2..m+1]   m entry keys listed by the index
-- KEYS[m+2..2m+1] their load guard keys, in the same order
-- ARGV[1]        m
-- Returns the number of entries that existed and were deleted.
local m = tonumber(ARGV[1])
local deleted = 0
for i = 2, m + 1 do
  deleted = deleted + redis.call('DEL', KEYS[i])
  redis.call('DEL', KEYS[i + m])
  redis.call('ZREM', KEYS[1], KEYS[i])
end
return deleted
