#!lua flags=no-writes
-- get_agents: fields of several agents in one step (docs/redis-keys.md,
-- "Listing agents").  Run by the module for GET /v1/agents/, on the ids
-- list_agents answered.
--
-- KEYS[1..]  P{A}:agent of each agent
-- ARGV[1..]  the fields to read
--
-- Returns, for each agent in the order of KEYS, the values of ARGV (nil
-- for a field it lacks; every one nil for an agent deleted meanwhile).

local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('HMGET', KEYS[i], unpack(ARGV))
end
return out
