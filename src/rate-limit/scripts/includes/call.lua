-- rate-limit/scripts/includes/call.lua
-- The per-call entry of every rate-limit script, included after the algorithm's
-- `check(kb, ab, K, cost, mode, ms, us, res)`: core's coalesced driver runs it once per check,
-- in call order, all checks of one EVALSHA at one Redis time.
-- KEYS[k + 1 .. k + K]   one key per limit of the limiter (K = keys per check)
-- ARGV[a + 1]            cost (negative in force mode gives units back)
-- ARGV[a + 2]            mode: '0' take only if every limit has room, '1' peek (write nothing),
--                        '2' force (take regardless)
-- ARGV[a + 1 + 2i], ARGV[a + 2 + 2i]   the two numbers of limit i that the algorithm defines
-- Appends {allowed, remaining_1, reset_ms_1, retry_after_ms_1, ...} (1 + 3K entries): allowed is 1
-- when every limit had room for cost; remaining is what is left after the check (negative after a
-- penalty); reset_ms is when the limit is whole again; retry_after_ms is when cost would fit (0 if
-- it fits now).
local limits_per_check = #KEYS / tonumber(ARGV[1])
local function call(k, a, res, now_ms, now_us)
  check(k, a, limits_per_check, tonumber(ARGV[a + 1]), ARGV[a + 2], now_ms, now_us, res)
end
