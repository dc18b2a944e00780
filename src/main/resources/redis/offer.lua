-- offer (Outbox.offer): a turn's answer, offered to its message's callbacks (or, once they are over, to the
-- follower's next message), while the turn holds its lease. Once per message (progress 'offered'), so a resumed
-- turn does not offer twice. Hybrid pushes what does not fit one reply or comes after its callbacks stopped waiting.
-- KEYS[1] the follower's lease   KEYS[2] the message's progress   KEYS[3] its reply slot   KEYS[4] the outbox
-- KEYS[5] pending
-- ARGV[1] the turn's token   ARGV[2] lease (ms)   ARGV[3] delivery mode   ARGV[4] the outbox entry (JSON: k, reply,
-- rest, at)   ARGV[5] '1': the answer fits one reply   ARGV[6] retry window (ms)   ARGV[7] outbox ttl (ms)
-- ARGV[8] the replies channel   ARGV[9] the message's key   ARGV[10] the rest this turn kept for a push ('' none)
-- Returns 'lost' (nothing written), 'offered' (now, or by an earlier turn) or 'push'.
--! include reply-slots
--! include own
if not own(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) then return 'lost' end
if redis.call('HGET', KEYS[2], 'offered') then return 'offered' end
if ARGV[3] == 'hybrid' and (ARGV[5] ~= '1' or closed(KEYS[3], ARGV[6])) then
  if redis.call('EXISTS', KEYS[3]) == 1 then
    redis.call('HSET', KEYS[3], 'state', 'push'); redis.call('PUBLISH', ARGV[8], ARGV[9])
  end
  return 'push'
end
redis.call('RPUSH', KEYS[4], ARGV[4]); redis.call('PEXPIRE', KEYS[4], ARGV[7])
redis.call('HSET', KEYS[2], 'offered', '1')
-- the rest this turn kept for a push is in the entry now (unless a pickup replaced it meanwhile)
if ARGV[10] ~= '' and redis.call('GET', KEYS[5]) == ARGV[10] then redis.call('DEL', KEYS[5]) end
redis.call('PUBLISH', ARGV[8], ARGV[9])
return 'offered'
