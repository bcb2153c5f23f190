-- lock/fenced-write.lua
-- Writes fields of a resource's fenced record only if the presented fencing token is not
-- older than the token of the lock's current holder, nor than the newest token that wrote the
-- record: a holder that lost its lock (paused, partitioned, expired) can no longer write once
-- someone newer holds the lock or has written.
-- KEYS[1] the resource's lock key (value "<owner id>|<token>" while held)
-- KEYS[2] the record (hash; field `_fence` keeps the newest token that wrote it)
-- ARGV[1] token, ARGV[2] TTL of the record in ms ('0' = keep the current TTL / none),
-- ARGV[3..] field, value, field, value, ...
-- Returns {1, newest token} when written, {0, newest token} when rejected as stale.
--- @include "core/lua/chunked.lua"
local token = tonumber(ARGV[1])
local holder = redis.call('GET', KEYS[1])
local newest = tonumber(redis.call('HGET', KEYS[2], '_fence') or '0')
if holder then newest = math.max(newest, tonumber(string.match(holder, '|(%d+)$'))) end
if token < newest then return {0, newest} end
call_chunked('HSET', KEYS[2], ARGV, 3)
redis.call('HSET', KEYS[2], '_fence', ARGV[1])
if ARGV[2] ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return {1, math.max(newest, token)}
