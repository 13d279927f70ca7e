#!lua flags=allow-oom
-- take: hand an agent with work to this worker, as the worker's BLMOVE
-- does, when Redis refuses that BLMOVE for being at maxmemory
-- (docs/redis-keys.md, "When Redis is full"): moving an id takes no room,
-- and the runs already accepted must go on.  Does not block.
--
-- KEYS[1]  Pready              agents with work and no owner
-- KEYS[2]  Pprocessing:W       the agents this worker holds
--
-- Returns the agent id moved, or nil when Pready is empty.

return redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
