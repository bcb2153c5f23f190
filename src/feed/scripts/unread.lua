-- feed/unread.lua
-- Counts the items newer than an owner's read marker.
-- KEYS[1] items sorted set   KEYS[2] read marker hash (fields score, id)
-- ARGV: none
-- Returns the number of unread items (all of them when nothing was marked read).
--- @include "feed/scripts/includes/cursor.lua"
local marker = redis.call('HMGET', KEYS[2], 'score', 'id')
if not marker[1] then return redis.call('ZCARD', KEYS[1]) end
return count_newer(KEYS[1], marker[1], marker[2], false)
