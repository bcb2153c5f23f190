-- lock/release.lua
-- Releases a FencedLock if the caller still owns it and hands it straight to the
-- longest-waiting live waiter: the waiter learns it holds the lock from one message
-- instead of racing every other contender for it.
-- Runs a batch of n releases (core's batched-script layout), in call order:
-- KEYS   per call: lock key, fencing counter, waiter queue, grant channel
-- ARGV   n; then per call: owner id, and the owner-id prefix of the releasing FencedLock
--        instance (a waiter of that same instance is told by this script's reply, so no
--        message is published for it)
-- Returns per call {0, '', 0} when the caller did not hold the lock (nothing changed),
-- {1, '', 0} when released with nobody waiting, {2, new owner id, new token} when handed
-- over to a waiter.
local n = tonumber(ARGV[1])
local res = {}
local now
for c = 0, n - 1 do
  local lock, fence, queue, channel = KEYS[4 * c + 1], KEYS[4 * c + 2], KEYS[4 * c + 3], KEYS[4 * c + 4]
  local owner, instance = ARGV[2 * c + 2], ARGV[2 * c + 3]
  local o = 3 * c
  res[o + 1], res[o + 2], res[o + 3] = 0, '', 0
  if redis.call('GET', lock) == owner then
    res[o + 1] = 1
    while true do
      local head = redis.call('ZPOPMIN', queue)
      if #head == 0 then break end
      if not now then
        local t = redis.call('TIME')
        now = t[1] * 1000000 + t[2]
      end
      local ttl, wait, next = string.match(head[1], '^(%d+)|(%d+)|(.+)$')
      -- A waiter whose wait limit has passed has given up: skip it rather than lock it out for a TTL.
      if tonumber(head[2]) + tonumber(wait) * 1000 > now then
        redis.call('SET', lock, next, 'PX', ttl)
        local token = redis.call('INCR', fence)
        if string.sub(next, 1, #instance) ~= instance then redis.call('PUBLISH', channel, next .. ' ' .. token) end
        res[o + 1], res[o + 2], res[o + 3] = 2, next, token
        break
      end
    end
    if res[o + 1] == 1 then redis.call('DEL', lock) end
  end
end
return res
