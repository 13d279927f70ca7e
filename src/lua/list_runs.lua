#!lua flags=no-writes
-- list_runs: one slice of a run index, in rank order up or down, from
-- just past a cursor (docs/redis-keys.md, "Listing").  Run by the module
-- for GET /v1/runs/, once per slice; rank arithmetic in one script, so
-- that runs created meanwhile shift nothing under it.
--
-- KEYS[1]  the index: P{A}:runs (members R), Ptenant:T:runs or
--          Ptenant:T:active (members "A/R"); score = creation time in us
-- ARGV[1]  "up" (oldest first) or "down" (newest first)
-- ARGV[2]  count, at least 1
-- ARGV[3]  from: the member the slice starts just past, or "" to start
--          at the end the slice starts from (the lowest rank going up)
-- ARGV[4]  from's score, or "": where the slice starts when from has
--          left the index meanwhile (without a score, an unknown from is
--          ignored, as Letta ignores an unknown cursor)
-- ARGV[5]  to: the member the slice stops before, or "" (unknown: ignored)
--
-- Returns {member, score, member, score, ...} in the slice's order.

local key, up, count = KEYS[1], ARGV[1] == 'up', tonumber(ARGV[2])
local card = redis.call('ZCARD', key)

-- the number of members ranked before m (m itself excluded), or nil
local function below(m, score)
  local r = redis.call('ZRANK', key, m)
  if r then
    return r, true
  end
  if score == '' then
    return nil
  end
  -- as many as score lower, plus the equal scores ordered before m
  local n = redis.call('ZCOUNT', key, '-inf', '(' .. score)
  for _, e in ipairs(redis.call('ZRANGE', key, score, score, 'BYSCORE')) do
    if e < m then
      n = n + 1
    end
  end
  return n, false
end

local first, last = 0, card - 1
if ARGV[3] ~= '' then
  local n, present = below(ARGV[3], ARGV[4])
  if n then
    if up then
      first = present and n + 1 or n
    else
      last = n - 1
    end
  end
end
if ARGV[5] ~= '' then
  local t = redis.call('ZRANK', key, ARGV[5])
  if t then
    if up then
      last = math.min(last, t - 1)
    else
      first = math.max(first, t + 1)
    end
  end
end

if up then
  last = math.min(last, first + count - 1)
else
  first = math.max(first, last - count + 1)
end
if first > last then
  return {}
end

local got = redis.call('ZRANGE', key, first, last, 'WITHSCORES')
if up then
  return got
end
local out = {}
for i = #got - 1, 1, -2 do
  out[#out + 1] = got[i]
  out[#out + 1] = got[i + 1]
end
return out
