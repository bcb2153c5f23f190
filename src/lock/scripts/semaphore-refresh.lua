-- lock/semaphore-refresh.lua
-- Extends the caller's permit if it still holds a live one.
-- KEYS[1] holders (sorted set)
-- ARGV[1] owner id, ARGV[2] new TTL in ms
-- Returns 1 when refreshed, 0 when the permit is gone or expired (then it is removed).
--- @include "core/lua/time.lua"
local now = redis_now()
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
