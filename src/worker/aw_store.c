/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aa_scripts.h"
#include "aa_time.h"
#include "aw_log.h"
#include "aw_store.h"
#include "aw_worker.h"


#define AW_FINISH_KEYS  9
#define AW_FINISH_ARGS  23      /* before the messages, steps, history */


static const char *const  aw_skip_reasons[] = {
    "completed", "failed", "cancelled", "dead", "missing", NULL
};


static int
aw_reply_is(redisReply *r, const char *s)
{
    return (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
           && r->len == strlen(s) && memcmp(r->str, s, r->len) == 0;
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


/* --retention-seconds as the scripts take it: ms, "0" to keep */
static const char *
aw_store_retention_ms(char *buf, size_t size)
{
    snprintf(buf, size, "%lld", (long long) aw_worker.cf.retention * 1000);

    return buf;
}


static void
aw_reply_free(redisReply *reply)
{
    if (reply != NULL) {
        freeReplyObject(reply);
    }
}


/* LREM key 1 value: a value that cannot be what the list should hold. */
static void
aw_store_drop(aw_redis_t *r, const char *key, const char *value,
    size_t len)
{
    const char  *argv[4];
    size_t       lens[4];

    argv[0] = "LREM";
    argv[1] = key;
    argv[2] = "1";
    argv[3] = value;

    lens[0] = 4;
    lens[1] = strlen(key);
    lens[2] = 1;
    lens[3] = len;

    aw_reply_free(aw_redis_argv(r, 4, argv, lens));
}


/* an error reply for Redis being at maxmemory (noeviction) */

static int
aw_store_is_oom(redisReply *reply)
{
    return reply->type == REDIS_REPLY_ERROR && reply->len >= 4
           && memcmp(reply->str, "OOM ", 4) == 0;
}


/*
 * Redis is full: BLMOVE is refused, take.lua (allowed) moves an agent
 * without blocking; with none ready, the slot waits as BLMOVE would have,
 * a little, so that it neither spins nor misses a shutdown.
 */

static int
aw_store_take_full(aw_redis_t *r, const char *ready, const char *processing,
    char *agent, size_t size)
{
    int          rc;
    const char  *argv[2];
    redisReply  *reply;

    argv[0] = ready;
    argv[1] = processing;

    reply = aw_redis_eval(r, AA_SCRIPT_TAKE, 2, 2, argv, NULL);
    if (reply == NULL) {
        return -1;
    }

    rc = 0;

    if (reply->type == REDIS_REPLY_STRING) {
        if (aw_reply_copy(reply, agent, size) == 0
            && aa_id_valid("agent", agent, reply->len))
        {
            rc = 1;

        } else {
            aw_log_error(NULL, NULL, "dropped a bad agent id (%zu bytes) "
                         "from the ready list", reply->len);
            aw_store_drop(r, processing, reply->str, reply->len);
        }

    } else if (reply->type == REDIS_REPLY_NIL) {
        usleep((useconds_t) (aw_worker.cf.block_ms < 100
                             ? aw_worker.cf.block_ms : 100) * 1000);

    } else {
        aw_log_error(NULL, NULL, "take: %s", aw_redis_what(reply));
        rc = -2;
    }

    freeReplyObject(reply);

    return rc;
}


int
aw_store_take(aw_redis_t *r, char *agent, size_t size)
{
    const char  *argv[6];
    char         ready[AA_KEY_MAX], processing[AA_KEY_MAX], block[32];
    redisReply  *reply;
    int          rc;

    aa_key_ready(ready, sizeof(ready), aw_worker.cf.prefix);
    aa_key_processing(processing, sizeof(processing), aw_worker.cf.prefix,
                      aw_worker.id);

    snprintf(block, sizeof(block), "%d.%03d", aw_worker.cf.block_ms / 1000,
             aw_worker.cf.block_ms % 1000);

    argv[0] = "BLMOVE";
    argv[1] = ready;
    argv[2] = processing;
    argv[3] = "RIGHT";
    argv[4] = "LEFT";
    argv[5] = block;

    reply = aw_redis_argv(r, 6, argv, NULL);
    if (reply == NULL) {
        return -1;
    }

    rc = 0;

    if (reply->type == REDIS_REPLY_STRING) {
        if (aw_reply_copy(reply, agent, size) == 0
            && aa_id_valid("agent", agent, reply->len))
        {
            rc = 1;

        } else {
            aw_log_error(NULL, NULL, "dropped a bad agent id (%zu bytes) "
                         "from the ready list", reply->len);
            aw_store_drop(r, processing, reply->str, reply->len);
        }

    } else if (aw_store_is_oom(reply)) {
        freeReplyObject(reply);
        return aw_store_take_full(r, ready, processing, agent, size);

    } else if (reply->type != REDIS_REPLY_NIL) {
        aw_log_error(NULL, NULL, "BLMOVE: %s", aw_redis_what(reply));
        rc = -2;
    }

    freeReplyObject(reply);

    return rc;
}


int
aw_store_claim_decode(redisReply *reply, const char *agent, const char *run,
    aw_claim_t *claim, const char **why)
{
    size_t        i;
    redisReply  **e;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1)
    {
        return AW_CLAIM_ERROR;
    }

    e = reply->element;

    if (reply->elements == 1 && aw_reply_is(e[0], "empty")) {
        return AW_CLAIM_EMPTY;
    }

    if (reply->elements == 1 && aw_reply_is(e[0], "moved")) {
        return AW_CLAIM_MOVED;
    }

    if (reply->elements == 3 && aw_reply_is(e[0], "skipped")
        && e[2]->type == REDIS_REPLY_INTEGER)
    {
        for (i = 0; aw_skip_reasons[i] != NULL; i++) {
            if (aw_reply_is(e[1], aw_skip_reasons[i])) {
                *why = aw_skip_reasons[i];
                snprintf(claim->run, sizeof(claim->run), "%s", run);
                return e[2]->integer ? AW_CLAIM_SKIPPED_LAST
                                     : AW_CLAIM_SKIPPED;
            }
        }

        return AW_CLAIM_ERROR;
    }

    if (reply->elements != 9 || !aw_reply_is(e[0], "claimed")
        || e[1]->type != REDIS_REPLY_INTEGER
        || aw_reply_copy(e[2], claim->lease, sizeof(claim->lease)) != 0
        || e[3]->type != REDIS_REPLY_STRING
        || e[4]->type != REDIS_REPLY_STRING
        || e[5]->type != REDIS_REPLY_STRING
        || e[6]->type != REDIS_REPLY_INTEGER
        || e[7]->type != REDIS_REPLY_STRING
        || e[8]->type != REDIS_REPLY_STRING
        || aa_key_run(claim->run_key, sizeof(claim->run_key),
                      aw_worker.cf.prefix, run) < 0)
    {
        return AW_CLAIM_ERROR;
    }

    snprintf(claim->agent, sizeof(claim->agent), "%s", agent);
    snprintf(claim->run, sizeof(claim->run), "%s", run);

    claim->attempts = (long) e[1]->integer;
    claim->cancel_requested = e[4]->len == 1 && e[4]->str[0] == '1';
    claim->created_us = strtoll(e[5]->str, NULL, 10);
    claim->agent_exists = e[6]->integer == 1;

    claim->request = strndup(e[3]->str, e[3]->len);
    claim->system = strndup(e[7]->str, e[7]->len);
    claim->llm = strndup(e[8]->str, e[8]->len);

    if (claim->request == NULL || claim->system == NULL
        || claim->llm == NULL)
    {
        free(claim->request);
        free(claim->system);
        free(claim->llm);
        claim->request = NULL;
        claim->system = NULL;
        claim->llm = NULL;
        return AW_CLAIM_ERROR;
    }

    return AW_CLAIM_CLAIMED;
}


int
aw_store_claim(aw_redis_t *r, const char *agent, aw_claim_t *claim,
    const char **why)
{
    const char  *argv[14], *p;
    char         queue[AA_KEY_MAX], processing[AA_KEY_MAX];
    char         agent_key[AA_KEY_MAX], dead[AA_KEY_MAX], run_key[AA_KEY_MAX];
    char         callbacks[AA_KEY_MAX], messages[AA_KEY_MAX];
    char         steps[AA_KEY_MAX];
    char         run[AA_ID_MAX], max[16], now[32], ttl[32];
    redisReply  *reply;
    int          rc, nkeys;

    p = aw_worker.cf.prefix;
    claim->run[0] = '\0';

    if (aa_key_queue(queue, sizeof(queue), p, agent) < 0
        || aa_key_processing(processing, sizeof(processing), p,
                             aw_worker.id) < 0
        || aa_key_agent(agent_key, sizeof(agent_key), p, agent) < 0
        || aa_key_dead(dead, sizeof(dead), p) < 0
        || aa_key_callbacks(callbacks, sizeof(callbacks), p) < 0)
    {
        aw_log_error(NULL, agent, "claim: key too long");
        return AW_CLAIM_ERROR;
    }

    /* the head first, so that the script is told every key it touches */
    argv[0] = "LINDEX";
    argv[1] = queue;
    argv[2] = "0";

    reply = aw_redis_argv(r, 3, argv, NULL);
    if (reply == NULL) {
        return AW_CLAIM_ERROR;
    }

    run[0] = '\0';

    if (reply->type == REDIS_REPLY_STRING) {
        if (aw_reply_copy(reply, run, sizeof(run)) != 0
            || aa_key_run(run_key, sizeof(run_key), p, run) < 0
            || aa_key_run_messages(messages, sizeof(messages), p, run) < 0
            || aa_key_run_steps(steps, sizeof(steps), p, run) < 0)
        {
            /* not even a key can be made of it: it cannot be a run */
            aw_log_error(NULL, agent, "dropped a bad run id (%zu bytes) "
                         "from the queue", reply->len);
            aw_store_drop(r, queue, reply->str, reply->len);
            freeReplyObject(reply);
            return AW_CLAIM_MOVED;
        }

    } else if (reply->type != REDIS_REPLY_NIL) {
        aw_log_error(NULL, agent, "claim: LINDEX: %s", aw_redis_what(reply));
        freeReplyObject(reply);
        return AW_CLAIM_ERROR;
    }

    freeReplyObject(reply);

    snprintf(max, sizeof(max), "%d", aw_worker.cf.max_attempts);
    aa_time_run(aa_now_us(), now);

    argv[0] = queue;
    argv[1] = processing;
    argv[2] = agent_key;
    argv[3] = dead;
    argv[4] = callbacks;
    nkeys = 5;

    if (run[0] != '\0') {
        argv[nkeys++] = run_key;
        argv[nkeys++] = messages;
        argv[nkeys++] = steps;
    }

    argv[nkeys] = agent;
    argv[nkeys + 1] = run;
    argv[nkeys + 2] = aw_worker.id;
    argv[nkeys + 3] = max;
    argv[nkeys + 4] = now;
    argv[nkeys + 5] = aw_store_retention_ms(ttl, sizeof(ttl));

    reply = aw_redis_eval(r, AA_SCRIPT_CLAIM, nkeys, nkeys + 6, argv, NULL);

    rc = aw_store_claim_decode(reply, agent, run, claim, why);

    if (rc == AW_CLAIM_ERROR) {
        aw_log_error(run[0] ? run : NULL, agent, "claim failed: %s",
                     reply != NULL && reply->type != REDIS_REPLY_ERROR
                     ? "unexpected reply" : aw_redis_what(reply));

        /* the run that may have been claimed, for the hand-back */
        snprintf(claim->run, sizeof(claim->run), "%s", run);
    }

    aw_reply_free(reply);

    return rc;
}


int
aw_store_finish(aw_redis_t *r, const aw_claim_t *claim,
    const aw_finish_t *fin)
{
    const char  **argv, *p;
    size_t       *lens, n, i, j, nmsg, nstep, nhist;
    char          queue[AA_KEY_MAX], messages[AA_KEY_MAX];
    char          history[AA_KEY_MAX], processing[AA_KEY_MAX];
    char          ready[AA_KEY_MAX], callbacks[AA_KEY_MAX];
    char          steps[AA_KEY_MAX], agent[AA_KEY_MAX];
    char          now[32], ttft[32], total[32], count[32], nsteps[32];
    char          ttl[32], hmax[32];
    redisReply   *reply;
    int           rc;

    p = aw_worker.cf.prefix;

    if (aa_key_queue(queue, sizeof(queue), p, claim->agent) < 0
        || aa_key_run_messages(messages, sizeof(messages), p, claim->run)
           < 0
        || aa_key_history(history, sizeof(history), p, claim->agent) < 0
        || aa_key_processing(processing, sizeof(processing), p,
                             aw_worker.id) < 0
        || aa_key_ready(ready, sizeof(ready), p) < 0
        || aa_key_callbacks(callbacks, sizeof(callbacks), p) < 0
        || aa_key_run_steps(steps, sizeof(steps), p, claim->run) < 0
        || aa_key_agent(agent, sizeof(agent), p, claim->agent) < 0)
    {
        aw_log_error(claim->run, claim->agent, "finish: key too long");
        return AW_FINISH_ERROR;
    }

    nmsg = fin->messages ? fin->messages->n : 0;
    nstep = fin->steps ? fin->steps->n : 0;
    nhist = fin->history ? fin->history->n : 0;
    n = AW_FINISH_ARGS + nmsg + nstep + nhist;

    argv = malloc(n * sizeof(char *));
    lens = malloc(n * sizeof(size_t));

    if (argv == NULL || lens == NULL) {
        free(argv);
        free(lens);
        aw_log_error(claim->run, claim->agent, "finish: out of memory");
        return AW_FINISH_ERROR;
    }

    aa_time_run(aa_now_us(), now);

    ttft[0] = '\0';
    if (fin->ttft_ns >= 0) {
        snprintf(ttft, sizeof(ttft), "%lld", (long long) fin->ttft_ns);
    }

    snprintf(total, sizeof(total), "%lld", (long long) fin->total_ns);
    snprintf(count, sizeof(count), "%zu", nmsg);
    snprintf(nsteps, sizeof(nsteps), "%zu", nstep);
    snprintf(hmax, sizeof(hmax), "%d", aw_worker.cf.history_max);

    argv[0] = claim->run_key;
    argv[1] = queue;
    argv[2] = messages;
    argv[3] = history;
    argv[4] = processing;
    argv[5] = ready;
    argv[6] = callbacks;
    argv[7] = steps;
    argv[8] = agent;
    argv[9] = claim->agent;
    argv[10] = claim->run;
    argv[11] = claim->lease;
    argv[12] = fin->status;
    argv[13] = fin->stop_reason;
    argv[14] = now;
    argv[15] = fin->error;
    argv[16] = ttft;
    argv[17] = total;
    argv[18] = fin->usage;
    argv[19] = aw_store_retention_ms(ttl, sizeof(ttl));
    argv[20] = hmax;
    argv[21] = count;
    argv[22] = nsteps;

    for (i = 0; i < AW_FINISH_ARGS; i++) {
        lens[i] = strlen(argv[i]);
    }

    for (j = 0; j < nmsg; j++, i++) {
        argv[i] = fin->messages->items[j];
        lens[i] = fin->messages->lens[j];
    }

    for (j = 0; j < nstep; j++, i++) {
        argv[i] = fin->steps->items[j];
        lens[i] = fin->steps->lens[j];
    }

    for (j = 0; j < nhist; j++, i++) {
        argv[i] = fin->history->items[j];
        lens[i] = fin->history->lens[j];
    }

    reply = aw_redis_eval(r, AA_SCRIPT_FINISH, AW_FINISH_KEYS, (int) n, argv,
                          lens);

    free(argv);
    free(lens);

    if (reply == NULL) {
        return AW_FINISH_DROPPED;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        aw_log_error(claim->run, claim->agent, "finish failed: %s",
                     reply->type == REDIS_REPLY_ERROR ? reply->str
                                                      : "unexpected reply");
        freeReplyObject(reply);
        return AW_FINISH_ERROR;
    }

    if (aw_reply_is(reply->element[0], "ok")) {
        rc = AW_FINISH_OK;

    } else if (aw_reply_is(reply->element[0], "already")) {
        rc = AW_FINISH_ALREADY;

    } else if (aw_reply_is(reply->element[0], "gone")) {
        rc = AW_FINISH_GONE;
        aw_log_info(claim->run, claim->agent, "deleted while it ran: "
                    "result dropped");

    } else {
        rc = AW_FINISH_LOST;
        aw_log_warn(claim->run, claim->agent, "lease lost (run now %s): "
                    "another claim owns it, result dropped",
                    reply->element[1]->len ? reply->element[1]->str
                                           : "gone");
    }

    freeReplyObject(reply);

    return rc;
}


int
aw_store_handback(aw_redis_t *r, const char *agent, const char *run,
    aw_undo_e undo, char *head, size_t size, int *refunded)
{
    const char  *argv[8], *p;
    char         processing[AA_KEY_MAX], ready[AA_KEY_MAX];
    char         queue[AA_KEY_MAX], run_key[AA_KEY_MAX];
    redisReply  *reply;
    int          undoing, rc;

    p = aw_worker.cf.prefix;
    undoing = undo != AW_UNDO_NONE && run != NULL && run[0] != '\0'
              && aa_key_run(run_key, sizeof(run_key), p, run) >= 0;

    if (aa_key_processing(processing, sizeof(processing), p,
                          aw_worker.id) < 0
        || aa_key_ready(ready, sizeof(ready), p) < 0
        || aa_key_queue(queue, sizeof(queue), p, agent) < 0)
    {
        aw_log_error(NULL, agent, "handback: key too long");
        return -2;
    }

    argv[0] = processing;
    argv[1] = ready;
    argv[2] = queue;
    argv[3] = run_key;
    argv[4] = agent;
    argv[5] = undoing ? run : "";
    argv[6] = aw_worker.id;
    argv[7] = undo == AW_UNDO_REFUND ? "1" : "0";

    if (!undoing) {
        memmove(&argv[3], &argv[4], 4 * sizeof(char *));
    }

    reply = aw_redis_eval(r, AA_SCRIPT_HANDBACK, undoing ? 4 : 3,
                          undoing ? 8 : 7, argv, NULL);
    if (reply == NULL) {
        return -1;
    }

    rc = 0;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || aw_reply_copy(reply->element[0], head, size) != 0
        || reply->element[1]->type != REDIS_REPLY_INTEGER)
    {
        aw_log_error(NULL, agent, "handback failed: %s",
                     reply->type == REDIS_REPLY_ERROR ? reply->str
                                                      : "unexpected reply");
        rc = -2;

    } else {
        *refunded = reply->element[1]->integer == 1;
    }

    freeReplyObject(reply);

    return rc;
}


