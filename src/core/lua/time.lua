-- core/lua/time.lua
-- KEYS: none. ARGV: none. Returns: nothing; redis_now returns epoch ms and epoch µs.
-- Redis time, the one clock every app instance agrees on. Included by scripts (with
-- `--- @include "core/lua/time.lua"`); defines a function and runs nothing itself.
-- redis_now() returns the time as epoch milliseconds and as epoch microseconds.
local function redis_now()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000), t[1] * 1000000 + t[2]
end
