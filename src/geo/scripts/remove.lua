-- geo/remove.lua
-- Removes members and their payloads.
-- KEYS[1] geo sorted set
-- KEYS[2] payload hash
-- ARGV[1..] members
-- Returns the number of members that were removed.
redis.call('HDEL', KEYS[2], unpack(ARGV))
return redis.call('ZREM', KEYS[1], unpack(ARGV))
