#!lua flags=allow-oom
-- delete_agent_runs: remove a batch of runs of an agent being deleted
-- (docs/redis-keys.md, "Deleting an agent").  Run by the module after
-- delete_agent, with the ids the previous call answered, until it
-- answers none; and by the worker's sweep for an agent left in Pdeleting
-- (a deletion cut short).
--
-- KEYS[1]  P{A}:agent             the agent: must be gone already
-- KEYS[2]  P{A}:runs              its runs
-- KEYS[3]  Ptenant:T:runs         the tenant's runs
-- KEYS[4]  Ptenant:T:active       the tenant's runs not finished
-- KEYS[5]  Pcallbacks             callback deliveries
-- KEYS[6]  P{A}:history           its conversation
-- KEYS[7]  Pdeleting              agents being deleted
-- KEYS[8..]  for each run id flagged "1" in ARGV[3], in order: P{S}:run:R,
--            P{S}:run:R:messages, P{S}:run:R:steps (S: A's slot)
-- ARGV[1]  agent id A
-- ARGV[2]  n, how many run ids to answer at most
-- ARGV[3]  one character per run id: "1" its three keys are in KEYS, "0"
--          not (an id no run can have: only its index entries go)
-- ARGV[4..]  the run ids
--
-- Each run goes with its messages and steps, and leaves the
-- agent's and the tenant's indexes (members R and A/R of Ptenant:T:runs:
-- earlier layouts held R) and Pcallbacks.  A worker executing one aborts
-- it (its cancel check finds the hash gone) and its finish writes nothing.
--
-- Returns the next n run ids of P{A}:runs; none: the runs' index and the
-- history are removed and A leaves Pdeleting, the deletion is done.  An
-- error, writing nothing, when the agent still exists.

if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('ERR delete_agent_runs: agent ' .. ARGV[1]
                           .. ' exists; delete_agent first')
end

local k = 8
for i = 4, #ARGV do
  local r = ARGV[i]
  local ar = ARGV[1] .. '/' .. r
  if string.sub(ARGV[3], i - 3, i - 3) == '1' then
    redis.call('UNLINK', KEYS[k], KEYS[k + 1], KEYS[k + 2])
    k = k + 3
  end
  redis.call('ZREM', KEYS[2], r)
  redis.call('ZREM', KEYS[3], r, ar)
  redis.call('ZREM', KEYS[4], ar)
  redis.call('ZREM', KEYS[5], ar)
end

local ids = redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[2]) - 1)
if #ids == 0 then
  redis.call('UNLINK', KEYS[2], KEYS[6])
  redis.call('HDEL', KEYS[7], ARGV[1])
end
return ids
