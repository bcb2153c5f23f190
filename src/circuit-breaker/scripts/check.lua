-- circuit-breaker/check.lua
-- Decides whether one call may run, and records the successes the instance gathered since
-- its last report (they ride along instead of costing a round trip of their own). An open
-- circuit whose open period has ended (by Redis time) becomes half-open here, and a half-open
-- circuit hands out at most `maxProbes` probe leases at a time across every instance. A lease
-- ends by itself, so a probe that never reports back (crashed process) cannot keep the
-- circuit half-open.
-- One call of a coalesced script (core's driver runs it per call, in call order, at one Redis time):
-- KEYS[k + 1] state hash {state, openUntil}; an absent key means closed
-- KEYS[k + 2] probe leases: sorted set of probe id -> lease end (ms, Redis time)
-- KEYS[k + 3] window hash (see includes/window.lua)
-- ARGV[a + 1] probe id, used only if this call becomes a probe
-- ARGV[a + 2] probe lease in ms, ARGV[a + 3] halfOpenMaxProbes,
-- ARGV[a + 4] idle TTL in ms of the state key once half-open
-- ARGV[a + 5] successes to record (counted only while closed: after an opening they are late),
-- ARGV[a + 6] bucket length in ms, ARGV[a + 7] number of buckets in the window
-- Appends {verdict, state, waitMs}: verdict 'allow' | 'probe' | 'reject'; state 'closed' |
-- 'open' | 'half-open'; waitMs is how long until a call may be admitted (0 unless rejected).
--- @include "circuit-breaker/scripts/includes/window.lua"
local function call(k, a, res, now)
  local state_key, probes, window = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local o = #res
  local fields = redis.call('HMGET', state_key, 'state', 'openUntil')
  local state = fields[1]
  if not state then
    local successes = tonumber(ARGV[a + 5])
    if successes > 0 then
      local bucketMs, buckets = tonumber(ARGV[a + 6]), tonumber(ARGV[a + 7])
      local bucket = math.floor(now / bucketMs)
      if window_add(window, bucket, successes, 0) then window_sum(window, bucket - buckets + 1) end
      window_expire(window, bucketMs, buckets)
    end
    res[o + 1], res[o + 2], res[o + 3] = 'allow', 'closed', 0
    return
  end
  if state == 'open' then
    local openUntil = tonumber(fields[2])
    if now < openUntil then
      res[o + 1], res[o + 2], res[o + 3] = 'reject', 'open', openUntil - now
      return
    end
    redis.call('HSET', state_key, 'state', 'half-open')
    redis.call('HDEL', state_key, 'openUntil')
    redis.call('PEXPIRE', state_key, ARGV[a + 4])
  end
  redis.call('ZREMRANGEBYSCORE', probes, '-inf', now)
  if redis.call('ZCARD', probes) >= tonumber(ARGV[a + 3]) then
    local first = redis.call('ZRANGE', probes, 0, 0, 'WITHSCORES')
    res[o + 1], res[o + 2], res[o + 3] = 'reject', 'half-open', tonumber(first[2]) - now
    return
  end
  local lease = tonumber(ARGV[a + 2])
  redis.call('ZADD', probes, now + lease, ARGV[a + 1])
  redis.call('PEXPIRE', probes, lease)
  res[o + 1], res[o + 2], res[o + 3] = 'probe', 'half-open', 0
end
