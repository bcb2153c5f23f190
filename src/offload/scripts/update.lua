-- offload/update.lua
-- Field-level update of one record: writes the fields, bumps the version, marks it dirty.
-- KEYS[1] record hash (user fields + `_v` version), KEYS[2] its shard's dirty index
-- (sorted set: id -> Redis time in microseconds of the latest unsynced change)
-- ARGV[1] record id, ARGV[2..] field, value pairs
-- Returns the record's new version
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
local version = redis.call('HINCRBY', KEYS[1], '_v', 1)
-- An unsynced record must never expire: until the sync writes it, Redis holds its only copy.
redis.call('PERSIST', KEYS[1])
local t = redis.call('TIME')
redis.call('ZADD', KEYS[2], tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
return version
