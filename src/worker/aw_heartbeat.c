/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <string.h>

#include "aa_keys.h"
#include "aa_time.h"
#include "aw_heartbeat.h"
#include "aw_log.h"
#include "aw_redis.h"
#include "aw_worker.h"


static int
aw_heartbeat_beat(aw_redis_t *r, const char *wkey, const char *workers)
{
    const char  *argv[5];
    char         now[32], ttl[16];
    redisReply  *reply;
    int          alive;

    aa_time_run(aa_now_us(), now);
    snprintf(ttl, sizeof(ttl), "%d", aw_worker.cf.lease_ttl_ms);

    argv[0] = wkey;
    argv[1] = workers;
    argv[2] = now;
    argv[3] = ttl;
    argv[4] = aw_worker.id;

    reply = aw_redis_eval(r, AW_SCRIPT_HEARTBEAT, 2, 5, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        aw_log_warn(NULL, NULL, "heartbeat failed: %s", aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }

        /* slots take no new work until the heartbeat is back */
        __atomic_store_n(&aw_worker.registered, 0, __ATOMIC_RELEASE);
        return -1;
    }

    alive = reply->integer == 1;
    freeReplyObject(reply);

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


static void
aw_heartbeat_reap(aw_redis_t *r, const char *workers, const char *ready,
    const char *only)
{
    const char  *argv[4];
    redisReply  *reply, **e;
    size_t       i;

    argv[0] = workers;
    argv[1] = ready;
    argv[2] = aw_worker.cf.prefix;
    argv[3] = only;

    reply = aw_redis_eval(r, AW_SCRIPT_REAP, 2, 4, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        aw_log_warn(NULL, NULL, "reaper failed: %s", aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return;
    }

    e = reply->element;

    for (i = 0; i + 2 < reply->elements; i += 3) {
        if (e[i]->type != REDIS_REPLY_STRING
            || e[i + 1]->type != REDIS_REPLY_STRING
            || e[i + 2]->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        if (only[0] != '\0') {
            aw_log_warn(e[i + 2]->len ? e[i + 2]->str : NULL,
                        e[i + 1]->str, "left over at exit: handed back");
        } else {
            aw_log_warn(e[i + 2]->len ? e[i + 2]->str : NULL,
                        e[i + 1]->str, "reaped: worker %s stopped beating, "
                        "agent handed back to ready", e[i]->str);
        }
    }

    freeReplyObject(reply);
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
    char        wkey[AA_KEY_MAX], workers[AA_KEY_MAX], ready[AA_KEY_MAX];
    int64_t     now, next_beat, next_reap;

    aw_log_thread("hb");
    aw_redis_init(&r);
    r.timeout_ms = aw_heartbeat_timeout_ms();

    aa_key_worker(wkey, sizeof(wkey), aw_worker.cf.prefix, aw_worker.id);
    aa_key_workers(workers, sizeof(workers), aw_worker.cf.prefix);
    aa_key_ready(ready, sizeof(ready), aw_worker.cf.prefix);

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

        if (aw_heartbeat_beat(&r, wkey, workers) == 0 && now >= next_reap) {
            aw_heartbeat_reap(&r, workers, ready, "");
            next_reap = now + aw_worker.cf.reap_interval_ms;
        }
    }

    aw_redis_close(&r);

    return NULL;
}


void
aw_heartbeat_retire(void)
{
    aw_redis_t  r;
    char        workers[AA_KEY_MAX], ready[AA_KEY_MAX];

    aw_redis_init(&r);
    r.timeout_ms = aw_heartbeat_timeout_ms();

    aa_key_workers(workers, sizeof(workers), aw_worker.cf.prefix);
    aa_key_ready(ready, sizeof(ready), aw_worker.cf.prefix);

    aw_heartbeat_reap(&r, workers, ready, aw_worker.id);

    aw_redis_close(&r);
}
