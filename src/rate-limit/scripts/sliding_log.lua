-- rate-limit/sliding_log.lua
-- Sliding window log: one sorted set per limit holding one member per unit taken, scored
-- by its time in microseconds. Exact, and O(limit) memory per identity.
-- Runs a batch of n checks at one Redis time, laid out as in fixed_window.lua:
-- KEYS         per check, K keys: the log of limit i (sorted set; members are their own
--              scores, so they are unique)
-- ARGV[1]      n; then per check: cost (negative in force mode removes the newest units), mode
--              (0 take only if every limit has room, 1 peek: write nothing but expired entries,
--              2 force), and per limit i the units per window and the window length in ms
-- Returns per check {allowed, remaining_1, reset_ms_1, retry_after_ms_1, ...} as fixed_window.lua does.
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local n = tonumber(ARGV[1])
local K = #KEYS / n
local function newest(key)
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  return tonumber(top[2])
end
-- Adds m members scored from `score` up, each member its own score (so unique); NX leaves
-- an existing member alone. Returns how many were added and the next free score.
local function add(key, score, m)
  local added = 0
  while m > 0 do
    local batch = { 'NX' }
    local k = math.min(m, 1000)
    for _ = 1, k do
      local s = string.format('%.0f', score)
      batch[#batch + 1] = s
      batch[#batch + 1] = s
      score = score + 1
    end
    added = added + redis.call('ZADD', key, unpack(batch))
    m = m - k
  end
  return added, score
end
local res = {}
for b = 0, n - 1 do
  local kb, ab = b * K, 1 + b * (2 + 2 * K)
  local cost = tonumber(ARGV[ab + 1])
  local mode = tonumber(ARGV[ab + 2])
  local counts = {}
  local allowed = 1
  for i = 1, K do
    local limit, span = tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i]) * 1000
    redis.call('ZREMRANGEBYSCORE', KEYS[kb + i], '-inf', now - span)
    counts[i] = redis.call('ZCARD', KEYS[kb + i])
    if counts[i] + cost > limit then allowed = 0 end
  end
  local write = (mode == 0 and allowed == 1) or mode == 2
  res[#res + 1] = allowed
  for i = 1, K do
    local key, limit, span = KEYS[kb + i], tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i]) * 1000
    local count = counts[i]
    local last
    if write and cost > 0 then
      -- Scores start at Redis time. Where one is taken already (an earlier check of this batch,
      -- or a larger cost just before), NX skips it and the missing units go after the newest entry.
      local added, next = add(key, now, cost)
      if added < cost then added, next = add(key, newest(key) + 1, cost - added) end
      last = next - 1
      redis.call('PEXPIRE', key, math.ceil(span / 1000) + 1)
      count = count + cost
    elseif write and cost < 0 and count > 0 then
      redis.call('ZREMRANGEBYRANK', key, math.max(0, count + cost), -1)
      count = math.max(0, count + cost)
    end
    local reset, retry = 0, 0
    if count > 0 then reset = math.ceil(((last or newest(key)) + span - now) / 1000) end
    if counts[i] + cost > limit then
      -- The request fits once the (counts + cost - limit)-th oldest entry has left the window.
      local k = counts[i] + cost - limit
      local entry = redis.call('ZRANGE', key, k - 1, k - 1, 'WITHSCORES')
      if entry[2] then retry = math.max(1, math.ceil((tonumber(entry[2]) + span - now) / 1000)) end
    end
    res[#res + 1] = math.max(0, limit - count)
    res[#res + 1] = reset
    res[#res + 1] = retry
  end
end
return res
