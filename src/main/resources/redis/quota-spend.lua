-- quota-spend (Quotas.spend): the tokens the model spent on a follower's answer count against today's quota, once
-- per message (a resumed turn's second answer to the same message, after a crash, is not counted again).
-- KEYS[1] the follower's quota hash for today
-- ARGV[1] the message's key   ARGV[2] tokens spent   ARGV[3] the hash's time to live (ms): past the day's end
-- Returns the day's tokens so far.
local spent = 't:' .. ARGV[1]
if redis.call('HSETNX', KEYS[1], spent, ARGV[2]) == 0 then
  return tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
end
local tokens = redis.call('HINCRBY', KEYS[1], 'tokens', tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tokens
