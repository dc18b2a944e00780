-- read_head(): the head's turn, read by claim and next with the caller's KEYS and ARGV in these positions:
--   KEYS[1] the follower's lease   KEYS[2] inbox   KEYS[3] followers with an inbox   KEYS[4] memory   KEYS[5] pending
--   KEYS[6] the follower's latest photo
--   ARGV[1] the turn's token   ARGV[3] openid   ARGV[4] progress key prefix   ARGV[5] progress ttl (ms)
--   ARGV[6] memory ttl (ms)
-- Returns {'idle'} when the inbox is empty (the lease ends and the follower leaves the set in the same step, so a
-- message appended meanwhile always finds the lease free), else
-- {'turn', head, answer, sent, attempts, memory, pending, over, label, photo}: attempts counted, progress, memory
-- (touched: idle timeout), pending and the latest photo read in one step. The progress key comes from the message itself (Key, else MsgId, else
-- FromUserName:CreateTime).
local function read_head()
  local head = redis.call('LINDEX', KEYS[2], 0)
  if not head then
    redis.call('DEL', KEYS[1]); redis.call('SREM', KEYS[3], ARGV[3]); return {'idle'}
  end
  local m = cjson.decode(head)
  local key
  if type(m.Key) == 'string' then
    key = m.Key -- written by the admission from InboundMessage.key(): the same key everywhere
  elseif type(m.MsgId) == 'string' and string.find(m.MsgId, '%S') then
    key = string.match(m.MsgId, '^%s*(.-)%s*$')
  else
    key = tostring(m.FromUserName) .. ':' .. tostring(m.CreateTime)
  end
  local progress = ARGV[4] .. key
  local attempts = redis.call('HINCRBY', progress, 'attempts', 1)
  redis.call('PEXPIRE', progress, ARGV[5])
  local state = redis.call('HMGET', progress, 'answer', 'sent', 'over', 'label')
  if state[1] then redis.call('HSET', progress, 'by', ARGV[1]) end -- this turn adopts the decision
  local memory = redis.call('GET', KEYS[4])
  if memory then redis.call('PEXPIRE', KEYS[4], ARGV[6]) end
  return {'turn', head, state[1], state[2], tostring(attempts), memory, redis.call('GET', KEYS[5]),
          state[3] or '', state[4] or '', redis.call('GET', KEYS[6])}
end
