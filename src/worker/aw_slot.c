/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_keys.h"
#include "aa_time.h"
#include "aw_callback.h"
#include "aw_job.h"
#include "aw_log.h"
#include "aw_slot.h"
#include "aw_worker.h"


/* what a hand-back does to this worker's claim on the head run */
enum {
    AW_UNDO_NONE = 0,       /* no claim: just give the agent back */
    AW_UNDO_REFUND,         /* undo it and refund the attempt */
    AW_UNDO_COUNT           /* undo it; the attempt counts */
};


#define AW_FINISH_ERRORS  3     /* error replies before giving up */
#define AW_FINISH_DROPS   8     /* lost connections: ~11 s of backoff */

typedef enum {
    AW_CLAIM_ERROR = -1,
    AW_CLAIM_CLAIMED = 0,
    AW_CLAIM_EMPTY,
    AW_CLAIM_MORE
} aw_claim_rc_e;


typedef struct {
    char  ready[AA_KEY_MAX];
    char  processing[AA_KEY_MAX];
    char  dead[AA_KEY_MAX];
    char  queue[AA_KEY_MAX];
    char  agent[AA_KEY_MAX];
    char  messages[AA_KEY_MAX];
    char  history[AA_KEY_MAX];
} aw_slot_keys_t;


static int
aw_reply_str(redisReply *r, const char **s, size_t *len)
{
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
        return -1;
    }

    *s = r->str;
    *len = r->len;

    return 0;
}


static int
aw_reply_copy(redisReply *r, char *out, size_t size)
{
    if (r->type != REDIS_REPLY_STRING || r->len >= size) {
        return -1;
    }

    memcpy(out, r->str, r->len);
    out[r->len] = '\0';

    return 0;
}


/*
 * Gives the agent back to Pready.  With AW_UNDO_REFUND or AW_UNDO_COUNT, a
 * claim of this worker on the head run is undone first (lease removed);
 * REFUND also gives the attempt back: an attempt interrupted by a drain
 * is not the run's fault, one whose result could not be written counts,
 * so that such a run ends dead-lettered, not re-run forever.  Retried
 * until it lands or the worker exits.
 */
static void
aw_slot_handback(aw_slot_t *s, aw_slot_keys_t *k, const char *agent,
    int undo, const char *why)
{
    const char  *argv[7];
    redisReply  *reply;
    const char  *run;
    size_t       len;
    long         refunded;

    argv[0] = k->processing;
    argv[1] = k->ready;
    argv[2] = k->queue;
    argv[3] = agent;
    argv[4] = undo != AW_UNDO_NONE ? aw_worker.id : "";
    argv[5] = aw_worker.cf.prefix;
    argv[6] = undo == AW_UNDO_REFUND ? "1" : "0";

    for ( ;; ) {
        /* waits out the reconnect backoff: a retry never spins */
        if (aw_redis_ensure(&s->redis, AW_EXITING) != 0) {
            aw_log_error(NULL, agent, "could not hand the agent back (%s): "
                         "it is left to the reaper", why);
            return;
        }

        reply = aw_redis_eval(&s->redis, AW_SCRIPT_HANDBACK, 3, 7, argv,
                              NULL);
        if (reply == NULL) {
            continue;
        }

        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
            || aw_reply_str(reply->element[0], &run, &len) != 0)
        {
            aw_log_error(NULL, agent, "handback failed: %s: it is left to "
                         "the reaper", aw_redis_what(reply));
            freeReplyObject(reply);
            return;
        }

        refunded = reply->element[1]->integer;

        aw_log_info(len ? run : NULL, agent, "handed back (%s)%s", why,
                    refunded ? ", its claim undone and attempt refunded"
                             : "");

        freeReplyObject(reply);
        return;
    }
}


/*
 * Runs popped by the claim without being executed: logged at once, their
 * callbacks sent (with callbacks set) after the claimed run, so that they
 * do not delay it.
 */
