/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * What the agent loop reads of its agent and writes back mid-run
 * (docs/redis-keys.md, "Memory"): the agent's state and revision, the
 * run's request_config, the agent's conversation history; the memory
 * write, guarded by the revision and the run's lease.
 */

#ifndef AW_STORE_AGENT_H
#define AW_STORE_AGENT_H

#include <hiredis/hiredis.h>

#include "aw_redis.h"
#include "aw_store.h"

/*
 * HMGET P{A}:agent state rev and HGET P{A}:run:R request_config: the
 * state (NULL if none) and rev into *state (malloc()ed) and *rev, the
 * request_config into *rc (malloc()ed, "" if none).  0, or -1.
 */
int aw_store_agent_read(aw_redis_t *r, const aw_claim_t *claim,
    char **state, char **rev, char **rc);

/*
 * The last max entries of P{A}:history, oldest first: an array reply to
 * freeReplyObject(), or NULL.
 */
redisReply *aw_store_history(aw_redis_t *r, const char *agent, long max);

typedef enum {
    AW_MEMORY_ERROR = -1,
    AW_MEMORY_OK = 0,
    AW_MEMORY_CONFLICT,         /* rev moved: read again, edit again */
    AW_MEMORY_GONE,             /* the agent was deleted */
    AW_MEMORY_LOST              /* the run is no longer this claim's */
} aw_memory_rc_e;

/* The memory_write script; an aw_memory_rc_e. */
int aw_store_memory_write(aw_redis_t *r, const aw_claim_t *claim,
    const char *rev, const char *state, size_t len);

/*
 * The run_progress script: appends messages[from_m..] and steps[from_s..]
 * (first: the claim's first step, earlier attempts' lists removed).  0,
 * 1 when the run is no longer this claim's, -1 on an error (logged).
 */
int aw_store_progress(aw_redis_t *r, const aw_claim_t *claim, int first,
    const aw_strv_t *messages, size_t from_m, const aw_strv_t *steps,
    size_t from_s);

#endif
