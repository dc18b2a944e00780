-- orphans (Inbox.orphans): followers with unanswered messages whom nobody is answering: their owner crashed,
-- stopped, or was never woken. A follower whose inbox is empty leaves the set.
-- KEYS[1] followers with an inbox
-- ARGV[1] the key prefix (their lease is <prefix>owner:<openid>, their inbox <prefix>inbox:<openid>)
-- Returns the openids.
local orphans = {}
for _, openid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'owner:' .. openid) == 0 then
    if redis.call('LLEN', ARGV[1] .. 'inbox:' .. openid) > 0 then
      table.insert(orphans, openid)
    else
      redis.call('SREM', KEYS[1], openid)
    end
  end
end
return orphans
