-- rate-limit/sliding-counter.lua
-- Sliding window counter: per limit, the counts of the current and the previous fixed
-- window in one hash; the previous count is weighted by how much of it the sliding window
-- still covers. O(1) memory; assumes the previous window's requests were spread evenly.
-- check(kb, ab, K, cost, mode, ms, us, res) runs one check; rate-limit/scripts/includes/call.lua,
-- included at the end, documents KEYS, ARGV and the reply:
-- KEYS[kb + i]         state of limit i (hash: w = current window number, c = its count, p = previous count)
-- ARGV[ab + 1 + 2i]    limit i: units per window
-- ARGV[ab + 2 + 2i]    limit i: window length in ms
-- Appends {allowed, remaining_i, reset_ms_i, retry_after_ms_i ...} to res.
local function check(kb, ab, K, cost, mode, ms, us, res)
  local now = ms
  local state = {}
  local allowed = 1
  for i = 1, K do
    local limit, window = tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i])
    local cur = math.floor(now / window)
    local v = redis.call('HMGET', KEYS[kb + i], 'w', 'c', 'p')
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
  local write = (mode == '0' and allowed == 1) or mode == '2'
  res[#res + 1] = allowed
  for i = 1, K do
    local key, limit, window = KEYS[kb + i], tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i])
    local s = state[i]
    local c = s.c
    if write then
      c = math.max(0, c + cost)
      if s.same and c > 0 then
        -- Same window as the stored state: one field changes, and the expiry set when the
        -- window started still holds.
        redis.call('HINCRBY', key, 'c', c - s.c)
      else
        redis.call('HSET', key, 'w', s.cur, 'c', c, 'p', s.p)
        -- This window's count still weighs during the next one.
        redis.call('PEXPIREAT', key, (s.cur + 2) * window)
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
    res[#res + 1] = math.max(0, math.floor(limit - estimate + 1e-9))
    res[#res + 1] = reset
    res[#res + 1] = retry
  end
end
--- @include "rate-limit/scripts/includes/call.lua"