static void
aw_slot_skipped(aw_slot_t *s, const char *agent, redisReply *list,
    int callbacks)
{
    size_t       i;
    const char  *why;
    char         run[AA_ID_MAX];

    for (i = 0; i + 1 < list->elements; i += 2) {
        if (aw_reply_copy(list->element[i], run, sizeof(run)) != 0
            || list->element[i + 1]->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        why = list->element[i + 1]->str;

        if (strcmp(why, "missing") == 0) {
            if (!callbacks) {
                aw_log_warn(run, agent, "skipped: queued run has no hash");
            }
            continue;
        }

        if (callbacks) {
            aw_callback_run(&s->redis, agent, run);

        } else if (strcmp(why, "dead") == 0) {
            aw_log_warn(run, agent, "dead-lettered: failed after %d "
                        "attempts", aw_worker.cf.max_attempts);

        } else {
            aw_log_info(run, agent, "skipped: already %s (cancelled while "
                        "queued), not executed", why);
        }
    }
}


/*
 * The claim script.  *skipped gets the reply, whose element 1 lists the
 * runs popped unexecuted: the caller handles them (aw_slot_skipped) after
 * the claimed run, so their callbacks do not delay it, then frees it.
 */
static int
aw_slot_claim(aw_slot_t *s, aw_slot_keys_t *k, const char *agent,
    aw_job_t *job, redisReply **skipped)
{
    const char  *argv[9], *what;
    char         max[16], now[32];
    size_t       len;
    redisReply  *reply, **e;
    int          rc;

    snprintf(max, sizeof(max), "%d", aw_worker.cf.max_attempts);
    aa_time_run(aa_now_us(), now);

    argv[0] = k->queue;
    argv[1] = k->processing;
    argv[2] = k->agent;
    argv[3] = k->dead;
    argv[4] = aw_worker.cf.prefix;
    argv[5] = agent;
    argv[6] = aw_worker.id;
    argv[7] = max;
    argv[8] = now;

    reply = aw_redis_eval(&s->redis, AW_SCRIPT_CLAIM, 4, 9, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 2
        || aw_reply_str(reply->element[0], &what, &len) != 0
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        aw_log_error(NULL, agent, "claim failed: %s", aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return AW_CLAIM_ERROR;
    }

    job->claim_ns = aa_mono_ns();
    e = reply->element;

    if (strcmp(what, "empty") == 0) {
        rc = AW_CLAIM_EMPTY;

    } else if (strcmp(what, "more") == 0) {
        rc = AW_CLAIM_MORE;

    } else if (reply->elements == 10
               && aw_reply_copy(e[2], job->run, sizeof(job->run)) == 0
               && e[3]->type == REDIS_REPLY_INTEGER
               && aw_reply_copy(e[4], job->lease, sizeof(job->lease)) == 0
               && e[5]->type == REDIS_REPLY_STRING
               && e[6]->type == REDIS_REPLY_STRING
               && e[7]->type == REDIS_REPLY_STRING
               && e[8]->type == REDIS_REPLY_INTEGER
               && e[9]->type == REDIS_REPLY_STRING)
    {
        rc = AW_CLAIM_CLAIMED;

        snprintf(job->agent, sizeof(job->agent), "%s", agent);
        job->attempts = (long) e[3]->integer;
        job->request = strndup(e[5]->str, e[5]->len);
        job->created_us = strtoll(e[7]->str, NULL, 10);
        job->agent_exists = e[8]->integer == 1;
        job->cancel_requested = e[6]->len == 1 && e[6]->str[0] == '1';
        job->has_callback = e[9]->len > 0;

        if (job->request == NULL
            || aa_key_run(job->run_key, sizeof(job->run_key),
                          aw_worker.cf.prefix, agent, job->run) < 0)
        {
            aw_log_error(job->run, agent, "claim: out of memory");
            rc = AW_CLAIM_ERROR;
        }

    } else {
        aw_log_error(NULL, agent, "claim: unexpected reply");
        rc = AW_CLAIM_ERROR;
    }

    *skipped = reply;

    return rc;
}


typedef enum {
    AW_FINISH_OK = 0,
    AW_FINISH_ALREADY,
    AW_FINISH_LOST,
    AW_FINISH_GAVE_UP
} aw_finish_rc_e;


/* The terminal write; retried over connection errors. */
static int
aw_slot_finish(aw_slot_t *s, aw_slot_keys_t *k, aw_job_t *job,
    const char *status, const char *stop_reason, int with_output,
    int64_t end_ns)
{
    const char  **argv;
    size_t       *lens, n, i, j, nmsg, nhist;
    char          now[32], ttft[32], total[32], count[32];
    aa_buf_t      usage;
    redisReply   *reply;
    const char   *what;
    size_t        len;
    int           rc, errors, drops;

    nmsg = with_output ? job->out_messages.n : 0;
    nhist = with_output ? job->out_history.n : 0;
    n = 17 + nmsg + nhist;

    argv = malloc(n * sizeof(char *));
    lens = malloc(n * sizeof(size_t));
    aa_buf_init(&usage);
    aa_usage_render(&usage, &job->usage);
    aa_buf_cstr(&usage);

    if (argv == NULL || lens == NULL || usage.failed) {
        free(argv);
        free(lens);
        aa_buf_free(&usage);
        aw_log_error(job->run, job->agent, "finish: out of memory");
        return AW_FINISH_GAVE_UP;
    }

    aa_time_run(aa_now_us(), now);

    ttft[0] = '\0';
    if (job->first_output_ns) {
        snprintf(ttft, sizeof(ttft), "%lld",
                 (long long) (job->first_output_ns - job->claim_ns));
    }

    snprintf(total, sizeof(total), "%lld",
             (long long) (end_ns - job->claim_ns));
    snprintf(count, sizeof(count), "%zu", nmsg);

    argv[0] = job->run_key;
    argv[1] = k->queue;
    argv[2] = k->messages;
    argv[3] = k->history;
    argv[4] = k->processing;
    argv[5] = k->ready;
    argv[6] = job->agent;
    argv[7] = job->run;
    argv[8] = job->lease;
    argv[9] = status;
    argv[10] = stop_reason;
    argv[11] = now;
    argv[12] = job->error.len ? job->error.data : "";
    argv[13] = ttft;
    argv[14] = total;
    argv[15] = usage.data;
    argv[16] = count;

    for (i = 0; i < 17; i++) {
        lens[i] = strlen(argv[i]);
    }

    for (j = 0; j < nmsg; j++, i++) {
        argv[i] = job->out_messages.items[j];
        lens[i] = job->out_messages.lens[j];
    }

    for (j = 0; j < nhist; j++, i++) {
        argv[i] = job->out_history.items[j];
        lens[i] = job->out_history.lens[j];
    }

    rc = AW_FINISH_GAVE_UP;
    errors = 0;
    drops = 0;

    /*
     * Failures are retried (aw_redis_ensure() waits out the reconnect
     * backoff, so this never spins) AW_FINISH_ERRORS times for error
     * replies, AW_FINISH_DROPS for lost connections, or until the drain
     * grace is over; then the run is handed back.  A connection
     * that drops at every try may be dropped by this very write (larger
     * than proto-max-bulk-len, say): the bound keeps such a run from
     * holding its agent forever.
     */
    while (aw_redis_ensure(&s->redis, AW_ABORTING) == 0) {
        reply = aw_redis_eval(&s->redis, AW_SCRIPT_FINISH, 6, (int) n, argv,
                              lens);
        if (reply == NULL) {
            if (++drops >= AW_FINISH_DROPS) {
                break;
            }

            continue;
        }

        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
            && aw_reply_str(reply->element[0], &what, &len) == 0)
        {
            if (strcmp(what, "ok") == 0) {
                rc = AW_FINISH_OK;
            } else if (strcmp(what, "already") == 0) {
                rc = AW_FINISH_ALREADY;
            } else {
                rc = AW_FINISH_LOST;
                aw_log_warn(job->run, job->agent, "lease lost (run now %s): "
                            "another claim owns it, result dropped",
                            reply->element[1]->type == REDIS_REPLY_STRING
                            && reply->element[1]->len
                            ? reply->element[1]->str : "gone");
            }
            freeReplyObject(reply);
            break;
        }

        aw_log_error(job->run, job->agent, "finish failed: %s",
                     aw_redis_what(reply));
        freeReplyObject(reply);

        if (++errors >= AW_FINISH_ERRORS) {
            break;
        }

        aw_sleep_ms(1000, AW_ABORTING);
    }

    free(argv);
    free(lens);
    aa_buf_free(&usage);

    return rc;
}


static void
aw_slot_execute(aw_slot_t *s, aw_slot_keys_t *k, aw_job_t *job)
{
    int          rc, frc;
    int64_t      end_ns;
    const char  *status, *stop_reason;

    aw_log_info(job->run, job->agent, "claimed attempt=%ld lease=%s",
                job->attempts, job->lease);

    if (aw_job_prepare(job) != 0) {
        rc = AW_JOB_FAILED;

    } else {
        /* cancelled while in flight, before a crash or a hand-back */
        rc = job->cancel_requested ? AW_JOB_CANCELLED : aw_job_check(job);

        if (rc == 0) {
            aw_log_info(job->run, job->agent, "running backend=%s "
                        "messages=%zu", s->backend->name,
                        job->messages->u.array.len);
            rc = s->backend->run(job);
        }
    }

    end_ns = aa_mono_ns();

    if (rc == AW_JOB_SHUTDOWN) {
        aw_slot_handback(s, k, job->agent, AW_UNDO_REFUND, "drain grace over");
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
        stop_reason = "error";
        if (job->error.len == 0) {
            aw_job_fail(job, "the %s backend failed", s->backend->name);
        }
        break;
    }

    frc = aw_slot_finish(s, k, job, status, stop_reason,
                         rc == AW_JOB_DONE, end_ns);

    if (frc == AW_FINISH_OK || frc == AW_FINISH_ALREADY) {
        if (rc == AW_JOB_FAILED) {
            aw_log_warn(job->run, job->agent, "failed attempt=%ld "
                        "error=\"%s\"", job->attempts, job->error.data);
        } else {
            aw_log_info(job->run, job->agent, "%s stop_reason=%s "
                        "messages=%zu ttft_ms=%.1f total_ms=%.1f", status,
                        stop_reason,
                        rc == AW_JOB_DONE ? job->out_messages.n : 0,
                        job->first_output_ns
                        ? (job->first_output_ns - job->claim_ns) / 1e6 : 0.0,
                        (end_ns - job->claim_ns) / 1e6);
        }

        if (job->has_callback) {
            aw_callback_run(&s->redis, job->agent, job->run);
        }

    } else if (frc == AW_FINISH_GAVE_UP) {
        aw_log_error(job->run, job->agent, "could not write the terminal "
                     "state (%s): the run will be claimed again", status);
        aw_slot_handback(s, k, job->agent, AW_UNDO_COUNT,
                         "terminal write failed");
    }
}


/* Everything about one agent taken from Pready. */
static void
aw_slot_agent(aw_slot_t *s, aw_slot_keys_t *k, const char *agent)
{
    const char  *p;
    aw_job_t     job;
    redisReply  *claim;
    int          rc;

    p = aw_worker.cf.prefix;

    if (aa_key_queue(k->queue, AA_KEY_MAX, p, agent) < 0
        || aa_key_agent(k->agent, AA_KEY_MAX, p, agent) < 0
        || aa_key_history(k->history, AA_KEY_MAX, p, agent) < 0)
    {
        aw_log_error(NULL, agent, "agent id too long");
        return;
    }

    /* taken while the drain began: not started, so given back at once */
    if (aw_stage() != AW_RUNNING) {
        aw_slot_handback(s, k, agent, AW_UNDO_NONE, "draining");
        return;
    }

    for ( ;; ) {
        aw_job_init(&job, &s->redis);
        claim = NULL;

        rc = aw_slot_claim(s, k, agent, &job, &claim);

        if (claim != NULL) {
            aw_slot_skipped(s, agent, claim->element[1], 0);
        }

        if (rc == AW_CLAIM_CLAIMED) {
            if (aa_key_run_messages(k->messages, AA_KEY_MAX, p, agent,
                                    job.run) < 0)
            {
                rc = AW_CLAIM_ERROR;
            } else {
                aw_slot_execute(s, k, &job);
            }
        }

        aw_job_free(&job);

        if (claim != NULL) {
            aw_slot_skipped(s, agent, claim->element[1], 1);
            freeReplyObject(claim);
        }

        if (rc == AW_CLAIM_ERROR) {
            /* maybe claimed, maybe not: undo whatever landed */
            aw_slot_handback(s, k, agent, AW_UNDO_REFUND, "claim failed");
            return;
        }

        if (rc != AW_CLAIM_MORE) {
            return;
        }
    }
}


/* A value in the ready list that cannot be an agent id. */
static void
aw_slot_drop(aw_slot_t *s, aw_slot_keys_t *k, redisReply *bad)
{
    const char  *argv[4];
    size_t       lens[4];
    redisReply  *reply;

    argv[0] = "LREM";
    argv[1] = k->processing;
    argv[2] = "1";
    argv[3] = bad->str;

    lens[0] = 4;
    lens[1] = strlen(k->processing);
    lens[2] = 1;
    lens[3] = bad->len;

    reply = aw_redis_argv(&s->redis, 4, argv, lens);
    if (reply != NULL) {
        freeReplyObject(reply);
    }
}


void *
aw_slot_main(void *arg)
{
    aw_slot_t       *s;
    aw_slot_keys_t   k;
    const char      *argv[6];
    char             block[32], agent[AA_ID_MAX];
    redisReply      *reply;

    s = arg;
    aw_log_thread(s->name);

    aa_key_ready(k.ready, AA_KEY_MAX, aw_worker.cf.prefix);
    aa_key_processing(k.processing, AA_KEY_MAX, aw_worker.cf.prefix,
                      aw_worker.id);
    aa_key_dead(k.dead, AA_KEY_MAX, aw_worker.cf.prefix);

    snprintf(block, sizeof(block), "%d.%03d", aw_worker.cf.block_ms / 1000,
             aw_worker.cf.block_ms % 1000);

    argv[0] = "BLMOVE";
    argv[1] = k.ready;
    argv[2] = k.processing;
    argv[3] = "RIGHT";
    argv[4] = "LEFT";
    argv[5] = block;

    while (aw_stage() == AW_RUNNING) {
        /*
         * No work while the heartbeat is not there (at start, or after it
         * failed): if this process died then, nobody would reap it.
         */
        if (!__atomic_load_n(&aw_worker.registered, __ATOMIC_ACQUIRE)) {
            aw_sleep_ms(20, AW_DRAINING);
            continue;
        }

        if (aw_redis_ensure(&s->redis, AW_DRAINING) != 0) {
            break;
        }

        reply = aw_redis_argv(&s->redis, 6, argv, NULL);

        if (reply == NULL) {
            /* aw_redis_ensure() above waits out the reconnect backoff */
            continue;
        }

        if (reply->type == REDIS_REPLY_NIL) {
            freeReplyObject(reply);
            continue;
        }

        if (aw_reply_copy(reply, agent, sizeof(agent)) != 0) {
            if (reply->type == REDIS_REPLY_STRING) {
                aw_log_error(NULL, NULL, "dropped a bad agent id (%zu "
                             "bytes) from the ready list", reply->len);
                aw_slot_drop(s, &k, reply);
            } else {
                aw_log_error(NULL, NULL, "BLMOVE: %s", aw_redis_what(reply));
                aw_sleep_ms(1000, AW_DRAINING);
            }
            freeReplyObject(reply);
            continue;
        }

        freeReplyObject(reply);

        aw_log_debug(NULL, agent, "taken from ready");
        aw_slot_agent(s, &k, agent);
    }

    aw_redis_close(&s->redis);
    __atomic_sub_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);

    return NULL;
}
