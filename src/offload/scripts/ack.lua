-- offload/ack.lua
-- After a successful flush: clears each record from the dirty index only if it still has the
-- version that was flushed, so a change made during the flush stays dirty for the next sync.
-- KEYS[1] the shard's dirty index, KEYS[2..n] the flushed records' hashes (any number)
-- ARGV[1] ms a clean record is kept before it expires ('0' = forever),
-- then per record, in the order of KEYS[2..n]: id, flushed version ('0' for a record that was gone)
-- Returns the number of records cleared
local cleared = 0
for i = 2, #KEYS do
  local id, version = ARGV[2 * i - 2], ARGV[2 * i - 1]
  if (redis.call('HGET', KEYS[i], '_v') or '0') == version then
    redis.call('ZREM', KEYS[1], id)
    if ARGV[1] ~= '0' then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
    cleared = cleared + 1
  end
end
return cleared
