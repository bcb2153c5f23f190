-- queue/scripts/includes/jobs.lua
-- KEYS: the including script's, through K (includes/keys.lua). ARGV: none (values are function
-- arguments). Returns: nothing; each function's result is stated above it.
-- Moves of a job between the places it can be, each keeping the ids hash (job id -> place)
-- right, so getJob finds the job and a job id is free exactly when its job is gone.
-- Needs includes/keys.lua (K) before it. Defines functions only.

-- The value of field `name` in a flat field/value list, or nil.
local function field_of(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end

-- The job id an entry's fields carry: the caller's id ('i'), else the one given at the first
-- enqueue ('j'); nil for a first try without either (its job id is its entry id).
local function job_id_of(fields)
  return field_of(fields, 'i') or field_of(fields, 'j')
end

-- Wakes workers that wait on the signal stream (priorities, a queue-wide concurrency limit).
local function signal()
  redis.call('XADD', K.signal, 'MAXLEN', 1, '*', 's', 1)
end

-- Appends an event to the events stream when events are on (max_len > 0). `...` are field/value pairs.
local function emit(max_len, kind, job_id, ...)
  if max_len > 0 then redis.call('XADD', K.events, 'MAXLEN', '~', max_len, '*', 'e', kind, 'i', job_id, ...) end
end

-- Makes a job ready to run: into the prioritized set (a queue with priorities) or the stream.
-- `job_id` is nil for a first try without an id of its own (its entry id is its id: not indexed).
-- Returns the entry id, or 'p' when it went to the prioritized set.
local function to_waiting(job_id, fields, max_len, prio)
  if prio == 1 then
    local seq = redis.call('INCR', K.seq)
    local member = string.format('%016x', seq) .. job_id
    redis.call('ZADD', K.prio, tonumber(field_of(fields, 'p') or 0), member)
    redis.call('HSET', K.payloads, job_id, cjson.encode(fields))
    redis.call('HSET', K.ids, job_id, 'p' .. member)
    signal()
    return 'p'
  end
  local id
  if max_len > 0 then
    id = redis.call('XADD', K.stream, 'MAXLEN', '~', max_len, '*', unpack(fields))
  else
    id = redis.call('XADD', K.stream, '*', unpack(fields))
  end
  if job_id then redis.call('HSET', K.ids, job_id, id) end
  return id
end

-- Parks a job in the delayed set until `due` (Redis ms).
local function to_delayed(job_id, fields, due)
  redis.call('ZADD', K.delayed, due, job_id)
  redis.call('HSET', K.payloads, job_id, cjson.encode(fields))
  redis.call('HSET', K.ids, job_id, 'd')
end

-- Forgets a job: its place, and its progress.
local function forget(job_id)
  redis.call('HDEL', K.ids, job_id)
  redis.call('HDEL', K.progress, job_id)
end

-- Appends a job to the dead-letter stream, then trims that stream to its `dead_max` newest
-- entries (0: no cap), forgetting the trimmed jobs. Returns the dead entry id.
local function to_dead(job_id, fields, dead_max)
  local id = redis.call('XADD', K.dead, '*', unpack(fields))
  redis.call('HSET', K.ids, job_id, 'x' .. id)
  if dead_max > 0 then
    local over = redis.call('XLEN', K.dead) - dead_max
    if over > 0 then
      for _, entry in ipairs(redis.call('XRANGE', K.dead, '-', '+', 'COUNT', over)) do
        local old = job_id_of(entry[2])
        -- Only if the id still points at this letter (a retried or re-added job has moved on).
        if old and redis.call('HGET', K.ids, old) == 'x' .. entry[1] then forget(old) end
        redis.call('XDEL', K.dead, entry[1])
      end
    end
  end
  return id
end

-- Drops leases (a queue-wide concurrency limit) of entries that ended, and wakes waiting workers.
local function release(limited, ...)
  if limited == 1 and select('#', ...) > 0 then
    redis.call('ZREM', K.active, ...)
    signal()
  end
end
