-- rate-limit/fixed_window.lua
-- Fixed window: one counter per limit, windows aligned to the epoch (all identities
-- roll over together), each counter expiring at the end of its window.
-- KEYS[i]      counter of limit i (a string holding the units used in the current window)
-- ARGV[1]      cost: units to take (negative in force mode gives units back)
-- ARGV[2]      mode: '0' take only if every limit has room, '1' peek (write nothing), '2' force (take regardless)
-- ARGV[1+2i]   limit i: units per window
-- ARGV[2+2i]   limit i: window length in ms
-- Returns {allowed, remaining_1, reset_ms_1, retry_after_ms_1, ...}: allowed is 1 when every
-- limit had room for cost; remaining is what is left after this call (may be negative after a
-- penalty); reset_ms is when the limit is whole again; retry_after_ms is when cost would fit
-- (0 if it fits now).
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local cost = tonumber(ARGV[1])
-- Only the reply table is allocated: per-limit state lives in its slots (Lua garbage is script latency).
local out = { 1 }
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local used = tonumber(redis.call('GET', KEYS[i]) or 0)
  local left = window - now % window
  out[3 * i - 1], out[3 * i], out[3 * i + 1] = limit - used, used > 0 and left or 0, 0
  if used + cost > limit then
    out[1] = 0
    out[3 * i + 1] = left
  end
end
local mode = ARGV[2]
if (mode == '0' and out[1] == 1) or mode == '2' then
  for i = 1, #KEYS do
    local limit, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
    local before = limit - out[3 * i - 1]
    local used = before + cost
    local left = window - now % window
    if used <= 0 then
      redis.call('DEL', KEYS[i])
      used = 0
    else
      -- INCRBY changes the counter in place (a SET would replace it and its expiry): the
      -- expiry is set once, when the window's counter is created.
      redis.call('INCRBY', KEYS[i], cost)
      if before <= 0 then redis.call('PEXPIRE', KEYS[i], left) end
    end
    out[3 * i - 1], out[3 * i] = limit - used, used > 0 and left or 0
  end
end
return out
