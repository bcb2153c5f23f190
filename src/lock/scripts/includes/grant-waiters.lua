-- lock/scripts/includes/grant-waiters.lua
-- KEYS: none of its own (holders, queue and channel are function arguments). ARGV: none.
-- Returns: nothing; grant_waiters returns the number of permits held.
-- Hands free permits of a semaphore to its longest-waiting live waiters, in queue order
-- (shared by semaphore-acquire.lua and semaphore-release.lua; defines a function, runs nothing).
-- grant_waiters(holders, queue, channel, flag, limit, count, now_ms, now_us, stop_at, instance, local_owners)
-- moves waiters from the queue (member "<ttlMs>|<waitMs>|<owner>", score = queueing time in µs) to
-- the holders (score = expiry in Redis ms) while fewer than `limit` of `count` permits are held,
-- drops waiters whose wait limit has passed, and tells each new holder "<owner>" on `channel`
-- (SPUBLISH when `flag` is '1', see core/lua/publish.lua; the channel shares the semaphore's hash
-- tag), except an owner starting with `instance` (the caller's Semaphore, '' for none): that one is
-- appended to the table `local_owners` instead, for the caller to tell. It stops at the waiter
-- `stop_at` (a queue member, or '') so that caller takes its permit itself. Returns the number of
-- permits held: below `limit` only when no live waiter before `stop_at` is left.
--- @include "core/lua/publish.lua"
local function grant_waiters(holders, queue, channel, flag, limit, count, now_ms, now_us, stop_at, instance, local_owners)
  while count < limit do
    local head = redis.call('ZPOPMIN', queue)
    if #head == 0 then return count end
    if head[1] == stop_at then
      -- Put back with its score: the same place in the queue. If it was the only member the queue
      -- lost its TTL with it, but this caller takes a permit next and removes the member at once.
      redis.call('ZADD', queue, head[2], head[1])
      return count
    end
    local ttl, wait, owner = string.match(head[1], '^(%d+)|(%d+)|(.+)$')
    -- A waiter whose wait limit has passed has given up: skip it rather than hold a permit for it.
    if tonumber(head[2]) + tonumber(wait) * 1000 > now_us then
      redis.call('ZADD', holders, now_ms + tonumber(ttl), owner)
      if redis.call('PTTL', holders) < tonumber(ttl) then redis.call('PEXPIRE', holders, ttl) end
      if instance ~= '' and string.sub(owner, 1, #instance) == instance then
        local_owners[#local_owners + 1] = owner
      else
        publish(flag, channel, owner)
      end
      count = count + 1
    end
  end
  return count
end
