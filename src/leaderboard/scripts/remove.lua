-- leaderboard/remove.lua
-- Removes a member from the board.
-- KEYS[1] sorted set of stamped entries, KEYS[2] hash member name -> stamped entry
-- ARGV[1] member name
-- Returns 1 if the member was on the board, else 0
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return 0 end
redis.call('ZREM', KEYS[1], entry)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