int
aw_store_cancel_requested(aw_redis_t *r, const char *run_key)
{
    const char  *argv[4];
    redisReply  *reply;
    int          cancel;

    argv[0] = "HMGET";
    argv[1] = run_key;
    argv[2] = "status";
    argv[3] = "cancel_requested";

    reply = aw_redis_argv(r, 4, argv, NULL);
    if (reply == NULL) {
        return 0;
    }

    cancel = reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
             && (reply->element[0]->type == REDIS_REPLY_NIL
                 || aw_reply_is(reply->element[1], "1"));

    freeReplyObject(reply);

    return cancel;
}


int
aw_store_heartbeat(aw_redis_t *r)
{
    const char  *argv[5];
    char         wkey[AA_KEY_MAX], workers[AA_KEY_MAX], now[32], ttl[16];
    redisReply  *reply;
    int          alive;

    aa_key_worker(wkey, sizeof(wkey), aw_worker.cf.prefix, aw_worker.id);
    aa_key_workers(workers, sizeof(workers), aw_worker.cf.prefix);
    aa_time_run(aa_now_us(), now);
    snprintf(ttl, sizeof(ttl), "%d", aw_worker.cf.lease_ttl_ms);

    argv[0] = wkey;
    argv[1] = workers;
    argv[2] = now;
    argv[3] = ttl;
    argv[4] = aw_worker.id;

    reply = aw_redis_eval(r, AA_SCRIPT_HEARTBEAT, 2, 5, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        aw_log_warn(NULL, NULL, "heartbeat failed: %s", aw_redis_what(reply));
        aw_reply_free(reply);
        return -1;
    }

    alive = reply->integer == 1;
    freeReplyObject(reply);

    return alive;
}


