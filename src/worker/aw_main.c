/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * agent-async-worker: executes the runs that ngx_http_agent_async_module
 * queues in Redis.  docs/worker.md describes it, docs/redis-keys.md the
 * contract it shares with the module.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "aa_time.h"
#include "aw_delivery.h"
#include "aw_cancel.h"
#include "aw_migrate.h"
#include "aw_heartbeat.h"
#include "aw_log.h"
#include "aw_sched.h"
#include "aw_slot.h"
#include "aw_sweep.h"
#include "aw_worker.h"


/* after the drain grace, how long slots get to hand their runs back */
#define AW_ABORT_GRACE_MS  5000

/* then, with Redis given up, how long they get to end before exit */
#define AW_EXIT_GRACE_MS   1000

/*
 * Waits for signals and walks the shutdown stages.  Returns 0 once every
 * slot has ended, or the number of slots still running when the last
 * grace ran out: those are abandoned, the process exits without them.  So
 * it never waits longer than drain + abort + exit grace after the first
 * signal, whatever a slot is stuck in.
 */
static int
aw_worker_wait(sigset_t *set)
{
    struct timespec  tick;
    siginfo_t        info;
    int64_t          now, end;
    int              sig, stage, live;

    tick.tv_sec = 0;
    tick.tv_nsec = 100 * 1000000;

    end = 0;        /* end of the grace of the current stage */

    for ( ;; ) {
        sig = sigtimedwait(set, &info, &tick);
        now = aa_mono_ns() / 1000000;
        stage = aw_stage();
        live = __atomic_load_n(&aw_worker.live_slots, __ATOMIC_ACQUIRE);

        if (sig > 0) {
            if (stage == AW_RUNNING) {
                aw_log_info(NULL, NULL, "%s: draining: no new runs, %d ms "
                            "for the runs in flight", strsignal(sig),
                            aw_worker.cf.drain_ms);
                aw_set_stage(AW_DRAINING);
                stage = AW_DRAINING;
                end = now + aw_worker.cf.drain_ms;

            } else {
                /* another signal: the current grace is over */
                aw_log_info(NULL, NULL, "%s again: cutting the %s grace "
                            "short", strsignal(sig),
                            stage == AW_DRAINING ? "drain"
                            : stage == AW_ABORTING ? "abort" : "exit");
                end = now;
            }

            /* no continue: signals must not postpone the deadlines */
        }

        if (stage == AW_RUNNING) {
            continue;
        }

        if (live == 0) {
            return 0;
        }

        if (end == 0) {
            /* draining without a signal: no slot could be started */
            end = now;
        }

        if (now < end) {
            continue;
        }

        switch (stage) {

        case AW_DRAINING:
            aw_log_info(NULL, NULL, "drain grace over: %d slot(s) busy, "
                        "handing their runs back", live);
            aw_set_stage(AW_ABORTING);
            end = now + AW_ABORT_GRACE_MS;
            break;

        case AW_ABORTING:
            aw_log_warn(NULL, NULL, "abort grace over: %d slot(s) still "
                        "busy, giving up on Redis", live);
            aw_set_stage(AW_EXITING);
            end = now + AW_EXIT_GRACE_MS;
            break;

        default:
            aw_log_warn(NULL, NULL, "giving up on %d slot(s): exiting "
                        "without them", live);
            return live;
        }
    }
}


