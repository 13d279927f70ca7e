/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The Lua scripts the module runs; each keeps one step of the key
 * contract (docs/redis-keys.md) atomic.  The module loads them with
 * SCRIPT LOAD when it connects and calls them with EVALSHA.
 */

#ifndef AA_SCRIPTS_H
#define AA_SCRIPTS_H

typedef enum {
    AA_SCRIPT_CREATE_RUN = 0,
    AA_SCRIPT_GET_RUN,
    AA_SCRIPT_CREATE_AGENT,
    AA_SCRIPT_N
} aa_script_e;

/*
 * CREATE_RUN
 *   KEYS: agent, queue, agent runs, run, runloc, tenant runs, ready
 *   ARGV: tenant, run id, agent id, created_us, field, value, ...
 *   Returns 1, or 0 (and writes nothing) when the agent does not exist or
 *   belongs to another tenant.
 *
 * GET_RUN
 *   KEYS: runloc
 *   ARGV: prefix, run id, field, ...
 *   Returns the values of the fields (HMGET), or nil when the run is
 *   unknown.  Only what is rendered travels: not the job, which may be
 *   as large as a request body.
 *
 * CREATE_AGENT
 *   KEYS: agent, tenant agents
 *   ARGV: created_us, agent id, field, value, ...
 *   Returns 1.
 */
extern const char *const  aa_scripts[AA_SCRIPT_N];

#endif
