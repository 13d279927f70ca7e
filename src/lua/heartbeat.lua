#!lua flags=allow-oom
-- heartbeat: renew a worker's heartbeat (docs/redis-keys.md, "Heartbeat
-- and reaping").  Run by every worker each --heartbeat-ms.
--
-- KEYS[1]  Pworker:W           the heartbeat of worker W
-- KEYS[2]  Pworkers            the worker ids
-- ARGV[1]  now, run time
-- ARGV[2]  its lifetime, ms (--lease-ttl-ms)
-- ARGV[3]  worker id W
--
-- Returns 1 when the heartbeat was still alive, 0 when it had expired (or
-- this is the first beat).

local alive = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return alive
