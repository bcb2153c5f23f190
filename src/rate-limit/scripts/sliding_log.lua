-- rate-limit/sliding_log.lua
-- Sliding window log: one sorted set per limit holding one member per unit taken, scored
-- by its time in microseconds. Exact, and O(limit) memory per identity.
-- KEYS[i]      log of limit i (sorted set; members are their own scores, so they are unique)
-- ARGV[1]      cost: units to take (negative in force mode removes the newest units)
-- ARGV[2]      mode: 0 take only if every limit has room, 1 peek (write nothing but expired entries), 2 force
-- ARGV[1+2i]   limit i: units per window
-- ARGV[2+2i]   limit i: window length in ms
-- Returns {allowed, remaining_1, reset_ms_1, retry_after_ms_1, ...} as fixed_window.lua does.
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local cost = tonumber(ARGV[1])
local mode = tonumber(ARGV[2])
local counts = {}
local allowed = 1
for i = 1, #KEYS do
  local limit, span = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i]) * 1000
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - span)
  counts[i] = redis.call('ZCARD', KEYS[i])
  if counts[i] + cost > limit then allowed = 0 end
end
local write = (mode == 0 and allowed == 1) or mode == 2
local function newest(key)
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  return tonumber(top[2])
end
-- Adds n members scored from `score` up, each member its own score (so unique); NX leaves
-- an existing member alone. Returns how many were added and the next free score.
local function add(key, score, n)
  local added = 0
  while n > 0 do
    local batch = { 'NX' }
    local k = math.min(n, 1000)
    for _ = 1, k do
      local m = string.format('%.0f', score)
      batch[#batch + 1] = m
      batch[#batch + 1] = m
      score = score + 1
    end
    added = added + redis.call('ZADD', key, unpack(batch))
    n = n - k
  end
  return added, score
end
local out = { allowed }
for i = 1, #KEYS do
  local key, limit, span = KEYS[i], tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i]) * 1000
  local count = counts[i]
  local last
  if write and cost > 0 then
    -- Scores start at Redis time. Where one is taken already (a larger cost just before this
    -- call), NX skips it and the missing units go after the newest entry.
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
  out[#out + 1] = math.max(0, limit - count)
  out[#out + 1] = reset
  out[#out + 1] = retry
end
return out
