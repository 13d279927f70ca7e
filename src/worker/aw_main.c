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

#include "aa_id.h"
#include "aa_time.h"
#include "aw_callback.h"
#include "aw_cancel.h"
#include "aw_heartbeat.h"
#include "aw_log.h"
#include "aw_slot.h"
#include "aw_worker.h"


/* after the drain grace, how long slots get to hand their runs back */
#define AW_ABORT_GRACE_MS  5000


aw_worker_t  aw_worker;


void
aw_sleep_ms(int ms, int until)
{
    struct timespec  ts;
    int              slice;

    while (ms > 0 && aw_stage() < until) {
        slice = ms < 10 ? ms : 10;
        ts.tv_sec = 0;
        ts.tv_nsec = (long) slice * 1000000;
        nanosleep(&ts, NULL);
        ms -= slice;
    }
}


static int
aw_worker_make_id(void)
{
    char  host[100], uuid[AA_UUID_LEN + 1];

    if (gethostname(host, sizeof(host)) != 0) {
        snprintf(host, sizeof(host), "localhost");
    }
    host[sizeof(host) - 1] = '\0';

    if (aa_uuid4(uuid) != 0) {
        return -1;
    }

    /* 8 random hex digits: a restarted process with the same pid differs */
    snprintf(aw_worker.id, sizeof(aw_worker.id), "%s:%d:%.8s", host,
             (int) getpid(), uuid);

    srandom((unsigned) (aa_now_us() ^ getpid()));

    return 0;
}


/* Waits for signals and walks the shutdown stages; returns when done. */
static void
aw_worker_wait(sigset_t *set)
{
    struct timespec  tick;
    siginfo_t        info;
    int64_t          now, drain_end, abort_end;
    int              sig, stage, live;

    tick.tv_sec = 0;
    tick.tv_nsec = 100 * 1000000;

    drain_end = 0;
    abort_end = 0;

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
                drain_end = now + aw_worker.cf.drain_ms;

            } else if (stage == AW_DRAINING) {
                aw_log_info(NULL, NULL, "%s again: handing in-flight runs "
                            "back now", strsignal(sig));
                drain_end = now;
            }

            continue;
        }

        if (stage == AW_RUNNING) {
            continue;
        }

        if (live == 0) {
            return;
        }

        if (stage == AW_DRAINING && now >= drain_end) {
            aw_log_info(NULL, NULL, "drain grace over: %d slot(s) busy, "
                        "handing their runs back", live);
            aw_set_stage(AW_ABORTING);
            abort_end = now + AW_ABORT_GRACE_MS;

        } else if (stage == AW_ABORTING && now >= abort_end) {
            aw_log_warn(NULL, NULL, "giving up on %d slot(s)", live);
            aw_set_stage(AW_EXITING);
        }
    }
}


int
main(int argc, char **argv)
{
    aw_config_t        *cf;
    const aw_backend_t *backend;
    aw_slot_t          *slots;
    pthread_t           hb;
    sigset_t            set;
    int                 i, rc, started;

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

    backend = aw_backend_find(cf->backend);

    if (backend == NULL || backend->init() != 0 || aw_callback_init() != 0
        || aw_worker_make_id() != 0)
    {
        aw_log_error(NULL, NULL, "cannot initialise (backend %s)",
                     cf->backend);
        aw_config_free(cf);
        return 1;
    }

    /* the threads inherit the mask; only sigtimedwait() sees them */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    slots = calloc((size_t) cf->concurrency, sizeof(aw_slot_t));
    if (slots == NULL) {
        aw_log_error(NULL, NULL, "out of memory");
        return 1;
    }

    aw_log_info(NULL, NULL, "starting worker %s: redis=%s prefix=%s "
                "backend=%s concurrency=%d max_attempts=%d", aw_worker.id,
                cf->redis, cf->prefix, cf->backend, cf->concurrency,
                cf->max_attempts);

    if (pthread_create(&hb, NULL, aw_heartbeat_main, NULL) != 0) {
        aw_log_error(NULL, NULL, "cannot start the heartbeat thread");
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

    aw_worker_wait(&set);

    for (i = 0; i < started; i++) {
        pthread_join(slots[i].thread, NULL);
    }

    aw_set_stage(AW_EXITING);
    pthread_join(hb, NULL);

    aw_heartbeat_retire();

    aw_log_info(NULL, NULL, "stopped worker %s", aw_worker.id);

    free(slots);
    aw_callback_cleanup();
    aw_config_free(cf);

    return started ? 0 : 1;
}
