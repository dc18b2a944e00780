-- migrate-follower (LegacyKeys, after an upgrade from a release whose keys had no hash tags): one follower's keys
-- move to their new names in one step. Only where the old layout could run, a single Redis server, so this script
-- alone may touch keys of several slots. Messages keep their order: old ones (older) go before any a new instance
-- queued meanwhile; a conversation or rest written anew meanwhile wins over the old one. Skipped while a lease is
-- held, old (that instance's turn still writes the old names) or new (a turn reading the new inbox would find an
-- older message put before the one it answers): the next pass moves the follower.
-- KEYS[1] old inbox   KEYS[2] old lease   KEYS[3] old memory   KEYS[4] old pending   KEYS[5] old outbox
-- KEYS[6] old rate count   KEYS[7] old unsubscribe marker   KEYS[8] old set of followers with an inbox
-- KEYS[9] new inbox   KEYS[10] new memory   KEYS[11] new pending   KEYS[12] new outbox   KEYS[13] new rate count
-- KEYS[14] new unsubscribe marker   KEYS[15] the new set of followers waiting   KEYS[16] new lease
-- ARGV[1] openid   ARGV[2] the old key prefix (a message's keys were <prefix>progress:<key>, reply:, dedup:)
-- ARGV[3] the start of the follower's new keys (<start>progress:<key>, reply:, dedup:)
-- Returns 'busy' (a lease is held, nothing moved) or 'moved'.
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[16]) == 1 then return 'busy' end
local function move(from, to)
  if redis.call('EXISTS', from) == 0 then return end
  if redis.call('EXISTS', to) == 0 then redis.call('RENAME', from, to) else redis.call('DEL', from) end
end
local function move_message(key)
  for _, kind in ipairs({'progress:', 'reply:', 'dedup:'}) do move(ARGV[2] .. kind .. key, ARGV[3] .. kind .. key) end
end
local function message_key(raw)
  local ok, m = pcall(cjson.decode, raw)
  if not ok or type(m) ~= 'table' then return nil end
  if type(m.Key) == 'string' then return m.Key end
  if type(m.MsgId) == 'string' and string.find(m.MsgId, '%S') then return string.match(m.MsgId, '^%s*(.-)%s*$') end
  return tostring(m.FromUserName) .. ':' .. tostring(m.CreateTime)
end
local function merge_list(from, to, key_of)
  local entries = redis.call('LRANGE', from, 0, -1)
  if #entries == 0 then return 0 end
  for _, raw in ipairs(entries) do
    local key = key_of(raw)
    if key then move_message(key) end
  end
  if redis.call('EXISTS', to) == 0 then
    redis.call('RENAME', from, to)
  else
    for i = #entries, 1, -1 do redis.call('LPUSH', to, entries[i]) end
    redis.call('DEL', from)
  end
  return #entries
end
if merge_list(KEYS[1], KEYS[9], message_key) > 0 then redis.call('SADD', KEYS[15], ARGV[1]) end
redis.call('SREM', KEYS[8], ARGV[1])
merge_list(KEYS[5], KEYS[12], function(raw)
  local ok, e = pcall(cjson.decode, raw)
  if ok and type(e) == 'table' and type(e.k) == 'string' then return e.k end
  return nil
end)
move(KEYS[3], KEYS[10]); move(KEYS[4], KEYS[11]); move(KEYS[6], KEYS[13]); move(KEYS[7], KEYS[14])
return 'moved'
