-- model-settle (ProviderLimits.settle): the provider answered and counted the tokens the call spent: the tokens bucket
-- gets back what the permit took beyond them (or gives what it took too little), never more than it holds at most.
-- KEYS[1] the provider's limits (model-permit)
-- ARGV[1] tokens a minute   ARGV[2] the burst (ms)   ARGV[3] tokens the permit took   ARGV[4] tokens spent
-- Returns what the bucket holds now (tokens, rounded down), or -1 when the provider's limits are gone (expired).
local t = tonumber(redis.call('HGET', KEYS[1], 't'))
if not t then
  return -1
end
local cap = math.max(1, tonumber(ARGV[1]) * tonumber(ARGV[2]) / 60000)
t = math.min(cap, t + tonumber(ARGV[3]) - tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 't', tostring(t))
return math.floor(t)
