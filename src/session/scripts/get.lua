-- session/get.lua
-- Reads a session and slides its expiry, in one call (also used by touch).
-- KEYS[1] the session hash, KEYS[2] its user's index (sorted set of live session ids)
-- ARGV[1] the session id (SHA-256 of the token)
-- ARGV[2] how far to slide: '' = by the session's own idle timeout (field t), '0' = not at all, n = by n ms
-- Returns false when the session is unknown, revoked, evicted or expired; otherwise one JSON
-- string: the hash as read (flat field, value list) followed by now ms and expires-at ms.
-- Never extends past the absolute deadline (field x). The last-seen field l is rewritten only
-- when a second or more old: a busy session costs no extra write per request.
--- @include "core/lua/time.lua"
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return false end
local user, deadline, idle, seen
for i = 1, #h, 2 do
  local f = h[i]
  if f == 'u' then user = h[i + 1]
  elseif f == 'x' then deadline = tonumber(h[i + 1])
  elseif f == 't' then idle = tonumber(h[i + 1])
  elseif f == 'l' then seen = tonumber(h[i + 1])
  elseif f == 'r' then return false end
end
-- A user's session lives only while its id is in the index: that is what makes
-- "log out everywhere" (deleting the index) and eviction take effect at once.
if user and not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return false end
local now = redis_now()
local slide = idle
if ARGV[2] ~= '' then slide = tonumber(ARGV[2]) end
local expires
if slide > 0 then
  expires = math.min(now + slide, deadline)
  if expires <= now then
    redis.call('DEL', KEYS[1])
    return false
  end
  redis.call('PEXPIREAT', KEYS[1], expires)
else
  expires = redis.call('PEXPIRETIME', KEYS[1])
end
if now - seen >= 1000 then redis.call('HSET', KEYS[1], 'l', now) end
h[#h + 1] = now
h[#h + 1] = expires
-- One bulk string: replying with one string is much cheaper than a list of many small ones.
return cjson.encode(h)
