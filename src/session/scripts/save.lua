-- session/save.lua
-- express-session `set`: writes a whole session (created on first save), never reviving a revoked one.
-- KEYS[1] the session hash, KEYS[2] the user's index
-- ARGV[1] the session id, ARGV[2] time to live ms (from the cookie), ARGV[3] absolute lifetime ms,
-- ARGV[4] user id ('' for an anonymous session), ARGV[5] the serialized session
-- Returns 1 when saved, 0 when the session was revoked or is past its absolute deadline (nothing written).
--- @include "core/lua/time.lua"
local cur = redis.call('HMGET', KEYS[1], 'x', 'r', 'u')
-- A tombstone, or a user session no longer indexed, means it was destroyed while this request ran.
if cur[2] then return 0 end
if cur[3] and not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
local now = redis_now()
local ttl = tonumber(ARGV[2])
local deadline
if cur[1] then
  deadline = tonumber(cur[1])
  if now >= deadline then return 0 end
  redis.call('HSET', KEYS[1], 'l', now, 't', ttl, 'e', ARGV[5])
else
  deadline = now + tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'c', now, 'l', now, 'x', deadline, 't', ttl, 'e', ARGV[5])
end
-- First save with a user (usually the one right after login): index it, so revocation reaches it.
if ARGV[4] ~= '' and not cur[3] then
  redis.call('HSET', KEYS[1], 'u', ARGV[4])
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  if redis.call('PEXPIRETIME', KEYS[2]) < deadline then redis.call('PEXPIREAT', KEYS[2], deadline) end
end
redis.call('PEXPIREAT', KEYS[1], math.min(now + ttl, deadline))
return 1
