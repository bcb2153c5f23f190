-- lock/extend.lua
-- Resets the TTL of a lock key if the caller still owns it (FencedLock and each Redlock server).
-- KEYS[1] lock key
-- ARGV[1] owner id, ARGV[2] new TTL in ms
-- Returns 1 when extended, 0 when the caller no longer owns the lock.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
