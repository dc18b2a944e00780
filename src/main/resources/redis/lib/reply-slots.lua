-- Reply slots and the outbox, shared by admit, take, settle and offer. Times are milliseconds from Redis's own
-- clock, the same for every instance.
--   now_ms()
--   closed(slot, window): no callback of this message waits for its answer any more, so it may go to any later one
--   give(outbox, raw, entry, slot, slot_ttl, pending, pending_ttl, suffix, max_bytes): the entry leaves the outbox,
--     its reply is given to the slot's message (with suffix if it fits max_bytes), its rest kept for continue;
--     returns the reply, when the answered question's callback arrived, and the entry as it was (to put back)
--   pickup(outbox, slot_prefix, window, slot, slot_ttl, pending, pending_ttl, suffix, max_bytes): the oldest owed
--     answer whose own callbacks are over, given to this message; '' when none
--   take(slot, outbox, key, slot_ttl, pending, pending_ttl, may_take): what this message's callbacks answer, if
--     decided: {path, text, arrival of the answered callback, entry}; may_take '0': too late for this delivery to
--     carry it (WeChat gave up on it), so it stays owed
local function now_ms()
  local t = redis.call('TIME'); return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function closed(slot, window)
  local s = redis.call('HMGET', slot, 't', 'given', 'state')
  if not s[1] or s[2] or s[3] then return true end
  return now_ms() - tonumber(s[1]) > tonumber(window)
end
local function give(outbox, raw, entry, slot, slot_ttl, pending, pending_ttl, suffix, max_bytes)
  redis.call('LREM', outbox, 1, raw)
  if entry.rest and entry.rest ~= '' then
    redis.call('SET', pending, entry.rest, 'PX', pending_ttl)
  else
    redis.call('DEL', pending)
  end
  local reply = entry.reply
  if suffix ~= '' and #reply + #suffix <= tonumber(max_bytes) then reply = reply .. suffix end
  redis.call('HSET', slot, 'given', reply); redis.call('PEXPIRE', slot, slot_ttl)
  return reply, tostring(entry.at or 0), raw
end
local function pickup(outbox, slot_prefix, window, slot, slot_ttl, pending, pending_ttl, suffix, max_bytes)
  for _, raw in ipairs(redis.call('LRANGE', outbox, 0, -1)) do
    local entry = cjson.decode(raw)
    if closed(slot_prefix .. entry.k, window) then
      return give(outbox, raw, entry, slot, slot_ttl, pending, pending_ttl, suffix, max_bytes)
    end
  end
  return '', '0', ''
end
local function take(slot, outbox, key, slot_ttl, pending, pending_ttl, may_take)
  local s = redis.call('HMGET', slot, 'given', 'state')
  if s[1] then return {'repeat', s[1]} end
  for _, raw in ipairs(may_take == '0' and {} or redis.call('LRANGE', outbox, 0, -1)) do
    local entry = cjson.decode(raw)
    if entry.k == key then
      local reply, at, given = give(outbox, raw, entry, slot, slot_ttl, pending, pending_ttl, '', 0)
      return {'passive', reply, at, given}
    end
  end
  if s[2] == 'push' then return {'push'} end
  return nil
end
