-- queue/get-job.lua
-- Finds one job by id wherever it is, in one consistent read: waiting or running in the stream
-- (with its consumer from the pending list), delayed, prioritized, dead, or kept after completion.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] group, ARGV[2] job id
-- Returns {state, progress ('' = none), entry id ('' = none), fields (flat list), consumer ('' =
-- none), ms since last delivered or claimed, deliveries, time (due time, priority, or completion
-- ms, as a string; '' = none), retained record ('' = none)}; state is 'waiting', 'active',
-- 'delayed', 'prioritized', 'dead', 'completed' or 'unknown'.
--- @include "queue/scripts/includes/keys.lua"
local id = ARGV[2]
local progress = redis.call('HGET', K.progress, id) or ''
local place = redis.call('HGET', K.ids, id)
local function fields_of(payload)
  return payload and cjson.decode(payload) or {}
end
if place == 'd' then
  return { 'delayed', progress, '', fields_of(redis.call('HGET', K.payloads, id)), '', 0, 0, redis.call('ZSCORE', K.delayed, id) or '', '' }
end
if place and string.sub(place, 1, 1) == 'p' then
  local score = redis.call('ZSCORE', K.prio, string.sub(place, 2)) or ''
  return { 'prioritized', progress, '', fields_of(redis.call('HGET', K.payloads, id)), '', 0, 0, score, '' }
end
if place and string.sub(place, 1, 1) == 'x' then
  local dead = string.sub(place, 2)
  local entry = redis.call('XRANGE', K.dead, dead, dead)[1]
  if entry then return { 'dead', progress, dead, entry[2], '', 0, 0, '', '' } end
end
-- A job at its first try without an id of its own is not indexed: its id is its entry id.
local entry_id = place
if not place or not string.match(place, '^%d+%-%d+$') then
  entry_id = string.match(id, '^%d+%-%d+$') and id or nil
end
if entry_id then
  local entry = redis.call('XRANGE', K.stream, entry_id, entry_id)[1]
  if entry then
    local ok, pending = pcall(redis.call, 'XPENDING', K.stream, ARGV[1], entry_id, entry_id, 1)
    if ok and pending[1] then
      return { 'active', progress, entry_id, entry[2], pending[1][2], pending[1][3], pending[1][4], '', '' }
    end
    return { 'waiting', progress, entry_id, entry[2], '', 0, 0, '', '' }
  end
end
local record = redis.call('HGET', K.completed, id)
if record then return { 'completed', '', '', {}, '', 0, 0, redis.call('ZSCORE', K.completedAt, id) or '', record } end
return { 'unknown', progress, '', {}, '', 0, 0, '', '' }
