-- model-pause (ProviderLimits.pause): the provider answered 429 or 503 with Retry-After: no instance calls it until
-- then (model-permit makes every turn wait, in line). A pause never shortens one already longer.
-- KEYS[1] the provider's limits (model-permit)
-- ARGV[1] how long (ms)
-- Returns how long the provider is paused from now (ms).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local current = tonumber(redis.call('HGET', KEYS[1], 'until')) or 0
local paused = math.max(current, now + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'until', paused)
redis.call('PEXPIRE', KEYS[1], paused - now + 60000)
return paused - now
