-- lock/acquire.lua
-- Takes a FencedLock if it is free, or finds that a release already handed it to us;
-- otherwise optionally queues the caller (FIFO) for a handoff by release.lua.
-- One call of a coalesced script (core's driver runs it per call, in call order):
-- KEYS[k + 1] the lock key (value = "<owner id>|<token>", PX = TTL)
-- KEYS[k + 2] the fencing counter of the resource's hash slot, shared by every resource of that
--             slot (no TTL: it must outlive every lock so tokens keep increasing; at most one
--             per slot, so their number is bounded whatever the number of resources)
-- KEYS[k + 3] the waiter queue (sorted set: score = enqueue time in µs, member = "<ttlMs>|<waitMs>|<owner>")
-- ARGV[a + 1] owner id, ARGV[a + 2] TTL in ms, ARGV[a + 3] queue member ('' = do not queue),
-- ARGV[a + 4] wait limit in ms
-- Appends {1, token, remaining ms} when the caller holds the lock, {0, 0, remaining ms of the
-- current holder} otherwise. The caller then owns the lock as "<owner id>|<token>".
--- @include "core/lua/time.lua"
local function call(k, a, res)
  local lock, fence, queue = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local owner, ttl, member = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local o = #res
  local holder = redis.call('GET', lock)
  if not holder then
    local token = redis.call('INCR', fence)
    redis.call('SET', lock, owner .. '|' .. token, 'PX', ttl)
    res[o + 1], res[o + 2], res[o + 3] = 1, token, tonumber(ttl)
    if member ~= '' then redis.call('ZREM', queue, member) end
  elseif string.sub(holder, 1, #owner + 1) == owner .. '|' then
    -- A release handed the lock to us and we missed (or have not yet read) its message.
    res[o + 1], res[o + 2], res[o + 3] = 1, tonumber(string.sub(holder, #owner + 2)), redis.call('PTTL', lock)
  else
    if member ~= '' then
      -- Its own reading of the clock per waiter (not one per EVALSHA), so the queue keeps call order.
      local _, now_us = redis_now()
      -- NX keeps the original position of a waiter that polls again.
      redis.call('ZADD', queue, 'NX', now_us, member)
      local wait = tonumber(ARGV[a + 4])
      if redis.call('PTTL', queue) < wait then redis.call('PEXPIRE', queue, wait) end
    end
    res[o + 1], res[o + 2], res[o + 3] = 0, 0, redis.call('PTTL', lock)
  end
end
