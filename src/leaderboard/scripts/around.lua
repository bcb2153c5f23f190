-- leaderboard/around.lua
-- A member's rank and the entries within `radius` places above and below it.
-- KEYS[1] sorted set of stamped entries, KEYS[2] hash member name -> stamped entry
-- ARGV[1] member name, ARGV[2] radius (0 = the member alone)
-- Returns false when the member is absent, else {rank of the first entry returned (0-based), entry, score, entry, score, ...}
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return false end
local rank = redis.call('ZREVRANK', KEYS[1], entry)
local radius = tonumber(ARGV[2])
local first = math.max(0, rank - radius)
local out = redis.call('ZREVRANGE', KEYS[1], first, rank + radius, 'WITHSCORES')
table.insert(out, 1, first)
return out
