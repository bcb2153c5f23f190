-- queue/upsert-schedule.lua
-- Creates or updates a schedule. Every instance of an app may declare the same schedules at
-- start-up: an unchanged spec keeps its next run (so declaring it again neither duplicates nor
-- delays a run), a changed one starts over from the next run the caller computed.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] schedule id, ARGV[2] spec (JSON), ARGV[3] first run (ms since the epoch)
-- Returns 1 when created or changed, 0 when it was already so.
--- @include "queue/scripts/includes/keys.lua"
if redis.call('HGET', K.schedules, ARGV[1]) == ARGV[2] then
  -- Same spec: only make sure it has a next run.
  redis.call('ZADD', K.scheduleDue, 'NX', tonumber(ARGV[3]), ARGV[1])
  return 0
end
redis.call('HSET', K.schedules, ARGV[1], ARGV[2])
redis.call('ZADD', K.scheduleDue, tonumber(ARGV[3]), ARGV[1])
return 1
