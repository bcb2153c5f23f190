-- rate-limit/fixed_window.lua
-- Fixed window: one counter per limit, windows aligned to the epoch (all identities
-- roll over together), each counter expiring at the end of its window.
-- Runs a batch of n checks (core's batched-script layout), all at one Redis time:
-- KEYS         check c's counters (one per limit, K = #KEYS / n), then check c+1's, ...
-- ARGV[1]      n: number of checks
-- then per check (2 + 2K arguments):
--   cost       units to take (negative in force mode gives units back)
--   mode       '0' take only if every limit has room, '1' peek (write nothing), '2' force (take regardless)
--   K pairs    limit i: units per window, window length in ms
-- Returns, per check, {allowed, remaining_1, reset_ms_1, retry_after_ms_1, ...} (1 + 3K entries),
-- all checks in one flat array: allowed is 1 when every limit had room for cost; remaining is
-- what is left after this check (may be negative after a penalty); reset_ms is when the limit
-- is whole again; retry_after_ms is when cost would fit (0 if it fits now).
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local n = tonumber(ARGV[1])
local K = #KEYS / n
local res = {}
for c = 0, n - 1 do
  local kb, ab = c * K, 1 + c * (2 + 2 * K)
  local cost = tonumber(ARGV[ab + 1])
  local mode = ARGV[ab + 2]
  -- Taking is the common case, so it increments first (one write, no read) and gives the units
  -- back when a limit has no room: the script is atomic, so nobody sees the undone increment.
  local take = mode ~= '1'
  local out = { 1 }
  for i = 1, K do
    local key, limit, window = KEYS[kb + i], tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i])
    local left = window - now % window
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
return res
