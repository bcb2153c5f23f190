-- circuit-breaker/open.lua
-- Opens the circuit by hand for every instance, for a given time (Redis time), and
-- forgets the failure window and any probe leases.
-- KEYS[1] state hash {state, openUntil}
-- KEYS[2] window hash
-- KEYS[3] probe leases
-- ARGV[1] how long to stay open, in ms
-- ARGV[2] idle TTL in ms of the state key once the open period has ended
-- Returns {state, waitMs}: always {'open', ARGV[1]}.
--- @include "core/lua/time.lua"
local now = redis_now()
local duration = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'open', 'openUntil', now + duration)
redis.call('PEXPIRE', KEYS[1], duration + tonumber(ARGV[2]))
redis.call('DEL', KEYS[2], KEYS[3])
return {'open', duration}
