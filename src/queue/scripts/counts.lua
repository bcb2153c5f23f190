-- queue/counts.lua
-- Counts the jobs of a queue in each state in one consistent read.
-- KEYS[1] stream, KEYS[2] delayed set, KEYS[3] dead-letter stream
-- ARGV[1] group
-- Returns {waiting, pending (fetched, not yet acknowledged), delayed, dead}.
local length = redis.call('XLEN', KEYS[1])
-- No group yet (no worker has started): nothing is pending.
local ok, summary = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])
local pending = 0
if ok then pending = summary[1] end
return { length - pending, pending, redis.call('ZCARD', KEYS[2]), redis.call('XLEN', KEYS[3]) }
