-- claim (Inbox.claim): takes the follower's lease for a new turn and reads their oldest message.
-- KEYS[1] the follower's lease   KEYS[2] inbox   KEYS[3] followers with an inbox   KEYS[4] memory   KEYS[5] pending
-- KEYS[6] latest photo
-- ARGV[1] the turn's token   ARGV[2] lease (ms)   ARGV[3] openid   ARGV[4] progress key prefix
-- ARGV[5] progress ttl (ms)   ARGV[6] memory ttl (ms)
-- Returns {'taken'} when another turn holds the lease, else what read_head returns ({'idle'} or {'turn', ...}).
--! include read-head
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'taken'} end
return read_head()
