-- state-machine/transition.lua
-- Compare-and-set of a flow's state: moves it from ARGV[1] to ARGV[2] only if it is in ARGV[1] now.
-- (Whether from -> to is allowed is checked by the client against the definition before sending.)
-- KEYS[1] flow hash, KEYS[2] history list
-- ARGV[1] from, ARGV[2] to, ARGV[3] ttl ms, ARGV[4] history limit, ARGV[5..] data field, value pairs
-- (up to 10,000 pairs: more values than one `unpack` returns, so the first 2,000 pairs go with the
-- bookkeeping fields and any others in chunks of whole pairs)
-- Returns {1, to, new version, Redis time ms} when moved, or {0, state, version, updatedAt} of the
-- flow as found (state false, version and updatedAt 0 when there is none), which is left unchanged
--- @include "core/lua/time.lua"
--- @include "core/lua/chunked.lua"
local found = redis.call('HMGET', KEYS[1], 'state', 'version', 'updatedAt')
if found[1] ~= ARGV[1] then
  return {0, found[1], tonumber(found[2]) or 0, tonumber(found[3]) or 0}
end
local now = redis_now()
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
local last = math.min(#ARGV, 5 + 3999)
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'updatedAt', now, unpack(ARGV, 5, last))
call_chunked('HSET', KEYS[1], ARGV, last + 1)
redis.call('RPUSH', KEYS[2], cjson.encode({from = ARGV[1], to = ARGV[2], at = now}))
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
-- Every step refreshes the TTL: only a flow nobody moves for ttl ms (abandoned) expires.
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {1, ARGV[2], version, now}
