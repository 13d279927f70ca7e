-- update_agent: write an agent's new state, unless it changed since it
-- was read (docs/redis-keys.md, "Updating an agent").  Run by the module
-- for PATCH /v1/agents/{agent_id}: it reads the state and its revision,
-- merges the patch, and reads again and merges again on "conflict", so
-- that two PATCHes at once both land, neither undoing the other.
--
-- KEYS[1]  P{A}:agent             the agent
-- KEYS[2]  Ptenant:T:agents       the tenant's agents (the creation time)
-- KEYS[3]  Ptenant:T:agent_names  the tenant's agents, by name
-- ARGV[1]  tenant T
-- ARGV[2]  the revision read: the agent's rev, "0" when it had none
-- ARGV[3]  agent id A
-- ARGV[4]  its new name
-- ARGV[5]  field, value, ... written to the agent hash (state, system,
--          llm, name)
--
-- rev goes up by one and the agent moves to its new name in the name
-- index (its member: see create_agent).  Returns {"ok", rev,
-- last_run_completion, last_run_duration_ms, last_stop_reason} (the run
-- metrics "" when there are none), {"gone"} when there is no such agent of
-- T, {"conflict"} when its rev is not ARGV[2]: then nothing is written.

if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then
  return {'gone'}
end
if (redis.call('HGET', KEYS[1], 'rev') or '0') ~= ARGV[2] then
  return {'conflict'}
end

local score = redis.call('ZSCORE', KEYS[2], ARGV[3])
if score then
  local s = string.format('%.0f', tonumber(score))
  local us = '\0' .. string.rep('0', 20 - #s) .. s .. '\0' .. ARGV[3]
  local old = redis.call('HGET', KEYS[1], 'name')
  if old then
    redis.call('ZREM', KEYS[3], old .. us)
  end
  redis.call('ZADD', KEYS[3], 0, ARGV[4] .. us)
end

redis.call('HSET', KEYS[1], unpack(ARGV, 5))
local rev = redis.call('HINCRBY', KEYS[1], 'rev', 1)
local m = redis.call('HMGET', KEYS[1], 'last_run_completion',
                     'last_run_duration_ms', 'last_stop_reason')
return {'ok', rev, m[1] or '', m[2] or '', m[3] or ''}
