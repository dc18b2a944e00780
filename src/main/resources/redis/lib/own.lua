-- own(owner, progress, token, lease): whether the turn (still) owns the follower's lease, renewing it when it does.
-- owner: the lease key, holding the turn's token; progress: the message's progress hash; lease: milliseconds.
-- A lease that lapsed while Redis stalled and that nobody took since is taken back, but only while this turn's
-- decision (progress 'by') still stands: a successor that decided, or finished the message (its progress gone), wins.
local function own(owner, progress, token, lease)
  local holder = redis.call('GET', owner)
  if holder == token then redis.call('PEXPIRE', owner, lease); return true end
  if holder or redis.call('HGET', progress, 'by') ~= token then return false end
  redis.call('SET', owner, token, 'PX', lease); return true
end
