-- core/lua/coalesce.lua
-- Core's driver of a coalesced script, appended to it by defineScript: runs the script's
-- `call(k, a, res, now_ms, now_us)` once per call, in call order, so that concurrent calls
-- share one EVALSHA. `coalesce_reads_time` is declared by defineScript just before this driver.
-- KEYS   each call's keys, one call after another (the same number per call): a call's keys
--        are KEYS[k + 1], KEYS[k + 2], ...
-- ARGV   the number of calls; then each call's arguments (the same number per call): a
--        call's arguments are ARGV[a + 1], ARGV[a + 2], ...
-- now_ms, now_us: Redis time read once for all calls, or nil when the script does not ask for it
-- Returns one flat array: the entries every call appended to `res`, in call order.
local calls = tonumber(ARGV[1])
local keys_per_call, args_per_call = #KEYS / calls, (#ARGV - 1) / calls
local now_ms, now_us
if coalesce_reads_time then now_ms, now_us = redis_now() end
local res = {}
for c = 0, calls - 1 do
  call(c * keys_per_call, 1 + c * args_per_call, res, now_ms, now_us)
end
return res
