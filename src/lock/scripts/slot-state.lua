-- lock/slot-state.lua
-- Reads a slot's state in one consistent step.
-- KEYS[1] hold key, KEYS[2] booking key
-- ARGV: none
-- Returns {'booked', holder id, remaining ms or -1}, {'held', holder id, remaining ms} or {'free'}.
local booked = redis.call('GET', KEYS[2])
if booked then return {'booked', booked, redis.call('PTTL', KEYS[2])} end
local holder = redis.call('GET', KEYS[1])
if holder then return {'held', holder, redis.call('PTTL', KEYS[1])} end
return {'free'}
