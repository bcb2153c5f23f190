-- queue/fetch.lua
-- A worker's read when plain XREADGROUP cannot decide alone: in a queue with priorities (the
-- most urgent prioritized jobs move into the stream and are delivered at once, so they overtake
-- everything) and under a queue-wide concurrency limit (it takes only free slots, leasing each
-- entry until now + lease; leases of dead workers expire by themselves). Non-blocking: when it
-- has nothing to give, it says why and which ids to wait after (XREAD BLOCK on the stream and the
-- signal stream), so no job added meanwhile is missed.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] most entries wanted, ARGV[4] queue-wide concurrency
-- limit (0 = none), ARGV[5] lease ms, ARGV[6] priorities (1 or 0)
-- Returns {'ok', entries} | {'paused'} | {'full', ms until the first lease expires, last signal id}
-- | {'empty', last stream entry id, last signal id}.
--- @include "core/lua/time.lua"
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local function last_id(key)
  local top = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)[1]
  return top and top[1] or '0-0'
end
if redis.call('EXISTS', K.paused) == 1 then return { 'paused' } end
local n, limit, prio = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local now
if limit > 0 then
  now = redis_now()
  redis.call('ZREMRANGEBYSCORE', K.active, '-inf', now)
  n = math.min(n, limit - redis.call('ZCARD', K.active))
  if n <= 0 then
    local first = redis.call('ZRANGE', K.active, 0, 0, 'WITHSCORES')
    return { 'full', math.max(1, tonumber(first[2] or now) - now), last_id(K.signal) }
  end
end
if prio == 1 then
  local members = redis.call('ZRANGE', K.prio, 0, n - 1)
  if #members > 0 then
    local ids = {}
    for j, member in ipairs(members) do
      local id = string.sub(member, 17)
      ids[j] = id
      local entry = redis.call('XADD', K.stream, '*', unpack(cjson.decode(redis.call('HGET', K.payloads, id))))
      redis.call('HSET', K.ids, id, entry)
    end
    redis.call('ZREM', K.prio, unpack(members))
    redis.call('HDEL', K.payloads, unpack(ids))
  end
end
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', n, 'STREAMS', K.stream, '>')
local entries = reply and reply[1] and reply[1][2] or {}
if #entries == 0 then return { 'empty', last_id(K.stream), last_id(K.signal) } end
if limit > 0 then
  local lease = now + tonumber(ARGV[5])
  for _, entry in ipairs(entries) do redis.call('ZADD', K.active, lease, entry[1]) end
end
return { 'ok', entries }
