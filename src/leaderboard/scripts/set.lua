-- leaderboard/set.lua
-- Sets or increments a member's score. A member whose score changes gets a new
-- tie-break stamp (Redis TIME), so among equal scores whoever got there first ranks higher.
-- KEYS[1] sorted set: score = points, member = 16-digit inverted time stamp .. member name
-- KEYS[2] hash: member name -> its current stamped entry in KEYS[1]
-- ARGV[1] member name, ARGV[2] amount, ARGV[3] 'incr' adds the amount, 'set' replaces the score,
-- ARGV[4] expiry command ('PEXPIRE', 'PEXPIREAT' or '' for none), ARGV[5] its argument (ms)
-- Returns {score as a string (%.17g), rank from the top, 0-based}
--- @include "core/lua/time.lua"
local entry = redis.call('HGET', KEYS[2], ARGV[1])
local score = tonumber(ARGV[2])
local current = entry and tonumber(redis.call('ZSCORE', KEYS[1], entry))
if current and ARGV[3] == 'incr' then score = current + score end
if current ~= score then
  if entry then redis.call('ZREM', KEYS[1], entry) end
  local _, now_us = redis_now()
  -- Seconds and microseconds apart: 16 nines are past 2^53, where a Lua number loses digits.
  local seconds = math.floor(now_us / 1000000)
  -- Inverted so that an earlier stamp sorts higher under ZREVRANGE's reverse lexical order of ties.
  entry = string.format('%010d%06d', 9999999999 - seconds, 999999 - (now_us - seconds * 1000000)) .. ARGV[1]
  redis.call('ZADD', KEYS[1], score, entry)
  redis.call('HSET', KEYS[2], ARGV[1], entry)
end
if ARGV[4] ~= '' then
  redis.call(ARGV[4], KEYS[1], ARGV[5])
  redis.call(ARGV[4], KEYS[2], ARGV[5])
end
return {string.format('%.17g', score), redis.call('ZREVRANK', KEYS[1], entry)}
