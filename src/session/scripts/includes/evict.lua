-- session/scripts/includes/evict.lua
-- Makes room for one more session of a user under `maxSessionsPerUser`. Included by scripts
-- (with `--- @include "session/scripts/includes/evict.lua"`); defines a function and runs nothing itself.
-- evict_over_limit(index, max, first_key, first_id, tomb_ms): `index` is the user's index key,
-- KEYS[first_key..] the hashes of the sessions the client saw in it just before, and
-- ARGV[first_id..] their ids, same order. Index entries whose session already expired are
-- dropped first, so they do not count. Each evicted session leaves the index, which ends it at
-- once; its hash, when among the keys, is deleted, or with tomb_ms > 0 replaced by a tombstone
-- for at most tomb_ms ms, so that a request still in flight cannot save it back. A session
-- indexed after the client read the index is not among the keys: leaving the index already
-- kills it, and its hash expires by its own TTL. Returns the number of sessions evicted.
local function evict_over_limit(index, max, first_key, first_id, tomb_ms)
  local known = {}
  for i = first_key, #KEYS do
    local id = ARGV[first_id + i - first_key]
    known[id] = KEYS[i]
    if redis.call('EXISTS', KEYS[i]) == 0 then redis.call('ZREM', index, id) end
  end
  local evicted = 0
  local over = redis.call('ZCARD', index) - max + 1
  if over > 0 then
    for _, id in ipairs(redis.call('ZRANGE', index, 0, over - 1)) do
      redis.call('ZREM', index, id)
      local key = known[id]
      if key then
        local ttl = redis.call('PTTL', key)
        redis.call('DEL', key)
        if tomb_ms > 0 and ttl > 0 then
          redis.call('HSET', key, 'r', '1')
          redis.call('PEXPIRE', key, math.min(ttl, tomb_ms))
        end
      end
      evicted = evicted + 1
    end
  end
  return evicted
end
