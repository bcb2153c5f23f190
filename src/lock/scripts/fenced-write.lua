-- lock/fenced-write.lua
-- Writes fields of a resource's fenced record only if the presented fencing token is
-- not older than the newest token the resource's FencedLock has handed out, so a
-- holder that lost its lock (paused, partitioned, expired) can no longer write.
-- KEYS[1] fencing counter of the resource (same hash tag as the lock)
-- KEYS[2] the record (hash)
-- ARGV[1] token, ARGV[2] TTL of the record in ms ('0' = keep the current TTL / none),
-- ARGV[3..] field, value, field, value, ...
-- Returns {1, newest token} when written, {0, newest token} when rejected as stale.
--- @include "core/lua/chunked.lua"
local newest = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < newest then return {0, newest} end
call_chunked('HSET', KEYS[2], ARGV, 3)
if ARGV[2] ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return {1, newest}
