-- lock/semaphore-acquire.lua
-- Takes one of `limit` permits if one is free, after dropping holders whose TTL ran out.
-- Expiry is Redis time, so app instances with skewed clocks agree on it.
-- One call of a coalesced script (core's driver runs it per call, in call order, at one Redis time):
-- KEYS[k + 1] holders (sorted set: member = owner id, score = expiry in Redis ms)
-- ARGV[a + 1] owner id, ARGV[a + 2] limit, ARGV[a + 3] TTL in ms
-- Appends {1, holders after taking} when granted, {0, ms until the earliest holder expires} otherwise.
local function call(k, a, res, now)
  local holders, owner, limit, ttl = KEYS[k + 1], ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local o = #res
  redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
  local count = redis.call('ZCARD', holders)
  if count < limit then
    redis.call('ZADD', holders, now + ttl, owner)
    -- The set lives as long as its longest holder, never forever.
    if redis.call('PTTL', holders) < ttl then redis.call('PEXPIRE', holders, ttl) end
    res[o + 1], res[o + 2] = 1, count + 1
  else
    local first = redis.call('ZRANGE', holders, 0, 0, 'WITHSCORES')
    res[o + 1], res[o + 2] = 0, tonumber(first[2]) - now
  end
end
