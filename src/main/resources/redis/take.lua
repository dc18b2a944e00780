-- take (Outbox.take): this message's reply, if it is decided: its answer is ready, or it goes by push.
-- KEYS[1] the message's reply slot   KEYS[2] the follower's outbox   KEYS[3] pending
-- ARGV[1] the message's key   ARGV[2] reply slot ttl (ms)   ARGV[3] pending ttl (ms)
-- Returns {'repeat', reply} (a delivery of this message already got it), {'passive', reply, arrival, entry},
-- {'push'}, or {'none'} while nothing is decided.
--! include reply-slots
return take(KEYS[1], KEYS[2], ARGV[1], ARGV[2], KEYS[3], ARGV[3], '1') or {'none'}
