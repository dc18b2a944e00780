-- page (DeadLetters.page): up to ARGV[3] letters after a position in the index's order (score, then id byte by
-- byte), or from the start when ARGV[2] is empty. The position need not exist any more (replayed or purged
-- meanwhile): ZCOUNT finds where it would be.
-- KEYS[1] dead letters   KEYS[2] dead letters by time
-- ARGV[1] the position's score (epoch ms)   ARGV[2] the position's id ('' from the start)   ARGV[3] how many
-- Returns flat {id, score, letter or false, ...}.
local function after(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then return x > y end
  end
  return #a > #b
end
local want, score, id = tonumber(ARGV[3]), tonumber(ARGV[1]), ARGV[2]
local start = 0
if id ~= '' then start = redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. ARGV[1]) end
local page, found = {}, 0
while found < want do
  local chunk = redis.call('ZRANGE', KEYS[2], start, start + want - 1, 'WITHSCORES')
  if #chunk == 0 then break end
  for i = 1, #chunk, 2 do
    if found < want and (id == '' or tonumber(chunk[i + 1]) > score or after(chunk[i], id)) then
      found = found + 1
      table.insert(page, chunk[i]); table.insert(page, chunk[i + 1])
      table.insert(page, redis.call('HGET', KEYS[1], chunk[i]))
    end
  end
  start = start + want
end
return page
