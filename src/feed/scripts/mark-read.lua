-- feed/mark-read.lua
-- Moves an owner's read marker forward to a cursor (or to the newest item), never
-- back, so devices marking concurrently cannot undo each other; refreshes the TTL.
-- KEYS[1] items sorted set   KEYS[2] payload hash   KEYS[3] read marker hash
-- ARGV[1] TTL of the feed in ms
-- ARGV[2] cursor score, '' for the newest item   ARGV[3] cursor id
-- Returns the number of items still unread.
--- @include "feed/scripts/includes/cursor.lua"
local score, id = ARGV[2], ARGV[3]
if score == '' then
  local newest = redis.call('ZRANGE', KEYS[1], 0, 0, 'REV', 'WITHSCORES')
  if #newest == 0 then return 0 end
  id, score = newest[1], newest[2]
end
local marker = redis.call('HMGET', KEYS[3], 'score', 'id')
if not marker[1] or order_after(tonumber(score), id, tonumber(marker[1]), marker[2]) then
  redis.call('HSET', KEYS[3], 'score', score, 'id', id)
  marker = {score, id}
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return count_newer(KEYS[1], marker[1], marker[2], false)
