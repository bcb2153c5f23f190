-- counters/window-read.lua
-- Reads the counts of the latest windows, newest first, at Redis TIME.
-- KEYS[1] hash: window start (epoch ms) -> count
-- ARGV[1] window length ms, ARGV[2] number of windows (up to 10,000: more fields than one
-- `unpack` returns, so HMGET runs in chunks)
-- Returns {start of the current window, count, count of the window before, ...} (false for empty windows)
--- @include "core/lua/time.lua"
--- @include "core/lua/chunked.lua"
local now = redis_now()
local size = tonumber(ARGV[1])
local start = now - now % size
local fields = {}
for i = 0, tonumber(ARGV[2]) - 1 do fields[#fields + 1] = start - i * size end
local out = {start}
for _, chunk in ipairs(call_chunked('HMGET', KEYS[1], fields, 1)) do
  for i = 1, #chunk do out[#out + 1] = chunk[i] end
end
return out
