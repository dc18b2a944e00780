-- forget (Followers.forget): what a follower left before their unsubscribe event, removed in one step: queued
-- messages with their progress and reply slots, answers owed for them, the conversation and the photo it was about,
-- the rest of a long answer,
-- the rate count and the lease (a turn still in flight then fails its lease checks and writes nothing more); their
-- dead letters are stripped next, by forget-letters. "Before": created in an earlier second, or in
-- the event's second and arrived no later than it first did. The marker keeps that first arrival, so WeChat
-- re-delivering the event later (after a 503, say) does not take what the follower asked after following again.
-- Running twice removes nothing more.
-- KEYS[1] the set of followers with unanswered messages   KEYS[2] inbox   KEYS[3] lease   KEYS[4] memory
-- KEYS[5] pending   KEYS[6] outbox   KEYS[7] rate count   KEYS[8] the unsubscribe marker   KEYS[9] latest photo
-- ARGV[1] openid   ARGV[2] the event's CreateTime (s)   ARGV[3] when it arrived (epoch ms)   ARGV[4] the prefix of
-- the follower's progress keys   ARGV[5] the prefix of their reply slots   ARGV[6] the marker's ttl (ms)
-- Returns how many queued messages and owed answers went.
local t = tonumber(ARGV[2]) or 0
local cutoff = tonumber(ARGV[3])
local first = redis.call('GET', KEYS[8])
if first then
  local ct, at = string.match(first, '^(%d+):(%d+)$')
  if tonumber(ct) == t then cutoff = math.min(cutoff, tonumber(at)) end
end
redis.call('SET', KEYS[8], string.format('%d:%d', t, cutoff), 'PX', ARGV[6])
local function before(created, arrived)
  local c = tonumber(created) or 0
  return c < t or (c == t and (tonumber(arrived) or 0) <= cutoff)
end
local removed = 0
for _, raw in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  local ok, m = pcall(cjson.decode, raw)
  if not ok or type(m) ~= 'table' or before(m.CreateTime, m.At) then
    redis.call('LREM', KEYS[2], 1, raw)
    if ok and type(m) == 'table' and type(m.Key) == 'string' then
      redis.call('DEL', ARGV[4] .. m.Key, ARGV[5] .. m.Key)
    end
    removed = removed + 1
  end
end
if redis.call('LLEN', KEYS[2]) == 0 then redis.call('SREM', KEYS[1], ARGV[1]) end
for _, raw in ipairs(redis.call('LRANGE', KEYS[6], 0, -1)) do
  local ok, e = pcall(cjson.decode, raw)
  if not ok or type(e) ~= 'table' or (tonumber(e.at) or 0) <= cutoff then
    redis.call('LREM', KEYS[6], 1, raw)
    if ok and type(e) == 'table' and type(e.k) == 'string' then
      redis.call('DEL', ARGV[5] .. e.k)
    end
    removed = removed + 1
  end
end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[7], KEYS[9])
return removed
