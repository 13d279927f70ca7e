#!lua flags=allow-oom
-- retire_worker: forget a worker whose heartbeat is gone once it holds no
-- agent (docs/redis-keys.md, "Heartbeat and reaping").  Run after
-- reap_agent has handed back each agent of W.
--
-- KEYS[1]  Pworker:W           the heartbeat of W
-- KEYS[2]  Pprocessing:W       the agents W holds
-- KEYS[3]  Pworkers            the worker ids
-- ARGV[1]  worker id W
--
-- Returns 1 when W left Pworkers; 0 when its heartbeat is back or it still
-- holds agents: nothing written.

if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('LLEN', KEYS[2]) > 0 then
  return 0
end
redis.call('SREM', KEYS[3], ARGV[1])
return 1
