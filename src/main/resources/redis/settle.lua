-- settle (Outbox.settle): the callback's deadline came, and what it answers is decided in one step. Hybrid: the
-- answer is pushed when it comes. Passive: the last delivery gets the placeholder (the answer is then owed to the
-- follower's next message); an earlier one is held, so that WeChat re-sends.
-- KEYS[1] the message's reply slot   KEYS[2] the follower's outbox   KEYS[3] pending
-- ARGV[1] the message's key   ARGV[2] reply slot ttl (ms)   ARGV[3] pending ttl (ms)   ARGV[4] delivery mode
-- ARGV[5] '1': WeChat's last delivery of the message   ARGV[6] the replies channel
-- ARGV[7] '0': too late for this delivery to carry the answer (it stays owed)
-- Returns what take returns when decided, else {'push'} (published on the channel), {'hold'} or {'placeholder'}.
--! include reply-slots
local taken = take(KEYS[1], KEYS[2], ARGV[1], ARGV[2], KEYS[3], ARGV[3], ARGV[7])
if taken then return taken end
if ARGV[4] ~= 'passive' then
  redis.call('HSET', KEYS[1], 'state', 'push'); redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PUBLISH', ARGV[6], ARGV[1])
  return {'push'}
end
if ARGV[5] ~= '1' then return {'hold'} end
redis.call('HSET', KEYS[1], 'state', 'placeholder'); redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {'placeholder'}
