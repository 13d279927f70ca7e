#!lua flags=allow-oom
-- finish: the terminal write of a run, guarded by its lease
-- (docs/redis-keys.md, "Finishing").  Run by the worker that executed it.
--
-- KEYS[1]  P{S}:run:R          the run
-- KEYS[2]  P{A}:queue          its agent's queue
-- KEYS[3]  P{S}:run:R:messages its messages
-- KEYS[4]  P{A}:history        the agent's conversation
-- KEYS[5]  Pprocessing:W       the agents this worker holds
-- KEYS[6]  Pready              agents with work and no owner
-- KEYS[7]  Pcallbacks          callback deliveries, by when they are due
-- KEYS[8]  P{S}:run:R:steps    its steps
-- KEYS[9]  P{A}:agent          the agent
-- ARGV[1]  agent id A
-- ARGV[2]  run id R
-- ARGV[3]  lease of the claim, "W#attempts"
-- ARGV[4]  status: "completed", "failed" or "cancelled"
-- ARGV[5]  stop_reason
-- ARGV[6]  completed_at, run time
-- ARGV[7]  error text merged into metadata, "" for none
-- ARGV[8]  ttft_ns, "" for none
-- ARGV[9]  total_duration_ns
-- ARGV[10] usage, LettaUsageStatistics JSON
-- ARGV[11] retention, ms: the run, its messages and steps expire that long
--          after it ends; "0": they are kept
-- ARGV[12] the most entries the agent's history keeps (the oldest go
--          first); "0": no bound
-- ARGV[13] n, the number of messages that follow
-- ARGV[14] m, the number of steps that follow them
-- ARGV[15..14+n]  the run's messages, JSON; then m steps, JSON; the rest:
--                 history entries
--
-- A run with a callback_url gets its delivery queued, due at once, in the
-- same step as its terminal state.  The agent records the run's end:
-- last_stop_reason, last_stop_at and last_run_completion (completed_at),
-- last_run_duration_ms; an agent deleted meanwhile (its hash gone) gets
-- neither those nor the history entries, so that nothing of it is left.
-- The job ("request") is dropped: nothing reads it once the run has ended.
--
-- Returns {"ok", metadata}; {"already", status} when this lease finished
-- the run before (a retried call); {"lost", status} when another claim
-- owns the run; {"gone", ""} when the run was deleted while it ran: it
-- leaves the queue, nothing else is written.  "already" and "lost" write
-- nothing.

-- RPUSH of ARGV[from..to] in chunks: unpack() is bounded by the Lua stack
local function push(key, from, to)
  while from <= to do
    local last = math.min(from + 499, to)
    redis.call('RPUSH', key, unpack(ARGV, from, last))
    from = last + 1
  end
end

-- R leaves the queue, A this worker's list, and goes back to Pready if
-- its queue still has runs
local function release()
  if redis.call('LINDEX', KEYS[2], 0) == ARGV[2] then
    redis.call('LPOP', KEYS[2])
  else
    redis.call('LREM', KEYS[2], 1, ARGV[2])
  end

  local left = redis.call('LLEN', KEYS[2])
  if redis.call('LREM', KEYS[5], 1, ARGV[1]) == 1 then
    -- other agents get their turn first
    if left > 0 then
      redis.call('LPUSH', KEYS[6], ARGV[1])
    end
  elseif left == 0 then
    -- reaped meanwhile but not claimed again: it may sit in Pready
    redis.call('LREM', KEYS[6], 0, ARGV[1])
  end
end

local f = redis.call('HMGET', KEYS[1], 'lease', 'status', 'metadata')
if not f[2] then
  release()
  return {'gone', ''}
end
if f[1] ~= ARGV[3] then
  return {'lost', f[2]}
end
if f[2] ~= 'running' then
  if f[2] == 'completed' or f[2] == 'failed' or f[2] == 'cancelled' then
    return {'already', f[2]}
  end
  return {'lost', f[2]}
end

local metadata = f[3] or '{}'
if ARGV[7] ~= '' then
  local ok, md = pcall(cjson.decode, metadata)
  if not ok or type(md) ~= 'table' then
    md = {}
  end
  md['error'] = ARGV[7]
  metadata = cjson.encode(md)
end

redis.call('HSET', KEYS[1], 'status', ARGV[4], 'stop_reason', ARGV[5],
           'completed_at', ARGV[6], 'total_duration_ns', ARGV[9],
           'usage', ARGV[10], 'metadata', metadata)
redis.call('HDEL', KEYS[1], 'request')
if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[1], 'ttft_ns', ARGV[8])
end

if redis.call('HEXISTS', KEYS[1], 'callback_url') == 1 then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[7], 'NX', t[1] * 1000 + math.floor(t[2] / 1000),
             ARGV[1] .. '/' .. ARGV[2])
end

local n = tonumber(ARGV[13])
local m = tonumber(ARGV[14])
redis.call('DEL', KEYS[3], KEYS[8])
push(KEYS[3], 15, 14 + n)
push(KEYS[8], 15 + n, 14 + n + m)

if ARGV[11] ~= '0' then
  for _, k in ipairs({KEYS[1], KEYS[3], KEYS[8]}) do
    redis.call('PEXPIRE', k, ARGV[11])
  end
end

if redis.call('EXISTS', KEYS[9]) == 1 then
  push(KEYS[4], 15 + n + m, #ARGV)
  if ARGV[12] ~= '0' then
    redis.call('LTRIM', KEYS[4], -tonumber(ARGV[12]), -1)
  end
  redis.call('HSET', KEYS[9], 'last_stop_reason', ARGV[5],
             'last_stop_at', ARGV[6], 'last_run_completion', ARGV[6])
  local ns = tonumber(ARGV[9])
  if ns then
    redis.call('HSET', KEYS[9], 'last_run_duration_ms',
               string.format('%.0f', math.floor(ns / 1000000)))
  end
end

release()
return {'ok', metadata}
