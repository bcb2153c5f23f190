-- queue/ack.lua
-- Completes a batch of jobs: acknowledges and deletes their entries (the stream then holds
-- only unfinished jobs) and frees their job ids for reuse, all at once.
-- KEYS[1] stream, KEYS[2] ids hash
-- ARGV[1] group, ARGV[2] number of entry ids n, ARGV[3..2+n] entry ids, ARGV[3+n..] job ids to free
-- Returns the number of entries that were still pending (XACK's count).
local n = tonumber(ARGV[2])
local acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 3, 2 + n))
redis.call('XDEL', KEYS[1], unpack(ARGV, 3, 2 + n))
if #ARGV > 2 + n then redis.call('HDEL', KEYS[2], unpack(ARGV, 3 + n, #ARGV)) end
return acked
