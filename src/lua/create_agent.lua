-- create_agent: store a new agent of a tenant (docs/redis-keys.md,
-- "The agent hash").  Run by the module for POST /v1/agents/.
--
-- KEYS[1]  P{A}:agent             the new agent's hash
-- KEYS[2]  Ptenant:T:agents       the tenant's agents, by creation time
-- KEYS[3]  Ptenant:T:agent_names  the tenant's agents, by name
-- KEYS[4]  Ptenants               the tenants that have had agents (the
--                                 worker's sweep walks their indexes)
-- ARGV[1]  creation time, integer microseconds (the zset score)
-- ARGV[2]  agent id A
-- ARGV[3]  its name
-- ARGV[4]  field, value, ... of the agent hash, "tenant" among them
--
-- A member of the name index is the name, a NUL byte, the creation time
-- in microseconds as 20 digits, a NUL byte and A, every score 0: in
-- lexical order, the agents of one name come by creation time then id, as
-- in Ptenant:T:agents.  Returns 1.

local us = string.rep('0', 20 - #ARGV[1]) .. ARGV[1]

redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[3] .. '\0' .. us .. '\0' .. ARGV[2])
redis.call('SADD', KEYS[4], redis.call('HGET', KEYS[1], 'tenant'))
return 1
