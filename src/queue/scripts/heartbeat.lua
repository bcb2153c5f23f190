-- queue/heartbeat.lua
-- Keeps entries a live worker still runs claimed (resets their idle time, so no other worker
-- reclaims them) and, under a queue-wide concurrency limit, extends their leases. An entry that
-- another worker has reclaimed meanwhile (or that is no longer pending) stays where it is: taking
-- it back would leave its new owner running a job it no longer holds.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] lease ms (0: no queue-wide limit), ARGV[4..] entry ids
-- Returns the entry ids this consumer no longer holds.
--- @include "core/lua/time.lua"
--- @include "queue/scripts/includes/keys.lua"
local group, consumer, lease_ms = ARGV[1], ARGV[2], tonumber(ARGV[3])
local held, lost = {}, {}
for i = 4, #ARGV do
  local pending = redis.call('XPENDING', K.stream, group, ARGV[i], ARGV[i], 1)[1]
  if pending and pending[2] == consumer then
    held[#held + 1] = ARGV[i]
  else
    lost[#lost + 1] = ARGV[i]
  end
end
if #held == 0 then return lost end
-- JUSTID keeps the delivery count, which reclaim.lua reads as tries used.
local claim = { 'XCLAIM', K.stream, group, consumer, 0 }
for _, id in ipairs(held) do claim[#claim + 1] = id end
claim[#claim + 1] = 'JUSTID'
redis.call(unpack(claim))
if lease_ms > 0 then
  local lease = redis_now() + lease_ms
  local args = { 'XX' }
  for _, id in ipairs(held) do
    args[#args + 1] = lease
    args[#args + 1] = id
  end
  redis.call('ZADD', K.active, unpack(args))
end
return lost
