-- rate-limit/batch.lua
-- Appended to each algorithm's script, after its `check(kb, ab, K, cost, mode, ms, us, res)`
-- function (keys from KEYS[kb + 1], limit arguments from ARGV[ab + 3]): runs a batch of n checks
-- (core's batched-script layout) in call order, all at one Redis time.
-- KEYS   per check, K keys (one per limit of the limiter; K = #KEYS / n)
-- ARGV   n; then per check 2 + 2K arguments: cost (negative in force mode gives units back),
--        mode ('0' take only if every limit has room, '1' peek: write nothing, '2' force: take
--        regardless), and two numbers per limit that the algorithm defines
-- Returns per check {allowed, remaining_1, reset_ms_1, retry_after_ms_1, ...} (1 + 3K entries),
-- every check's entries one after another in one flat array: allowed is 1 when every limit had
-- room for cost; remaining is what is left after the check (negative after a penalty); reset_ms
-- is when the limit is whole again; retry_after_ms is when cost would fit (0 if it fits now).
local t = redis.call('TIME')
local ms, us = t[1] * 1000 + math.floor(t[2] / 1000), t[1] * 1000000 + t[2]
local n = tonumber(ARGV[1])
local K = #KEYS / n
local res = {}
for c = 0, n - 1 do
  local ab = 1 + c * (2 + 2 * K)
  check(c * K, ab, K, tonumber(ARGV[ab + 1]), ARGV[ab + 2], ms, us, res)
end
return res
