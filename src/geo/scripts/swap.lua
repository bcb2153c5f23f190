-- geo/swap.lua
-- Replaces an index with a fully loaded temporary one in one atomic step, so readers
-- see either the old index or the new one, never a half-built one.
-- KEYS[1] temporary geo sorted set      KEYS[2] temporary payload hash
-- KEYS[3] live geo sorted set           KEYS[4] live payload hash
-- ARGV[1] number of distinct members the temporary index must hold
-- Returns the number of members now live, or the error RP_GEO_REBUILD when the
-- temporary index is incomplete (it expired or another rebuild interfered).
local expected = tonumber(ARGV[1])
local loaded = redis.call('ZCARD', KEYS[1])
if loaded ~= expected then
  -- The caller deletes the temporary keys after any failure (they also expire on their own).
  return redis.error_reply('RP_GEO_REBUILD temporary index holds ' .. loaded .. ' of ' .. expected .. ' members')
end
if expected == 0 then
  redis.call('DEL', KEYS[3], KEYS[4])
  return 0
end
-- RENAME keeps the source's TTL: the live index lives until replaced.
redis.call('RENAME', KEYS[1], KEYS[3])
redis.call('PERSIST', KEYS[3])
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[4])
  redis.call('PERSIST', KEYS[4])
else
  redis.call('DEL', KEYS[4])
end
return expected
