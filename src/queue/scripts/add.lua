-- queue/add.lua
-- Adds jobs in one call: each is deduplicated on its job id (when it has one), then parked in
-- the delayed set (due at Redis TIME + delay), or made ready: appended to the stream, or in a
-- queue with priorities put in the prioritized set.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] maxLen (0 = no trim), ARGV[2] priorities (1 or 0), ARGV[3] events max length (0 = no
-- events), ARGV[4] the queue's control channel, ARGV[5] its publish flag ('1': SPUBLISH, see
-- publish.lua), ARGV[6] number of jobs, then per job: caller's job id ('' = none), delay ms,
-- number of fields n, then the n field/value strings
-- A delayed job that is due before every other one is announced on the control channel ('due'),
-- so that workers promote it on time rather than at their next pass.
-- Returns per job: the stream entry id, 'delayed', 'p' (prioritized), or '' when the id was taken.
--- @include "core/lua/time.lua"
--- @include "core/lua/publish.lua"
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local max_len, prio, events = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
local now
local earliest = false
local i = 7
for j = 1, tonumber(ARGV[6]) do
  local id, delay, n = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local fields = { unpack(ARGV, i + 3, i + 2 + n) }
  i = i + 3 + n
  if id ~= '' and redis.call('HSETNX', K.ids, id, 1) == 0 then
    out[j] = ''
  else
    -- A delayed or prioritized job without a caller's id was given one ('j') by the client.
    local job_id = id ~= '' and id or field_of(fields, 'j')
    if delay > 0 then
      -- Read once, and only when a job of the call is delayed.
      if not now then now = redis_now() end
      to_delayed(job_id, fields, now + delay)
      if not earliest and redis.call('ZRANGE', K.delayed, 0, 0)[1] == job_id then earliest = true end
      out[j] = 'delayed'
    else
      out[j] = to_waiting(job_id, fields, max_len, prio)
    end
    emit(events, 'added', job_id or out[j], 'n', field_of(fields, 'n'))
  end
end
if earliest then publish(ARGV[5], ARGV[4], 'due') end
return out
