-- lock/semaphore-acquire.lua
-- Takes one of `limit` permits if one is free, after dropping holders whose TTL ran out.
-- Expiry is Redis time, so app instances with skewed clocks agree on it.
-- KEYS[1] holders (sorted set: member = owner id, score = expiry in Redis ms)
-- ARGV[1] owner id, ARGV[2] limit, ARGV[3] TTL in ms
-- Returns {1, holders after taking} when granted, {0, ms until the earliest holder expires} otherwise.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ttl = tonumber(ARGV[3])
local count = redis.call('ZCARD', KEYS[1])
if count < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  -- The set lives as long as its longest holder, never forever.
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
  return {1, count + 1}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(first[2]) - now}
