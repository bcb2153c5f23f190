-- counters/window-increment.lua
-- Adds to the counter of the current window (Redis TIME) and forgets windows older than the retention.
-- KEYS[1] hash: window start (epoch ms) -> count
-- ARGV[1] amount (integer), ARGV[2] window length ms, ARGV[3] windows kept
-- Returns {window start ms, the window's new count}
--- @include "core/lua/time.lua"
local now = redis_now()
local size, kept = tonumber(ARGV[2]), tonumber(ARGV[3])
local start = now - now % size
local value = redis.call('HINCRBY', KEYS[1], start, ARGV[1])
-- A new field appears once per window, so trimming then keeps the hash at about `kept` fields.
if redis.call('HLEN', KEYS[1]) > kept then
  local oldest = start - (kept - 1) * size
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if tonumber(field) < oldest then redis.call('HDEL', KEYS[1], field) end
  end
end
redis.call('PEXPIRE', KEYS[1], size * kept)
return {start, value}
