/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aa_time.h"
#include "aw_fiber.h"
#include "aw_job.h"
#include "aw_log.h"
#include "aw_sched.h"
#include "aw_slot.h"
#include "aw_worker.h"


#define AW_TICK_NS  (100 * 1000000LL)  /* cancel reads, and resumes */


typedef struct aw_run_s  aw_run_t;

struct aw_run_s {
    aw_job_t             job;
    const aw_backend_t  *backend;
    aw_fiber_t           fiber;
    int64_t              wake_ns;       /* resume at; 0: at once */
    int                  cancel;        /* the last read's verdict */
    aw_run_t            *next;
};

static struct {
    pthread_t        thread;
    pthread_mutex_t  lock;
    pthread_cond_t   room;
    aw_run_t        *pending;       /* handed over, not started yet */
    int              in_flight;     /* pending and running */
    int              capacity;
    int              closed;
    int              started;
    CURLM           *multi;
    aw_redis_t       redis;
    aw_run_t        *runs;          /* running, the loop's own */
    aw_run_t        *current;       /* the fiber being run */
} aw_sched = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .room = PTHREAD_COND_INITIALIZER,
};


int
aw_sched_on_fiber(void)
{
    /* fibers run on the loop's thread only */
    return aw_fiber_current() != NULL;
}


int
aw_sched_cancelled(void)
{
    return aw_sched.current != NULL && aw_sched.current->cancel;
}


void
aw_sched_wait(int64_t at_ns)
{
    aw_sched.current->wake_ns = at_ns;
    aw_fiber_yield();
}


CURLM *
aw_sched_multi(aw_sched_xfer_t *xfer)
{
    xfer->run = aw_sched.current;
    return aw_sched.multi;
}


/* The run's code: the backend, then the terminal write, as a slot does. */
static void
aw_sched_fiber(void *arg)
{
    aw_run_t  *run;
    int        rc;

    run = arg;
    rc = run->backend->run(&run->job);
    aw_slot_end(&aw_sched.redis, run->backend->name, &run->job, rc);
    aw_backend_ended(run->backend, &run->job, rc);
}


int
aw_sched_submit(aw_job_t *job, const aw_backend_t *backend)
{
    aw_run_t  *run;

    pthread_mutex_lock(&aw_sched.lock);

    while (!aw_sched.closed && aw_sched.in_flight >= aw_sched.capacity
           && aw_stage() < AW_ABORTING)
    {
        struct timespec  ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&aw_sched.room, &aw_sched.lock, &ts);
    }

    if (aw_sched.closed || aw_sched.in_flight >= aw_sched.capacity) {
        pthread_mutex_unlock(&aw_sched.lock);
        return -1;
    }

    run = calloc(1, sizeof(aw_run_t));
    if (run == NULL) {
        pthread_mutex_unlock(&aw_sched.lock);
        return -1;
    }

    /* the job's buffers move with it; the slot keeps an empty one */
    run->job = *job;
    run->job.redis = &aw_sched.redis;
    run->backend = backend;
    aw_job_init(job, job->redis);

    run->next = aw_sched.pending;
    aw_sched.pending = run;
    aw_sched.in_flight++;

    pthread_mutex_unlock(&aw_sched.lock);

    curl_multi_wakeup(aw_sched.multi);

    return 0;
}


/*
 * One round trip for every run's cancel_requested (pipelined HMGET): a
 * set flag or a hash gone (deleted) cancels.  A Redis error is no
 * cancellation: the connection is dropped, the next read reconnects.
 */
static void
aw_sched_read_cancels(void)
{
    aw_run_t     *run;
    redisReply   *reply;
    redisContext *c;
    int           ok;

    if (aw_sched.runs == NULL
        || aw_redis_ensure(&aw_sched.redis, AW_EXITING) != 0)
    {
        return;
    }

    c = aw_sched.redis.ctx;
    ok = 1;

    for (run = aw_sched.runs; run != NULL; run = run->next) {
        if (redisAppendCommand(c, "HMGET %s cancel_requested status",
                               run->job.claim.run_key) != REDIS_OK)
        {
            ok = 0;
            break;
        }
    }

    for (run = aw_sched.runs; ok && run != NULL; run = run->next) {
        if (redisGetReply(c, (void **) &reply) != REDIS_OK || reply == NULL) {
            ok = 0;
            break;
        }

        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
            run->cancel = (reply->element[0]->type == REDIS_REPLY_STRING
                           && strcmp(reply->element[0]->str, "1") == 0)
                          || reply->element[1]->type == REDIS_REPLY_NIL;
        }

        freeReplyObject(reply);
    }

    if (!ok) {
        aw_log_warn(NULL, NULL, "run loop: reading cancellations: %s",
                    c->errstr[0] ? c->errstr : "no reply");
        aw_redis_close(&aw_sched.redis);
    }
}


