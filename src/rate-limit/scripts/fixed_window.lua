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
local mode = ARGV[2]
-- Taking is the common case, so it increments first (one write, no read) and gives the units
-- back when a limit has no room: the script is atomic, so nobody sees the undone increment.
local take = mode ~= '1'
local out = { 1, 0, 0, 0 }
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local left = window - now % window
  local after
  if take then
    after = redis.call('INCRBY', KEYS[i], cost)
    -- The increment created the counter (stored counters are never 0): it lives until the end of its window.
    if after == cost then redis.call('PEXPIRE', KEYS[i], left) end
  else
    after = tonumber(redis.call('GET', KEYS[i]) or 0) + cost
  end
  out[3 * i - 1], out[3 * i], out[3 * i + 1] = after, left, 0
  if after > limit then
    out[1] = 0
    out[3 * i + 1] = left
  end
end
-- Force keeps what it took; a normal take keeps it only when every limit had room.
local kept = mode == '2' or (mode == '0' and out[1] == 1)
for i = 1, #KEYS do
  local used = out[3 * i - 1]
  if kept then
    if used <= 0 then
      redis.call('DEL', KEYS[i])
      used = 0
    end
  else
    used = used - cost
    if take and redis.call('DECRBY', KEYS[i], cost) <= 0 then redis.call('DEL', KEYS[i]) end
  end
  out[3 * i - 1] = tonumber(ARGV[1 + 2 * i]) - used
  if used <= 0 then out[3 * i] = 0 end
end
return out
