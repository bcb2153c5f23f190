-- counters/bloom-add.lua
-- Adds items to a Bloom filter kept as a bit string; the client computed each item's k bit positions.
-- KEYS[1] bit string, KEYS[2] hash with the filter's size (m bits) and number of hashes (k)
-- ARGV[1] m, ARGV[2] k, ARGV[3] ttl ms ('0' = none), ARGV[4..] k positions per item
-- Returns one integer per item: 1 if it was (probably) new, 0 if it may have been present
-- Error RP_BLOOM_CONFIG when the stored filter has another m or k
-- One BITFIELD per item unpacks 4k values: k = round(m/n * ln 2) is at most 1,075 for any error
-- rate a double can hold (> 5e-324), so 4k stays far below the ~8,000 one `unpack` returns.
local meta = redis.call('HMGET', KEYS[2], 'm', 'k')
if not meta[1] then
  redis.call('HSET', KEYS[2], 'm', ARGV[1], 'k', ARGV[2])
elseif meta[1] ~= ARGV[1] or meta[2] ~= ARGV[2] then
  return redis.error_reply('RP_BLOOM_CONFIG ' .. meta[1] .. ' ' .. meta[2])
end
local hashes = tonumber(ARGV[2])
local out = {}
for first = 4, #ARGV, hashes do
  local ops = {}
  for j = first, first + hashes - 1 do
    ops[#ops + 1] = 'SET'; ops[#ops + 1] = 'u1'; ops[#ops + 1] = ARGV[j]; ops[#ops + 1] = 1
  end
  local old = redis.call('BITFIELD', KEYS[1], unpack(ops))
  local new = 0
  for _, bit in ipairs(old) do if bit == 0 then new = 1 end end
  out[#out + 1] = new
end
if ARGV[3] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return out
