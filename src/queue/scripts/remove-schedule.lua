-- queue/remove-schedule.lua
-- Removes a schedule: its spec and its next run. Jobs it already enqueued stay.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] schedule id
-- Returns 1 when it existed, 0 otherwise.
--- @include "queue/scripts/includes/keys.lua"
redis.call('ZREM', K.scheduleDue, ARGV[1])
return redis.call('HDEL', K.schedules, ARGV[1])
