-- rate-limit/sliding-log.lua
-- Sliding window log: one sorted set per limit holding one member per unit taken, scored
-- by its time in microseconds. Exact, and O(limit) memory per identity.
-- check(kb, ab, K, cost, mode, ms, us, res) runs one check; rate-limit/scripts/includes/call.lua,
-- included at the end, documents KEYS, ARGV and the reply:
-- KEYS[kb + i]         log of limit i (sorted set; members are their own scores, so they are unique)
-- cost, mode          as includes/call.lua reads them (a negative cost removes the newest units; a
--                      peek writes nothing but expired entries)
-- ARGV[ab + 1 + 2i]    limit i: units per window
-- ARGV[ab + 2 + 2i]    limit i: window length in ms
-- Appends {allowed, remaining_i, reset_ms_i, retry_after_ms_i ...} to res.
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
local function check(kb, ab, K, cost, mode, ms, us, res)
  local now = us
  local counts = {}
  local allowed = 1
  for i = 1, K do
    local limit, span = tonumber(ARGV[ab + 1 + 2 * i]), tonumber(ARGV[ab + 2 + 2 * i]) * 1000
    redis.call('ZREMRANGEBYSCORE', KEYS[kb + i], '-inf', now - span)
    counts[i] = redis.call('ZCARD', KEYS[kb + i])
    if counts[i] + cost > limit then allowed = 0 end
  end
  local write = (mode == '0' and allowed == 1) or mode == '2'
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
--- @include "rate-limit/scripts/includes/call.lua"
