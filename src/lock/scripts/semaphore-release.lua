-- lock/semaphore-release.lua
-- Gives a permit back if the caller still holds it and wakes waiters on the semaphore's channel.
-- KEYS[1] holders (sorted set), KEYS[2] wake-up channel
-- ARGV[1] owner id
-- Returns 1 when released, 0 when the caller held no live permit.
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[2], '')
local t = redis.call('TIME')
-- A permit past its expiry was no longer held, even if nobody had purged it yet.
if tonumber(score) <= t[1] * 1000 + math.floor(t[2] / 1000) then return 0 end
return 1
