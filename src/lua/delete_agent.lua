#!lua flags=allow-oom
-- delete_agent: the first step of deleting an agent (docs/redis-keys.md,
-- "Deleting an agent").  Run by the module for DELETE /v1/agents/{id};
-- delete_agent_runs then removes its runs, a bounded batch per call.
--
-- KEYS[1]  P{A}:agent             the agent
-- KEYS[2]  Ptenant:T:agents       the tenant's agents
-- KEYS[3]  Ptenant:T:agent_names  the tenant's agents, by name
-- KEYS[4]  P{A}:queue             its queue
-- KEYS[5]  Pready                 agents with work and no owner
-- KEYS[6]  P{A}:runs              its runs
-- KEYS[7]  Pdeleting              agents being deleted, A -> tenant
-- KEYS[8]  P{A}:history           its conversation
-- ARGV[1]  tenant T
-- ARGV[2]  agent id A
-- ARGV[3]  n, how many run ids to answer at most
--
-- In this one step the agent stops existing for everyone: its hash and
-- its queue are removed (no run of it is claimed again, none can be
-- created), it leaves the tenant's indexes and Pready, and A -> T goes to
-- Pdeleting until its last run is removed.  A worker that holds A (in its
-- Pprocessing:W) lets it go at its next claim or finish, which find the
-- queue empty.  An agent of T already in Pdeleting (a deletion that
-- stopped halfway) is taken up again.
--
-- Returns {"deleted", head, R...}: head the run that was at the head of
-- the queue ("" for none), to be removed first (a worker may be executing
-- it: it aborts it then), and the first n run ids of P{A}:runs; with none
-- left, the runs' index and the history are removed and A leaves
-- Pdeleting: the deletion is done.  {"not_found"} when there is no such
-- agent of T: nothing written.

local tenant = redis.call('HGET', KEYS[1], 'tenant')
local head = ''

if tenant ~= ARGV[1] then
  if tenant or redis.call('HGET', KEYS[7], ARGV[2]) ~= ARGV[1] then
    return {'not_found'}
  end
else
  local name = redis.call('HGET', KEYS[1], 'name')
  local score = redis.call('ZSCORE', KEYS[2], ARGV[2])
  if name and score then
    local s = string.format('%.0f', tonumber(score))
    redis.call('ZREM', KEYS[3], name .. '\0' .. string.rep('0', 20 - #s)
                                .. s .. '\0' .. ARGV[2])
  end
  redis.call('ZREM', KEYS[2], ARGV[2])
  head = redis.call('LINDEX', KEYS[4], 0) or ''
  redis.call('UNLINK', KEYS[1], KEYS[4])
  redis.call('LREM', KEYS[5], 0, ARGV[2])
  redis.call('HSET', KEYS[7], ARGV[2], ARGV[1])
end

local ids = redis.call('ZRANGE', KEYS[6], 0, tonumber(ARGV[3]) - 1)
if #ids == 0 then
  redis.call('UNLINK', KEYS[6], KEYS[8])
  redis.call('HDEL', KEYS[7], ARGV[2])
end
return {'deleted', head, unpack(ids)}
