/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The run loop (--runs-in-flight N): one thread on which up to N claimed
 * runs execute at once, each on a fiber of its own (aw_fiber.h), their
 * model calls on one libcurl multi handle, their Redis commands on the
 * loop's one connection.  Slots still take agents and claim runs; a
 * claimed run is handed to the loop and the slot goes back to Pready.  A
 * run's fiber yields while its call is in flight and while it sleeps; the
 * loop resumes it when the call ends, when its time comes, and every
 * 100 ms, after one pipelined read of the cancel_requested of every run.
 * What a run does between two yields (parse an answer, write a step) is
 * short; nothing else waits on a thread.
 */

#ifndef AW_SCHED_H
#define AW_SCHED_H

#include <stdint.h>
#include <curl/curl.h>

#include "aw_backend.h"

typedef struct aw_job_s  aw_job_t;

/* A transfer of a fiber, as the loop reports its end. */
typedef struct {
    int         done;
    CURLcode    code;
    void       *run;                /* the fiber's run */
} aw_sched_xfer_t;

/*
 * Starts the loop thread with room for capacity runs; it counts in
 * aw_worker.live_slots and ends once the worker drains and holds no run.
 * 0 or -1.
 */
int aw_sched_start(int capacity);
void aw_sched_join(void);

/*
 * From a slot: hands the claimed, prepared job over (*job is left empty,
 * to be freed as such), waiting while the loop is full.  0; -1 when the
 * loop is closed (draining, ended): the slot executes the job itself.
 */
int aw_sched_submit(aw_job_t *job, const aw_backend_t *backend);

/* 1 when the calling code runs on a fiber of the loop. */
int aw_sched_on_fiber(void);

/* From a fiber: its job's cancel flag, as the last read found it. */
int aw_sched_cancelled(void);

/* From a fiber: yields until the monotonic time at_ns (or sooner). */
void aw_sched_wait(int64_t at_ns);

/* From a fiber: the loop's multi handle; xfer->run is filled here. */
CURLM *aw_sched_multi(aw_sched_xfer_t *xfer);

#endif
