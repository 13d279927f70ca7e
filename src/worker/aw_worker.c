/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The process-wide state every thread shares: the configuration, the
 * worker id, the shutdown stage.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "aa_id.h"
#include "aa_time.h"
#include "aw_worker.h"


/* aw_sleep_ms() checks the stage this often */
#define AW_SLEEP_SLICE_NS  (10 * 1000000LL)


aw_worker_t  aw_worker;


void
aw_sleep_ms(int ms, int until)
{
    struct timespec  ts;
    int64_t          now, end, left;

    /*
     * Against a deadline, not by counting slices: a nanosleep() cut short
     * (EINTR) must not shorten the sleep, or a loop that sleeps between
     * Redis calls would spin.
     */
    now = aa_mono_ns();
    end = now + (int64_t) ms * 1000000;

    while (now < end && aw_stage() < until) {
        left = end - now;
        if (left > AW_SLEEP_SLICE_NS) {
            left = AW_SLEEP_SLICE_NS;
        }

        ts.tv_sec = 0;
        ts.tv_nsec = (long) left;
        (void) nanosleep(&ts, NULL);

        now = aa_mono_ns();
    }
}


int
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
