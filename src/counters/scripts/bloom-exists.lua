-- counters/bloom-exists.lua
-- Tests items against a Bloom filter kept as a bit string.
-- KEYS[1] bit string, KEYS[2] hash with the filter's m and k
-- ARGV[1] m, ARGV[2] k, ARGV[3..] k positions per item
-- Returns one integer per item: 1 if it may be present, 0 if it is certainly absent
-- Error RP_BLOOM_CONFIG when the stored filter has another m or k
-- One BITFIELD_RO per item unpacks 3k values, k at most 1,075 (see bloom-add.lua): below the ~8,000 limit.
local meta = redis.call('HMGET', KEYS[2], 'm', 'k')
if meta[1] and (meta[1] ~= ARGV[1] or meta[2] ~= ARGV[2]) then
  return redis.error_reply('RP_BLOOM_CONFIG ' .. meta[1] .. ' ' .. meta[2])
end
local hashes = tonumber(ARGV[2])
local out = {}
for first = 3, #ARGV, hashes do
  local present = 1
  if not meta[1] then
    present = 0
  else
    local ops = {}
    for j = first, first + hashes - 1 do
      ops[#ops + 1] = 'GET'; ops[#ops + 1] = 'u1'; ops[#ops + 1] = ARGV[j]
    end
    for _, bit in ipairs(redis.call('BITFIELD_RO', KEYS[1], unpack(ops))) do
      if bit == 0 then present = 0 end
    end
  end
  out[#out + 1] = present
end
return out
