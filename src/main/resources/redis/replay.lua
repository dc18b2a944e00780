-- replay (DeadLetters.replay): back into the follower's inbox and out of the dead letters in one step, so a replay
-- is never lost or doubled. The message's progress goes, so it is answered afresh.
-- KEYS[1] dead letters   KEYS[2] the follower's inbox   KEYS[3] followers with an inbox   KEYS[4] the message's
-- progress   KEYS[5] dead letters by time   KEYS[6] the follower's dead letters
-- ARGV[1] the message's key   ARGV[2] the inbox entry   ARGV[3] openid
-- Returns 1 when replayed, 0 when there was no such letter (replayed or purged meanwhile).
redis.call('ZREM', KEYS[5], ARGV[1]); redis.call('SREM', KEYS[6], ARGV[1])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[4])
redis.call('RPUSH', KEYS[2], ARGV[2]); redis.call('SADD', KEYS[3], ARGV[3]); return 1
