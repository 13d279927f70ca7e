/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include "aa_scripts.h"


const char *const  aa_scripts[AA_SCRIPT_N] = {

    /* AA_SCRIPT_CREATE_RUN */
    "if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then\n"
    "  return 0\n"
    "end\n"
    /* a write that could fail halfway is found before anything is written */
    "local want = {'list', 'zset', 'none', 'none', 'zset', 'list'}\n"
    "for i = 2, 7 do\n"
    "  local t = redis.call('TYPE', KEYS[i])['ok']\n"
    "  if t ~= 'none' and t ~= want[i - 1] then\n"
    "    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is a ' .. t)\n"
    "  end\n"
    "end\n"
    "redis.call('HSET', KEYS[4], unpack(ARGV, 5))\n"
    "redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])\n"
    "redis.call('ZADD', KEYS[6], ARGV[4], ARGV[2])\n"
    "redis.call('SET', KEYS[5], ARGV[3])\n"
    /* the agent enters the ready list when its queue stops being empty */
    "if redis.call('RPUSH', KEYS[2], ARGV[2]) == 1 then\n"
    "  redis.call('LPUSH', KEYS[7], ARGV[3])\n"
    "end\n"
    "return 1\n",

    /* AA_SCRIPT_GET_RUN */
    "local agent = redis.call('GET', KEYS[1])\n"
    "if not agent then\n"
    "  return false\n"
    "end\n"
    "return redis.call('HMGET',\n"
    "  ARGV[1] .. '{' .. agent .. '}:run:' .. ARGV[2], unpack(ARGV, 3))\n",

    /* AA_SCRIPT_CREATE_AGENT */
    "redis.call('HSET', KEYS[1], unpack(ARGV, 3))\n"
    "redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])\n"
    "return 1\n",
};
