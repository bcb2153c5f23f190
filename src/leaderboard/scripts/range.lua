-- leaderboard/range.lua
-- One page of the board, best first, with the board's size.
-- KEYS[1] sorted set of stamped entries
-- ARGV[1] first rank (0-based), ARGV[2] last rank (inclusive)
-- Returns {size, first rank (ARGV[1]), entry, score, entry, score, ...}
local out = redis.call('ZREVRANGE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES')
table.insert(out, 1, tonumber(ARGV[1]))
table.insert(out, 1, redis.call('ZCARD', KEYS[1]))
return out
