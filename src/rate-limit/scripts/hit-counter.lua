-- rate-limit/hit-counter.lua
-- A hit counter for the stores of other libraries' middleware (express-rate-limit,
-- @fastify/rate-limit, @nestjs/throttler), which decide from the count themselves: a window
-- starts at the identity's first hit and ends when its key expires (PEXPIRE: Redis's clock).
-- One call of a coalesced script (core's driver runs it per call, in call order):
-- KEYS[k + 1]  the counter (a string holding the hits of the current window, with the window's TTL)
-- ARGV[a + 1]  delta: > 0 adds hits, < 0 takes hits back (never below 0; 0 deletes the key), 0 reads
-- ARGV[a + 2]  window length in ms, for a window that starts now
-- ARGV[a + 3]  max: hits above it are "over" (0: no max)
-- ARGV[a + 4]  what a hit over max does to the window: '0' nothing, '1' restarts it (continue
--              exceeding), '2' doubles it per hit over max (exponential backoff), '3' the first hit
--              over max sets it to ARGV[a + 5] ms (a block), later hits leave it alone
-- ARGV[a + 5]  the block's length in ms (mode '3')
-- Appends {hits, ms until the window ends (0 when there are no hits)}.
local MAX_SAFE = 9007199254740991
local function call(k, a, res)
  local key = KEYS[k + 1]
  local delta, window, max, mode = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), ARGV[a + 4]
  local hits
  if delta > 0 then
    hits = redis.call('INCRBY', key, delta)
    local over = max > 0 and hits > max
    if hits == delta then
      -- The key did not exist (a stored counter is never 0): a new window.
      redis.call('PEXPIRE', key, window)
    elseif over and mode == '1' then
      redis.call('PEXPIRE', key, window)
    elseif over and mode == '2' then
      redis.call('PEXPIRE', key, math.min(window * 2 ^ (hits - max - 1), MAX_SAFE))
    end
    if over and mode == '3' and hits - delta <= max then redis.call('PEXPIRE', key, tonumber(ARGV[a + 5])) end
  elseif delta < 0 then
    hits = tonumber(redis.call('GET', key) or 0)
    if hits + delta <= 0 then
      if hits > 0 then redis.call('DEL', key) end
      hits = 0
    else
      -- DECRBY keeps the window's expiry.
      hits = redis.call('DECRBY', key, -delta)
    end
  else
    hits = tonumber(redis.call('GET', key) or 0)
  end
  local ttl = 0
  if hits > 0 then ttl = math.max(0, redis.call('PTTL', key)) end
  local o = #res
  res[o + 1], res[o + 2] = hits, ttl
end
