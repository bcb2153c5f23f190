-- queue/ack.lua
-- Completes a batch of jobs: acknowledges and deletes their entries (the stream then holds only
-- unfinished jobs), forgets their places and progress, drops their leases under a queue-wide
-- concurrency limit, and, when asked, publishes `completed` events and keeps the jobs with their
-- results (retention by count and by age). A batch that leaves nothing waiting, delayed or
-- running publishes `drained`.
-- KEYS: the queue's keys in the order of includes/keys.lua
-- ARGV[1] group, ARGV[2] limited (1: drop leases), ARGV[3] events max length (0 = no events),
-- ARGV[4] keep at most this many completed jobs (0 = keep none), ARGV[5] keep them at most this
-- many ms (0 = no age limit), ARGV[6] number of entry ids n, then the n entry ids, then the
-- number of job ids to forget m and those ids (jobs that were indexed or had progress), then the
-- number of completed records r and per record: job id, result (serialized), record (JSON)
-- Returns the number of entries that were still pending (XACK's count).
--- @include "core/lua/time.lua"
--- @include "queue/scripts/includes/keys.lua"
--- @include "queue/scripts/includes/jobs.lua"
local group, limited, events = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local keep_count, keep_age = tonumber(ARGV[4]), tonumber(ARGV[5])
local n = tonumber(ARGV[6])
local acked = redis.call('XACK', K.stream, group, unpack(ARGV, 7, 6 + n))
redis.call('XDEL', K.stream, unpack(ARGV, 7, 6 + n))
release(limited, unpack(ARGV, 7, 6 + n))
local i = 7 + n
local m = tonumber(ARGV[i])
if m > 0 then
  redis.call('HDEL', K.ids, unpack(ARGV, i + 1, i + m))
  redis.call('HDEL', K.progress, unpack(ARGV, i + 1, i + m))
end
i = i + m + 1
local r = tonumber(ARGV[i])
if r > 0 then
  local keep = keep_count > 0
  local now = keep and redis_now() or 0
  for j = 0, r - 1 do
    local id, result, record = ARGV[i + 1 + 3 * j], ARGV[i + 2 + 3 * j], ARGV[i + 3 + 3 * j]
    emit(events, 'completed', id, 'r', result)
    if keep then
      redis.call('HSET', K.completed, id, record)
      redis.call('ZADD', K.completedAt, now, id)
    end
  end
  if keep then
    local over = redis.call('ZCARD', K.completedAt) - keep_count
    if over > 0 then
      local old = redis.call('ZRANGE', K.completedAt, 0, over - 1)
      redis.call('HDEL', K.completed, unpack(old))
      redis.call('ZREMRANGEBYRANK', K.completedAt, 0, over - 1)
    end
    if keep_age > 0 then
      local old = redis.call('ZRANGEBYSCORE', K.completedAt, '-inf', now - keep_age, 'LIMIT', 0, 1000)
      if #old > 0 then
        redis.call('HDEL', K.completed, unpack(old))
        redis.call('ZREM', K.completedAt, unpack(old))
      end
    end
  end
end
if events > 0 and redis.call('XLEN', K.stream) == 0 and redis.call('ZCARD', K.delayed) == 0 and redis.call('ZCARD', K.prio) == 0 then
  emit(events, 'drained', '')
end
return acked
