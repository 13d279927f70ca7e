/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include "aa_script_cancel.h"
#include "aw_scripts.h"


/* metadata with "error" merged in; a corrupt value becomes {} first */
#define AW_LUA_MERGE_ERROR                                                    \
    "local function merge_error(md, err)\n"                                   \
    "  local ok, t = pcall(cjson.decode, md or '{}')\n"                       \
    "  if not ok or type(t) ~= 'table' then\n"                                \
    "    t = {}\n"                                                            \
    "  end\n"                                                                 \
    "  t['error'] = err\n"                                                    \
    "  return cjson.encode(t)\n"                                              \
    "end\n"


static const char  aw_script_claim[] =
    AW_LUA_MERGE_ERROR
    "local skipped = {}\n"
    "for i = 1, 100 do\n"
    "  local r = redis.call('LINDEX', KEYS[1], 0)\n"
    "  if not r then\n"
    "    redis.call('LREM', KEYS[2], 1, ARGV[2])\n"
    "    return {'empty', skipped}\n"
    "  end\n"
    "  local rk = ARGV[1] .. '{' .. ARGV[2] .. '}:run:' .. r\n"
    "  local f = redis.call('HMGET', rk, 'status', 'attempts')\n"
    "  local st = f[1]\n"
    "  local att = tonumber(f[2] or '0') or 0\n"
    "  if not st then\n"
    "    redis.call('LPOP', KEYS[1])\n"
    "    table.insert(skipped, r)\n"
    "    table.insert(skipped, 'missing')\n"
    "  elseif st == 'completed' or st == 'failed' or st == 'cancelled' then\n"
    /* cancelled while queued: popped, never executed */
    "    redis.call('LPOP', KEYS[1])\n"
    "    table.insert(skipped, r)\n"
    "    table.insert(skipped, st)\n"
    "  elseif att >= tonumber(ARGV[4]) then\n"
    "    local md = merge_error(redis.call('HGET', rk, 'metadata'),\n"
    "      'run abandoned after ' .. att .. ' attempts: the workers '\n"
    "      .. 'executing it stopped before finishing it')\n"
    "    redis.call('HSET', rk, 'status', 'failed', 'stop_reason', 'error',\n"
    "               'completed_at', ARGV[5], 'metadata', md)\n"
    "    redis.call('LPOP', KEYS[1])\n"
    "    redis.call('RPUSH', KEYS[4], r)\n"
    "    table.insert(skipped, r)\n"
    "    table.insert(skipped, 'dead')\n"
    "  else\n"
    "    att = redis.call('HINCRBY', rk, 'attempts', 1)\n"
    "    local lease = ARGV[3] .. '#' .. att\n"
    "    redis.call('HSET', rk, 'status', 'running', 'lease', lease)\n"
    "    redis.call('HSETNX', rk, 'started_at', ARGV[5])\n"
    "    local g = redis.call('HMGET', rk, 'request', 'cancel_requested',\n"
    "                         'created_us', 'callback_url')\n"
    "    return {'claimed', skipped, r, att, lease, g[1] or '',\n"
    "            g[2] or '', g[3] or '', redis.call('EXISTS', KEYS[3]),\n"
    "            g[4] or ''}\n"
    "  end\n"
    "end\n"
    "return {'more', skipped}\n";


