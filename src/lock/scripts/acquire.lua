-- lock/acquire.lua
-- Takes a FencedLock if it is free, or finds that a release already handed it to us;
-- otherwise optionally queues the caller (FIFO) for a handoff by release.lua.
-- KEYS[1] lock key (value = owner id, PX = TTL)
-- KEYS[2] fencing counter (no TTL: it must outlive every lock so tokens keep increasing)
-- KEYS[3] waiter queue (sorted set: score = enqueue time in microseconds, member = "<ttlMs>|<waitMs>|<owner>")
-- ARGV[1] owner id, ARGV[2] TTL in ms, ARGV[3] queue member ('' = do not queue), ARGV[4] wait limit in ms
-- Returns {1, token, remaining ms} when the caller holds the lock, {0, remaining ms of the current holder} otherwise.
local owner = ARGV[1]
local member = ARGV[3]
if redis.call('SET', KEYS[1], owner, 'NX', 'PX', ARGV[2]) then
  local token = redis.call('INCR', KEYS[2])
  if member ~= '' then redis.call('ZREM', KEYS[3], member) end
  return {1, token, tonumber(ARGV[2])}
end
if redis.call('GET', KEYS[1]) == owner then
  -- A release handed the lock to us and we missed (or have not yet read) its message.
  return {1, redis.call('GET', KEYS[2]), redis.call('PTTL', KEYS[1])}
end
if member ~= '' then
  local t = redis.call('TIME')
  -- NX keeps the original position of a waiter that polls again.
  redis.call('ZADD', KEYS[3], 'NX', t[1] * 1000000 + t[2], member)
  local wait = tonumber(ARGV[4])
  if redis.call('PTTL', KEYS[3]) < wait then redis.call('PEXPIRE', KEYS[3], wait) end
end
return {0, redis.call('PTTL', KEYS[1])}
