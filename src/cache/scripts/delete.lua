-- cache/delete.lua
-- Deletes entries (and their load guards) of one slot bucket and announces it
-- to other instances, in one round trip.
-- KEYS[1..n]  entry keys and guard keys, all of one slot bucket
-- ARGV[1]     the bucket's invalidation channel (same hash tag as the keys), '' for none
-- ARGV[2]     the message to publish
-- ARGV[3]     '1' to publish with SPUBLISH, '0' with PUBLISH
-- Returns the number of keys that existed.
--- @include "core/lua/publish.lua"
local n = redis.call('DEL', unpack(KEYS))
if ARGV[1] ~= '' then
  publish(ARGV[3], ARGV[1], ARGV[2])
end
return n