/* A command of the reaper whose answer is a list; NULL, logged, if not. */
static redisReply *
aw_store_reaper_list(aw_redis_t *r, int argc, const char **argv)
{
    redisReply  *reply;

    reply = aw_redis_argv(r, argc, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        aw_log_warn(NULL, NULL, "reaper failed: %s: %s", argv[0],
                    aw_redis_what(reply));
        aw_reply_free(reply);
        return NULL;
    }

    return reply;
}


/* Hands back every agent worker w holds, then forgets w. */
static void
aw_store_reap_worker(aw_redis_t *r, const char *w, int self)
{
    const char  *argv[5], *p;
    char         wkey[AA_KEY_MAX], processing[AA_KEY_MAX];
    char         ready[AA_KEY_MAX], workers[AA_KEY_MAX], queue[AA_KEY_MAX];
    redisReply  *agents, *reply, *a;
    size_t       i;

    p = aw_worker.cf.prefix;

    if (aa_key_worker(wkey, sizeof(wkey), p, w) < 0
        || aa_key_processing(processing, sizeof(processing), p, w) < 0
        || aa_key_ready(ready, sizeof(ready), p) < 0
        || aa_key_workers(workers, sizeof(workers), p) < 0)
    {
        aw_log_error(NULL, NULL, "reaper: worker id too long (%zu bytes)",
                     strlen(w));
        return;
    }

    argv[0] = "LRANGE";
    argv[1] = processing;
    argv[2] = "0";
    argv[3] = "-1";

    agents = aw_store_reaper_list(r, 4, argv);
    if (agents == NULL) {
        return;
    }

    for (i = 0; i < agents->elements; i++) {
        a = agents->element[i];

        if (a->type != REDIS_REPLY_STRING
            || aa_key_queue(queue, sizeof(queue), p, a->str) < 0)
        {
            aw_store_drop(r, processing, a->str, a->len);
            continue;
        }

        argv[0] = wkey;
        argv[1] = processing;
        argv[2] = ready;
        argv[3] = queue;
        argv[4] = a->str;

        reply = aw_redis_eval(r, AA_SCRIPT_REAP_AGENT, 4, 5, argv, NULL);

        if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
            aw_log_warn(NULL, a->str, "reaper failed: %s",
                        aw_redis_what(reply));
            aw_reply_free(reply);
            freeReplyObject(agents);
            return;
        }

        if (reply->type == REDIS_REPLY_STRING) {
            if (self) {
                aw_log_warn(reply->len ? reply->str : NULL, a->str,
                            "left over at exit: handed back");
            } else {
                aw_log_warn(reply->len ? reply->str : NULL, a->str,
                            "reaped: worker %s stopped beating, agent "
                            "handed back to ready", w);
            }
        }

        freeReplyObject(reply);
    }

    freeReplyObject(agents);

    argv[0] = wkey;
    argv[1] = processing;
    argv[2] = workers;
    argv[3] = w;

    reply = aw_redis_eval(r, AA_SCRIPT_RETIRE_WORKER, 3, 4, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        aw_log_warn(NULL, NULL, "reaper failed: %s", aw_redis_what(reply));
    }

    aw_reply_free(reply);
}


