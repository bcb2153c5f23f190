-- circuit-breaker/check.lua
-- Decides whether one call may run. An open circuit whose open period has ended (by
-- Redis time) becomes half-open here, and a half-open circuit hands out at most
-- ARGV[3] probe leases at a time across every instance. A lease ends by itself, so a
-- probe that never reports back (crashed process) cannot keep the circuit half-open.
-- KEYS[1] state hash {state, openUntil}; an absent key means closed
-- KEYS[2] probe leases: sorted set of probe id -> lease end (ms, Redis time)
-- ARGV[1] probe id, used only if this call becomes a probe
-- ARGV[2] probe lease in ms
-- ARGV[3] halfOpenMaxProbes
-- ARGV[4] idle TTL in ms of the state key once half-open
-- Returns {verdict, state, waitMs}: verdict 'allow' | 'probe' | 'reject'; state
-- 'closed' | 'open' | 'half-open'; waitMs is how long until a call may be admitted
-- (0 unless rejected).
--- @include "core/lua/time.lua"
local now = redis_now()
local fields = redis.call('HMGET', KEYS[1], 'state', 'openUntil')
local state = fields[1]
if not state then
  return {'allow', 'closed', 0}
end
if state == 'open' then
  local openUntil = tonumber(fields[2])
  if now < openUntil then
    return {'reject', 'open', openUntil - now}
  end
  redis.call('HSET', KEYS[1], 'state', 'half-open')
  redis.call('HDEL', KEYS[1], 'openUntil')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {'reject', 'half-open', tonumber(first[2]) - now}
end
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[2], lease)
return {'probe', 'half-open', 0}
