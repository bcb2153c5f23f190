-- core/lua/chunked.lua
-- KEYS: none of its own (the caller passes the key). ARGV: none (the caller passes the list).
-- Returns: nothing; call_chunked returns the reply of every chunk.
-- Redis' Lua returns at most about 8,000 values from one `unpack`, so a command with more
-- arguments than that fails ("too many results to unpack"). Included by scripts (with
-- `--- @include "core/lua/chunked.lua"`); defines a function and runs nothing itself.
-- call_chunked(command, key, list, first) runs `command key list[first..#list]` in chunks of at
-- most 4,000 list entries (an even number, so field-value pairs are never split across chunks)
-- and returns the reply of every chunk, in order. Nothing is run for an empty range.
local function call_chunked(command, key, list, first)
  local replies = {}
  for i = first, #list, 4000 do
    replies[#replies + 1] = redis.call(command, key, unpack(list, i, math.min(i + 3999, #list)))
  end
  return replies
end
