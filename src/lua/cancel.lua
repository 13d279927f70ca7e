-- cancel: cancel one run (docs/redis-keys.md, "Cancellation").  Run by
-- the worker (agent-async-worker --cancel R) and the cancel endpoint.
--
-- KEYS[1]  P{A}:run:R          the run
-- ARGV[1]  now, run time (YYYY-MM-DDTHH:MM:SS.ffffffZ)
--
-- Returns a status string:
--   "not_found"          no such run
--   "cancelled"          the run was "created": it is now terminal (status
--                        and stop_reason "cancelled", completed_at); it
--                        stays in its queue, the worker pops it unexecuted
--   "cancel_requested"   the run was "running": cancel_requested = 1; the
--                        worker executing it aborts it and finishes it
--                        "cancelled"
--   "already_completed", "already_failed", "already_cancelled"
--                        the run was terminal already: nothing written

local st = redis.call('HGET', KEYS[1], 'status')
if not st then
  return 'not_found'
end
if st == 'completed' or st == 'failed' or st == 'cancelled' then
  return 'already_' .. st
end
if st == 'created' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled',
             'stop_reason', 'cancelled', 'completed_at', ARGV[1])
  return 'cancelled'
end
redis.call('HSET', KEYS[1], 'cancel_requested', '1')
return 'cancel_requested'
