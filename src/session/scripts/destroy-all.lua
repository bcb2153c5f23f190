-- session/destroy-all.lua
-- "Log out everywhere": revokes every session of a user at once.
-- KEYS[1] the user's index, KEYS[2..] the session hashes the client saw in it just before
-- ARGV[1] tombstone ms (see destroy.lua), 0 deletes the hashes
-- Returns the number of sessions the index held.
-- Deleting the index is the revocation: a user's session is live only while indexed, so
-- sessions created after the client read the index (not in KEYS) die here too; their
-- hashes then expire by their own TTL.
local n = redis.call('ZCARD', KEYS[1])
redis.call('DEL', KEYS[1])
local tomb = tonumber(ARGV[1])
for i = 2, #KEYS do
  local ttl = redis.call('PTTL', KEYS[i])
  redis.call('DEL', KEYS[i])
  if tomb > 0 and ttl > 0 then
    redis.call('HSET', KEYS[i], 'r', '1')
    redis.call('PEXPIRE', KEYS[i], math.min(ttl, tomb))
  end
end
return n
