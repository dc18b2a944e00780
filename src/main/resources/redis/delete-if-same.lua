-- delete-if-same (Inbox.abandon: the turn's lease; AccessTokens: a token WeChat refused): deletes the key only
-- while it still holds the value, so a lease another turn took, or a fresh token another caller cached, stays.
-- KEYS[1] the key
-- ARGV[1] the value it should hold
-- Returns 1 when deleted, 0 when it held something else (or nothing).
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
