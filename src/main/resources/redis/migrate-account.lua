-- migrate-account (LegacyKeys, after an upgrade from a release whose keys had no hash tags): the account's keys
-- move to their new names: the dead letters with their index, and the learned delivery mode. Letters a new instance
-- recorded meanwhile win over old ones of the same message. Single Redis server only, like migrate-follower.
-- KEYS[1] old dead letters   KEYS[2] old dead letters by time   KEYS[3] old delivery mode   KEYS[4] new dead letters
-- KEYS[5] new dead letters by time   KEYS[6] new delivery mode
-- Returns how many letters moved.
local moved = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('EXISTS', KEYS[4]) == 0 then
    moved = redis.call('HLEN', KEYS[1]); redis.call('RENAME', KEYS[1], KEYS[4])
  else
    local all = redis.call('HGETALL', KEYS[1])
    for i = 1, #all, 2 do moved = moved + redis.call('HSETNX', KEYS[4], all[i], all[i + 1]) end
    redis.call('DEL', KEYS[1])
  end
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('EXISTS', KEYS[5]) == 0 then
    redis.call('RENAME', KEYS[2], KEYS[5])
  else
    local all = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
    for i = 1, #all, 2 do redis.call('ZADD', KEYS[5], 'NX', all[i + 1], all[i]) end
    redis.call('DEL', KEYS[2])
  end
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  if redis.call('EXISTS', KEYS[6]) == 0 then redis.call('RENAME', KEYS[3], KEYS[6]) else redis.call('DEL', KEYS[3]) end
end
return moved
