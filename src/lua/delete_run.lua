-- delete_run: remove a run, its messages, its steps and its index
-- entries (docs/redis-keys.md, "Deleting").  Run by the module for
-- DELETE /v1/runs/{run_id}.
--
-- KEYS[1]  P{S}:run:R          the run (S: its agent's slot)
-- KEYS[2]  P{S}:run:R:messages its messages
-- KEYS[3]  P{S}:run:R:steps    its steps
-- KEYS[4]  P{A}:runs           its agent's runs
-- KEYS[5]  Ptenant:T:runs      its tenant's runs
-- KEYS[6]  Pcallbacks          callback deliveries
-- KEYS[7]  Ptenant:T:active    its tenant's runs not known to be finished
-- ARGV[1]  run id R
-- ARGV[2]  agent id A
--
-- A queued run stays in its agent's queue, which the worker pops as a run
-- without a hash; a running one is aborted by the worker executing it,
-- whose finish then finds it gone and lets it leave the queue.  Returns
-- 1, or 0 when there was no such run.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[2] .. '/' .. ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[2] .. '/' .. ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[2] .. '/' .. ARGV[1])
return 1
