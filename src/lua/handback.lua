#!lua flags=allow-oom
-- handback: give an agent this worker holds back to Pready, undoing its
-- claim on the head run first when there is one (docs/redis-keys.md,
-- "Hand-back").  Run by the worker when it drains past its grace, when it
-- cannot tell whether a claim landed, or cannot write a run's result.
--
-- KEYS[1]  Pprocessing:W       the agents worker W holds
-- KEYS[2]  Pready              agents with work and no owner
-- KEYS[3]  P{A}:queue          the agent's queue
-- KEYS[4]  P{S}:run:R          the run whose claim to undo; absent when
--                              there is none
-- ARGV[1]  agent id A
-- ARGV[2]  run id R, or "" when there is no claim to undo
-- ARGV[3]  worker id W
-- ARGV[4]  "1": the attempt was only interrupted, refund it; "0": it counts
--
-- A claim is undone only while R is the head of the queue, "running",
-- under a lease "W#..." of this worker: its lease is removed (and its
-- attempt refunded with ARGV[4] "1"); it stays "running" at the head, to
-- be claimed again.  A leaves Pprocessing:W and, when its queue is not
-- empty, goes to the consuming end of Pready: it is taken next.
--
-- Returns {head run or "", 1 when an attempt was refunded else 0}.

local head = redis.call('LINDEX', KEYS[3], 0)
local refunded = 0

if ARGV[2] ~= '' and head == ARGV[2] then
  local f = redis.call('HMGET', KEYS[4], 'lease', 'status')
  if f[1] and f[2] == 'running'
     and string.sub(f[1], 1, #ARGV[3] + 1) == ARGV[3] .. '#' then
    redis.call('HDEL', KEYS[4], 'lease')
    if ARGV[4] == '1' then
      redis.call('HINCRBY', KEYS[4], 'attempts', -1)
      refunded = 1
    end
  end
end

if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 and head then
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
return {head or '', refunded}
