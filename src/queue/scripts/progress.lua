-- queue/progress.lua
-- Records a running job's progress (readable with getJob until the job is gone) and, when
-- events are on, publishes it.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] job id, ARGV[2] progress (serialized), ARGV[3] events max length (0 = no events)
-- Returns 1.
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
redis.call('HSET', K.progress, ARGV[1], ARGV[2])
emit(tonumber(ARGV[3]), 'progress', ARGV[1], 'v', ARGV[2])
return 1
