-- rate-limit/token_bucket.lua
-- Token bucket: per limit, the tokens left and when they were counted, refilled lazily at
-- a fractional rate. A full bucket needs no state, so the key expires once it would be full.
-- check(kb, ab, K, ms, us, res) runs one check for rate-limit/batch.lua (appended below),
-- which documents KEYS, ARGV and the reply (remaining is rounded down to whole tokens):
-- KEYS[kb + i]         bucket of limit i (string '<tokens> <time of tokens in ms>': one SET PX
--                      writes state and expiry, cheaper than a hash plus PEXPIRE)
-- ARGV[ab + 1], [ab + 2]   cost, mode
-- ARGV[ab + 1 + 2i]    limit i: capacity
-- ARGV[ab + 2 + 2i]    limit i: refill rate in tokens per ms (fractional)
-- Appends {allowed, remaining_i, reset_ms_i, retry_after_ms_i ...} to res.
local function check(kb, ab, K, ms, us, res)
  local cost = tonumber(ARGV[ab + 1])
  -- Only the reply table is allocated: the exact token count waits in its remaining slot until the end.
  local out = { 1 }
  for i = 1, K do
    local capacity, rate = tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i])
    local v = redis.call('GET', KEYS[kb + i])
    local tk = capacity
    if v then
      local held, at = string.match(v, '^(%S+) (%S+)$')
      tk = math.min(capacity, tonumber(held) + math.max(0, ms - tonumber(at)) * rate)
    end
    out[3 * i - 1], out[3 * i], out[3 * i + 1] = tk, math.ceil((capacity - tk) / rate), 0
    if tk < cost then
      out[1] = 0
      out[3 * i + 1] = math.max(1, math.ceil((cost - tk) / rate))
    end
  end
  local mode = ARGV[ab + 2]
  if (mode == '0' and out[1] == 1) or mode == '2' then
    for i = 1, K do
      local capacity, rate = tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i])
      local tk = math.min(capacity, out[3 * i - 1] - cost)
      local fill = math.ceil((capacity - tk) / rate)
      if fill > 0 then
        redis.call('SET', KEYS[kb + i], tk .. ' ' .. ms, 'PX', fill)
      else
        redis.call('DEL', KEYS[kb + i])
      end
      out[3 * i - 1], out[3 * i] = tk, fill
    end
  end
  for i = 1, K do
    out[3 * i - 1] = math.floor(out[3 * i - 1] + 1e-9)
  end
  for j = 1, #out do res[#res + 1] = out[j] end
end
