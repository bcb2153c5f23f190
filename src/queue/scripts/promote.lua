-- queue/promote.lua
-- Moves delayed jobs whose time has come (by Redis TIME) to where workers take them (the stream,
-- or the prioritized set of a queue with priorities), atomically, so two workers promoting at
-- once never enqueue a job twice. Also tells the caller whether the queue is paused, so a worker
-- that missed the control channel's message learns it at its next pass.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] most jobs to move, ARGV[2] maxLen (0 = no trim), ARGV[3] priorities (1 or 0)
-- Also says when the next schedule is due, so that a worker asks for due schedules only then.
-- Returns {ms until the next delayed job is due (0 while more are due than one call moves, -1
-- when none is left), paused (1 or 0), ms until the next schedule is due (-1 when there is none)}.
--- @include "core/lua/time.lua"
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local now = redis_now()
local max_len, prio = tonumber(ARGV[2]), tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', K.delayed, '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  local payload = redis.call('HGET', K.payloads, member)
  local fields
  if payload then
    fields = cjson.decode(payload)
    redis.call('HDEL', K.payloads, member)
  else
    -- Written by an earlier version: the member is the fields' JSON itself.
    fields = cjson.decode(member)
  end
  to_waiting(job_id_of(fields), fields, max_len, prio)
end
if #due > 0 then redis.call('ZREM', K.delayed, unpack(due)) end
local paused = redis.call('EXISTS', K.paused)
local function until_first(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[2] == nil then return -1 end
  return math.max(0, tonumber(first[2]) - now)
end
return { until_first(K.delayed), paused, until_first(K.scheduleDue) }
