#!lua flags=allow-oom
-- memory_write: store an agent's memory blocks as its run's agent loop
-- edited them (docs/redis-keys.md, "Memory"), if nothing changed the
-- agent since the worker read it and the run is still this claim's.
-- Run by the worker after each memory tool call.
--
-- KEYS[1]  P{A}:agent          the agent
-- KEYS[2]  P{S}:run:R          the run whose loop made the edit
-- ARGV[1]  rev the worker read ("0" when the hash had none)
-- ARGV[2]  the agent's new state, AgentState JSON
-- ARGV[3]  lease of the claim, "W#attempts"
--
-- Returns "ok" (state written, rev incremented, so that a PATCH merging
-- meanwhile merges again); "conflict" when rev moved (read again, edit
-- again); "gone" when the agent is deleted; "lost" when the run is no
-- longer running under this lease.  Only "ok" writes.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return 'gone'
end

local f = redis.call('HMGET', KEYS[2], 'lease', 'status')
if f[1] ~= ARGV[3] or f[2] ~= 'running' then
  return 'lost'
end

if (redis.call('HGET', KEYS[1], 'rev') or '0') ~= ARGV[1] then
  return 'conflict'
end

redis.call('HSET', KEYS[1], 'state', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'rev', 1)
return 'ok'
