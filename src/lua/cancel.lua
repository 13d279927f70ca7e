#!lua flags=allow-oom
-- cancel: cancel runs of one agent (docs/redis-keys.md, "Cancellation").
-- Run by the module for POST /v1/agents/{agent_id}/messages/cancel, and
-- by the worker (agent-async-worker --cancel R).
--
-- KEYS[1]  Pcallbacks          callback deliveries, by when they are due
-- KEYS[2..]  P{S}:run:R        each run (S: its slot, R carries it)
-- ARGV[1]  now, run time (YYYY-MM-DDTHH:MM:SS.ffffffZ)
-- ARGV[2]  agent id A
-- ARGV[3]  retention, ms: a run cancelled here expires that long after
--          (unless it has an expiry already); "0": it is kept
-- ARGV[4..]  run id R of each run, in the order of KEYS[2..]
--
-- Returns a status string per run, in order:
--   "not_found"          no such run of this agent (one of another agent
--                        is not touched)
--   "cancelled"          the run was "created": it is now terminal (status
--                        and stop_reason "cancelled", completed_at), and
--                        its callback, if it has one, is due at once; its
--                        job is dropped; it stays in its queue, the
--                        worker pops it unexecuted
--   "cancel_requested"   the run was "running": cancel_requested = 1; the
--                        worker executing it aborts it and finishes it
--                        "cancelled"
--   "already_completed", "already_failed", "already_cancelled"
--                        the run was terminal already: nothing written

local out = {}
for i = 2, #KEYS do
  local st, agent = unpack(redis.call('HMGET', KEYS[i], 'status',
                                      'agent_id'))
  if not st or agent ~= ARGV[2] then
    out[#out + 1] = 'not_found'
  elseif st == 'completed' or st == 'failed' or st == 'cancelled' then
    out[#out + 1] = 'already_' .. st
  elseif st == 'created' then
    redis.call('HSET', KEYS[i], 'status', 'cancelled',
               'stop_reason', 'cancelled', 'completed_at', ARGV[1])
    redis.call('HDEL', KEYS[i], 'request')
    if ARGV[3] ~= '0' then
      redis.call('PEXPIRE', KEYS[i], ARGV[3], 'NX')
    end
    if redis.call('HEXISTS', KEYS[i], 'callback_url') == 1 then
      local t = redis.call('TIME')
      redis.call('ZADD', KEYS[1], 'NX',
                 t[1] * 1000 + math.floor(t[2] / 1000),
                 ARGV[2] .. '/' .. ARGV[i + 2])
    end
    out[#out + 1] = 'cancelled'
  else
    redis.call('HSET', KEYS[i], 'cancel_requested', '1')
    out[#out + 1] = 'cancel_requested'
  end
end
return out
