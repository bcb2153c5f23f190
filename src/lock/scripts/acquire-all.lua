-- lock/acquire-all.lua
-- Takes several FencedLocks at once, all or none: if every lock is free (or already the
-- caller's), each gets the next token of its slot's fencing counter and is set to
-- "<owner id>|<token>" with the TTL; if any is held by someone else, nothing changes. Waiters
-- queued on a lock are not served here: a free lock has no live waiter (a release hands a lock
-- straight to its longest-waiting waiter), as in acquire.lua.
-- KEYS[2i - 1] lock key of resource i, KEYS[2i] fencing counter of resource i's hash slot
--              (every key of one call in one slot on a cluster; no TTL on counters, see acquire.lua)
-- ARGV[1] owner id, ARGV[2] TTL in ms
-- Returns {1, token_1, ..., token_n} when the caller holds every lock, or {0, i, remaining ms of
-- resource i's holder} for the first lock held by someone else.
local owner, ttl = ARGV[1], ARGV[2]
local mine = owner .. '|'
local n = #KEYS / 2
local held = {}
for i = 1, n do
  local holder = redis.call('GET', KEYS[2 * i - 1])
  if holder then
    -- An earlier attempt of the same call that timed out on the client may have taken it already.
    if string.sub(holder, 1, #mine) ~= mine then return { 0, i, redis.call('PTTL', KEYS[2 * i - 1]) } end
    held[i] = tonumber(string.sub(holder, #mine + 1))
  end
end
local reply = { 1 }
for i = 1, n do
  local token = held[i]
  if token then
    redis.call('PEXPIRE', KEYS[2 * i - 1], ttl)
  else
    token = redis.call('INCR', KEYS[2 * i])
    redis.call('SET', KEYS[2 * i - 1], mine .. token, 'PX', ttl)
  end
  reply[i + 1] = token
end
return reply
