-- migrate-set (LegacyKeys): an old set (a follower's dead letters) joins its new name, and goes.
-- KEYS[1] the old set   KEYS[2] the new set
-- Returns how many members the new set has.
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SUNIONSTORE', KEYS[2], KEYS[1], KEYS[2]); redis.call('DEL', KEYS[1])
end
return redis.call('SCARD', KEYS[2])
