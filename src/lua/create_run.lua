-- create_run: store a new run and queue it on its agent, all or nothing
-- (docs/redis-keys.md, "Creation").  Run by the module for
-- POST /v1/agents/{agent_id}/messages/async.
--
-- KEYS[1]  P{A}:agent          the agent
-- KEYS[2]  P{A}:queue          its queue
-- KEYS[3]  P{A}:runs           its runs
-- KEYS[4]  P{A}:run:R          the new run
-- KEYS[5]  Prunloc:R           the run's agent, found from the run id
-- KEYS[6]  Ptenant:T:runs      the tenant's runs, members "A/R"
-- KEYS[7]  Pready              agents with work and no owner
-- KEYS[8]  Ptenant:T:active    the tenant's runs not known to be finished
-- ARGV[1]  tenant T
-- ARGV[2]  run id R
-- ARGV[3]  agent id A
-- ARGV[4]  creation time, integer microseconds (the zset scores)
-- ARGV[5]  field, value, ... of the run hash
--
-- Returns 1; 0, writing nothing, when the agent does not exist or belongs
-- to another tenant; a WRONGTYPE error, writing nothing, when a key it
-- would write holds a value of another type, or when the run or its
-- runloc exist already.

if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then
  return 0
end

-- a write that would fail halfway is found before anything is written
local want = {'list', 'zset', 'none', 'none', 'zset', 'list', 'zset'}
for i = 2, 8 do
  local t = redis.call('TYPE', KEYS[i])['ok']
  if t ~= 'none' and t ~= want[i - 1] then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. t)
  end
end

redis.call('HSET', KEYS[4], unpack(ARGV, 5))
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('ZADD', KEYS[6], ARGV[4], ARGV[3] .. '/' .. ARGV[2])
redis.call('ZADD', KEYS[8], ARGV[4], ARGV[3] .. '/' .. ARGV[2])
redis.call('SET', KEYS[5], ARGV[3])

-- the agent enters the ready list when its queue stops being empty
if redis.call('RPUSH', KEYS[2], ARGV[2]) == 1 then
  redis.call('LPUSH', KEYS[7], ARGV[3])
end
return 1
