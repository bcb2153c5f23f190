-- session/rotate.lua
-- Moves a live session to a new id (a new token), so the old token stops working at once.
-- KEYS[1] the old session hash, KEYS[2] the new session hash, KEYS[3] the user's index
-- ARGV[1] the old id, ARGV[2] the new id
-- Returns 1 when rotated, 0 when the old session is not live (nothing changed).
local cur = redis.call('HMGET', KEYS[1], 'x', 'r', 'u')
if not cur[1] or cur[2] then return 0 end
if cur[3] then
  local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
  if not score then return 0 end
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[3], score, ARGV[2])
end
-- RENAME keeps the hash and its TTL: data, creation time and absolute deadline carry over.
redis.call('RENAME', KEYS[1], KEYS[2])
return 1
