-- rate-limit/token_bucket.lua
-- Token bucket: per limit, the tokens left and when they were counted, refilled lazily at
-- a fractional rate. A full bucket needs no state, so the key expires once it would be full.
-- Runs a batch of n checks at one Redis time, laid out as in fixed_window.lua:
-- KEYS         per check, K keys: the bucket of limit i (string '<tokens> <time of tokens in ms>':
--              one SET PX writes state and expiry, cheaper than a hash plus PEXPIRE)
-- ARGV[1]      n; then per check: cost (negative in force mode gives tokens back), mode ('0' take
--              only if every bucket has the tokens, '1' peek, '2' force), and per limit i the
--              capacity and the refill rate in tokens per ms (fractional)
-- Returns per check {allowed, remaining_1, reset_ms_1, retry_after_ms_1, ...} as fixed_window.lua
-- does (remaining is rounded down to whole tokens).
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local n = tonumber(ARGV[1])
local K = #KEYS / n
local res = {}
for c = 0, n - 1 do
  local kb, ab = c * K, 1 + c * (2 + 2 * K)
  local cost = tonumber(ARGV[ab + 1])
  -- Only the reply table is allocated: the exact token count waits in its remaining slot until the end.
  local out = { 1 }
  for i = 1, K do
    local capacity, rate = tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i])
    local v = redis.call('GET', KEYS[kb + i])
    local tk = capacity
    if v then
      local held, at = string.match(v, '^(%S+) (%S+)$')
      tk = math.min(capacity, tonumber(held) + math.max(0, now - tonumber(at)) * rate)
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
        redis.call('SET', KEYS[kb + i], tk .. ' ' .. now, 'PX', fill)
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
return res
