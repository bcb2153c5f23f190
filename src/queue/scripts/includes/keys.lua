-- queue/scripts/includes/keys.lua
-- Every key of one queue, in the order the module passes them as KEYS to each of its scripts
-- that includes this file (src/queue/keys.ts, keyList). All share the queue's hash tag.
local K = {
  stream = KEYS[1], -- stream of jobs waiting (FIFO queues) or running
  delayed = KEYS[2], -- sorted set: job id by due time (ms)
  dead = KEYS[3], -- stream of dead letters
  ids = KEYS[4], -- hash: job id -> where the job is (entry id, 'd', 'p'..member, 'x'..dead entry id)
  payloads = KEYS[5], -- hash: job id -> JSON array of the entry's fields, for delayed and prioritized jobs
  prio = KEYS[6], -- sorted set of prioritized jobs waiting: score priority, member 16-hex seq .. job id
  seq = KEYS[7], -- counter that orders equal priorities
  signal = KEYS[8], -- stream of one entry: wakes workers that wait for a prioritized job or a free slot
  active = KEYS[9], -- sorted set: entry id -> lease expiry (ms), only under a queue-wide concurrency limit
  paused = KEYS[10], -- string: present while the queue is paused
  progress = KEYS[11], -- hash: job id -> progress (JSON)
  events = KEYS[12], -- stream of queue events (capped)
  completed = KEYS[13], -- hash: job id -> retained completed job (JSON)
  completedAt = KEYS[14], -- sorted set: retained job id -> completion time (ms)
  schedules = KEYS[15], -- hash: schedule id -> its spec (JSON, with the job's fields)
  scheduleDue = KEYS[16], -- sorted set: schedule id -> its next run (ms)
}
