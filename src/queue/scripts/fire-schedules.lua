-- queue/fire-schedules.lua
-- Fires due schedules: for each, only if its next run and spec are still what the caller read
-- (no other instance fired it meanwhile, nobody changed it), enqueues its job for that run
-- and moves its next run on, in one step. So a run is never doubled, and never lost: until this
-- script ran, the run stays due for any instance to fire.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] maxLen (0 = no trim), ARGV[2] priorities (1 or 0), ARGV[3] events max length (0 = no
-- events), ARGV[4] number of schedules, then per schedule: id, the due time read (string), the
-- following run (ms), the spec read, the job id of this run, number of fields n, the n fields
-- Returns the number of jobs enqueued.
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local max_len, prio, events = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local fired = 0
local i = 5
for _ = 1, tonumber(ARGV[4]) do
  local id, due, following, spec, job_id, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], tonumber(ARGV[i + 5])
  local fields = { unpack(ARGV, i + 6, i + 5 + n) }
  i = i + 6 + n
  if redis.call('ZSCORE', K.scheduleDue, id) == due and redis.call('HGET', K.schedules, id) == spec then
    redis.call('ZADD', K.scheduleDue, tonumber(following), id)
    -- The run's job id is unique per run: taken only if this very run is still live.
    if redis.call('HSETNX', K.ids, job_id, 1) == 1 then
      to_waiting(job_id, fields, max_len, prio)
      emit(events, 'added', job_id, 'n', field_of(fields, 'n'))
      fired = fired + 1
    end
  end
end
return fired
