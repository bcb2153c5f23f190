-- state-machine/start.lua
-- Creates a flow in its initial state, unless a flow with this id exists.
-- KEYS[1] flow hash (state, version, createdAt, updatedAt, data fields), KEYS[2] history list
-- ARGV[1] initial state, ARGV[2] ttl ms, ARGV[3] history limit, ARGV[4..] data field, value pairs
-- (up to 10,000 pairs: more values than one `unpack` returns, so the first 2,000 pairs go with the
-- bookkeeping fields and any others in chunks of whole pairs)
-- Returns {1, initial state, 1, Redis time ms} when created, or
-- {0, state, version, updatedAt} of the existing flow, which is left unchanged
--- @include "core/lua/time.lua"
--- @include "core/lua/chunked.lua"
local found = redis.call('HMGET', KEYS[1], 'state', 'version', 'updatedAt')
if found[1] then return {0, found[1], tonumber(found[2]), tonumber(found[3])} end
local now = redis_now()
local last = math.min(#ARGV, 4 + 3999)
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'version', 1, 'createdAt', now, 'updatedAt', now, unpack(ARGV, 4, last))
call_chunked('HSET', KEYS[1], ARGV, last + 1)
redis.call('DEL', KEYS[2])
redis.call('RPUSH', KEYS[2], cjson.encode({to = ARGV[1], at = now}))
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {1, ARGV[1], 1, now}
