-- session/create.lua
-- Stores a new session of a user, indexes it, and evicts the user's oldest sessions over the limit.
-- KEYS[1] the new session hash, KEYS[2] the user's index, KEYS[3..] hashes of the sessions
--   the client saw in the index just before (only when a limit is set, for eviction)
-- ARGV[1] new session id, ARGV[2] idle timeout ms, ARGV[3] absolute lifetime ms,
-- ARGV[4] max sessions of the user (0 = no limit), ARGV[5] user id,
-- ARGV[6] m = number of field/value arguments that follow, ARGV[7..6+m] field/value pairs,
-- ARGV[7+m..] ids of KEYS[3..], same order
-- Returns {now ms, expires-at ms, absolute deadline ms, number of sessions evicted}
--- @include "core/lua/time.lua"
local now = redis_now()
local idle, absolute, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local m = tonumber(ARGV[6])
local evicted = 0
if max > 0 then
  local known = {}
  for i = 3, #KEYS do
    local id = ARGV[6 + m + i - 2]
    known[id] = KEYS[i]
    -- Drop index entries whose session already expired, so they do not count against the limit.
    if redis.call('EXISTS', KEYS[i]) == 0 then redis.call('ZREM', KEYS[2], id) end
  end
  local over = redis.call('ZCARD', KEYS[2]) - max + 1
  if over > 0 then
    for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
      redis.call('ZREM', KEYS[2], id)
      -- A session indexed after the client read the index is not in KEYS: leaving the
      -- index already kills it, and its hash expires by its own TTL.
      if known[id] then redis.call('DEL', known[id]) end
      evicted = evicted + 1
    end
  end
end
local deadline = now + absolute
local expires = math.min(now + idle, deadline)
redis.call('HSET', KEYS[1], 'u', ARGV[5], 'c', now, 'l', now, 'x', deadline, 't', idle, unpack(ARGV, 7, 6 + m))
redis.call('PEXPIREAT', KEYS[1], expires)
redis.call('ZADD', KEYS[2], now, ARGV[1])
-- The index must outlive every session it lists (a lost index would log the user out).
if redis.call('PEXPIRETIME', KEYS[2]) < deadline then redis.call('PEXPIREAT', KEYS[2], deadline) end
return {now, expires, deadline, evicted}
