-- queue/counts.lua
-- Counts the jobs of a queue in each state in one consistent read.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] group
-- Returns {waiting (in the stream and not fetched, or prioritized), pending (fetched, not yet
-- acknowledged), delayed, dead, last event id ('0-0' when none)}.
--- @include "queue/scripts/includes/keys.lua"
local length = redis.call('XLEN', K.stream)
-- No group yet (no worker has started): nothing is pending.
local ok, summary = pcall(redis.call, 'XPENDING', K.stream, ARGV[1])
local pending = 0
if ok then pending = summary[1] end
local top = redis.call('XREVRANGE', K.events, '+', '-', 'COUNT', 1)[1]
return {
  length - pending + redis.call('ZCARD', K.prio),
  pending,
  redis.call('ZCARD', K.delayed),
  redis.call('XLEN', K.dead),
  top and top[1] or '0-0',
}
