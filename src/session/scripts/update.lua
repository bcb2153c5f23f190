-- session/update.lua
-- Sets and deletes some fields of a live session, leaving the others as they are.
-- KEYS[1] the session hash, KEYS[2] its user's index
-- ARGV[1] the session id, ARGV[2] n = number of field/value pairs to set,
-- ARGV[3..2+2n] the pairs, ARGV[3+2n..] fields to delete
-- Returns 1 when the session was live and updated, 0 otherwise (nothing written).
local cur = redis.call('HMGET', KEYS[1], 'x', 'r', 'u')
if not cur[1] or cur[2] then return 0 end
if cur[3] and not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
local n = tonumber(ARGV[2])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * n)) end
if #ARGV > 2 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 3 + 2 * n)) end
return 1
