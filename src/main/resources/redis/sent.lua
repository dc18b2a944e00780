-- sent (Inbox.sent): WeChat accepted this many parts of the turn's text.
-- KEYS[1] the follower's lease   KEYS[2] the message's progress
-- ARGV[1] the turn's token   ARGV[2] lease (ms)   ARGV[3] parts accepted   ARGV[4] progress ttl (ms)
-- Returns 1, or 0 (nothing written) when the turn lost the lease.
--! include own
if not own(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], 'sent', ARGV[3]); redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
