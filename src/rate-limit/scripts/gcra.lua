-- rate-limit/gcra.lua
-- Generic cell rate algorithm: per limit, one number, the theoretical arrival time (TAT) of
-- the next unit. A unit is allowed when it would not push the TAT more than the burst
-- tolerance past now. Same behaviour as a token bucket, in one string per limit.
-- check(kb, ab, K, cost, mode, ms, us, res) runs one check; rate-limit/scripts/includes/call.lua,
-- included at the end, documents KEYS, ARGV and the reply:
-- KEYS[kb + i]         TAT of limit i in ms (a string; absent means "now")
-- ARGV[ab + 1 + 2i]    limit i: emission interval in ms (period / rate, fractional)
-- ARGV[ab + 2 + 2i]    limit i: burst tolerance in ms (burst * emission interval)
-- Appends {allowed, remaining_i, reset_ms_i, retry_after_ms_i ...} to res.
local function check(kb, ab, K, cost, mode, ms, us, res)
  local out, tats = { 1 }, {}
  for i = 1, K do
    local interval, tolerance = tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i])
    -- ahead: how far the TAT is past now, i.e. the units already in flight times the interval
    local ahead = math.max(0, tonumber(redis.call('GET', KEYS[kb + i]) or 0) - ms)
    tats[i] = ahead
    out[3 * i - 1], out[3 * i], out[3 * i + 1] = math.floor((tolerance - ahead) / interval + 1e-9), math.ceil(ahead), 0
    local over = ahead + cost * interval - tolerance
    if over > 0 then
      out[1] = 0
      out[3 * i + 1] = math.max(1, math.ceil(over))
    end
  end
  if (mode == '0' and out[1] == 1) or mode == '2' then
    for i = 1, K do
      local interval, tolerance = tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i])
      local ahead = math.max(0, tats[i] + cost * interval)
      if ahead > 0 then
        redis.call('SET', KEYS[kb + i], string.format('%.17g', ms + ahead), 'PX', math.ceil(ahead))
      else
        redis.call('DEL', KEYS[kb + i])
      end
      out[3 * i - 1], out[3 * i] = math.floor((tolerance - ahead) / interval + 1e-9), math.ceil(ahead)
    end
  end
  for j = 1, #out do res[#res + 1] = out[j] end
end
--- @include "rate-limit/scripts/includes/call.lua"
