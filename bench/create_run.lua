-- The Redis script of the two baselines of scripts/bench (bench/openresty,
-- bench/fastapi): the writes a run's creation needs, all or nothing, in
-- the module's key layout (docs/redis-keys.md, "Creation"), without its
-- type probes and idempotency look-ups.  Written for the comparison.
--
-- KEYS[1] P{A}:agent  KEYS[2] P{A}:queue  KEYS[3] P{A}:runs
-- KEYS[4] P{S}:run:R  KEYS[5] Ptenant:T:runs
-- KEYS[6] Pready      KEYS[7] Ptenant:T:active
-- ARGV[1] tenant  ARGV[2] run id  ARGV[3] agent id  ARGV[4] creation µs
-- ARGV[5..] field, value, ... of the run hash
-- Returns 1, or 0 (writing nothing) when the agent is not the tenant's.

if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[4], unpack(ARGV, 5))
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
local member = ARGV[3] .. '/' .. ARGV[2]
redis.call('ZADD', KEYS[5], ARGV[4], member)
redis.call('ZADD', KEYS[7], ARGV[4], member)
if redis.call('RPUSH', KEYS[2], ARGV[2]) == 1 then
  redis.call('LPUSH', KEYS[6], ARGV[3])
end
return 1
