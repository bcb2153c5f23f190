-- circuit-breaker/record.lua
-- Records the outcome of calls and makes the transition they cause, by Redis time.
-- A probe's outcome decides a half-open circuit (success closes, failure re-opens);
-- outcomes in a closed circuit go to a rolling window of time buckets, and the circuit
-- opens when the window's failures reach the threshold (count or rate, with a minimum
-- number of calls). Outcomes of calls that were admitted before the circuit opened are
-- ignored: the window restarts empty after every opening.
-- KEYS[1] state hash {state, openUntil}; an absent key means closed
-- KEYS[2] window hash: '<bucket>:s' / '<bucket>:f' -> successes / failures in that bucket
-- KEYS[3] probe leases: sorted set of probe id -> lease end
-- ARGV[1] successes, ARGV[2] failures (counts to add)
-- ARGV[3] probe id of the call, or '' when it was not a probe
-- ARGV[4] bucket length in ms, ARGV[5] number of buckets in the window
-- ARGV[6] failureThreshold (0 = use the rate), ARGV[7] failureRate, ARGV[8] minimumRequests
-- ARGV[9] openMs, ARGV[10] idle TTL in ms of the state key
-- Returns {state, waitMs}: the state after this record; waitMs until an open circuit
-- admits probes (0 otherwise).
--- @include "core/lua/time.lua"
--- @include "core/lua/chunked.lua"
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

local bucketMs = tonumber(ARGV[4])
local bucket = math.floor(now / bucketMs)
if successes > 0 then
  redis.call('HINCRBY', KEYS[2], bucket .. ':s', successes)
end
if failures > 0 then
  redis.call('HINCRBY', KEYS[2], bucket .. ':f', failures)
end
local oldest = bucket - tonumber(ARGV[5]) + 1
local entries = redis.call('HGETALL', KEYS[2])
local stale = {}
local totalS, totalF = 0, 0
for i = 1, #entries, 2 do
  local b, kind = string.match(entries[i], '^(%d+):(%a)$')
  if tonumber(b) < oldest then
    stale[#stale + 1] = entries[i]
  elseif kind == 's' then
    totalS = totalS + tonumber(entries[i + 1])
  else
    totalF = totalF + tonumber(entries[i + 1])
  end
end
-- Every record trims, so few fields are stale here; instances of one name configured with other
-- windows could leave more, so HDEL runs in chunks rather than risk an oversized `unpack`.
call_chunked('HDEL', KEYS[2], stale, 1)
redis.call('PEXPIRE', KEYS[2], bucketMs * (tonumber(ARGV[5]) + 1))

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
