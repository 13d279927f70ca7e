-- create_run: store a new run and queue it on its agent, all or nothing
-- (docs/redis-keys.md, "Creation"), unless it repeats a request made
-- within the idempotency window (docs/idempotency.md).  Run by the module
-- for POST /v1/agents/{agent_id}/messages/async.
--
-- KEYS[1]  P{A}:agent          the agent
-- KEYS[2]  P{A}:queue          its queue
-- KEYS[3]  P{A}:runs           its runs
-- KEYS[4]  P{S}:run:R          the new run, in A's slot (R carries it)
-- KEYS[5]  Ptenant:T:runs      the tenant's runs, members "A/R"
-- KEYS[6]  Pready              agents with work and no owner
-- KEYS[7]  Ptenant:T:active    the tenant's runs not known to be finished
-- KEYS[8..] as ARGV[5] says: Pidem:T:H (the request's Idempotency-Key),
--          then P{A}:otids:H (the otids of its messages)
-- ARGV[1]  tenant T
-- ARGV[2]  run id R
-- ARGV[3]  agent id A
-- ARGV[4]  creation time, integer microseconds (the zset scores)
-- ARGV[5]  "", "k" (a key), "o" (otids) or "ko" (both), then "u" when
--          the agents are an upstream's (agent_async_agents upstream): a
--          run is made for an agent with no hash here
--          (docs/directives.md)
-- ARGV[6]  the request's fingerprint (hex SHA-1 of A and the body)
-- ARGV[7]  the idempotency window, ms
-- ARGV[8..] field, value, ... of the run hash
--
-- Returns 1; 0, writing nothing, when the agent does not exist (unless
-- "u") or belongs to another tenant (a hash here is checked even so);
-- {"replay", R'} when the key, or else the otids, name run R' of the same
-- request; {"conflict", "key" | "otids", R'} when they
-- name run R' of another request (both writing nothing); a WRONGTYPE
-- error, writing nothing, when a key it would write holds a value of
-- another type, or when the run exists already; Redis's
-- error (OOM ...), writing nothing, when a write is refused.
--
-- No key's type is probed before writing: each write is made with pcall,
-- and one that fails has the writes before it undone (each undo takes
-- away exactly what its write added: the keys were new, or the members
-- and items new), so that the common case costs the writes alone.

local owner = redis.call('HGET', KEYS[1], 'tenant')
if owner ~= ARGV[1]
   and not (owner == false and string.find(ARGV[5], 'u', 1, true)) then
  return 0
end

local done = {}

-- a write failed: undo the ones before it, newest first, and say why
local function fail(err, key)
  for i = #done, 1, -1 do
    local u = done[i]
    redis.call(unpack(u))
  end
  local msg = type(err) == 'table' and err.err or tostring(err)
  if string.sub(msg, 1, 9) == 'WRONGTYPE' then
    msg = 'WRONGTYPE ' .. key .. ' is a ' .. redis.call('TYPE', key)['ok']
  end
  return redis.error_reply(msg)
end

-- the same request again (the key first: it is the client's word)
local seen = {}
local k = 8
for what in string.gmatch(ARGV[5], '[ko]') do
  seen[#seen + 1] = { what == 'k' and 'key' or 'otids', KEYS[k] }
  k = k + 1
end
for _, s in ipairs(seen) do
  local ok, v = pcall(redis.call, 'GET', s[2])
  if not ok then
    return fail(v, s[2])
  end
  if v then
    local run, fp = string.match(v, '^(%S+) (%S+)$')
    if run and fp == ARGV[6] then
      return { 'replay', run }
    end
    return { 'conflict', s[1], run or '' }
  end
end

-- the run must be new: a run id is never reused
if redis.call('EXISTS', KEYS[4]) == 1 then
  return fail('WRONGTYPE', KEYS[4])
end

local ok, v = pcall(redis.call, 'HSET', KEYS[4], unpack(ARGV, 8))
if not ok then
  return fail(v, KEYS[4])
end
done[#done + 1] = { 'DEL', KEYS[4] }

local member = ARGV[3] .. '/' .. ARGV[2]
for _, z in ipairs({ { KEYS[3], ARGV[2] }, { KEYS[5], member },
                     { KEYS[7], member } }) do
  ok, v = pcall(redis.call, 'ZADD', z[1], ARGV[4], z[2])
  if not ok then
    return fail(v, z[1])
  end
  done[#done + 1] = { 'ZREM', z[1], z[2] }
end

for _, s in ipairs(seen) do
  ok, v = pcall(redis.call, 'SET', s[2], ARGV[2] .. ' ' .. ARGV[6],
                'PX', ARGV[7])
  if not ok then
    return fail(v, s[2])
  end
  done[#done + 1] = { 'DEL', s[2] }
end

-- the agent enters the ready list when its queue stops being empty
ok, v = pcall(redis.call, 'RPUSH', KEYS[2], ARGV[2])
if not ok then
  return fail(v, KEYS[2])
end
if v == 1 then
  done[#done + 1] = { 'RPOP', KEYS[2] }
  ok, v = pcall(redis.call, 'LPUSH', KEYS[6], ARGV[3])
  if not ok then
    return fail(v, KEYS[6])
  end
end
return 1
