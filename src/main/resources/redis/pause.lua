-- pause (Inbox.pause): the turn waited rather than failed (the model is paused): its start does not count, and the
-- lease goes; the message stays.
-- KEYS[1] the follower's lease   KEYS[2] the message's progress
-- ARGV[1] the turn's token
-- Returns 1, or 0 (nothing written) when the turn does not hold the lease.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HINCRBY', KEYS[2], 'attempts', -1); redis.call('DEL', KEYS[1]); return 1
