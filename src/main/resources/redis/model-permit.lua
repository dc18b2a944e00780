-- model-permit (ProviderLimits.permit): may this turn call the provider now? Every instance asks here, so the
-- provider's limits hold for all of them together: one token bucket for requests, one for tokens (when a limit is set),
-- each refilled at its limit's rate and holding at most a burst's share of it. Turns that must wait stand in a line by
-- the arrival of their message, whichever follower and instance: a turn is let through only while its place in line
-- is within what the requests bucket holds, so a later question never overtakes an earlier one that waits. A waiting
-- turn keeps its place while it asks again by the time it was told (plus a grace); a turn that does not (its instance
-- died) leaves the line when it reaches the front, and when its message is taken up again it stands at its arrival.
-- A Retry-After (model-pause) makes every turn wait until it is over, in line.
-- KEYS[1] the provider's limits: r, t (what each bucket holds), at (when they were last filled, ms), until (ms)
-- KEYS[2] the provider's line: turns by their message's arrival (ms)
-- KEYS[3] the turns in line: "<ms by which it asks again>:<ms it first asked>"
-- ARGV[1] the turn (account, openid, message key)   ARGV[2] its message's arrival (ms)
-- ARGV[3] requests a minute (0: no limit)   ARGV[4] tokens a minute (0: no limit)   ARGV[5] the burst (ms)
-- ARGV[6] the tokens the call may spend (estimated)   ARGV[7] the grace (ms)
-- Returns {1, ms it waited} when the turn may call (taken from the buckets), {0, ms to wait} when it must wait.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local rpm, tpm = tonumber(ARGV[3]), tonumber(ARGV[4])
local burst, estimate, grace = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local state = redis.call('HMGET', KEYS[1], 'r', 't', 'at', 'until')
local rCap = math.max(1, rpm * burst / 60000)
local tCap = math.max(1, tpm * burst / 60000)
local r, t = tonumber(state[1]) or rCap, tonumber(state[2]) or tCap
local at = tonumber(state[3]) or now
local paused = tonumber(state[4]) or 0
local elapsed = math.max(0, now - at)
r = math.min(rCap, r + elapsed * rpm / 60000)
t = math.min(tCap, t + elapsed * tpm / 60000)
local function save()
  redis.call('HSET', KEYS[1], 'r', tostring(r), 't', tostring(t), 'at', now)
  redis.call('PEXPIRE', KEYS[1], math.max(0, paused - now) + math.max(burst, 60000))
end

-- the front of the line: turns that did not ask again in time leave it
local ahead = redis.call('ZRANGE', KEYS[2], 0, 19)
for _, turn in ipairs(ahead) do
  local entry = redis.call('HGET', KEYS[3], turn)
  local due = entry and tonumber(string.match(entry, '^(%d+):')) or 0
  if due < now then
    redis.call('ZREM', KEYS[2], turn); redis.call('HDEL', KEYS[3], turn)
  end
end

local entry = redis.call('HGET', KEYS[3], ARGV[1])
local first = entry and tonumber(string.match(entry, ':(%d+)$')) or now
local rank = redis.call('ZRANK', KEYS[2], ARGV[1])
if not rank then
  -- not in line: behind every turn in it that arrived earlier
  rank = redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. ARGV[2])
end

local wait = 0
if paused > now then
  wait = paused - now
end
if rpm > 0 and rank + 1 > r then
  wait = math.max(wait, math.ceil((rank + 1 - r) * 60000 / rpm))
end
-- enough for the turns ahead of it too (as large as its own), at most what the bucket holds
local need = math.min(estimate * (rank + 1), tCap)
if tpm > 0 and t < need then
  wait = math.max(wait, math.ceil((need - t) * 60000 / tpm))
end

if wait > 0 then
  redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], (now + wait + grace) .. ':' .. first)
  local keep = wait + grace + 60000
  redis.call('PEXPIRE', KEYS[2], keep); redis.call('PEXPIRE', KEYS[3], keep)
  save()
  return {0, wait}
end
r = r - 1
if tpm > 0 then
  t = t - estimate
end
if entry then
  redis.call('ZREM', KEYS[2], ARGV[1]); redis.call('HDEL', KEYS[3], ARGV[1])
end
save()
return {1, now - first}
