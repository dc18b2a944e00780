-- give-back (Outbox.giveBack): an answer handed to a callback too late to reach WeChat goes back to the front of
-- the outbox, owed again, unless that hand-out was undone already.
-- KEYS[1] the reply slot of the message it was given to   KEYS[2] the follower's outbox   KEYS[3] pending
-- ARGV[1] the outbox entry as taken   ARGV[2] the reply given   ARGV[3] outbox ttl (ms)
-- Returns 1 when given back, 0 when the slot no longer holds that reply.
if redis.call('HGET', KEYS[1], 'given') ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], 'given')
redis.call('LPUSH', KEYS[2], ARGV[1]); redis.call('PEXPIRE', KEYS[2], ARGV[3])
local entry = cjson.decode(ARGV[1])
if entry.rest and entry.rest ~= '' and redis.call('GET', KEYS[3]) == entry.rest then
  redis.call('DEL', KEYS[3])
end
return 1
