-- state-machine/transition.lua
-- Compare-and-set of a flow's state: moves it from ARGV[1] to ARGV[2] only if it is in ARGV[1] now.
-- (Whether from -> to is allowed is checked by the client against the definition before sending.)
-- KEYS[1] flow hash, KEYS[2] history list
-- ARGV[1] from, ARGV[2] to, ARGV[3] ttl ms, ARGV[4] history limit, ARGV[5..] data field, value pairs
-- Returns {new version, Redis time ms}; error RP_STATE_CONFLICT {"expected":from,"actual":<state or null>} if not in `from`
local current = redis.call('HGET', KEYS[1], 'state')
if current ~= ARGV[1] then
  return redis.error_reply('RP_STATE_CONFLICT ' .. cjson.encode({expected = ARGV[1], actual = current or cjson.null}))
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'updatedAt', now, unpack(ARGV, 5))
redis.call('RPUSH', KEYS[2], cjson.encode({from = ARGV[1], to = ARGV[2], at = now}))
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
-- Every step refreshes the TTL: only a flow nobody moves for ttl ms (abandoned) expires.
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {version, now}
