-- usage-add (UsageLedger.add): the tokens the model spent on a follower's answer, added to their account's usage of
-- the day (for the console's top followers), kept for chat.usage.retention.
-- KEYS[1] the account's usage of the day (sorted set: OpenID, tokens)
-- ARGV[1] the follower's OpenID   ARGV[2] tokens   ARGV[3] the set's time to live (ms)
-- Returns the follower's tokens that day.
local tokens = redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return tonumber(tokens)
