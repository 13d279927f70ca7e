#!lua flags=allow-oom
-- run_progress: append the messages and the step of a step the agent
-- loop just completed (docs/redis-keys.md, "Memory"), if the run is still
-- running under this claim.  Run by the worker (openai backend) after
-- each step; the finish writes the whole lists again.
--
-- KEYS[1]  P{S}:run:R          the run
-- KEYS[2]  P{S}:run:R:messages its messages
-- KEYS[3]  P{S}:run:R:steps    its steps
-- ARGV[1]  lease of the claim, "W#attempts"
-- ARGV[2]  "1" for the first step of this claim: what an earlier attempt
--          left is removed first; "0" otherwise
-- ARGV[3]  n, the number of messages that follow
-- ARGV[4..3+n]  messages, JSON; the rest: steps, JSON
--
-- Returns "ok", or "lost" (another claim owns the run, or it is no longer
-- running) having written nothing.

local f = redis.call('HMGET', KEYS[1], 'lease', 'status')
if f[1] ~= ARGV[1] or f[2] ~= 'running' then
  return 'lost'
end

if ARGV[2] == '1' then
  redis.call('DEL', KEYS[2], KEYS[3])
end

local function push(key, from, to)
  while from <= to do
    local last = math.min(from + 499, to)
    redis.call('RPUSH', key, unpack(ARGV, from, last))
    from = last + 1
  end
end

local n = tonumber(ARGV[3])
push(KEYS[2], 4, 3 + n)
push(KEYS[3], 4 + n, #ARGV)
return 'ok'
