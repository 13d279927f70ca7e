#!lua flags=allow-oom
-- reap_agent: hand one agent of a worker whose heartbeat is gone back to
-- Pready (docs/redis-keys.md, "Heartbeat and reaping").  Run by every
-- worker's reaper for each agent in Pprocessing:W of a dead W, and by a
-- worker leaving for what is left in its own list.
--
-- KEYS[1]  Pworker:W           the heartbeat of W
-- KEYS[2]  Pprocessing:W       the agents W holds
-- KEYS[3]  Pready              agents with work and no owner
-- KEYS[4]  P{A}:queue          the agent's queue
-- ARGV[1]  agent id A
--
-- When W has no heartbeat and holds A: A leaves Pprocessing:W and, when
-- its queue is not empty, goes to the consuming end of Pready (it is taken
-- next); the run in flight stays at the head of the queue, to be claimed
-- again.  Returns that head run ("" for an empty queue), or nil when W is
-- alive or does not hold A: nothing written.

if redis.call('EXISTS', KEYS[1]) == 1 then
  return false
end
if redis.call('LREM', KEYS[2], 1, ARGV[1]) == 0 then
  return false
end

local head = redis.call('LINDEX', KEYS[4], 0)
if not head then
  return ''
end
redis.call('RPUSH', KEYS[3], ARGV[1])
return head
