-- core/lua/publish.lua
-- KEYS: none. ARGV: none (flag, channel and message are function arguments). Returns: nothing.
-- publish(flag, channel, message) sends `message` on `channel` with SPUBLISH when `flag` is '1'
-- (core's choice for a cluster whose servers have sharded pub/sub) and with PUBLISH otherwise.
-- A sharded channel must share the hash tag of the script's keys: the script runs on the node
-- owning that slot, and a sharded message travels only within that node's shard. A node that
-- lacks SPUBLISH (an older one during an upgrade) gets PUBLISH instead of failing the script
-- after its writes. Defines a function, runs nothing.
local function publish(flag, channel, message)
  if flag == '1' then
    local reply = redis.pcall('SPUBLISH', channel, message)
    if type(reply) ~= 'table' or not reply.err then return end
  end
  redis.call('PUBLISH', channel, message)
end
