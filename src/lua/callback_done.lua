#!lua flags=allow-oom
-- callback_done: the outcome of a callback attempt (docs/callbacks.md).
-- Run by the worker that started it.
--
-- KEYS[1]  Pcallbacks          deliveries "A/R" by when they are due
-- KEYS[2]  P{S}:run:R          the run
-- ARGV[1]  "A/R"
-- ARGV[2]  the attempt's lease, "W#n"
-- ARGV[3]  "code": the receiver answered with HTTP status ARGV[4];
--          "error": no answer, ARGV[4] says why;
--          "release": the worker stopped before the outcome: nothing is
--          recorded, the delivery is due again at once
-- ARGV[4]  the status code or the error text
-- ARGV[5]  ms until the next attempt, or "" when there is none
--
-- callback_status_code or callback_error holds the attempt's outcome (the
-- other is removed).  Returns "retry", "done" or "released"; "lost" when
-- the lease is no longer the run's (the attempt outlived ARGV[3] of
-- callback_start and another one began): nothing written.

if redis.call('HGET', KEYS[2], 'callback_lease') ~= ARGV[2] then
  return 'lost'
end
redis.call('HDEL', KEYS[2], 'callback_lease')

local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)

if ARGV[3] == 'release' then
  redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
  return 'released'
end

if ARGV[3] == 'code' then
  redis.call('HSET', KEYS[2], 'callback_status_code', ARGV[4])
  redis.call('HDEL', KEYS[2], 'callback_error')
else
  redis.call('HSET', KEYS[2], 'callback_error', ARGV[4])
  redis.call('HDEL', KEYS[2], 'callback_status_code')
end

if ARGV[5] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 'done'
end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[5]), ARGV[1])
return 'retry'
