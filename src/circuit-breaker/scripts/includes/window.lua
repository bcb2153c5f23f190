-- circuit-breaker/scripts/includes/window.lua
-- KEYS: none of its own (the including script passes its window key). ARGV: none (values come
-- as function arguments). Returns: nothing; window_add returns whether a bucket was started,
-- window_sum the successes and failures in the window.
-- The rolling window of a closed circuit: a hash of time buckets, '<bucket>:s' / '<bucket>:f'
-- -> successes / failures counted in that bucket. Included by check.lua and record.lua;
-- defines functions and runs nothing itself.
--- @include "core/lua/chunked.lua"

-- Adds outcomes to `bucket`; true when that started a field (a new bucket), which is when
-- stale ones may need trimming.
local function window_add(window, bucket, successes, failures)
  local started = false
  if successes > 0 then started = redis.call('HINCRBY', window, bucket .. ':s', successes) == successes end
  if failures > 0 then started = redis.call('HINCRBY', window, bucket .. ':f', failures) == failures or started end
  return started
end

-- Sums the buckets from `oldest` on and deletes older ones; returns successes, failures.
local function window_sum(window, oldest)
  local entries = redis.call('HGETALL', window)
  local stale = {}
  local successes, failures = 0, 0
  for i = 1, #entries, 2 do
    local b, kind = string.match(entries[i], '^(%d+):(%a)$')
    if tonumber(b) < oldest then
      stale[#stale + 1] = entries[i]
    elseif kind == 's' then
      successes = successes + tonumber(entries[i + 1])
    else
      failures = failures + tonumber(entries[i + 1])
    end
  end
  -- Instances of one name configured with other windows could leave many stale fields, so HDEL
  -- runs in chunks rather than risk an oversized `unpack`.
  call_chunked('HDEL', window, stale, 1)
  return successes, failures
end

-- The window lives one window (plus a bucket) after its last outcome.
local function window_expire(window, bucketMs, buckets)
  redis.call('PEXPIRE', window, bucketMs * (buckets + 1))
end
