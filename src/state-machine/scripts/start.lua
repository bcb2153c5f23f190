-- state-machine/start.lua
-- Creates a flow in its initial state, unless a flow with this id exists.
-- KEYS[1] flow hash (state, version, createdAt, updatedAt, data fields), KEYS[2] history list
-- ARGV[1] initial state, ARGV[2] ttl ms, ARGV[3] history limit, ARGV[4..] data field, value pairs
-- Returns {version, Redis time ms}; error RP_STATE_CONFLICT {"expected":null,"actual":<state>} if the flow exists
local current = redis.call('HGET', KEYS[1], 'state')
if current then
  return redis.error_reply('RP_STATE_CONFLICT ' .. cjson.encode({expected = cjson.null, actual = current}))
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'version', 1, 'createdAt', now, 'updatedAt', now, unpack(ARGV, 4))
redis.call('DEL', KEYS[2])
redis.call('RPUSH', KEYS[2], cjson.encode({to = ARGV[1], at = now}))
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {1, now}
