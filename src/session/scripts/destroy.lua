-- session/destroy.lua
-- Revokes one session.
-- KEYS[1] the session hash, KEYS[2] its user's index
-- ARGV[1] the session id, ARGV[2] tombstone ms: 0 deletes the hash; n > 0 leaves a
--   marker for at most n ms so that a request still in flight cannot write the session back
-- Returns 1 when a live session was revoked, 0 otherwise.
local cur = redis.call('HMGET', KEYS[1], 'x', 'r', 'u')
if not cur[1] or cur[2] then return 0 end
local live = 1
if cur[3] then live = redis.call('ZREM', KEYS[2], ARGV[1]) end
local tomb = tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
if tomb > 0 and ttl > 0 then
  redis.call('HSET', KEYS[1], 'r', '1')
  redis.call('PEXPIRE', KEYS[1], math.min(ttl, tomb))
end
return live
