-- offload/update.lua
-- Field-level update of one record: writes the fields, bumps the version, marks it dirty.
-- KEYS[1] record hash (user fields + `_v` version), KEYS[2] its shard's dirty index
-- (sorted set: id -> Redis time in microseconds of the latest unsynced change)
-- ARGV[1] record id, ARGV[2..] field, value pairs (up to 10,000 pairs: more values than one
-- `unpack` returns, so HSET runs in chunks, each of whole pairs)
-- Returns the record's new version
--- @include "core/lua/time.lua"
--- @include "core/lua/chunked.lua"
call_chunked('HSET', KEYS[1], ARGV, 2)
local version = redis.call('HINCRBY', KEYS[1], '_v', 1)
-- An unsynced record must never expire: until the sync writes it, Redis holds its only copy.
redis.call('PERSIST', KEYS[1])
local _, now_us = redis_now()
redis.call('ZADD', KEYS[2], now_us, ARGV[1])
return version