void
aw_store_reap(aw_redis_t *r, int self)
{
    const char  *argv[2];
    char         key[AA_KEY_MAX];
    redisReply  *ws, *reply, *w;
    size_t       i;

    if (self) {
        aa_key_worker(key, sizeof(key), aw_worker.cf.prefix, aw_worker.id);

        argv[0] = "DEL";
        argv[1] = key;

        reply = aw_redis_argv(r, 2, argv, NULL);
        if (reply == NULL) {
            aw_log_warn(NULL, NULL, "could not retire: %s",
                        aw_redis_what(reply));
            return;
        }

        freeReplyObject(reply);

        aw_store_reap_worker(r, aw_worker.id, 1);
        return;
    }

    aa_key_workers(key, sizeof(key), aw_worker.cf.prefix);

    argv[0] = "SMEMBERS";
    argv[1] = key;

    ws = aw_store_reaper_list(r, 2, argv);
    if (ws == NULL) {
        return;
    }

    for (i = 0; i < ws->elements; i++) {
        w = ws->element[i];

        if (w->type != REDIS_REPLY_STRING
            || strcmp(w->str, aw_worker.id) == 0
            || aa_key_worker(key, sizeof(key), aw_worker.cf.prefix,
                             w->str) < 0)
        {
            continue;
        }

        argv[0] = "EXISTS";
        argv[1] = key;

        reply = aw_redis_argv(r, 2, argv, NULL);

        if (reply != NULL && reply->type == REDIS_REPLY_INTEGER
            && reply->integer == 0)
        {
            aw_store_reap_worker(r, w->str, 0);
        }

        aw_reply_free(reply);
    }

    freeReplyObject(ws);
}


