-- adopt-message (Admission, for a while after an upgrade from a release whose keys had no hash tags): a message's
-- de-duplication record and reply slot written under their old names (the message was answered and left its inbox
-- before the upgrade, so the migration could not know its follower) move under the follower's, so WeChat
-- delivering it again is still recognised. Single Redis server only, like migrate-follower.
-- KEYS[1] old dedup record   KEYS[2] old reply slot   KEYS[3] new dedup record   KEYS[4] new reply slot
-- Returns how many keys moved.
local moved = 0
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    if redis.call('EXISTS', KEYS[i + 2]) == 0 then redis.call('RENAME', KEYS[i], KEYS[i + 2]); moved = moved + 1
    else redis.call('DEL', KEYS[i]) end
  end
end
return moved
