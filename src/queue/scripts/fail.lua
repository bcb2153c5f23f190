-- queue/fail.lua
-- Records a failed try of one job: re-enqueues it (now or after a backoff delay) or moves it
-- to the dead-letter stream, then acknowledges and deletes the old entry. Only the consumer
-- that still owns the entry may do so: if it was reclaimed meanwhile, its new owner decides.
-- KEYS[1] stream, KEYS[2] delayed set, KEYS[3] dead-letter stream
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] entry id, ARGV[4] 'retry' or 'dead',
-- ARGV[5] delay ms, ARGV[6] maxLen (0 = no trim), ARGV[7..] fields of the new entry
-- Returns 1 when recorded, 0 when the entry is no longer this consumer's.
--- @include "core/lua/time.lua"
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if pending[1] == nil or pending[1][2] ~= ARGV[2] then return 0 end
local fields = { unpack(ARGV, 7) }
local delay = tonumber(ARGV[5])
local maxLen = tonumber(ARGV[6])
if ARGV[4] == 'dead' then
  redis.call('XADD', KEYS[3], '*', unpack(fields))
elseif delay > 0 then
  local now = redis_now()
  redis.call('ZADD', KEYS[2], now + delay, cjson.encode(fields))
elseif maxLen > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxLen, '*', unpack(fields))
else
  redis.call('XADD', KEYS[1], '*', unpack(fields))
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
return 1
