-- drop-letter (DeadLetters.replay, second step): the letter leaves the dead letters with its index entries, if it
-- still is the letter replayed (the same deadAt: the message did not die again meanwhile).
-- KEYS[1] dead letters   KEYS[2] dead letters by time   KEYS[3] the follower's dead letters
-- ARGV[1] the message's key   ARGV[2] the replayed letter's deadAt
-- Returns 1 when dropped, 0 when the letter is gone or newer.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local ok, letter = pcall(cjson.decode, raw)
if ok and type(letter) == 'table' and (letter.deadAt or '') ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1]); redis.call('ZREM', KEYS[2], ARGV[1]); redis.call('SREM', KEYS[3], ARGV[1])
return 1
