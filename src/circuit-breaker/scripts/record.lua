-- circuit-breaker/record.lua
-- Records the outcome of calls and makes the transition they cause, by Redis time.
-- A probe's outcome decides a half-open circuit (success closes, failure re-opens);
-- outcomes in a closed circuit go to a rolling window of time buckets, and the circuit
-- opens when the window's failures reach the threshold (count or rate, with a minimum
-- number of calls). Outcomes of calls that were admitted before the circuit opened are
-- ignored: the window restarts empty after every opening.
-- KEYS[1] state hash {state, openUntil}; an absent key means closed
-- KEYS[2] window hash (see includes/window.lua)
-- KEYS[3] probe leases: sorted set of probe id -> lease end
-- ARGV[1] successes, ARGV[2] failures (counts to add)
-- ARGV[3] probe id of the call, or '' when it was not a probe
-- ARGV[4] bucket length in ms, ARGV[5] number of buckets in the window
-- ARGV[6] failureThreshold (0 = use the rate), ARGV[7] failureRate, ARGV[8] minimumRequests
-- ARGV[9] openMs, ARGV[10] idle TTL in ms of the state key
-- Returns {state, waitMs}: the state after this record; waitMs until an open circuit
-- admits probes (0 otherwise).
--- @include "core/lua/time.lua"
--- @include "circuit-breaker/scripts/includes/window.lua"
local now = redis_now()
local fields = redis.call('HMGET', KEYS[1], 'state', 'openUntil')
local state = fields[1] or 'closed'
local successes = tonumber(ARGV[1])
local failures = tonumber(ARGV[2])
local openMs = tonumber(ARGV[9])

local function open()
  redis.call('HSET', KEYS[1], 'state', 'open', 'openUntil', now + openMs)
  redis.call('PEXPIRE', KEYS[1], openMs + tonumber(ARGV[10]))
  redis.call('DEL', KEYS[2], KEYS[3])
  return {'open', openMs}
end

-- ZREM also tells whether the lease is still current: a lease that expired or was
-- cleared by a transition makes this a late report that decides nothing.
local currentProbe = ARGV[3] ~= '' and redis.call('ZREM', KEYS[3], ARGV[3]) == 1
if state == 'half-open' then
  if not currentProbe then
    return {'half-open', 0}
  end
  if failures > 0 then
    return open()
  end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return {'closed', 0}
end
if state == 'open' then
  return {'open', math.max(0, tonumber(fields[2]) - now)}
end

local bucketMs, buckets = tonumber(ARGV[4]), tonumber(ARGV[5])
local bucket = math.floor(now / bucketMs)
window_add(KEYS[2], bucket, successes, failures)
local totalS, totalF = window_sum(KEYS[2], bucket - buckets + 1)
window_expire(KEYS[2], bucketMs, buckets)

local total = totalS + totalF
local threshold = tonumber(ARGV[6])
local trip
if threshold > 0 then
  trip = totalF >= threshold
else
  trip = totalF > 0 and totalF >= tonumber(ARGV[7]) * total
end
if trip and total >= tonumber(ARGV[8]) then
  return open()
end
return {'closed', 0}
