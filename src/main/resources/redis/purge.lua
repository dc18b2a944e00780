-- purge (DeadLetters.purge): the oldest letters that died before a time, a batch at a time.
-- KEYS[1] dead letters   KEYS[2] dead letters by time
-- ARGV[1] the cutoff (epoch ms)   ARGV[2] at most this many   ARGV[3] a follower's dead letters' key without the
-- openid
-- Returns how many went.
local purged = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])) do
  local ok, letter = pcall(cjson.decode, redis.call('HGET', KEYS[1], id) or '')
  if ok and type(letter) == 'table' and type(letter.openid) == 'string' then
    redis.call('SREM', ARGV[3] .. letter.openid, id)
  end
  purged = purged + redis.call('HDEL', KEYS[1], id); redis.call('ZREM', KEYS[2], id)
end
return purged
