-- cache/expire.lua
-- Marks the fresh entries a tag index listed (read just before with ZRANGE) as stale instead
-- of deleting them: `wrap` then serves each within what is left of its grace period while one
-- background refresh runs. An entry without grace has nothing to be served in: it is deleted.
-- KEYS[1]         the tag index (sorted set of entry keys) of one slot bucket
-- KEYS[2..m+1]    m entry keys listed by the index
-- KEYS[m+2..2m+1] their load guard keys, in the same order
-- ARGV[1]         m
-- ARGV[2]         the calling cache's grace period in ms: the most any entry is served stale
-- Returns the number of entries that were fresh and are now stale or deleted.
--- @include "core/lua/time.lua"
local m = tonumber(ARGV[1])
local max_grace = tonumber(ARGV[2])
local now = redis_now()
local expired = 0
for i = 2, m + 1 do
  local entry = KEYS[i]
  -- The header starts `<fresh until ms>|`: 32 bytes hold it, so a large value is never read.
  local head = redis.call('GETRANGE', entry, 0, 31)
  local bar = string.find(head, '|', 1, true)
  local fresh_until = bar and tonumber(string.sub(head, 1, bar - 1))
  if not fresh_until then
    -- Gone (expired or deleted) or not an entry: drop it from the index.
    redis.call('ZREM', KEYS[1], entry)
  elseif fresh_until > now then
    -- The entry lives for its fresh TTL plus its grace: what its TTL has beyond fresh-until is
    -- the grace left. That is an estimate (fresh-until is the writer's clock, read before the
    -- write reached Redis): the cache's own grace bounds it, so a cache without one deletes.
    local grace = math.min(redis.call('PTTL', entry) - (fresh_until - now), max_grace)
    if grace > 0 then
      -- Zeros of the same length: stale from now on for every instance, whatever its clock,
      -- and SETRANGE rewrites the header in place without copying the value.
      redis.call('SETRANGE', entry, 0, string.rep('0', bar - 1))
      redis.call('PEXPIRE', entry, grace)
    else
      redis.call('DEL', entry)
      redis.call('ZREM', KEYS[1], entry)
    end
    -- A load that started before this call must not keep the refresh from starting now.
    redis.call('DEL', KEYS[i + m])
    expired = expired + 1
  end
end
return expired
