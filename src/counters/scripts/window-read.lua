-- counters/window-read.lua
-- Reads the counts of the latest windows, newest first, at Redis TIME.
-- KEYS[1] hash: window start (epoch ms) -> count
-- ARGV[1] window length ms, ARGV[2] number of windows
-- Returns {start of the current window, count, count of the window before, ...} (false for empty windows)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local size = tonumber(ARGV[1])
local start = now - now % size
local out = { start }
-- unpack() is bounded by Lua's stack (about 8000 values): read the windows in slices.
local n = tonumber(ARGV[2])
for first = 0, n - 1, 1000 do
  local fields = {}
  for i = first, math.min(first + 999, n - 1) do fields[#fields + 1] = start - i * size end
  for _, v in ipairs(redis.call('HMGET', KEYS[1], unpack(fields))) do out[#out + 1] = v end
end
return out
