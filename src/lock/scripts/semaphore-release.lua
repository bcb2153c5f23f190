-- lock/semaphore-release.lua
-- Gives a permit back if the caller still holds it, and hands free permits to the
-- longest-waiting live waiters (includes/grant-waiters.lua): a waiter does not race anyone
-- for the permit, it holds it when it hears about it.
-- One call of a coalesced script (core's driver runs it per call, in call order, at one Redis time):
-- KEYS[k + 1] holders (sorted set), KEYS[k + 2] waiter queue, KEYS[k + 3] grant channel
-- ARGV[a + 1] owner id, ARGV[a + 2] limit, ARGV[a + 3] '1' to announce grants with SPUBLISH, '0' with PUBLISH,
-- ARGV[a + 4] the owner-id prefix of the releasing Semaphore instance (its waiters are told by
-- this script's reply, so nothing is published for them)
-- Appends {1 when released, 0 when the caller held no live permit; the owner ids of the caller's
-- instance granted a permit, joined by spaces ('' for none)}.
--- @include "lock/scripts/includes/grant-waiters.lua"
local function call(k, a, res, now_ms, now_us)
  local holders, queue, channel, owner = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[a + 1]
  local score = redis.call('ZSCORE', holders, owner)
  local released, granted_here = 0, {}
  if score then
    redis.call('ZREM', holders, owner)
    -- A permit past its expiry was no longer held, even if nobody had purged it yet.
    if tonumber(score) > now_ms then released = 1 end
    if redis.call('EXISTS', queue) == 1 then
      redis.call('ZREMRANGEBYSCORE', holders, '-inf', now_ms)
      local count = redis.call('ZCARD', holders)
      grant_waiters(holders, queue, channel, ARGV[a + 3], tonumber(ARGV[a + 2]), count, now_ms, now_us, '', ARGV[a + 4], granted_here)
    end
  end
  res[#res + 1] = released
  res[#res + 1] = table.concat(granted_here, ' ')
end
