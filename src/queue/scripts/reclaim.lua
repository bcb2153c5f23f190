-- queue/reclaim.lua
-- Takes over jobs that other consumers fetched but did not acknowledge within the
-- visibility timeout (the consumer died or hung). Every such delivery counts as a used
-- try: a job that has used all of its tries this way goes to the dead-letter stream
-- instead of killing the next worker too.
-- KEYS[1] stream, KEYS[2] dead-letter stream
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] min idle ms, ARGV[4] count, ARGV[5] start cursor
-- Returns {next cursor, claimed entries {id, fields}, dead-lettered entries {id, fields}}.
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[5], 'COUNT', tonumber(ARGV[4]))
local keep, dead = {}, {}
for _, entry in ipairs(claimed[2]) do
  local id, fields = entry[1], entry[2]
  -- Redis 6.2 returns entries deleted meanwhile with nil fields; 7.0+ leaves them out.
  if fields then
    local deliveries = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)[1][4]
    local made, max = 0, 1
    for i = 1, #fields, 2 do
      if fields[i] == 'a' then made = tonumber(fields[i + 1]) elseif fields[i] == 'm' then max = tonumber(fields[i + 1]) end
    end
    -- This claim is one delivery; each earlier one ended without an ack.
    local used = made + deliveries - 1
    if used >= max then
      local out = {}
      for i = 1, #fields, 2 do
        if fields[i] ~= 'a' and fields[i] ~= 'e' and fields[i] ~= 's' then
          out[#out + 1] = fields[i]
          out[#out + 1] = fields[i + 1]
        end
      end
      out[#out + 1] = 'a'
      out[#out + 1] = tostring(used)
      out[#out + 1] = 'e'
      out[#out + 1] = 'stalled: not acknowledged within the visibility timeout ' .. (deliveries - 1) .. ' time(s)'
      redis.call('XADD', KEYS[2], '*', unpack(out))
      redis.call('XACK', KEYS[1], ARGV[1], id)
      redis.call('XDEL', KEYS[1], id)
      dead[#dead + 1] = { id, out }
    else
      keep[#keep + 1] = entry
    end
  end
end
return { claimed[1], keep, dead }
