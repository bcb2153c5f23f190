-- feed/scripts/includes/cursor.lua
-- The cursor helpers of the feed scripts, included (with
-- `--- @include "feed/scripts/includes/cursor.lua"`) by those that work with a cursor;
-- defines functions and runs nothing itself. KEYS, ARGV: none of its own.
-- Defines order_after(score1, id1, score2, id2) and count_newer(key, score, id, inclusive).
-- A feed is ordered by (score, id), exactly as Redis orders a sorted set: equal
-- scores by member bytes. A cursor is such a pair, and may name an item that is gone.

-- Byte-wise, as Redis compares members: Lua's own < uses the server's locale (strcoll).
local function id_after(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end

-- True when (score1, id1) sorts after (is newer than) (score2, id2).
local function order_after(score1, id1, score2, id2)
  if score1 ~= score2 then return score1 > score2 end
  return id_after(id1, id2)
end

-- How many items sort after the cursor (score, id); with inclusive, the item at the cursor too.
local function count_newer(key, score, id, inclusive)
  local n = redis.call('ZCOUNT', key, '(' .. score, '+inf')
  local ties = redis.call('ZRANGE', key, score, score, 'BYSCORE')
  for i = #ties, 1, -1 do
    local m = ties[i]
    if id_after(m, id) or (inclusive and m == id) then n = n + 1 else break end
  end
  return n
end
