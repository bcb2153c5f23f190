-- lock/semaphore-release.lua
-- Gives a permit back if the caller still holds it and wakes waiters on the semaphore's channel.
-- Runs a batch of n releases (core's batched-script layout) in call order, at one Redis time:
-- KEYS   per call: holders (sorted set), wake-up channel
-- ARGV   n; then per call: owner id
-- Returns per call 1 when released, 0 when the caller held no live permit, one entry per call.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local n = tonumber(ARGV[1])
local res = {}
for c = 1, n do
  local holders, channel, owner = KEYS[2 * c - 1], KEYS[2 * c], ARGV[c + 1]
  local score = redis.call('ZSCORE', holders, owner)
  res[c] = 0
  if score then
    redis.call('ZREM', holders, owner)
    redis.call('PUBLISH', channel, '')
    -- A permit past its expiry was no longer held, even if nobody had purged it yet.
    if tonumber(score) > now then res[c] = 1 end
  end
end
return res
