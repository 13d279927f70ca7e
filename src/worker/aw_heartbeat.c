/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include "aa_time.h"
#include "aw_heartbeat.h"
#include "aw_log.h"
#include "aw_metrics.h"
#include "aw_redis.h"
#include "aw_store.h"
#include "aw_worker.h"


static int
aw_heartbeat_beat(aw_redis_t *r)
{
    int  alive;

    alive = aw_store_heartbeat(r);

    if (alive < 0) {
        /* slots take no new work until the heartbeat is back */
        __atomic_store_n(&aw_worker.registered, 0, __ATOMIC_RELEASE);
        return -1;
    }

    if (__atomic_load_n(&aw_worker.registered, __ATOMIC_ACQUIRE)) {
        if (!alive) {
            aw_log_warn(NULL, NULL, "heartbeat had expired: this worker may "
                        "have been reaped, its in-flight runs may run "
                        "twice (their finish is guarded by the lease)");
        }
        return 0;
    }

    aw_log_info(NULL, NULL, "registered worker %s", aw_worker.id);
    __atomic_store_n(&aw_worker.registered, 1, __ATOMIC_RELEASE);

    return 0;
}


/*
 * The socket timeout of the heartbeat connections: a beat that takes
 * longer than the lease is worthless, and at exit a frozen server must not
 * hold the worker for long.
 */
static int
aw_heartbeat_timeout_ms(void)
{
    return aw_worker.cf.lease_ttl_ms < 1000 ? 1000
                                            : aw_worker.cf.lease_ttl_ms;
}


void *
aw_heartbeat_main(void *arg)
{
    aw_redis_t  r;
    int64_t     now, next_beat, next_reap;

    aw_log_thread("hb");
    aw_redis_init(&r);
    r.timeout_ms = aw_heartbeat_timeout_ms();

    next_beat = 0;
    next_reap = 0;

    /*
     * Beats are at least --heartbeat-ms apart, counted from the start of
     * the previous one, whatever the stage (it beats on while the slots
     * drain: the in-flight runs are still this worker's) and however the
     * sleep ended.  Only AW_EXITING ends the loop.
     */
    while (aw_stage() < AW_EXITING) {
        now = aa_mono_ns() / 1000000;

        if (now < next_beat) {
            aw_sleep_ms((int) (next_beat - now), AW_EXITING);
            continue;
        }

        if (aw_redis_ensure(&r, AW_EXITING) != 0) {
            break;
        }

        now = aa_mono_ns() / 1000000;
        next_beat = now + aw_worker.cf.heartbeat_ms;

        if (aw_heartbeat_beat(&r) == 0) {
            aw_metrics_publish(&r);

            if (now >= next_reap) {
                aw_store_reap(&r, 0);
                next_reap = now + aw_worker.cf.reap_interval_ms;
            }
        }
    }

    aw_redis_close(&r);

    return NULL;
}


void
aw_heartbeat_retire(void)
{
    aw_redis_t  r;

    aw_redis_init(&r);
    r.timeout_ms = aw_heartbeat_timeout_ms();

    aw_store_reap(&r, 1);

    aw_redis_close(&r);
}
