-- lock/semaphore-acquire.lua
-- Takes one of `limit` permits, in queue order: a caller gets a free permit only when nobody
-- queued before it still waits (free permits go to queued waiters first, see
-- includes/grant-waiters.lua). Expired holders are dropped first; expiry is Redis time, so app
-- instances with skewed clocks agree on it. A caller that cannot take one may queue.
-- One call of a coalesced script (core's driver runs it per call, in call order, at one Redis time):
-- KEYS[k + 1] holders (sorted set: member = owner id, score = expiry in Redis ms)
-- KEYS[k + 2] waiter queue (sorted set: member = "<ttlMs>|<waitMs>|<owner>", score = queueing time in µs)
-- KEYS[k + 3] grant channel (a release or an acquire announces "<owner>" of each waiter it granted)
-- ARGV[a + 1] owner id, ARGV[a + 2] limit, ARGV[a + 3] TTL in ms,
-- ARGV[a + 4] queue member ('' = do not queue), ARGV[a + 5] wait limit in ms,
-- ARGV[a + 6] '1' to announce grants with SPUBLISH, '0' with PUBLISH
-- Appends {1, holders after taking} when the caller holds a permit (taken now, or granted to it
-- while it waited), {0, ms until the earliest holder expires} otherwise.
--- @include "lock/scripts/includes/grant-waiters.lua"
local function call(k, a, res, now_ms, now_us)
  local holders, queue, channel = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local owner, limit, ttl, member = ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), ARGV[a + 4]
  local o = #res
  redis.call('ZREMRANGEBYSCORE', holders, '-inf', now_ms)
  local count = redis.call('ZCARD', holders)
  if member ~= '' and redis.call('ZSCORE', holders, owner) then
    -- Granted to us while we waited (we may have missed the message).
    res[o + 1], res[o + 2] = 1, count
    return
  end
  -- Free permits go to earlier waiters first; the caller takes one only if one is left after them.
  if count < limit and redis.call('EXISTS', queue) == 1 then
    count = grant_waiters(holders, queue, channel, ARGV[a + 6], limit, count, now_ms, now_us, member, '', nil)
  end
  if count < limit then
    redis.call('ZADD', holders, now_ms + ttl, owner)
    if member ~= '' then redis.call('ZREM', queue, member) end
    -- The set lives as long as its longest holder, never forever.
    if redis.call('PTTL', holders) < ttl then redis.call('PEXPIRE', holders, ttl) end
    res[o + 1], res[o + 2] = 1, count + 1
    return
  end
  if member ~= '' then
    -- NX keeps the original place of a waiter that polls again.
    redis.call('ZADD', queue, 'NX', now_us, member)
    local wait = tonumber(ARGV[a + 5])
    if redis.call('PTTL', queue) < wait then redis.call('PEXPIRE', queue, wait) end
  end
  local earliest = redis.call('ZRANGE', holders, 0, 0, 'WITHSCORES')
  res[o + 1], res[o + 2] = 0, earliest[2] and (tonumber(earliest[2]) - now_ms) or 0
end
