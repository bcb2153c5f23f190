-- lock/semaphore-acquire.lua
-- Takes one of `limit` permits if one is free, after dropping holders whose TTL ran out.
-- Expiry is Redis time, so app instances with skewed clocks agree on it.
-- Runs a batch of n acquisitions (core's batched-script layout) in call order, at one Redis time:
-- KEYS   per call: holders (sorted set: member = owner id, score = expiry in Redis ms)
-- ARGV   n; then per call: owner id, limit, TTL in ms
-- Returns per call {1, holders after taking} when granted, {0, ms until the earliest holder expires}
-- otherwise, every call's pair one after another.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local n = tonumber(ARGV[1])
local res = {}
for c = 1, n do
  local holders, owner, limit, ttl = KEYS[c], ARGV[3 * c - 1], tonumber(ARGV[3 * c]), tonumber(ARGV[3 * c + 1])
  redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
  local count = redis.call('ZCARD', holders)
  if count < limit then
    redis.call('ZADD', holders, now + ttl, owner)
    -- The set lives as long as its longest holder, never forever.
    if redis.call('PTTL', holders) < ttl then redis.call('PEXPIRE', holders, ttl) end
    res[2 * c - 1], res[2 * c] = 1, count + 1
  else
    local first = redis.call('ZRANGE', holders, 0, 0, 'WITHSCORES')
    res[2 * c - 1], res[2 * c] = 0, tonumber(first[2]) - now
  end
end
return res
