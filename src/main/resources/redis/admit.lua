-- admit (Admission.admit): everything a callback asks of Redis, in one atomic step: is the signed request a
-- replay, is the message a duplicate or a re-delivery, is the follower over the inbox cap or the rate limit, is an
-- earlier answer owed to them (it goes back in this message's reply), and for a question, the message appended to
-- the follower's inbox. Replay, duplicate and re-delivery come first; a refusal decided by the callback (ARGV[20])
-- counts only for a new question, and an owed answer is handed out all the same.
-- KEYS[1] the replay record of the signed request   KEYS[2] the message's dedup record   KEYS[3] the follower's
-- rate count   KEYS[4] inbox   KEYS[5] followers with an inbox   KEYS[6] the message's reply slot   KEYS[7] outbox
-- KEYS[8] pending   KEYS[9] the learned delivery mode
-- ARGV[1] replay ttl (s)   ARGV[2] dedup ttl (s)   ARGV[3] '1': a question   ARGV[4] questions a minute (0: none)
-- ARGV[5] the inbox entry   ARGV[6] openid   ARGV[7] inbox cap (0: none)   ARGV[8] digest of the request's body
-- ARGV[9] delivery mode (auto, hybrid, passive, push)   ARGV[10] '1': the message may carry an owed answer
-- ARGV[11] '1': the continue command   ARGV[12] reply slot key prefix   ARGV[13] retry window (ms)
-- ARGV[14] pending ttl (ms)   ARGV[15] the queued hint   ARGV[16] passive reply byte limit
-- ARGV[17] reply slot ttl (ms)   ARGV[18] the inbox-full hint   ARGV[19] the rate-limited hint
-- ARGV[20] the callback's refusal of a new question ('' none, 'busy', 'ignored')   ARGV[21] the busy hint
-- Returns {outcome, mode, reply, deliveries, queued, arrival, entry}, the last five only where they apply:
-- replay, duplicate, retry (with deliveries), full, limited, busy, ignored, pickup (an owed answer is the reply;
-- queued '1' when the question went into the inbox as well), accepted, new.
-- The replay record holds a digest of the request's body: WeChat re-sending the same message may reuse the very
-- same signed query string with the very same body; any other body under it is a replay, and locks the request.
--! include reply-slots
local mode = ARGV[9]
if mode == 'auto' then
  if redis.call('GET', KEYS[9]) == 'passive' then mode = 'passive' else mode = 'hybrid' end
end
local reused = not redis.call('SET', KEYS[1], ARGV[8], 'NX', 'EX', ARGV[1])
if reused and redis.call('GET', KEYS[1]) ~= ARGV[8] then
  redis.call('SET', KEYS[1], 'locked', 'KEEPTTL')
  return {'replay', mode}
end
local fresh = redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2])
if reused or not fresh then
  -- a re-delivery: answered as the first delivery was, never admitted twice (even once dedup lapsed)
  if redis.call('EXISTS', KEYS[6]) == 0 then return {'duplicate', mode} end
  return {'retry', mode, '', tostring(redis.call('HINCRBY', KEYS[6], 'n', 1)), '0', '0'}
end
local question = ARGV[3] == '1'
local refused = nil
if question and ARGV[20] ~= '' then
  -- a new question the callback refuses (no trigger prefix, or the answering side is saturated)
  refused = ARGV[20]
elseif question then
  local inboxMax = tonumber(ARGV[7])
  if inboxMax > 0 and redis.call('LLEN', KEYS[4]) >= inboxMax then
    refused = 'full'
  else
    local limit = tonumber(ARGV[4])
    if limit > 0 then
      local n = redis.call('INCR', KEYS[3])
      if n == 1 then redis.call('EXPIRE', KEYS[3], 60) end
      if n > limit then refused = 'limited' end
    end
  end
end
local reply, at, given = '', '0', ''
if ARGV[10] == '1' then
  -- an answer owed to the follower goes first, whatever else this message gets
  local suffix = ''
  if refused == 'full' then suffix = ARGV[18]
  elseif refused == 'limited' then suffix = ARGV[19]
  elseif refused == 'busy' then suffix = ARGV[21]
  elseif refused == 'ignored' then suffix = ''
  elseif question and ARGV[11] ~= '1' and mode == 'passive' then suffix = ARGV[15] end
  reply, at, given = pickup(KEYS[7], ARGV[12], ARGV[13], KEYS[6], ARGV[17], KEYS[8], ARGV[14], suffix, ARGV[16])
end
if refused then
  if reply ~= '' then return {'pickup', mode, reply, '1', '0', at, given} end
  return {refused, mode}
end
-- a continue command that got an owed answer is answered by it
if question and not (reply ~= '' and ARGV[11] == '1') then
  redis.call('RPUSH', KEYS[4], ARGV[5])
  redis.call('SADD', KEYS[5], ARGV[6])
  if reply ~= '' then return {'pickup', mode, reply, '1', '1', at, given} end
  if mode ~= 'push' then
    redis.call('HSET', KEYS[6], 'n', 1, 't', now_ms()); redis.call('PEXPIRE', KEYS[6], ARGV[17])
  end
  return {'accepted', mode}
end
if reply ~= '' then return {'pickup', mode, reply, '1', '0', at, given} end
return {'new', mode}
