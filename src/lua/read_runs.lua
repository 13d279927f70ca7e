#!lua flags=no-writes
-- read_runs: the same fields of several runs (docs/redis-keys.md,
-- "Listing").  Run by the module for GET /v1/runs/, once per slice that
-- list_runs.lua answered.
--
-- KEYS[1..n]  P{S}:run:R of each run
-- ARGV[1..]   the fields to read
--
-- Returns, per run in the order of KEYS, the HMGET of those fields (a run
-- whose hash is gone gives all nils).

local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('HMGET', KEYS[i], unpack(ARGV))
end
return out
