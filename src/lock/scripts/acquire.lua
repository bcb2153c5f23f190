-- lock/acquire.lua
-- Takes a FencedLock if it is free, or finds that a release already handed it to us;
-- otherwise optionally queues the caller (FIFO) for a handoff by release.lua.
-- Runs a batch of n acquisitions (core's batched-script layout), in call order:
-- KEYS   per call: the lock key (value = owner id, PX = TTL); the fencing counter (no TTL: it
--        must outlive every lock so tokens keep increasing); the waiter queue (sorted set:
--        score = enqueue time in microseconds, member = "<ttlMs>|<waitMs>|<owner>")
-- ARGV   n; then per call: owner id, TTL in ms, queue member ('' = do not queue), wait limit in ms
-- Returns per call {1, token, remaining ms} when the caller holds the lock,
-- {0, 0, remaining ms of the current holder} otherwise.
local n = tonumber(ARGV[1])
local res = {}
for c = 0, n - 1 do
  local lock, fence, queue = KEYS[3 * c + 1], KEYS[3 * c + 2], KEYS[3 * c + 3]
  local owner, ttl, member = ARGV[4 * c + 2], ARGV[4 * c + 3], ARGV[4 * c + 4]
  local o = 3 * c
  if redis.call('SET', lock, owner, 'NX', 'PX', ttl) then
    res[o + 1], res[o + 2], res[o + 3] = 1, redis.call('INCR', fence), tonumber(ttl)
    if member ~= '' then redis.call('ZREM', queue, member) end
  elseif redis.call('GET', lock) == owner then
    -- A release handed the lock to us and we missed (or have not yet read) its message.
    res[o + 1], res[o + 2], res[o + 3] = 1, tonumber(redis.call('GET', fence)), redis.call('PTTL', lock)
  else
    if member ~= '' then
      -- Its own reading of the clock per waiter (not one per batch), so the queue keeps call order.
      local t = redis.call('TIME')
      -- NX keeps the original position of a waiter that polls again.
      redis.call('ZADD', queue, 'NX', t[1] * 1000000 + t[2], member)
      local wait = tonumber(ARGV[4 * c + 5])
      if redis.call('PTTL', queue) < wait then redis.call('PEXPIRE', queue, wait) end
    end
    res[o + 1], res[o + 2], res[o + 3] = 0, 0, redis.call('PTTL', lock)
  end
end
return res
