-- commit (Inbox.commit): what the turn decided, in one step: the text (so a resumed turn sends the same), whether
-- the model wrote it (a resumed turn labels it as this one would), the conversation, and the rest kept for the
-- continue command; the photo the follower's next text questions are asked with, and a reset forgets it.
-- KEYS[1] the follower's lease   KEYS[2] the message's progress   KEYS[3] memory   KEYS[4] pending   KEYS[5] inbox
-- KEYS[6] latest photo
-- ARGV[1] the turn's token   ARGV[2] lease (ms)   ARGV[3] the text   ARGV[4] progress ttl (ms)
-- ARGV[5] memory: 'set', 'del' or 'keep'   ARGV[6] the new memory   ARGV[7] memory ttl (ms)
-- ARGV[8] the rest for continue ('' none)   ARGV[9] pending ttl (ms)   ARGV[10] the turn's head (inbox entry)
-- ARGV[11] pending: 'cas' (drop only the rest ARGV[12] this turn read: a hand-out may have kept a newer one) or
--          anything else (set ARGV[8])
-- ARGV[12] the rest the turn read   ARGV[13] '1' when the model wrote the text
-- ARGV[14] the photo to keep (its inbox entry; '' none)   ARGV[15] how long it is kept (ms)
-- Returns 1, or 0 (nothing written) when the lease was lost: another turn holds it, or it lapsed and the message is
-- no longer the head, or somebody decided its text meanwhile. A lapsed lease nobody took is taken back otherwise.
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] then
  if holder or redis.call('LINDEX', KEYS[5], 0) ~= ARGV[10]
     or redis.call('HEXISTS', KEYS[2], 'answer') == 1 then return 0 end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('HSET', KEYS[2], 'answer', ARGV[3], 'by', ARGV[1]); redis.call('PEXPIRE', KEYS[2], ARGV[4])
if ARGV[13] == '1' then redis.call('HSET', KEYS[2], 'label', '1') else redis.call('HDEL', KEYS[2], 'label') end
if ARGV[5] == 'set' then redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
elseif ARGV[5] == 'del' then redis.call('DEL', KEYS[3], KEYS[6]) end
if ARGV[14] ~= '' then redis.call('SET', KEYS[6], ARGV[14], 'PX', ARGV[15]) end
if ARGV[11] == 'cas' then
  if (redis.call('GET', KEYS[4]) or '') == ARGV[12] then redis.call('DEL', KEYS[4]) end
elseif ARGV[8] == '' then redis.call('DEL', KEYS[4]) else redis.call('SET', KEYS[4], ARGV[8], 'PX', ARGV[9]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