int
aw_store_cancel(aw_redis_t *r, const char *run, char *out, size_t size)
{
    const char  *argv[6];
    char         key[AA_KEY_MAX], agent[AA_ID_MAX], now[32], ttl[32];
    char         callbacks[AA_KEY_MAX];
    redisReply  *reply;
    int          rc;

    if (aa_key_run(key, sizeof(key), aw_worker.cf.prefix, run) < 0) {
        snprintf(out, size, "not_found");
        return 0;
    }

    aa_key_callbacks(callbacks, sizeof(callbacks), aw_worker.cf.prefix);

    /* the run's agent, from its hash: cancel.lua wants it */
    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "agent_id";

    reply = aw_redis_argv(r, 3, argv, NULL);

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        snprintf(out, size, "redis: %s", aw_redis_what(reply));
        aw_reply_free(reply);
        return -1;
    }

    if (aw_reply_copy(reply, agent, sizeof(agent)) != 0) {
        freeReplyObject(reply);
        snprintf(out, size, "not_found");
        return 0;
    }

    freeReplyObject(reply);

    aa_time_run(aa_now_us(), now);

    argv[0] = callbacks;
    argv[1] = key;
    argv[2] = now;
    argv[3] = agent;
    argv[4] = aw_store_retention_ms(ttl, sizeof(ttl));
    argv[5] = run;

    reply = aw_redis_eval(r, AA_SCRIPT_CANCEL, 2, 6, argv, NULL);

    rc = 0;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 1
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        snprintf(out, size, "cancel: %s",
                 reply != NULL && reply->type != REDIS_REPLY_ERROR
                 ? "unexpected reply" : aw_redis_what(reply));
        rc = -1;

    } else {
        snprintf(out, size, "%s", reply->element[0]->str);
    }

    aw_reply_free(reply);

    return rc;
}
