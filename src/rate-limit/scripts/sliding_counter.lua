-- rate-limit/sliding_counter.lua
-- Sliding window counter: per limit, the counts of the current and the previous fixed
-- window in one hash; the previous count is weighted by how much of it the sliding window
-- still covers. O(1) memory; assumes the previous window's requests were spread evenly.
-- KEYS[i]      state of limit i (hash: w = current window number, c = its count, p = previous count)
-- ARGV[1]      cost: units to take (negative in force mode gives units back)
-- ARGV[2]      mode: 0 take only if every limit has room, 1 peek (write nothing), 2 force
-- ARGV[1+2i]   limit i: units per window
-- ARGV[2+2i]   limit i: window length in ms
-- Returns {allowed, remaining_1, reset_ms_1, retry_after_ms_1, ...} as fixed_window.lua does.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local cost = tonumber(ARGV[1])
local mode = tonumber(ARGV[2])
local state = {}
local allowed = 1
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local cur = math.floor(now / window)
  local v = redis.call('HMGET', KEYS[i], 'w', 'c', 'p')
  local w, c, p = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
  if w == nil or w < cur - 1 then
    c, p = 0, 0
  elseif w == cur - 1 then
    c, p = 0, c
  end
  -- weight: the share of the previous window still inside the sliding window
  local weight = 1 - (now - cur * window) / window
  state[i] = { cur = cur, c = c, p = p, weight = weight, same = w == cur }
  if p * weight + c + cost > limit then allowed = 0 end
end
local write = (mode == 0 and allowed == 1) or mode == 2
local out = { allowed }
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local s = state[i]
  local c = s.c
  if write then
    c = math.max(0, c + cost)
    if s.same and c > 0 then
      -- Same window as the stored state: one field changes, and the expiry set when the
      -- window started still holds.
      redis.call('HINCRBY', KEYS[i], 'c', c - s.c)
    else
      redis.call('HSET', KEYS[i], 'w', s.cur, 'c', c, 'p', s.p)
      -- This window's count still weighs during the next one.
      redis.call('PEXPIREAT', KEYS[i], (s.cur + 2) * window)
    end
  end
  local estimate = s.p * s.weight + c
  local reset, retry = 0, 0
  if c > 0 then
    reset = (s.cur + 2) * window - now
  elseif s.p > 0 then
    reset = (s.cur + 1) * window - now
  end
  if s.p * s.weight + s.c + cost > limit then
    local at
    if s.c + cost <= limit and s.p > 0 then
      -- fits in this window once the previous window's weight has shrunk enough
      at = (s.cur + 1 - (limit - s.c - cost) / s.p) * window
    else
      -- fits in the next window, where this window's count becomes the weighted one
      at = (s.cur + 2 - (limit - cost) / math.max(s.c, limit - cost)) * window
    end
    retry = math.max(1, math.ceil(at - now))
  end
  out[#out + 1] = math.max(0, math.floor(limit - estimate + 1e-9))
  out[#out + 1] = reset
  out[#out + 1] = retry
end
return out
