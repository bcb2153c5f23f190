-- session/save.lua
-- A framework store's `set` (express-session, @fastify/session): writes a whole session
-- (created on first save), never reviving a revoked one, and indexes it under its user on
-- the first save that names one (the save right after login), evicting the user's oldest
-- sessions over the limit.
-- KEYS[1] the session hash, KEYS[2] the user's index, KEYS[3..] hashes of the sessions the
--   client saw in the index just before (only on a call after a -1 reply)
-- ARGV[1] the session id, ARGV[2] time to live ms (from the cookie), ARGV[3] absolute lifetime ms,
-- ARGV[4] user id ('' for an anonymous session), ARGV[5] the serialized session,
-- ARGV[6] max sessions of the user (0 = no limit), ARGV[7] '1' sliding, '0' a save never
--   moves the expiry later, ARGV[8] tombstone ms of an evicted session (see destroy.lua),
-- ARGV[9] client ip, ARGV[10] client user agent ('' = leave as they are),
-- ARGV[11] '1' when KEYS[3..] are the index as read, '0' when it was not read,
-- ARGV[12..] ids of KEYS[3..], same order
-- Returns 1 when saved, 0 when the session was revoked or is past its absolute deadline, -1
-- when joining the index may evict and the index was not read (nothing written in both cases).
--- @include "core/lua/time.lua"
--- @include "session/scripts/includes/evict.lua"
local cur = redis.call('HMGET', KEYS[1], 'x', 'r', 'u')
-- A tombstone, or a user session no longer indexed, means it was destroyed while this request ran.
if cur[2] then return 0 end
if cur[3] and not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
local joins = ARGV[4] ~= '' and not cur[3]
local max = tonumber(ARGV[6])
if joins and max > 0 then
  if ARGV[11] == '1' then
    evict_over_limit(KEYS[2], max, 3, 12, tonumber(ARGV[8]))
  elseif redis.call('ZCARD', KEYS[2]) >= max then
    -- The user may be at the limit: the client reads the index and calls again with the
    -- keys of its sessions, so that evicted sessions' data can be deleted in the same step.
    return -1
  end
end
-- The index is scored in microseconds: logins within one millisecond keep their order.
local now, now_us = redis_now()
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
if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'ip', ARGV[9]) end
if ARGV[10] ~= '' then redis.call('HSET', KEYS[1], 'ua', ARGV[10]) end
if joins then
  -- Indexed, so revocation ("log out everywhere", eviction) reaches it.
  redis.call('HSET', KEYS[1], 'u', ARGV[4])
  redis.call('ZADD', KEYS[2], now_us, ARGV[1])
  if redis.call('PEXPIRETIME', KEYS[2]) < deadline then redis.call('PEXPIREAT', KEYS[2], deadline) end
end
local expires = math.min(now + ttl, deadline)
if ARGV[7] == '0' and cur[1] then
  -- Not sliding: saving a session (express-session and @fastify/session save with a renewed
  -- cookie) never moves its expiry later (connect-redis #376).
  local current = redis.call('PEXPIRETIME', KEYS[1])
  if current > 0 and current < expires then expires = current end
end
redis.call('PEXPIREAT', KEYS[1], expires)
return 1
