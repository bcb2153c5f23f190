-- queue/remove-consumers.lua
-- Deletes consumers of the group that hold no pending jobs and have been idle at least
-- the given time (a consumer with pending jobs is kept: deleting it would orphan them).
-- KEYS[1] stream
-- ARGV[1] group, ARGV[2] min idle ms, ARGV[3] only this consumer ('' = any)
-- Returns the names of the consumers deleted.
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then return {} end
local minIdle = tonumber(ARGV[2])
local removed = {}
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info.pending == 0 and info.idle >= minIdle and (ARGV[3] == '' or ARGV[3] == info.name) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info.name)
    removed[#removed + 1] = info.name
  end
end
return removed