static const char  aw_script_finish[] =
    AW_LUA_MERGE_ERROR
    /* RPUSH of ARGV[from..to], in chunks: unpack() is bounded by the stack */
    "local function push(key, from, to)\n"
    "  while from <= to do\n"
    "    local last = math.min(from + 499, to)\n"
    "    redis.call('RPUSH', key, unpack(ARGV, from, last))\n"
    "    from = last + 1\n"
    "  end\n"
    "end\n"
    "local f = redis.call('HMGET', KEYS[1], 'lease', 'status', 'metadata')\n"
    "if f[1] ~= ARGV[3] then\n"
    "  return {'lost', f[2] or ''}\n"
    "end\n"
    "if f[2] ~= 'running' then\n"
    "  if f[2] == 'completed' or f[2] == 'failed' or f[2] == 'cancelled'\n"
    "  then\n"
    "    return {'already', f[2]}\n"
    "  end\n"
    "  return {'lost', f[2] or ''}\n"
    "end\n"
    "local md = f[3] or '{}'\n"
    "if ARGV[7] ~= '' then\n"
    "  md = merge_error(md, ARGV[7])\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'status', ARGV[4], 'stop_reason', ARGV[5],\n"
    "           'completed_at', ARGV[6], 'total_duration_ns', ARGV[9],\n"
    "           'usage', ARGV[10], 'metadata', md)\n"
    "if ARGV[8] ~= '' then\n"
    "  redis.call('HSET', KEYS[1], 'ttft_ns', ARGV[8])\n"
    "end\n"
    "redis.call('DEL', KEYS[3])\n"
    "local n = tonumber(ARGV[11])\n"
    "push(KEYS[3], 12, 11 + n)\n"
    "push(KEYS[4], 12 + n, #ARGV)\n"
    "if redis.call('LINDEX', KEYS[2], 0) == ARGV[2] then\n"
    "  redis.call('LPOP', KEYS[2])\n"
    "else\n"
    "  redis.call('LREM', KEYS[2], 1, ARGV[2])\n"
    "end\n"
    "local qlen = redis.call('LLEN', KEYS[2])\n"
    "if redis.call('LREM', KEYS[5], 1, ARGV[1]) == 1 then\n"
    /* other agents get their turn first */
    "  if qlen > 0 then\n"
    "    redis.call('LPUSH', KEYS[6], ARGV[1])\n"
    "  end\n"
    "elseif qlen == 0 then\n"
    /* reaped meanwhile but not yet re-claimed: it may sit in ready */
    "  redis.call('LREM', KEYS[6], 0, ARGV[1])\n"
    "end\n"
    "return {'ok', md}\n";


static const char  aw_script_reap[] =
    "local out = {}\n"
    "local ws\n"
    "if ARGV[2] ~= '' then\n"
    "  redis.call('DEL', ARGV[1] .. 'worker:' .. ARGV[2])\n"
    "  ws = {ARGV[2]}\n"
    "else\n"
    "  ws = redis.call('SMEMBERS', KEYS[1])\n"
    "end\n"
    "for _, w in ipairs(ws) do\n"
    "  if redis.call('EXISTS', ARGV[1] .. 'worker:' .. w) == 0 then\n"
    "    local pk = ARGV[1] .. 'processing:' .. w\n"
    "    for _, a in ipairs(redis.call('LRANGE', pk, 0, -1)) do\n"
    "      local head = redis.call('LINDEX',\n"
    "                              ARGV[1] .. '{' .. a .. '}:queue', 0)\n"
    /* to the consuming end: taken next */
    "      if head then\n"
    "        redis.call('RPUSH', KEYS[2], a)\n"
    "      end\n"
    "      table.insert(out, w)\n"
    "      table.insert(out, a)\n"
    "      table.insert(out, head or '')\n"
    "    end\n"
    "    redis.call('DEL', pk)\n"
    "    redis.call('SREM', KEYS[1], w)\n"
    "  end\n"
    "end\n"
    "return out\n";


static const char  aw_script_handback[] =
    "local r = redis.call('LINDEX', KEYS[3], 0)\n"
    "local refunded = 0\n"
    "if r and ARGV[2] ~= '' then\n"
    "  local rk = ARGV[3] .. '{' .. ARGV[1] .. '}:run:' .. r\n"
    "  local f = redis.call('HMGET', rk, 'lease', 'status')\n"
    "  if f[1] and f[2] == 'running'\n"
    "     and string.sub(f[1], 1, #ARGV[2] + 1) == ARGV[2] .. '#' then\n"
    "    redis.call('HDEL', rk, 'lease')\n"
    /* an interrupted attempt is refunded, a failed one counts */
    "    if ARGV[4] == '1' then\n"
    "      redis.call('HINCRBY', rk, 'attempts', -1)\n"
    "      refunded = 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 and r then\n"
    "  redis.call('RPUSH', KEYS[2], ARGV[1])\n"
    "end\n"
    "return {r or '', refunded}\n";


static const char  aw_script_heartbeat[] =
    "local alive = redis.call('EXISTS', KEYS[1])\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
    "redis.call('SADD', KEYS[2], ARGV[3])\n"
    "return alive\n";


const char *const  aw_scripts[AW_SCRIPT_N] = {
    aw_script_claim,
    aw_script_finish,
    aw_script_reap,
    aw_script_handback,
    aw_script_heartbeat,
    aa_script_cancel,
};


const char *const  aw_script_names[AW_SCRIPT_N] = {
    "claim", "finish", "reap", "handback", "heartbeat", "cancel"
};
