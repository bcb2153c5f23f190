-- lock/release.lua
-- Releases a FencedLock if the caller still owns it and hands it straight to the
-- longest-waiting live waiter: the waiter learns it holds the lock from one message
-- instead of racing every other contender for it.
-- KEYS[1] lock key, KEYS[2] fencing counter, KEYS[3] waiter queue, KEYS[4] grant channel
-- ARGV[1] owner id, ARGV[2] owner-id prefix of the releasing FencedLock instance: a waiter
-- of that same instance is told by this script's reply, so no message is published for it
-- Returns {0} when the caller did not hold the lock (nothing changed), {1} when released
-- with nobody waiting, {2, new owner id, new token} when handed over to a waiter.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
local now
while true do
  local head = redis.call('ZPOPMIN', KEYS[3])
  if #head == 0 then break end
  if not now then
    local t = redis.call('TIME')
    now = t[1] * 1000000 + t[2]
  end
  local ttl, wait, next = string.match(head[1], '^(%d+)|(%d+)|(.+)$')
  -- A waiter whose wait limit has passed has given up: skip it rather than lock it out for a TTL.
  if tonumber(head[2]) + tonumber(wait) * 1000 > now then
    redis.call('SET', KEYS[1], next, 'PX', ttl)
    local token = redis.call('INCR', KEYS[2])
    if string.sub(next, 1, #ARGV[2]) ~= ARGV[2] then redis.call('PUBLISH', KEYS[4], next .. ' ' .. token) end
    return {2, next, token}
  end
end
redis.call('DEL', KEYS[1])
return {1}
