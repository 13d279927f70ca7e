/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * One synchronous hiredis connection per thread, with reconnection
 * (capped exponential backoff) and the scripts of src/lua/ (the registry
 * src/common/aa_scripts.h), loaded with SCRIPT LOAD at connect and called
 * with EVALSHA (loaded again on NOSCRIPT).
 */

#ifndef AW_REDIS_H
#define AW_REDIS_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#include "aw_backoff.h"

typedef struct {
    redisContext  *ctx;
    int64_t        next_try_ms;     /* monotonic; no connect before it */
    aw_backoff_t   backoff;         /* a reply is its success */
    int            timeout_ms;      /* socket timeout; 0: block-ms + 5 s */
} aw_redis_t;

void aw_redis_init(aw_redis_t *r);
void aw_redis_close(aw_redis_t *r);

/*
 * Connects unless connected, waiting out the backoff between attempts;
 * gives up (-1) once aw_stage() >= until.  0 when connected.
 */
int aw_redis_ensure(aw_redis_t *r, int until);

/*
 * A command.  NULL on a connection error (the connection is closed; the
 * next call reconnects, no sooner than the backoff allows: at once after
 * the first failure that follows a reply, then 100 ms doubling to 5 s;
 * only a reply resets it).  Error replies
 * are returned as such.  lens may be NULL for NUL-terminated arguments.
 */
redisReply *aw_redis_argv(aw_redis_t *r, int argc, const char **argv,
    const size_t *lens);

/* As aw_redis_argv, for EVALSHA of a script (aa_script_e). */
redisReply *aw_redis_eval(aw_redis_t *r, int script, int nkeys, int argc,
    const char **argv, const size_t *lens);

/* Short description of an unusable reply, for logs. */
const char *aw_redis_what(redisReply *reply);

#endif
