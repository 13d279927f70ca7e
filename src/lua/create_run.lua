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
-- ARGV[8..] the run hash's values that vary, without their names (each
--          argument costs the script): created_at, metadata,
--          request_config, request (the job), then callback_url when the
--          run has one; its id, agent_id, tenant and created_us are
--          ARGV[1..4], status "created" and background "1" constants
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
-- No key's type is probed before writing: each write is made with
-- redis.pcall, and one that fails has the writes before it undone, newest
-- first (each undo takes away exactly what its write added: the keys were
-- new, or the members and items new), so that the common case costs the
-- writes alone.  The writes are numbered, not listed in tables: a table
-- or a closure per write is a good part of the script's own cost.

local owner = redis.call('HGET', KEYS[1], 'tenant')
if owner ~= ARGV[1]
   and not (owner == false and string.find(ARGV[5], 'u', 1, true)) then
  return 0
end

local run, agent, mode = ARGV[2], ARGV[3], ARGV[5]
local member = agent .. '/' .. run
-- the Pidem / otids keys, KEYS[8 .. 7 + nseen], in the order of mode
local nseen = #mode - (string.find(mode, 'u', 1, true) and 1 or 0)

-- write i failed (or a check): undo writes 1 .. made, say why
local function fail(err, key, made)
  for i = made, 1, -1 do
    if i == 1 then
      redis.call('DEL', KEYS[4])
    elseif i == 2 then
      redis.call('ZREM', KEYS[3], run)
    elseif i == 3 then
      redis.call('ZREM', KEYS[5], member)
    elseif i == 4 then
      redis.call('ZREM', KEYS[7], member)
    elseif i <= 4 + nseen then
      redis.call('DEL', KEYS[3 + i])
    else
      redis.call('RPOP', KEYS[2])
    end
  end
  local msg = type(err) == 'table' and err.err or tostring(err)
  if string.sub(msg, 1, 9) == 'WRONGTYPE' then
    msg = 'WRONGTYPE ' .. key .. ' is a ' .. redis.call('TYPE', key)['ok']
  end
  return redis.error_reply(msg)
end

-- the same request again (the key first: it is the client's word)
for j = 1, nseen do
  local key = KEYS[7 + j]
  local v = redis.pcall('GET', key)
  if type(v) == 'table' then
    return fail(v, key, 0)
  end
  if v then
    local r, fp = string.match(v, '^(%S+) (%S+)$')
    if r and fp == ARGV[6] then
      return { 'replay', r }
    end
    return { 'conflict', string.sub(mode, j, j) == 'k' and 'key' or 'otids',
             r or '' }
  end
end

-- the run must be new: a run id is never reused
if redis.call('EXISTS', KEYS[4]) == 1 then
  return fail('WRONGTYPE', KEYS[4], 0)
end

local v = redis.pcall('HSET', KEYS[4], 'id', run, 'agent_id', agent,
                      'tenant', ARGV[1], 'status', 'created',
                      'created_at', ARGV[8], 'created_us', ARGV[4],
                      'background', '1', 'metadata', ARGV[9],
                      'request_config', ARGV[10], 'request', ARGV[11])
if type(v) == 'table' then
  return fail(v, KEYS[4], 0)
end
if ARGV[12] then
  v = redis.pcall('HSET', KEYS[4], 'callback_url', ARGV[12])
  if type(v) == 'table' then
    return fail(v, KEYS[4], 1)
  end
end

v = redis.pcall('ZADD', KEYS[3], ARGV[4], run)
if type(v) == 'table' then
  return fail(v, KEYS[3], 1)
end

v = redis.pcall('ZADD', KEYS[5], ARGV[4], member)
if type(v) == 'table' then
  return fail(v, KEYS[5], 2)
end

v = redis.pcall('ZADD', KEYS[7], ARGV[4], member)
if type(v) == 'table' then
  return fail(v, KEYS[7], 3)
end

for j = 1, nseen do
  v = redis.pcall('SET', KEYS[7 + j], run .. ' ' .. ARGV[6], 'PX', ARGV[7])
  if type(v) == 'table' and v.err then
    return fail(v, KEYS[7 + j], 3 + j)
  end
end

-- the agent enters the ready list when its queue stops being empty
v = redis.pcall('RPUSH', KEYS[2], run)
if type(v) == 'table' then
  return fail(v, KEYS[2], 4 + nseen)
end
if v == 1 then
  v = redis.pcall('LPUSH', KEYS[6], agent)
  if type(v) == 'table' then
    return fail(v, KEYS[6], 5 + nseen)
  end
end
return 1
