/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include "aa_script_cancel.h"


const char  aa_script_cancel[] =
    "local st = redis.call('HGET', KEYS[1], 'status')\n"
    "if not st then\n"
    "  return 'not_found'\n"
    "end\n"
    "if st == 'completed' or st == 'failed' or st == 'cancelled' then\n"
    "  return 'already_' .. st\n"
    "end\n"
    "if st == 'created' then\n"
    "  redis.call('HSET', KEYS[1], 'status', 'cancelled',\n"
    "             'stop_reason', 'cancelled', 'completed_at', ARGV[1])\n"
    "  return 'cancelled'\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'cancel_requested', '1')\n"
    "return 'cancel_requested'\n";
