#!lua flags=allow-oom
-- callback_start: take one callback delivery for an attempt
-- (docs/callbacks.md).  Run by a worker's delivery loop for a member that
-- callback_due listed.
--
-- KEYS[1]  Pcallbacks          deliveries "A/R" by when they are due
-- KEYS[2]  P{S}:run:R          the run
-- KEYS[3]  P{S}:run:R:messages its messages
-- ARGV[1]  "A/R"
-- ARGV[2]  worker id W
-- ARGV[3]  how long the attempt may take, ms: the delivery is due again
--          then, so that another worker takes it over if W dies
-- ARGV[4]  now, run time: callback_sent_at
-- ARGV[5]  how many messages the payload holds at most
--
-- The attempt is counted in callback_attempts and metadata's
-- callback_attempts; callback_lease = "W#n" guards its outcome.
--
-- Returns {"start", n, lease, status, callback_url, stop_reason, usage,
-- metadata, request_config, completed_at, {messages...}}; {"taken"} when
-- it is not due (another worker started it); {"gone"} when the run is gone
-- or has no callback to send: the delivery is dropped.

local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)

local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > now then
  return {'taken'}
end

local f = redis.call('HMGET', KEYS[2], 'status', 'callback_url',
                     'stop_reason', 'usage', 'metadata', 'request_config',
                     'completed_at')
if not f[2] or f[2] == ''
   or not (f[1] == 'completed' or f[1] == 'failed' or f[1] == 'cancelled')
then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return {'gone'}
end

local n = redis.call('HINCRBY', KEYS[2], 'callback_attempts', 1)
local lease = ARGV[2] .. '#' .. n

local ok, md = pcall(cjson.decode, f[5] or '{}')
if not ok or type(md) ~= 'table' then
  md = {}
end
md['callback_attempts'] = n
local metadata = cjson.encode(md)

redis.call('HSET', KEYS[2], 'callback_lease', lease,
           'callback_sent_at', ARGV[4], 'metadata', metadata)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[3]), ARGV[1])

return {'start', n, lease, f[1], f[2], f[3] or '', f[4] or '', metadata,
        f[6] or '', f[7] or '',
        redis.call('LRANGE', KEYS[3], 0, tonumber(ARGV[5]) - 1)}
