-- forget-letters (Followers.forget, second step): a follower who unfollowed keeps their dead letters only as
-- records: the question, its recognition, the encrypted original and the unsent answer go, and the letter is marked
-- forgotten (never replayed). Running twice changes nothing more.
-- KEYS[1] dead letters   KEYS[2] the follower's dead letters
-- Returns how many letters were stripped now.
local stripped = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local raw = redis.call('HGET', KEYS[1], id)
  local ok, letter = pcall(cjson.decode, raw or '')
  if ok and type(letter) == 'table' and not letter.forgotten then
    if type(letter.message) == 'table' then
      letter.message.Content = nil; letter.message.Recognition = nil; letter.message.Encrypt = nil
    end
    letter.unsent = nil
    letter.forgotten = true
    redis.call('HSET', KEYS[1], id, cjson.encode(letter))
    stripped = stripped + 1
  end
end
return stripped
