-- queue/heartbeat.lua
-- Keeps entries a live worker still runs claimed (resets their idle time, so no other worker
-- reclaims them) and, under a queue-wide concurrency limit, extends their leases.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] min idle ms, ARGV[4] lease ms, ARGV[5..] entry ids
-- Returns the number of entries still held.
--- @include "core/lua/time.lua"
--- @include "queue/scripts/includes/keys.lua"
-- JUSTID keeps the delivery count, which reclaim.lua reads as tries used.
local claim = { 'XCLAIM', K.stream, ARGV[1], ARGV[2], ARGV[3] }
for i = 5, #ARGV do claim[#claim + 1] = ARGV[i] end
claim[#claim + 1] = 'JUSTID'
local held = redis.call(unpack(claim))
local now = redis_now()
local lease = now + tonumber(ARGV[4])
local args = { 'XX' }
for _, id in ipairs(held) do
  args[#args + 1] = lease
  args[#args + 1] = id
end
if #held > 0 then redis.call('ZADD', K.active, unpack(args)) end
return #held
