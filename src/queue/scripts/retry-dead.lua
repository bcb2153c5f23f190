-- queue/retry-dead.lua
-- Moves the oldest dead-lettered jobs back to where workers take them, with fresh tries (their
-- attempt count and last error are dropped), atomically.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] most jobs to move, ARGV[2] maxLen (0 = no trim), ARGV[3] priorities (1 or 0)
-- Returns the number of jobs moved.
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local max_len, prio = tonumber(ARGV[2]), tonumber(ARGV[3])
local entries = redis.call('XRANGE', K.dead, '-', '+', 'COUNT', tonumber(ARGV[1]))
for _, entry in ipairs(entries) do
  local fields = {}
  for i = 1, #entry[2], 2 do
    local f = entry[2][i]
    if f ~= 'a' and f ~= 'e' and f ~= 's' then
      fields[#fields + 1] = f
      fields[#fields + 1] = entry[2][i + 1]
    end
  end
  to_waiting(job_id_of(fields), fields, max_len, prio)
  redis.call('XDEL', K.dead, entry[1])
end
return #entries
