-- queue/retry-dead.lua
-- Moves the oldest dead-lettered jobs back into the stream with fresh tries (their
-- attempt count and last error are dropped), atomically.
-- KEYS[1] dead-letter stream, KEYS[2] stream
-- ARGV[1] most jobs to move, ARGV[2] maxLen (0 = no trim)
-- Returns the number of jobs moved.
local maxLen = tonumber(ARGV[2])
local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', tonumber(ARGV[1]))
for _, entry in ipairs(entries) do
  local fields = {}
  for i = 1, #entry[2], 2 do
    local f = entry[2][i]
    if f ~= 'a' and f ~= 'e' and f ~= 's' then
      fields[#fields + 1] = f
      fields[#fields + 1] = entry[2][i + 1]
    end
  end
  if maxLen > 0 then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxLen, '*', unpack(fields))
  else
    redis.call('XADD', KEYS[2], '*', unpack(fields))
  end
  redis.call('XDEL', KEYS[1], entry[1])
end
return #entries
