-- queue/reclaim.lua
-- Takes over jobs that other consumers fetched but did not acknowledge within the
-- visibility timeout (the consumer died or hung). Every such delivery counts as a used
-- try: a job that has used all of its tries this way goes to the dead-letter stream
-- instead of killing the next worker too. Under a queue-wide concurrency limit it takes only
-- as many as there are free slots (leases of dead workers have expired by then) and leases them.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] min idle ms, ARGV[4] count, ARGV[5] start cursor,
-- ARGV[6] queue-wide concurrency limit (0 = none), ARGV[7] lease ms, ARGV[8] dead-letter cap
-- (0 = none), ARGV[9] events max length (0 = no events)
-- Returns {next cursor, claimed entries {id, fields}, dead-lettered entries {id, fields}}.
--- @include "core/lua/time.lua"
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local count, limit, events = tonumber(ARGV[4]), tonumber(ARGV[6]), tonumber(ARGV[9])
local now
if limit > 0 then
  now = redis_now()
  redis.call('ZREMRANGEBYSCORE', K.active, '-inf', now)
  count = math.min(count, limit - redis.call('ZCARD', K.active))
  if count <= 0 then return { ARGV[5], {}, {} } end
end
local claimed = redis.call('XAUTOCLAIM', K.stream, ARGV[1], ARGV[2], ARGV[3], ARGV[5], 'COUNT', count)
local keep, dead = {}, {}
for _, entry in ipairs(claimed[2]) do
  local id, fields = entry[1], entry[2]
  -- Redis 6.2 returns entries deleted meanwhile with nil fields; 7.0+ leaves them out.
  if fields then
    local deliveries = redis.call('XPENDING', K.stream, ARGV[1], id, id, 1)[1][4]
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
      -- A first try's job id is its entry id: the letter carries it.
      local job_id = job_id_of(fields)
      if not job_id then
        job_id = id
        out[#out + 1] = 'j'
        out[#out + 1] = id
      end
      local message = 'stalled: not acknowledged within the visibility timeout ' .. (deliveries - 1) .. ' time(s)'
      out[#out + 1] = 'a'
      out[#out + 1] = tostring(used)
      out[#out + 1] = 'e'
      out[#out + 1] = message
      to_dead(job_id, out, tonumber(ARGV[8]))
      emit(events, 'deadLettered', job_id, 'x', message)
      redis.call('XACK', K.stream, ARGV[1], id)
      redis.call('XDEL', K.stream, id)
      dead[#dead + 1] = { id, out }
    else
      if limit > 0 then redis.call('ZADD', K.active, now + tonumber(ARGV[7]), id) end
      keep[#keep + 1] = entry
    end
  end
end
return { claimed[1], keep, dead }
