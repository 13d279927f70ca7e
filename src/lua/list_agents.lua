#!lua flags=no-writes
-- list_agents: one page of a tenant's agents (docs/redis-keys.md,
-- "Listing agents").  Run by the module for GET /v1/agents/, which then
-- reads the agents with get_agents.  The cursors' positions and the page
-- are taken in one step: agents created or deleted meanwhile shift no
-- page, and none is skipped or answered twice.
--
-- KEYS[1]  Ptenant:T:agents       the tenant's agents, score = creation us
-- KEYS[2]  Ptenant:T:agent_names  its name index (read when ARGV[5] is not
--                                 "")
-- ARGV[1]  after: an agent id, or "": the page follows it, in the order
--          asked
-- ARGV[2]  before: an agent id, or "": the page precedes it
-- ARGV[3]  limit, at least 1
-- ARGV[4]  "asc" (oldest first) or "desc" (newest first)
-- ARGV[5]  "" for every agent, else only the agents of this exact name
--
-- The order is creation time then id, as the zset orders its members.  A
-- cursor that is no agent of the tenant is ignored; one that is, but not
-- of the name asked, counts by its creation time.  With before alone, the
-- page is the limit agents right before it; otherwise the first limit
-- agents after after (and before before).  Returns the ids of the page, in
-- the order asked.

local name = ARGV[5]
local limit = tonumber(ARGV[3])
local desc = ARGV[4] == 'desc'

local function pad(score)
  local s = string.format('%.0f', tonumber(score))
  return string.rep('0', 20 - #s) .. s
end

-- the members of name sit from rank base on, n of them
local z, base, n
if name == '' then
  z = KEYS[1]
  base = 0
  n = redis.call('ZCARD', z)
else
  z = KEYS[2]
  base = redis.call('ZLEXCOUNT', z, '-', '(' .. name .. '\0')
  n = redis.call('ZLEXCOUNT', z, '-', '(' .. name .. '\1') - base
end

-- how many of the n come before the cursor x, and up to it; nil when x
-- is no agent of the tenant
local function at(x)
  if x == '' then
    return nil
  end
  local score = redis.call('ZSCORE', KEYS[1], x)
  if not score then
    return nil
  end
  if name == '' then
    local r = redis.call('ZRANK', z, x)
    return r, r + 1
  end
  local m = name .. '\0' .. pad(score) .. '\0' .. x
  return redis.call('ZLEXCOUNT', z, '-', '(' .. m) - base,
         redis.call('ZLEXCOUNT', z, '-', '[' .. m) - base
end

-- ranks lo .. hi - 1, counted from base, oldest first
local lo, hi = 0, n
local after_lt, after_le = at(ARGV[1])
local before_lt, before_le = at(ARGV[2])

if after_lt then
  if desc then
    hi = math.min(hi, after_lt)
  else
    lo = math.max(lo, after_le)
  end
end
if before_lt then
  if desc then
    lo = math.max(lo, before_le)
  else
    hi = math.min(hi, before_lt)
  end
end
if hi <= lo then
  return {}
end

local take = math.min(limit, hi - lo)
if before_lt and not after_lt then
  -- the agents nearest before
  if desc then
    hi = lo + take
  else
    lo = hi - take
  end
elseif desc then
  lo = hi - take
else
  hi = lo + take
end

local items = redis.call('ZRANGE', z, base + lo, base + hi - 1)
local out = {}
for i = 1, #items do
  local v = items[desc and (#items - i + 1) or i]
  if name ~= '' then
    v = string.sub(v, #name + 23)
  end
  out[i] = v
end
return out
