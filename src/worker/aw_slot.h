/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * A slot: one thread with its own Redis connection, executing one run at
 * a time.  It takes an agent from Pready (BLMOVE into Pprocessing:W),
 * claims the head run of its queue, executes it with the backend, writes
 * the terminal state, sends the callback, and goes back to Pready.
 */

#ifndef AW_SLOT_H
#define AW_SLOT_H

#include <pthread.h>

#include "aw_backend.h"
#include "aw_redis.h"

typedef struct {
    int                  index;
    char                 name[16];
    pthread_t            thread;
    aw_redis_t           redis;
    const aw_backend_t  *backend;
} aw_slot_t;

/* The thread's body; arg is its aw_slot_t. */
void *aw_slot_main(void *arg);

typedef struct aw_job_s  aw_job_t;

/*
 * The end of an executed run (rc: its aw_job_rc_e) on connection redis:
 * the terminal write or the hand-back, logged.  Also the run loop's.
 */
void aw_slot_end(aw_redis_t *redis, const char *backend, aw_job_t *job,
    int rc);

#endif
