-- renew (Inbox heartbeat): every lease of this instance's running turns in one step.
-- KEYS[i] a follower's lease
-- ARGV[1] lease (ms)   ARGV[i + 1] the token of the turn that should hold KEYS[i]
-- Returns how many leases were renewed (a lease another turn holds is left alone).
local renewed = 0
for i, owner in ipairs(KEYS) do
  if redis.call('GET', owner) == ARGV[i + 1] then redis.call('PEXPIRE', owner, ARGV[1]); renewed = renewed + 1 end
end
return renewed
