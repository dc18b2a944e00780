-- admit (Admission.admit): everything a callback asks of the follower's keys, in one atomic step: is the message a
-- duplicate or a re-delivery, is the follower over the inbox cap or the rate limit, is an earlier answer owed to
-- them (it goes back in this message's reply), and for a question, the message appended to the follower's inbox.
-- Duplicate and re-delivery come first; a refusal decided by the callback (ARGV[18]) counts only for a new
-- question, and an owed answer is handed out all the same. (A plaintext callback's signature was spent before, by
-- spend-signature.)
-- KEYS[1] the message's dedup record   KEYS[2] the follower's rate count   KEYS[3] inbox   KEYS[4] the set of
-- followers with unanswered messages   KEYS[5] the message's reply slot   KEYS[6] outbox   KEYS[7] pending
-- ARGV[1] dedup ttl (s)   ARGV[2] '1': a question   ARGV[3] questions a minute (0: no limit)   ARGV[4] the inbox
-- entry   ARGV[5] openid   ARGV[6] inbox cap (0: none)   ARGV[7] the delivery mode in force (hybrid, passive, push)
-- ARGV[8] '1': the message may carry an owed answer   ARGV[9] '1': the continue command   ARGV[10] reply slot key
-- prefix   ARGV[11] retry window (ms)   ARGV[12] pending ttl (ms)   ARGV[13] the queued hint   ARGV[14] passive
-- reply byte limit   ARGV[15] reply slot ttl (ms)   ARGV[16] the inbox-full hint   ARGV[17] the rate-limited hint
-- ARGV[18] the callback's refusal of a new question ('' none, 'busy', 'ignored')   ARGV[19] the busy hint
-- Returns {outcome, mode, reply, deliveries, queued, arrival, entry}, the last five only where they apply:
-- duplicate, retry (with deliveries), full, limited, busy, ignored, pickup (an owed answer is the reply; queued
-- '1' when the question went into the inbox as well), accepted, new.
--! include reply-slots
local mode = ARGV[7]
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  -- a re-delivery: answered as the first delivery was, never admitted twice
  if redis.call('EXISTS', KEYS[5]) == 0 then return {'duplicate', mode} end
  return {'retry', mode, '', tostring(redis.call('HINCRBY', KEYS[5], 'n', 1)), '0', '0'}
end
local question = ARGV[2] == '1'
local refused = nil
if question and ARGV[18] ~= '' then
  -- a new question the callback refuses (no trigger prefix, or the answering side is saturated)
  refused = ARGV[18]
elseif question then
  local inboxMax = tonumber(ARGV[6])
  if inboxMax > 0 and redis.call('LLEN', KEYS[3]) >= inboxMax then
    refused = 'full'
  else
    local limit = tonumber(ARGV[3])
    if limit > 0 then
      local n = redis.call('INCR', KEYS[2])
      if n == 1 then redis.call('EXPIRE', KEYS[2], 60) end
      if n > limit then refused = 'limited' end
    end
  end
end
local reply, at, given = '', '0', ''
if ARGV[8] == '1' then
  -- an answer owed to the follower goes first, whatever else this message gets
  local suffix = ''
  if refused == 'full' then suffix = ARGV[16]
  elseif refused == 'limited' then suffix = ARGV[17]
  elseif refused == 'busy' then suffix = ARGV[19]
  elseif refused == 'ignored' then suffix = ''
  elseif question and ARGV[9] ~= '1' and mode == 'passive' then suffix = ARGV[13] end
  reply, at, given = pickup(KEYS[6], ARGV[10], ARGV[11], KEYS[5], ARGV[15], KEYS[7], ARGV[12], suffix, ARGV[14])
end
if refused then
  if reply ~= '' then return {'pickup', mode, reply, '1', '0', at, given} end
  return {refused, mode}
end
-- a continue command that got an owed answer is answered by it
if question and not (reply ~= '' and ARGV[9] == '1') then
  redis.call('RPUSH', KEYS[3], ARGV[4])
  redis.call('SADD', KEYS[4], ARGV[5])
  if reply ~= '' then return {'pickup', mode, reply, '1', '1', at, given} end
  if mode ~= 'push' then
    redis.call('HSET', KEYS[5], 'n', 1, 't', now_ms()); redis.call('PEXPIRE', KEYS[5], ARGV[15])
  end
  return {'accepted', mode}
end
if reply ~= '' then return {'pickup', mode, reply, '1', '0', at, given} end
return {'new', mode}
