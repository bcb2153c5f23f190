-- feed/page.lua
-- One page of an owner's feed, newest first, strictly older than a cursor.
-- KEYS[1] items sorted set   KEYS[2] payload hash
-- ARGV[1] page size
-- ARGV[2] cursor score, '' for the newest page   ARGV[3] cursor id
-- Returns a flat array of 3 entries per item (id, score, data) for up to page size + 1
-- items: the extra one only tells the caller that there is a next page.
--- @include "feed/scripts/includes/cursor.lua"
local limit = tonumber(ARGV[1])
local start = 0
if ARGV[2] ~= '' then start = count_newer(KEYS[1], ARGV[2], ARGV[3], true) end
local rows = redis.call('ZRANGE', KEYS[1], start, start + limit, 'REV', 'WITHSCORES')
if #rows == 0 then return {} end
local ids = {}
for i = 1, #rows, 2 do ids[#ids + 1] = rows[i] end
local data = redis.call('HMGET', KEYS[2], unpack(ids))
local out = {}
for i = 1, #ids do
  out[#out + 1] = ids[i]
  out[#out + 1] = rows[i * 2]
  out[#out + 1] = data[i]
end
return out
