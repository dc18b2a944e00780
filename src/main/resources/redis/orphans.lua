-- orphans (Inbox.orphans): followers with unanswered messages whom nobody is answering: their owner crashed,
-- stopped, or was never woken. A follower whose inbox is empty leaves the set.
-- KEYS[1] a set of followers with unanswered messages (each follower's keys are in its slot)
-- ARGV[1], ARGV[2] what comes before and after the openid in a follower's lease key
-- ARGV[3], ARGV[4] the same for their inbox key
-- Returns the openids.
local orphans = {}
for _, openid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. openid .. ARGV[2]) == 0 then
    if redis.call('LLEN', ARGV[3] .. openid .. ARGV[4]) > 0 then
      table.insert(orphans, openid)
    else
      redis.call('SREM', KEYS[1], openid)
    end
  end
end
return orphans
