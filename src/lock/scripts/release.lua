-- lock/release.lua
-- Releases a FencedLock if the caller still owns it and hands it straight to the
-- longest-waiting live waiter: the waiter learns it holds the lock from one message
-- instead of racing every other contender for it.
-- One call of a coalesced script (core's driver runs it per call, in call order):
-- KEYS[k + 1] lock key, KEYS[k + 2] fencing counter of the resource's slot, KEYS[k + 3] waiter queue,
-- KEYS[k + 4] grant channel
-- ARGV[a + 1] the lock's value as the holder owns it ("<owner id>|<token>"), or just the owner id
--             (a waiter giving up releases whatever was handed to it), ARGV[a + 2] the owner-id prefix of the releasing FencedLock instance (a
--             waiter of that same instance is told by this script's reply, so no message is
--             published for it), ARGV[a + 3] '1' to announce with SPUBLISH, '0' with PUBLISH
--             (core/lua/publish.lua; the channel shares the lock's hash tag)
-- Appends {0, '', 0} when the caller did not hold the lock (nothing changed), {1, '', 0} when
-- released with nobody waiting, {2, new owner id, new token} when handed over to a waiter.
--- @include "core/lua/time.lua"
--- @include "core/lua/publish.lua"
local function call(k, a, res)
  local lock, fence, queue, channel = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local owner, instance, flag = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local o = #res
  res[o + 1], res[o + 2], res[o + 3] = 0, '', 0
  local holder = redis.call('GET', lock)
  if not holder or (holder ~= owner and string.sub(holder, 1, #owner + 1) ~= owner .. '|') then return end
  res[o + 1] = 1
  local now_us
  while true do
    local head = redis.call('ZPOPMIN', queue)
    if #head == 0 then break end
    if not now_us then now_us = select(2, redis_now()) end
    local ttl, wait, next = string.match(head[1], '^(%d+)|(%d+)|(.+)$')
    -- A waiter whose wait limit has passed has given up: skip it rather than lock it out for a TTL.
    if tonumber(head[2]) + tonumber(wait) * 1000 > now_us then
      local token = redis.call('INCR', fence)
      redis.call('SET', lock, next .. '|' .. token, 'PX', ttl)
      if string.sub(next, 1, #instance) ~= instance then publish(flag, channel, next .. ' ' .. token) end
      res[o + 1], res[o + 2], res[o + 3] = 2, next, token
      return
    end
  end
  redis.call('DEL', lock)
end
