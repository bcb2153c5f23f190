-- feed/add.lua
-- Adds one item to an owner's feed unless its id is already there, trims the feed to
-- its newest items, and refreshes the feed's TTL.
-- KEYS[1] items sorted set (member = item id, score = time in ms)
-- KEYS[2] payload hash (item id -> serialized item data)
-- KEYS[3] read marker hash (fields score, id)
-- ARGV[1] TTL of the feed in ms
-- ARGV[2] most items kept
-- ARGV[3] item id   ARGV[4] time in ms   ARGV[5] serialized data
-- Returns {added (1 or 0 when the id was present), number of items trimmed}.
--- @include "core/lua/chunked.lua"
local id = ARGV[3]
if redis.call('ZADD', KEYS[1], 'NX', ARGV[4], id) == 0 then
  return {0, 0}
end
redis.call('HSET', KEYS[2], id, ARGV[5])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if excess > 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1)
  -- In chunks: a lowered maxItems can trim more than one unpack may carry.
  call_chunked('HDEL', KEYS[2], oldest, 1)
else
  excess = 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[1])
return {1, excess}
