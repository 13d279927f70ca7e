/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Process-wide state of agent-async-worker: its configuration, its id and
 * the shutdown stage every thread watches.
 */

#ifndef AW_WORKER_H
#define AW_WORKER_H

#include "aw_config.h"

/* Shutdown stages, in order; each thread reads aw_stage() in its loops. */
enum {
    AW_RUNNING = 0,     /* take work */
    AW_DRAINING,        /* take no new agent, let in-flight runs finish */
    AW_ABORTING,        /* drain grace over: abort in-flight runs, hand back */
    AW_EXITING          /* give up on Redis, leave now */
};

#define AW_WORKER_ID_MAX  160

typedef struct {
    aw_config_t   cf;
    char          id[AW_WORKER_ID_MAX];     /* W: host:pid:random */
    int           stage;                    /* AW_RUNNING... (atomic) */
    int           registered;               /* first heartbeat written */
    int           live_slots;               /* slot threads not ended */
} aw_worker_t;

extern aw_worker_t  aw_worker;

static inline int
aw_stage(void)
{
    return __atomic_load_n(&aw_worker.stage, __ATOMIC_ACQUIRE);
}

static inline void
aw_set_stage(int stage)
{
    __atomic_store_n(&aw_worker.stage, stage, __ATOMIC_RELEASE);
}

/*
 * Sets aw_worker.id to "host:pid:random" (8 hex digits: a restarted process
 * with the same pid differs) and seeds random().  0 or -1.
 */
int aw_worker_make_id(void);

/*
 * Sleeps ms milliseconds (against the monotonic clock: a nanosleep() cut
 * short does not shorten it), checking the stage every 10 ms; returns
 * early once stage >= until.
 */
void aw_sleep_ms(int ms, int until);

#endif
