-- keep-pending (Inbox.keepPending, Inbox.endDelivery): replaces the rest kept for the continue command; with
-- ARGV[5] '1' the message's delivery ended here (a dead letter follows), so a resumed turn sends nothing more.
-- KEYS[1] the follower's lease   KEYS[2] pending   KEYS[3] the message's progress
-- ARGV[1] the turn's token   ARGV[2] the rest ('' none)   ARGV[3] pending ttl (ms)   ARGV[4] lease (ms)
-- ARGV[5] '1': delivery over
-- Returns 1, or 0 (nothing written) when the turn lost the lease.
--! include own
if not own(KEYS[1], KEYS[3], ARGV[1], ARGV[4]) then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
if ARGV[5] == '1' then redis.call('HSET', KEYS[3], 'over', '1') end
return 1
