-- quota-take (Quotas.take): a question of the follower's counts against today's quota, once per message: a turn that
-- resumes a message counted before takes nothing more. Refused (nothing counted) when today's questions or tokens
-- already reached their limit. The day's hash: field "questions", field "tokens", and "m:<MsgId>" per message counted.
-- KEYS[1] the follower's quota hash for today
-- ARGV[1] the message's key   ARGV[2] questions a day (0: no limit)   ARGV[3] tokens a day (0: no limit)
-- ARGV[4] the hash's time to live (ms): past the day's end
-- Returns 1 when the question may be asked, 0 when the quota is spent.
local counted = 'm:' .. ARGV[1]
if redis.call('HEXISTS', KEYS[1], counted) == 1 then
  return 1
end
local questions = tonumber(redis.call('HGET', KEYS[1], 'questions') or '0')
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
local maxQuestions = tonumber(ARGV[2])
local maxTokens = tonumber(ARGV[3])
if (maxQuestions > 0 and questions >= maxQuestions) or (maxTokens > 0 and tokens >= maxTokens) then
  return 0
end
redis.call('HSET', KEYS[1], counted, '1')
redis.call('HINCRBY', KEYS[1], 'questions', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
