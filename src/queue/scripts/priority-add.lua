-- queue/priority-add.lua
-- Adds jobs to a priority queue: score = priority, and each member starts with a
-- sequence number from one counter, so jobs of equal priority pop in insertion order.
-- KEYS[1] sorted set, KEYS[2] sequence counter
-- ARGV[1] number of jobs n, then per job: priority, payload
-- Returns the sequence number of the first job (the others follow it).
local n = tonumber(ARGV[1])
local last = redis.call('INCRBY', KEYS[2], n)
local first = last - n + 1
for j = 0, n - 1 do
  redis.call('ZADD', KEYS[1], ARGV[2 + 2 * j], string.format('%016x', first + j) .. ARGV[3 + 2 * j])
end
return first
