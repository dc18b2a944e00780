-- requeue (DeadLetters.replay, first step): a dead letter's message goes back to the end of its follower's inbox,
-- once per letter: the marker holds the letter's deadAt, so replaying the same letter again (its removal from the
-- dead letters failed, or two replays ran at once) does not queue it twice. Its progress goes, so it is answered
-- afresh.
-- KEYS[1] inbox   KEYS[2] the set of followers with unanswered messages   KEYS[3] the message's progress
-- KEYS[4] the requeue marker
-- ARGV[1] the inbox entry   ARGV[2] openid   ARGV[3] the letter's deadAt   ARGV[4] the marker's ttl (ms)
-- Returns 1 when queued now, 0 when this letter was queued before.
if redis.call('GET', KEYS[4]) == ARGV[3] then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1]); redis.call('SADD', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
return 1
