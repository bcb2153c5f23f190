-- rate-limit/fixed-window.lua
-- Fixed window: one counter per limit, windows aligned to the epoch (all identities
-- roll over together), each counter expiring at the end of its window.
-- check(kb, ab, K, cost, mode, ms, us, res) runs one check; rate-limit/scripts/includes/call.lua,
-- included at the end, documents KEYS, ARGV and the reply:
-- KEYS[kb + i]         counter of limit i (a string holding the units used in the current window)
-- ARGV[ab + 1 + 2i]    limit i: units per window
-- ARGV[ab + 2 + 2i]    limit i: window length in ms
-- Appends {allowed, remaining_i, reset_ms_i, retry_after_ms_i ...} to res.
local function check(kb, ab, K, cost, mode, ms, us, res)
  -- Taking is the common case, so it increments first (one write, no read) and gives the units
  -- back when a limit has no room: the script is atomic, so nobody sees the undone increment.
  local take = mode ~= '1'
  local out = { 1 }
  for i = 1, K do
    local key, limit, window = KEYS[kb + i], tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i])
    local left = window - ms % window
    local after
    if take then
      after = redis.call('INCRBY', key, cost)
      -- The increment created the counter (stored counters are never 0): it lives until the end of its window.
      if after == cost then redis.call('PEXPIRE', key, left) end
    else
      after = tonumber(redis.call('GET', key) or 0) + cost
    end
    out[3 * i - 1], out[3 * i], out[3 * i + 1] = after, left, 0
    if after > limit then
      out[1] = 0
      out[3 * i + 1] = left
    end
  end
  -- Force keeps what it took; a normal take keeps it only when every limit had room.
  local kept = mode == '2' or (mode == '0' and out[1] == 1)
  for i = 1, K do
    local key, used = KEYS[kb + i], out[3 * i - 1]
    if kept then
      if used <= 0 then
        redis.call('DEL', key)
        used = 0
      end
    else
      used = used - cost
      if take and redis.call('DECRBY', key, cost) <= 0 then redis.call('DEL', key) end
    end
    out[3 * i - 1] = tonumber(ARGV[ab + 1 + 2 * i]) - used
    if used <= 0 then out[3 * i] = 0 end
  end
  for j = 1, #out do res[#res + 1] = out[j] end
end
--- @include "rate-limit/scripts/includes/call.lua"
