-- queue/fail.lua
-- Ends one try of a job that did not complete: re-enqueues it (now or after a delay) or moves it
-- to the dead-letter stream, then acknowledges and deletes the old entry. Only the consumer
-- that still owns the entry may do so: if it was reclaimed meanwhile, its new owner decides.
-- 'defer' is a try that never ran (a rate limit was full): the job waits without an event, and
-- the caller passes its attempt count unchanged.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] entry id, ARGV[4] 'retry', 'dead' or 'defer',
-- ARGV[5] delay ms, ARGV[6] maxLen (0 = no trim), ARGV[7] priorities (1 or 0), ARGV[8] limited
-- (1: drop the entry's lease), ARGV[9] events max length (0 = no events), ARGV[10] dead-letter
-- cap (0 = none), ARGV[11] the job id, ARGV[12] the error message, ARGV[13..] fields of the new entry
-- Returns 1 when recorded, 0 when the entry is no longer this consumer's.
--- @include "core/lua/time.lua"
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local pending = redis.call('XPENDING', K.stream, ARGV[1], ARGV[3], ARGV[3], 1)
if pending[1] == nil or pending[1][2] ~= ARGV[2] then return 0 end
local outcome, delay = ARGV[4], tonumber(ARGV[5])
local events, job_id, message = tonumber(ARGV[9]), ARGV[11], ARGV[12]
local fields = { unpack(ARGV, 13) }
if outcome ~= 'defer' then emit(events, 'failed', job_id, 'a', field_of(fields, 'a') or '0', 'x', message) end
if outcome == 'dead' then
  to_dead(job_id, fields, tonumber(ARGV[10]))
  emit(events, 'deadLettered', job_id, 'x', message)
else
  if delay > 0 then
    local now = redis_now()
    to_delayed(job_id, fields, now + delay)
  else
    to_waiting(job_id, fields, tonumber(ARGV[6]), tonumber(ARGV[7]))
  end
  if outcome == 'retry' then emit(events, 'retrying', job_id, 'd', delay) end
end
redis.call('XACK', K.stream, ARGV[1], ARGV[3])
redis.call('XDEL', K.stream, ARGV[3])
release(tonumber(ARGV[8]), ARGV[3])
return 1
