-- geo/add.lua
-- Adds or moves members of a geo index together with their payloads.
-- KEYS[1] geo sorted set
-- KEYS[2] payload hash (member -> serialized payload)
-- ARGV[1] TTL in ms for both keys, 0 = none (only the temporary keys of a rebuild expire)
-- ARGV[2..] groups of 5: member, longitude, latitude, has-payload flag ('1'/'0'), payload
--           (at most 1,000 groups, so every unpack below stays within Lua's stack limit)
-- Returns the number of members that were new.
local points, payloads, bare = {}, {}, {}
for i = 2, #ARGV, 5 do
  local member = ARGV[i]
  points[#points + 1] = ARGV[i + 1]
  points[#points + 1] = ARGV[i + 2]
  points[#points + 1] = member
  if ARGV[i + 3] == '1' then
    payloads[#payloads + 1] = member
    payloads[#payloads + 1] = ARGV[i + 4]
  else
    bare[#bare + 1] = member
  end
end
if #payloads > 0 then redis.call('HSET', KEYS[2], unpack(payloads)) end
-- A member re-added without a payload must not keep its old one.
if #bare > 0 then redis.call('HDEL', KEYS[2], unpack(bare)) end
local added = redis.call('GEOADD', KEYS[1], unpack(points))
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return added
