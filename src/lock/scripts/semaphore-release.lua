-- lock/semaphore-release.lua
-- Gives a permit back if the caller still holds it and wakes waiters on the semaphore's channel.
-- One call of a coalesced script (core's driver runs it per call, in call order, at one Redis time):
-- KEYS[k + 1] holders (sorted set), KEYS[k + 2] wake-up channel
-- ARGV[a + 1] owner id
-- Appends 1 when released, 0 when the caller held no live permit.
local function call(k, a, res, now)
  local holders, channel, owner = KEYS[k + 1], KEYS[k + 2], ARGV[a + 1]
  local score = redis.call('ZSCORE', holders, owner)
  local released = 0
  if score then
    redis.call('ZREM', holders, owner)
    redis.call('PUBLISH', channel, '')
    -- A permit past its expiry was no longer held, even if nobody had purged it yet.
    if tonumber(score) > now then released = 1 end
  end
  res[#res + 1] = released
end
