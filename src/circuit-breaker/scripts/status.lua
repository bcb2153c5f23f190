-- circuit-breaker/status.lua
-- Reads the shared state without changing it, with Redis time, so the caller can
-- sum the window buckets that are still inside the window.
-- KEYS[1] state hash {state, openUntil}
-- KEYS[2] window hash: '<bucket>:s' / '<bucket>:f' -> counts
-- KEYS[3] probe leases: sorted set of probe id -> lease end
-- ARGV: none
-- Returns {now, state or '', openUntil or '', live probe leases, window entries...}:
-- now in ms, the stored state ('' = closed), then the window hash as field, value pairs.
--- @include "core/lua/time.lua"
local now = redis_now()
local fields = redis.call('HMGET', KEYS[1], 'state', 'openUntil')
local probes = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
local reply = {now, fields[1] or '', fields[2] or '', probes}
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries do
  reply[#reply + 1] = entries[i]
end
return reply
