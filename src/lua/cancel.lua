-- cancel: cancel one run (docs/redis-keys.md, "Cancellation").  Run by
-- the worker (agent-async-worker --cancel R) and the cancel endpoint.
--
-- KEYS[1]  P{A}:run:R          the run
-- KEYS[2]  Pcallbacks          callback deliveries, by when they are due
-- ARGV[1]  now, run time (YYYY-MM-DDTHH:MM:SS.ffffffZ)
-- ARGV[2]  "A/R", the run's delivery
--
-- Returns a status string:
--   "not_found"          no such run
--   "cancelled"          the run was "created": it is now terminal (status
--                        and stop_reason "cancelled", completed_at), and
--                        its callback, if it has one, is due at once; it
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
  if redis.call('HEXISTS', KEYS[1], 'callback_url') == 1 then
    local t = redis.call('TIME')
    redis.call('ZADD', KEYS[2], 'NX',
               t[1] * 1000 + math.floor(t[2] / 1000), ARGV[2])
  end
  return 'cancelled'
end
redis.call('HSET', KEYS[1], 'cancel_requested', '1')
return 'cancel_requested'
