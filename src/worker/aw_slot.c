/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_time.h"
#include "aw_job.h"
#include "aw_log.h"
#include "aw_metrics.h"
#include "aw_sched.h"
#include "aw_slot.h"
#include "aw_store.h"
#include "aw_worker.h"


#define AW_FINISH_ERRORS  3     /* error replies before giving up */
#define AW_FINISH_DROPS   8     /* lost connections: ~11 s of backoff */


/*
 * Gives the agent back to Pready, undoing this worker's claim on run (see
 * aw_undo_e).  Retried over lost connections until it lands or the worker
 * exits; what cannot be handed back is left to the reaper.
 */
static void
aw_slot_handback(aw_redis_t *redis, const char *agent, const char *run,
    aw_undo_e undo, const char *why)
{
    char  head[AA_ID_MAX];
    int   rc, refunded;

    refunded = 0;

    do {
        /* waits out the reconnect backoff: a retry never spins */
        if (aw_redis_ensure(redis, AW_EXITING) != 0) {
            aw_log_error(NULL, agent, "could not hand the agent back (%s): "
                         "it is left to the reaper", why);
            return;
        }

        rc = aw_store_handback(redis, agent, run, undo, head,
                               sizeof(head), &refunded);
    } while (rc == -1);

    if (rc != 0) {
        aw_log_error(NULL, agent, "could not hand the agent back (%s): it "
                     "is left to the reaper", why);
        return;
    }

    aw_log_info(head[0] ? head : NULL, agent, "handed back (%s)%s", why,
                refunded ? ", its claim undone and attempt refunded" : "");
}


/* A run popped unexecuted (its callback, if any, is queued already). */
static void
aw_slot_skipped(const char *agent, const char *run, const char *why)
{
    if (strcmp(why, "missing") == 0) {
        aw_log_warn(run, agent, "skipped: queued run has no hash");

    } else if (strcmp(why, "dead") == 0) {
        aw_log_warn(run, agent, "dead-lettered: failed after %d attempts",
                    aw_worker.cf.max_attempts);

    } else {
        aw_log_info(run, agent, "skipped: already %s (cancelled while "
                    "queued), not executed", why);
    }
}


/*
 * The terminal write, retried (aw_redis_ensure() waits out the reconnect
 * backoff, so this never spins) AW_FINISH_ERRORS times for error replies,
 * AW_FINISH_DROPS for lost connections, or until the drain grace is over;
 * then AW_FINISH_ERROR: the caller hands the run back.  A connection that
 * drops at every try may be dropped by this very write (larger than
 * proto-max-bulk-len, say): the bound keeps such a run from holding its
 * agent forever.
 */
static int
aw_slot_finish(aw_redis_t *redis, aw_job_t *job, const char *status,
    const char *stop_reason, int with_output, int64_t end_ns)
{
    aa_buf_t     usage;
    aw_finish_t  fin;
    int          rc, errors, drops;

    aa_buf_init(&usage);
    aa_usage_render(&usage, &job->usage);

    if (aa_buf_cstr(&usage) != 0) {
        aw_log_error(job->claim.run, job->claim.agent,
                     "finish: out of memory");
        return AW_FINISH_ERROR;
    }

    fin.status = status;
    fin.stop_reason = stop_reason;
    fin.error = job->error.len ? job->error.data : "";
    fin.ttft_ns = job->first_output_ns ? job->first_output_ns - job->claim_ns
                                       : -1;
    fin.total_ns = end_ns - job->claim_ns;
    fin.usage = usage.data;
    /* a failed agent loop keeps the messages of the steps it made */
    fin.messages = with_output || job->keep_messages ? &job->out_messages
                                                     : NULL;
    fin.steps = with_output || job->keep_messages ? &job->out_steps : NULL;
    fin.history = with_output ? &job->out_history : NULL;

    rc = AW_FINISH_ERROR;
    errors = 0;
    drops = 0;

    while (aw_redis_ensure(redis, AW_ABORTING) == 0) {
        rc = aw_store_finish(redis, &job->claim, &fin);

        if (rc == AW_FINISH_DROPPED) {
            if (++drops >= AW_FINISH_DROPS) {
                break;
            }
            continue;
        }

        if (rc == AW_FINISH_ERROR) {
            if (++errors >= AW_FINISH_ERRORS) {
                break;
            }
            aw_sleep_ms(1000, AW_ABORTING);
            continue;
        }

        break;
    }

    aa_buf_free(&usage);

    return rc < 0 ? AW_FINISH_ERROR : rc;
}


/*
 * A run's end, whichever thread executed it: the terminal write, or the
 * hand-back, and its log line.
 */
