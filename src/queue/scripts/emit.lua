-- queue/emit.lua
-- Publishes events a worker sees before Redis does anything about them: `active` for jobs it
-- fetched. One call per batch.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] events max length, ARGV[2] event name, ARGV[3] consumer, ARGV[4..] job ids
-- Returns the number of events added.
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local max_len = tonumber(ARGV[1])
for i = 4, #ARGV do emit(max_len, ARGV[2], ARGV[i], 'c', ARGV[3]) end
return #ARGV - 3
