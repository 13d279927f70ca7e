-- create_run: store a new run and queue it on its agent, all or nothing
-- (docs/redis-keys.md, "Creation"), unless it repeats a request made
-- within the idempotency window (docs/idempotency.md).  Run by the module
-- for POST /v1/agents/{agent_id}/messages/async.
--
-- KEYS[1]  P{A}:agent          the agent
-- KEYS[2]  P{A}:queue          its queue
-- KEYS[3]  P{A}:runs           its runs
-- KEYS[4]  P{A}:run:R          the new run
-- KEYS[5]  Prunloc:R           the run's agent, found from the run id
-- KEYS[6]  Ptenant:T:runs      the tenant's runs, members "A/R"
-- KEYS[7]  Pready              agents with work and no owner
-- KEYS[8]  Ptenant:T:active    the tenant's runs not known to be finished
-- KEYS[9..] as ARGV[5] says: Pidem:T:H (the request's Idempotency-Key),
--          then P{A}:otids:H (the otids of its messages)
-- ARGV[1]  tenant T
-- ARGV[2]  run id R
-- ARGV[3]  agent id A
-- ARGV[4]  creation time, integer microseconds (the zset scores)
-- ARGV[5]  "", "k" (a key), "o" (otids) or "ko" (both)
-- ARGV[6]  the request's fingerprint (hex SHA-1 of A and the body)
-- ARGV[7]  the idempotency window, ms
-- ARGV[8..] field, value, ... of the run hash
--
-- Returns 1; 0, writing nothing, when the agent does not exist or belongs
-- to another tenant; {"replay", R'} when the key, or else the otids, name
-- run R' of the same request; {"conflict", "key" | "otids", R'} when they
-- name run R' of another request (both writing nothing); a WRONGTYPE
-- error, writing nothing, when a key it would write holds a value of
-- another type, or when the run or its runloc exist already.

if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then
  return 0
end

-- a write that would fail halfway is found before anything is written
local want = {'list', 'zset', 'none', 'none', 'zset', 'list', 'zset'}
for i = 2, #KEYS do
  local t = redis.call('TYPE', KEYS[i])['ok']
  local w = want[i - 1] or 'string'
  if t ~= 'none' and t ~= w then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. t)
  end
end

-- the same request again (the key first: it is the client's word)
local seen = {}
local k = 9
for what in string.gmatch(ARGV[5], '.') do
  seen[#seen + 1] = { what == 'k' and 'key' or 'otids', KEYS[k] }
  k = k + 1
end
for _, s in ipairs(seen) do
  local v = redis.call('GET', s[2])
  if v then
    local run, fp = string.match(v, '^(%S+) (%S+)$')
    if run and fp == ARGV[6] then
      return { 'replay', run }
    end
    return { 'conflict', s[1], run or '' }
  end
end

redis.call('HSET', KEYS[4], unpack(ARGV, 8))
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('ZADD', KEYS[6], ARGV[4], ARGV[3] .. '/' .. ARGV[2])
redis.call('ZADD', KEYS[8], ARGV[4], ARGV[3] .. '/' .. ARGV[2])
redis.call('SET', KEYS[5], ARGV[3])
for _, s in ipairs(seen) do
  redis.call('SET', s[2], ARGV[2] .. ' ' .. ARGV[6], 'PX', ARGV[7])
end

-- the agent enters the ready list when its queue stops being empty
if redis.call('RPUSH', KEYS[2], ARGV[2]) == 1 then
  redis.call('LPUSH', KEYS[7], ARGV[3])
end
return 1
