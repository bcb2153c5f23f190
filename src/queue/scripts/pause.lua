-- queue/pause.lua
-- Pauses or resumes the whole queue: the flag every worker's fetch and maintenance read, a
-- message on the control channel so workers stop (or start) fetching at once, a wake-up of
-- workers blocked on the signal stream, and an event when events are on.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] 'pause' or 'resume', ARGV[2] control channel, ARGV[3] events max length (0 = no events),
-- ARGV[4] the channel's publish flag ('1': SPUBLISH, see publish.lua)
-- Returns 1 when the state changed, 0 when it already was so.
--- @include "core/lua/publish.lua"
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local changed
if ARGV[1] == 'pause' then
  changed = redis.call('SET', K.paused, 1, 'NX') and 1 or 0
else
  changed = redis.call('DEL', K.paused)
end
publish(ARGV[4], ARGV[2], ARGV[1])
if changed == 1 then
  signal()
  emit(tonumber(ARGV[3]), ARGV[1] == 'pause' and 'paused' or 'resumed', '')
end
return changed