void
aw_slot_end(aw_redis_t *redis, const char *backend, aw_job_t *job, int rc)
{
    int          frc;
    int64_t      end_ns;
    const char  *status, *stop_reason, *run, *agent;

    run = job->claim.run;
    agent = job->claim.agent;
    end_ns = aa_mono_ns();

    if (rc == AW_JOB_SHUTDOWN) {
        aw_slot_handback(redis, agent, run, AW_UNDO_REFUND,
                         "drain grace over");
        return;
    }

    switch (rc) {
    case AW_JOB_DONE:
        status = "completed";
        stop_reason = job->stop_reason;
        break;

    case AW_JOB_CANCELLED:
        status = "cancelled";
        stop_reason = "cancelled";
        break;

    default:
        status = "failed";
        stop_reason = job->fail_reason != NULL ? job->fail_reason : "error";
        if (job->error.len == 0) {
            aw_job_fail(job, "the %s backend failed", backend);
        }
        break;
    }

    frc = aw_slot_finish(redis, job, status, stop_reason, rc == AW_JOB_DONE,
                         end_ns);

    if (frc == AW_FINISH_OK) {
        aw_metrics_run(status, stop_reason,
                       job->first_output_ns
                       ? job->first_output_ns - job->claim_ns : -1,
                       end_ns - job->claim_ns);
    }

    if (frc == AW_FINISH_OK || frc == AW_FINISH_ALREADY) {
        if (rc == AW_JOB_FAILED) {
            aw_log_warn(run, agent, "failed attempt=%ld error=\"%s\"",
                        job->claim.attempts, job->error.data);
        } else {
            aw_log_info(run, agent, "%s stop_reason=%s messages=%zu "
                        "ttft_ms=%.1f total_ms=%.1f", status, stop_reason,
                        rc == AW_JOB_DONE ? job->out_messages.n : 0,
                        job->first_output_ns
                        ? (job->first_output_ns - job->claim_ns) / 1e6 : 0.0,
                        (end_ns - job->claim_ns) / 1e6);
        }

    } else if (frc == AW_FINISH_ERROR) {
        aw_log_error(run, agent, "could not write the terminal state (%s): "
                     "the run will be claimed again", status);
        aw_slot_handback(redis, agent, run, AW_UNDO_COUNT,
                         "terminal write failed");
    }
}


static void
aw_slot_execute(aw_slot_t *s, aw_job_t *job)
{
    int          rc;
    const char  *run, *agent;

    run = job->claim.run;
    agent = job->claim.agent;

    aw_log_info(run, agent, "claimed attempt=%ld lease=%s",
                job->claim.attempts, job->claim.lease);

    job->upstream_agent = s->backend->upstream_agents;

    if (aw_job_prepare(job) != 0) {
        rc = AW_JOB_FAILED;

    } else {
        /* cancelled while in flight, before a crash or a hand-back */
        rc = job->claim.cancel_requested ? AW_JOB_CANCELLED
                                         : aw_job_check(job);

        if (rc == 0) {
            aw_log_info(run, agent, "running backend=%s messages=%zu",
                        s->backend->name, job->messages->u.array.len);

            /* the run loop executes it, if there is one with room */
            if (aw_worker.cf.runs_in_flight > 0
                && aw_sched_submit(job, s->backend) == 0)
            {
                return;
            }

            rc = s->backend->run(job);
        }
    }

    aw_slot_end(&s->redis, s->backend->name, job, rc);
    aw_backend_ended(s->backend, job, rc);
}


/*
 * One agent taken from Pready: runs popped unexecuted are skipped, up to
 * the first run to execute.  Its finish gives the agent back to Pready
 * (behind other agents), so one claimed run per take.
 */
static void
aw_slot_agent(aw_slot_t *s, const char *agent)
{
    aw_job_t     job;
    const char  *why;
    int          rc;

    /* taken while the drain began: not started, so given back at once */
    if (aw_stage() != AW_RUNNING) {
        aw_slot_handback(&s->redis, agent, NULL, AW_UNDO_NONE, "draining");
        return;
    }

    for ( ;; ) {
        aw_job_init(&job, &s->redis);

        rc = aw_store_claim(&s->redis, agent, &job.claim, &why);
        job.claim_ns = aa_mono_ns();

        if (rc == AW_CLAIM_CLAIMED) {
            aw_slot_execute(s, &job);

        } else if (rc == AW_CLAIM_SKIPPED || rc == AW_CLAIM_SKIPPED_LAST) {
            aw_slot_skipped(agent, job.claim.run, why);
        }

        if (rc == AW_CLAIM_ERROR) {
            /* maybe claimed, maybe not: undo whatever landed */
            aw_slot_handback(&s->redis, agent, job.claim.run, AW_UNDO_REFUND,
                             "claim failed");
        }

        aw_job_free(&job);

        if (rc != AW_CLAIM_SKIPPED && rc != AW_CLAIM_MOVED) {
            return;
        }
    }
}


void *
aw_slot_main(void *arg)
{
    aw_slot_t  *s;
    char        agent[AA_ID_MAX];
    int         rc;

    s = arg;
    aw_log_thread(s->name);

    while (aw_stage() == AW_RUNNING) {
        /*
         * No work while the heartbeat is not there (at start, or after it
         * failed): if this process died then, nobody would reap it.
         */
        if (!__atomic_load_n(&aw_worker.registered, __ATOMIC_ACQUIRE)) {
            aw_sleep_ms(20, AW_DRAINING);
            continue;
        }

        /* waits out the reconnect backoff of a lost connection */
        if (aw_redis_ensure(&s->redis, AW_DRAINING) != 0) {
            break;
        }

        rc = aw_store_take(&s->redis, agent, sizeof(agent));

        if (rc == -2) {
            aw_sleep_ms(1000, AW_DRAINING);
        }

        if (rc != 1) {
            continue;
        }

        aw_log_debug(NULL, agent, "taken from ready");
        aw_slot_agent(s, agent);
    }

    aw_redis_close(&s->redis);
    __atomic_sub_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);

    return NULL;
}