static void
aw_sched_transfers(void)
{
    CURLMsg          *msg;
    aw_sched_xfer_t  *x;
    int               left;

    while ((msg = curl_multi_info_read(aw_sched.multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &x);

        if (x != NULL) {
            x->done = 1;
            x->code = msg->data.result;
            ((aw_run_t *) x->run)->wake_ns = 0;
        }
    }
}


/* Starts what was handed over; 1 when the loop may end. */
static int
aw_sched_take(void)
{
    aw_run_t  *list, *run;
    int        end;

    pthread_mutex_lock(&aw_sched.lock);
    list = aw_sched.pending;
    aw_sched.pending = NULL;

    /* draining and holding nothing: closed, slots execute what is left */
    end = list == NULL && aw_sched.runs == NULL
          && aw_sched.in_flight == 0 && aw_stage() >= AW_DRAINING;
    if (end) {
        aw_sched.closed = 1;
    }

    pthread_mutex_unlock(&aw_sched.lock);

    while (list != NULL) {
        run = list;
        list = run->next;

        if (aw_fiber_init(&run->fiber, aw_sched_fiber, run) != 0) {
            /* no stack for it: the run is failed, as out of memory */
            aw_log_error(run->job.claim.run, run->job.claim.agent,
                         "run loop: out of memory");
            aw_job_fail(&run->job, "out of memory");
            aw_slot_end(&aw_sched.redis, run->backend->name, &run->job,
                        AW_JOB_FAILED);
            aw_job_free(&run->job);
            free(run);

            pthread_mutex_lock(&aw_sched.lock);
            aw_sched.in_flight--;
            pthread_cond_signal(&aw_sched.room);
            pthread_mutex_unlock(&aw_sched.lock);
            continue;
        }

        run->wake_ns = 0;
        run->next = aw_sched.runs;
        aw_sched.runs = run;
    }

    return end;
}


/* Resumes the runs due (all of them on a tick); frees those that ended. */
static int64_t
aw_sched_resume(int tick)
{
    aw_run_t  **pp, *run;
    int64_t     now, next;
    int         ended;

    next = aa_mono_ns() + AW_TICK_NS;
    ended = 0;
    pp = &aw_sched.runs;

    while ((run = *pp) != NULL) {
        now = aa_mono_ns();

        if (tick || run->wake_ns <= now) {
            aw_sched.current = run;
            aw_fiber_resume(&run->fiber);
            aw_sched.current = NULL;
        }

        if (run->fiber.done) {
            *pp = run->next;
            aw_fiber_free(&run->fiber);
            aw_job_free(&run->job);
            free(run);
            ended++;
            continue;
        }

        if (run->wake_ns < next) {
            next = run->wake_ns;
        }

        pp = &run->next;
    }

    if (ended) {
        pthread_mutex_lock(&aw_sched.lock);
        aw_sched.in_flight -= ended;
        pthread_cond_broadcast(&aw_sched.room);
        pthread_mutex_unlock(&aw_sched.lock);
    }

    return next;
}


static void *
aw_sched_main(void *arg)
{
    int      running, timeout, tick;
    int64_t  next_tick, next, now;

    aw_log_thread("loop");
    next_tick = aa_mono_ns() + AW_TICK_NS;

    for ( ;; ) {
        if (aw_sched_take()) {
            break;
        }

        curl_multi_perform(aw_sched.multi, &running);
        aw_sched_transfers();

        now = aa_mono_ns();
        tick = now >= next_tick;

        if (tick) {
            aw_sched_read_cancels();
            next_tick = now + AW_TICK_NS;
        }

        next = aw_sched_resume(tick);
        if (next > next_tick) {
            next = next_tick;
        }

        now = aa_mono_ns();
        timeout = next <= now ? 0 : (int) ((next - now + 999999) / 1000000);

        curl_multi_poll(aw_sched.multi, NULL, 0, timeout, NULL);
    }

    aw_redis_close(&aw_sched.redis);
    __atomic_sub_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);

    return NULL;
}


int
aw_sched_start(int capacity)
{
    aw_sched.capacity = capacity;
    aw_sched.multi = curl_multi_init();

    if (aw_sched.multi == NULL) {
        return -1;
    }

    aw_redis_init(&aw_sched.redis);
    __atomic_add_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);

    if (pthread_create(&aw_sched.thread, NULL, aw_sched_main, NULL) != 0) {
        __atomic_sub_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);
        return -1;
    }

    aw_sched.started = 1;

    return 0;
}


void
aw_sched_join(void)
{
    if (aw_sched.started) {
        pthread_join(aw_sched.thread, NULL);
        curl_multi_cleanup(aw_sched.multi);
    }
}
