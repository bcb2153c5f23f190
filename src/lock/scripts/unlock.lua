-- lock/unlock.lua
-- Deletes a key only if it still holds the caller's id (Redlock release, SlotHold release).
-- KEYS[1] key
-- ARGV[1] owner / holder id
-- Returns 1 when deleted, 0 when the key is gone or belongs to someone else.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
