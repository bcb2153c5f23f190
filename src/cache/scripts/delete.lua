-- cache/delete.lua
-- Deletes entries (and their load guards) of one slot bucket and announces it
-- to other instances, in one round trip.
-- KEYS[1..n]  entry keys and guard keys, all of one slot bucket
-- ARGV[1]     pub/sub channel for invalidation messages, '' for none
-- ARGV[2]     the message to publish
-- Returns the number of keys that existed.
local n = redis.call('DEL', unpack(KEYS))
if ARGV[1] ~= '' then
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return n
