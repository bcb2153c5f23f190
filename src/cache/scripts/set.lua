-- cache/set.lua
-- Stores one cache entry with its TTL, releases its load guard, records the
-- entry in the index of each of its tags (all in the entry's slot bucket) and
-- announces the change to other instances, in one round trip.
-- KEYS[1]     the entry key
-- KEYS[2]     the entry's load guard key
-- KEYS[3..n]  tag index keys (sorted sets: member = entry key, score = its expiry in ms)
-- ARGV[1]     the encoded entry (header + serialized value)
-- ARGV[2]     physical TTL in ms (fresh TTL + stale grace)
-- ARGV[3]     '1' to delete the guard (the caller holds it, or overrides any load), '0' to leave it
-- ARGV[4]     the entry's bucket's invalidation channel (same hash tag as the keys), '' for none
-- ARGV[5]     the message to publish
-- ARGV[6]     '1' to publish with SPUBLISH, '0' with PUBLISH
-- Returns 1.
--- @include "core/lua/time.lua"
--- @include "core/lua/publish.lua"
local px = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', px)
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[2])
end
if #KEYS > 2 then
  -- Redis time, so index scores and their trimming agree across app instances.
  local now = redis_now()
  for i = 3, #KEYS do
    redis.call('ZADD', KEYS[i], now + px, KEYS[1])
    -- Members whose entries expired by themselves: drop them so the index stays bounded.
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    -- The index lives as long as its longest-lived member, never forever.
    if redis.call('PTTL', KEYS[i]) < px then
      redis.call('PEXPIRE', KEYS[i], px)
    end
  end
end
if ARGV[4] ~= '' then
  publish(ARGV[6], ARGV[4], ARGV[5])
end
return 1
