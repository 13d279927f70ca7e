-- create_agent: store a new agent of a tenant (docs/redis-keys.md,
-- "The agent hash").  Run by the module for POST /v1/agents/.
--
-- KEYS[1]  P{A}:agent          the new agent's hash
-- KEYS[2]  Ptenant:T:agents    the tenant's agents
-- ARGV[1]  creation time, integer microseconds (the zset score)
-- ARGV[2]  agent id A
-- ARGV[3]  field, value, ... of the agent hash
--
-- Returns 1.

redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 1
