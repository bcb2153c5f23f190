-- session/get.lua
-- Reads a session and slides its expiry, in one call (also used by touch).
-- One call of a coalesced script (core's driver runs it per call, in call order, at one Redis time):
-- KEYS[k + 1] the session hash, KEYS[k + 2] its user's index (sorted set of live session ids)
-- ARGV[a + 1] the session id (SHA-256 of the token)
-- ARGV[a + 2] how far to slide: '' = by the session's own idle timeout (field t), '0' = not at
--             all, n = by n ms
-- Appends '' when the session is unknown, revoked, evicted or expired; otherwise one JSON
-- string: the hash as read (flat field, value list) followed by now ms and expires-at ms.
-- Never extends past the absolute deadline (field x). The last-seen field l is rewritten only
-- when a second or more old: a busy session costs no extra write per request.
local function call(k, a, res, now)
  local session, index = KEYS[k + 1], KEYS[k + 2]
  local o = #res + 1
  res[o] = ''
  local h = redis.call('HGETALL', session)
  if #h == 0 then return end
  local user, deadline, idle, seen
  for i = 1, #h, 2 do
    local f = h[i]
    if f == 'u' then user = h[i + 1]
    elseif f == 'x' then deadline = tonumber(h[i + 1])
    elseif f == 't' then idle = tonumber(h[i + 1])
    elseif f == 'l' then seen = tonumber(h[i + 1])
    elseif f == 'r' then return end
  end
  -- A user's session lives only while its id is in the index: that is what makes
  -- "log out everywhere" (deleting the index) and eviction take effect at once.
  if user and not redis.call('ZSCORE', index, ARGV[a + 1]) then return end
  local slide = idle
  if ARGV[a + 2] ~= '' then slide = tonumber(ARGV[a + 2]) end
  local expires
  if slide > 0 then
    expires = math.min(now + slide, deadline)
    if expires <= now then
      redis.call('DEL', session)
      return
    end
    redis.call('PEXPIREAT', session, expires)
  else
    expires = redis.call('PEXPIRETIME', session)
  end
  if now - seen >= 1000 then redis.call('HSET', session, 'l', now) end
  h[#h + 1] = now
  h[#h + 1] = expires
  -- One bulk string: replying with one string is much cheaper than a list of many small ones.
  res[o] = cjson.encode(h)
end
