-- geo/nearby.lua
-- GEOSEARCH plus the payloads of the members found, in one round trip.
-- KEYS[1] geo sorted set
-- KEYS[2] payload hash
-- ARGV[1] '1' to fetch payloads, '0' not to
-- ARGV[2] '1' when the reply of GEOSEARCH carries WITHDIST, '0' otherwise
-- ARGV[3] '1' when it carries WITHCOORD, '0' otherwise
-- ARGV[4..] the GEOSEARCH arguments after the key (FROMLONLAT ... | FROMMEMBER ..., BYRADIUS | BYBOX ..., ASC | DESC, COUNT n [ANY], WITHDIST, WITHCOORD)
-- Returns a flat array: first the shape of a result, a string holding 'd' (distances), 'c'
-- (coordinates) and 'p' (payloads) as asked; then, per result, the member, its distance
-- (with WITHDIST), longitude and latitude (with WITHCOORD), payload or false (with
-- payloads): only what was asked, since converting every reply element costs server time.
-- Error RP_GEO_MEMBER_NOT_FOUND when searching from a member that is not in the index.
local withPayload = ARGV[1] == '1'
local withDist = ARGV[2] == '1'
local withCoord = ARGV[3] == '1'
if ARGV[4] == 'FROMMEMBER' and not redis.call('ZSCORE', KEYS[1], ARGV[5]) then
  return redis.error_reply('RP_GEO_MEMBER_NOT_FOUND ' .. ARGV[5])
end

local found = redis.call('GEOSEARCH', KEYS[1], unpack(ARGV, 4))
local out = {(withDist and 'd' or '') .. (withCoord and 'c' or '') .. (withPayload and 'p' or '')}
local members = {}
local payloadAt = {}
for i, item in ipairs(found) do
  local member = item
  if withDist or withCoord then member = item[1] end
  members[i] = member
  out[#out + 1] = member
  if withDist then out[#out + 1] = item[2] end
  if withCoord then
    local coord = item[#item]
    out[#out + 1] = coord[1]
    out[#out + 1] = coord[2]
  end
  if withPayload then
    out[#out + 1] = false
    payloadAt[i] = #out
  end
end
if withPayload then
  -- HMGET in slices: unpack of a very long list would exceed Lua's stack limit.
  for first = 1, #members, 1000 do
    local last = math.min(first + 999, #members)
    local payloads = redis.call('HMGET', KEYS[2], unpack(members, first, last))
    for i = first, last do out[payloadAt[i]] = payloads[i - first + 1] end
  end
end
return out
