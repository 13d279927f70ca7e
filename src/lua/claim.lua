#!lua flags=allow-oom
-- claim: take the head run of the queue of an agent this worker holds
-- (docs/redis-keys.md, "Taking work").  The worker reads the head with
-- LINDEX first, so that every key the script touches is named in KEYS.
--
-- KEYS[1]  P{A}:queue          the agent's queue
-- KEYS[2]  Pprocessing:W       the agents worker W holds
-- KEYS[3]  P{A}:agent          the agent
-- KEYS[4]  Pdead               runs given up
-- KEYS[5]  Pcallbacks          callback deliveries, by when they are due
-- KEYS[6]  P{S}:run:R          the run seen at the head; absent, with
--                              the next two, when the worker saw the
--                              queue empty
-- KEYS[7]  P{S}:run:R:messages its messages
-- KEYS[8]  P{S}:run:R:steps    its steps
-- ARGV[1]  agent id A
-- ARGV[2]  run id R, or "" when the worker saw the queue empty
-- ARGV[3]  worker id W
-- ARGV[4]  attempts allowed (--max-attempts)
-- ARGV[5]  now, run time
-- ARGV[6]  retention, ms: a run popped unexecuted expires that long after
--          (unless it has an expiry already), its messages and steps
--          too; "0": they are kept
--
-- Returns
--   {"empty"}            the queue is empty: A left Pprocessing:W
--   {"moved"}            the head is not what the worker saw: read again
--   {"skipped", why, drained}
--                        R was popped without being executed; why is its
--                        terminal status ("completed", "failed",
--                        "cancelled": cancelled while queued), "dead" (its
--                        attempts were used up: it is now failed, its
--                        lease dropped, its callback due, and in Pdead) or
--                        "missing" (it has no hash); drained is 1 when
--                        that emptied the queue: A left Pprocessing:W
--   {"claimed", attempts, lease, request, cancel_requested, created_us,
--    agent exists 0/1, system, llm}
--                        R is "running" under lease "W#attempts"; a run
--                        already "running" is a re-delivery, claimed alike;
--                        system and llm are the agent's (its hash's
--                        fields, "" when absent): what the run executes
--                        with, as the agent is now
--
-- A run skipped as "cancelled" or "dead" is an end of a run of the agent:
-- its last_stop_reason becomes "cancelled" (unless a run that ended later
-- set it already: last_stop_at tells) or "error".

local head = redis.call('LINDEX', KEYS[1], 0)

if ARGV[2] == '' then
  if head then
    return {'moved'}
  end
  redis.call('LREM', KEYS[2], 1, ARGV[1])
  return {'empty'}
end

if head ~= ARGV[2] then
  return {'moved'}
end

-- pops R unexecuted; an agent whose queue that empties is let go at once
local function skip(why)
  redis.call('LPOP', KEYS[1])
  if why ~= 'missing' then
    redis.call('HDEL', KEYS[6], 'request')
    if ARGV[6] ~= '0' then
      for i = 6, 8 do
        redis.call('PEXPIRE', KEYS[i], ARGV[6], 'NX')
      end
    end
  end
  if redis.call('LLEN', KEYS[1]) > 0 then
    return {'skipped', why, 0}
  end
  redis.call('LREM', KEYS[2], 1, ARGV[1])
  return {'skipped', why, 1}
end

-- the agent's last_stop_reason, when its run that ended at "at" is the
-- latest to end (run times of one form compare as their text)
local function stopped(reason, at)
  local last = redis.call('HGET', KEYS[3], 'last_stop_at')
  if redis.call('EXISTS', KEYS[3]) == 1 and (not last or last < at) then
    redis.call('HSET', KEYS[3], 'last_stop_reason', reason,
               'last_stop_at', at)
  end
end

local f = redis.call('HMGET', KEYS[6], 'status', 'attempts', 'completed_at')
local status = f[1]
local attempts = tonumber(f[2] or '0') or 0

if not status then
  return skip('missing')
end

if status == 'completed' or status == 'failed' or status == 'cancelled' then
  if status == 'cancelled' and f[3] then
    stopped('cancelled', f[3])
  end
  return skip(status)
end

if attempts >= tonumber(ARGV[4]) then
  local ok, md = pcall(cjson.decode,
                       redis.call('HGET', KEYS[6], 'metadata') or '{}')
  if not ok or type(md) ~= 'table' then
    md = {}
  end
  md['error'] = 'run abandoned after ' .. attempts .. ' attempts: the '
                .. 'workers executing it stopped before finishing it'
  redis.call('HSET', KEYS[6], 'status', 'failed', 'stop_reason', 'error',
             'completed_at', ARGV[5], 'metadata', cjson.encode(md))
  -- no claim finished it: a late finish of the last one is "lost"
  redis.call('HDEL', KEYS[6], 'lease')
  -- the dead-letter list keeps the latest 10,000
  redis.call('RPUSH', KEYS[4], ARGV[2])
  redis.call('LTRIM', KEYS[4], -10000, -1)
  stopped('error', ARGV[5])
  if redis.call('HEXISTS', KEYS[6], 'callback_url') == 1 then
    local t = redis.call('TIME')
    redis.call('ZADD', KEYS[5], 'NX',
               t[1] * 1000 + math.floor(t[2] / 1000),
               ARGV[1] .. '/' .. ARGV[2])
  end
  return skip('dead')
end

attempts = redis.call('HINCRBY', KEYS[6], 'attempts', 1)
local lease = ARGV[3] .. '#' .. attempts
redis.call('HSET', KEYS[6], 'status', 'running', 'lease', lease)
redis.call('HSETNX', KEYS[6], 'started_at', ARGV[5])

local g = redis.call('HMGET', KEYS[6], 'request', 'cancel_requested',
                     'created_us')
local a = redis.call('HMGET', KEYS[3], 'system', 'llm')
return {'claimed', attempts, lease, g[1] or '', g[2] or '', g[3] or '',
        redis.call('EXISTS', KEYS[3]), a[1] or '', a[2] or ''}
