-- dead-letter (DeadLetters.record): the letter and its index entries (by time, and the follower's own, which
-- unfollowing reads) in one step, so an index never misses a letter or lists a missing one.
-- KEYS[1] dead letters (hash: key → letter)   KEYS[2] dead letters by time (sorted set)   KEYS[3] the follower's
-- dead letters (set)
-- ARGV[1] the message's key   ARGV[2] the letter (JSON)   ARGV[3] when it died (epoch ms)
-- Returns 1 for a new letter, 0 when the message had one already (replaced).
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); redis.call('SADD', KEYS[3], ARGV[1])
return redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
