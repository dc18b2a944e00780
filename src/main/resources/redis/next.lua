-- next (Inbox.next): the turn's message is done: it leaves the inbox (only if it still is the head) with its
-- progress, then the follower's next message is read under the same lease.
-- KEYS[1] the follower's lease   KEYS[2] inbox   KEYS[3] followers with an inbox   KEYS[4] memory   KEYS[5] pending
-- KEYS[6] latest photo
-- ARGV[1] the turn's token   ARGV[2] lease (ms)   ARGV[3] openid   ARGV[4] progress key prefix
-- ARGV[5] progress ttl (ms)   ARGV[6] memory ttl (ms)   ARGV[7] the finished head (the inbox entry, as read)
-- ARGV[8] the finished message's progress key
-- Returns {'lost'} when the turn no longer owns the lease (nothing written), else what read_head returns.
--! include read-head
--! include own
if not own(KEYS[1], ARGV[8], ARGV[1], ARGV[2]) then return {'lost'} end
if redis.call('LINDEX', KEYS[2], 0) == ARGV[7] then redis.call('LPOP', KEYS[2]) end
redis.call('DEL', ARGV[8])
return read_head()
