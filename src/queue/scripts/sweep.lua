-- queue/sweep.lua
-- Frees job ids whose jobs `maxLen` trimmed from the stream: trimming drops entries without
-- telling anyone, so one pass walks part of the ids hash (HSCAN from a cursor) and forgets each
-- id that points at an entry that no longer exists. Every other move of a job updates the hash
-- in the same script, so an id pointing at a missing entry can only be a trimmed job.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] cursor, ARGV[2] ids to look at (HSCAN COUNT)
-- Returns {next cursor ('0' when the walk is complete), ids freed}.
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local scan = redis.call('HSCAN', K.ids, ARGV[1], 'COUNT', tonumber(ARGV[2]))
local freed = 0
local pairs_ = scan[2]
for i = 1, #pairs_, 2 do
  local place = pairs_[i + 1]
  if string.match(place, '^%d+%-%d+$') and redis.call('XRANGE', K.stream, place, place)[1] == nil then
    forget(pairs_[i])
    freed = freed + 1
  end
end
return { scan[1], freed }