int
main(int argc, char **argv)
{
    aw_config_t        *cf;
    const aw_backend_t *backend;
    aw_slot_t          *slots;
    pthread_t           hb, cb, sw;
    sigset_t            set;
    int                 i, rc, started, stuck;

    cf = &aw_worker.cf;

    if (aw_config_load(cf, argc, argv) != 0) {
        aw_config_free(cf);
        return 2;
    }

    if (cf->help) {
        aw_config_usage(argv[0]);
        aw_config_free(cf);
        return 0;
    }

    aw_log_level = cf->log_level;

    if (cf->cancel != NULL) {
        rc = aw_cancel_main(cf->cancel);
        aw_config_free(cf);
        return rc;
    }

    if (cf->migrate_keys) {
        rc = aw_migrate_main();
        aw_config_free(cf);
        return rc;
    }

    /*
     * Before anything else is set up (library initialisation can take a
     * while, the SAN build longer): from here a SIGTERM is a drain request
     * that sigtimedwait() collects, never the default action.  Every
     * thread inherits the mask.  A disposition of SIG_IGN inherited from
     * the parent would not matter (blocked signals stay pending) but is
     * reset anyway.
     */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);

    backend = aw_backend_find(cf->backend);

    /* before any thread: curl_global_init() is not thread-safe */
    if (backend == NULL || backend->init() != 0
        || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK
        || aw_worker_make_id() != 0)
    {
        aw_log_error(NULL, NULL, "cannot initialise (backend %s)",
                     cf->backend);
        aw_config_free(cf);
        return 1;
    }

    slots = calloc((size_t) cf->concurrency, sizeof(aw_slot_t));
    if (slots == NULL) {
        aw_log_error(NULL, NULL, "out of memory");
        return 1;
    }

    aw_log_info(NULL, NULL, "starting worker %s: redis=%s prefix=%s "
                "backend=%s concurrency=%d max_attempts=%d callbacks: "
                "concurrency=%d attempts=%d%s%s", aw_worker.id, cf->redis,
                cf->prefix, cf->backend, cf->concurrency, cf->max_attempts,
                cf->callback_concurrency, cf->callback_attempts,
                cf->sign_keylen ? " signed" : "",
                cf->nallow ? " allow-list" : "");

    if (pthread_create(&hb, NULL, aw_heartbeat_main, NULL) != 0) {
        aw_log_error(NULL, NULL, "cannot start the heartbeat thread");
        return 1;
    }

    /* the delivery thread ends with the slots: it counts as one */
    __atomic_add_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);

    if (pthread_create(&cb, NULL, aw_delivery_main, NULL) != 0) {
        aw_log_error(NULL, NULL, "cannot start the callback thread");
        return 1;
    }

    /* the sweep thread too leaves at the drain, as a slot */
    __atomic_add_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);

    if (pthread_create(&sw, NULL, aw_sweep_main, NULL) != 0) {
        aw_log_error(NULL, NULL, "cannot start the sweep thread");
        return 1;
    }

    /* the run loop, before the slots that hand it their runs */
    if (cf->runs_in_flight > 0 && aw_sched_start(cf->runs_in_flight) != 0) {
        aw_log_error(NULL, NULL, "cannot start the run loop");
        return 1;
    }

    started = 0;

    for (i = 0; i < cf->concurrency; i++) {
        slots[i].index = i;
        slots[i].backend = backend;
        snprintf(slots[i].name, sizeof(slots[i].name), "slot%d", i);
        aw_redis_init(&slots[i].redis);

        __atomic_add_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);

        if (pthread_create(&slots[i].thread, NULL, aw_slot_main, &slots[i])
            != 0)
        {
            __atomic_sub_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);
            aw_log_error(NULL, NULL, "cannot start slot %d: %s", i,
                         strerror(errno));
            break;
        }

        started++;
    }

    if (started == 0) {
        aw_set_stage(AW_DRAINING);
    }

    stuck = aw_worker_wait(&set);

    if (stuck == 0) {
        for (i = 0; i < started; i++) {
            pthread_join(slots[i].thread, NULL);
        }

        pthread_join(cb, NULL);
        pthread_join(sw, NULL);
        aw_sched_join();
    }

    /* the heartbeat thread leaves its loop at once, then the beat ends */
    aw_set_stage(AW_EXITING);
    pthread_join(hb, NULL);

    aw_heartbeat_retire();

    if (stuck) {
        /*
         * Abandoned slots still use their memory, the configuration and
         * libcurl: free nothing, exit() ends them.
         */
        aw_log_warn(NULL, NULL, "stopped worker %s (%d slot(s) abandoned)",
                    aw_worker.id, stuck);
        return 1;
    }

    aw_log_info(NULL, NULL, "stopped worker %s", aw_worker.id);

    free(slots);
    curl_global_cleanup();
    aw_config_free(cf);

    return started ? 0 : 1;
}
