-- cache/claim.lua
-- Get-or-claim, for callers waiting on another instance's load: returns the
-- entry if it has been stored meanwhile, otherwise takes the load guard if it is
-- free (the loading instance finished without storing, or died and its guard expired).
-- KEYS[1]  the entry key
-- KEYS[2]  the load guard key
-- ARGV[1]  what the guard holds: the claiming cache instance's id (informational)
-- ARGV[2]  guard TTL in ms
-- Returns {1, entry} when the entry exists, {0, 1} when the caller now holds the
-- guard, {0, 0} when another caller still holds it.
local entry = redis.call('GET', KEYS[1])
if entry then
  return {1, entry}
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, 1}
end
return {0, 0}
