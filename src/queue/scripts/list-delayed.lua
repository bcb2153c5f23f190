-- queue/list-delayed.lua
-- One page of the delayed set, soonest first, with each job's fields.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] offset, ARGV[2] count
-- Returns {total, {job id, due ms (string), fields (flat list)}, ...}.
--- @include "queue/scripts/includes/keys.lua"
local page = redis.call('ZRANGE', K.delayed, tonumber(ARGV[1]), tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1, 'WITHSCORES')
local out = { redis.call('ZCARD', K.delayed) }
for i = 1, #page, 2 do
  local member = page[i]
  local payload = redis.call('HGET', K.payloads, member)
  -- Written by an earlier version: the member is the fields' JSON itself.
  out[#out + 1] = { member, page[i + 1], cjson.decode(payload or member) }
end
return out
