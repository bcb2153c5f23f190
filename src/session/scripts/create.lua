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
--- @include "session/scripts/includes/evict.lua"
-- The index is scored in microseconds: logins within one millisecond keep their order.
local now, now_us = redis_now()
local idle, absolute, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local m = tonumber(ARGV[6])
local evicted = 0
if max > 0 then evicted = evict_over_limit(KEYS[2], max, 3, 7 + m, 0) end
local deadline = now + absolute
local expires = math.min(now + idle, deadline)
redis.call('HSET', KEYS[1], 'u', ARGV[5], 'c', now, 'l', now, 'x', deadline, 't', idle, unpack(ARGV, 7, 6 + m))
redis.call('PEXPIREAT', KEYS[1], expires)
redis.call('ZADD', KEYS[2], now_us, ARGV[1])
-- The index must outlive every session it lists (a lost index would log the user out).
if redis.call('PEXPIRETIME', KEYS[2]) < deadline then redis.call('PEXPIREAT', KEYS[2], deadline) end
return {now, expires, deadline, evicted}
