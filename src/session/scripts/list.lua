-- session/list.lua
-- Lists a user's live sessions and drops index entries whose session is gone.
-- KEYS[1] the user's index, KEYS[2..] the session hashes of the ids in ARGV, same order
-- ARGV[1..] session ids (as read from the index)
-- Returns one {id, created ms, last seen ms, absolute deadline ms, ip, user agent, expires-at ms}
-- per live session; ip and user agent are '' when unknown.
local out = {}
for i = 2, #KEYS do
  local id = ARGV[i - 1]
  local f = redis.call('HMGET', KEYS[i], 'c', 'l', 'x', 'ip', 'ua', 'r')
  if f[1] and not f[6] then
    if redis.call('ZSCORE', KEYS[1], id) then
      out[#out + 1] = {id, f[1], f[2], f[3], f[4] or '', f[5] or '', redis.call('PEXPIRETIME', KEYS[i])}
    end
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
