#!lua flags=allow-oom
-- callback_due: the callback deliveries due now, oldest first
-- (docs/callbacks.md).  Run by each worker's delivery loop; the times
-- are Redis's own clock, so that workers whose clocks differ agree.
--
-- KEYS[1]  Pcallbacks          deliveries "A/R", scored by when they are
--                              due (unix ms)
-- ARGV[1]  at most this many
--
-- Returns the members due, to be started with callback_start (which takes
-- each one once, whichever worker asks first).

local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now,
                  'LIMIT', 0, ARGV[1])
