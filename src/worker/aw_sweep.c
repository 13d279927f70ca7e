/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_id.h"
#include "aa_keys.h"
#include "aa_scripts.h"
#include "aa_time.h"
#include "aw_log.h"
#include "aw_sweep.h"
#include "aw_worker.h"


#define AW_SWEEP_BATCH  500         /* entries read per command */
#define AW_SWEEP_MAX    100000      /* entries looked at per index a pass */
#define AW_SWEEP_DEL    100         /* runs of a deleted agent per call */
#define AW_SWEEP_DELS   1000        /* such calls per pass */


typedef struct {
    aw_redis_t  *r;
    const char  *tenant;
    char         runs[AA_KEY_MAX];      /* Ptenant:T:runs */
    char         active[AA_KEY_MAX];    /* Ptenant:T:active */
    long         removed;
} aw_sweep_t;


/* "A/R" into its agent and run ids; -1 when it is not of that form */
static int
aw_sweep_member(const char *m, size_t len, char *agent, char *run)
{
    const char  *slash;

    slash = memchr(m, '/', len);

    if (slash == NULL || slash == m || (size_t) (slash - m) >= AA_ID_MAX
        || len - (slash - m) - 1 >= AA_ID_MAX || slash + 1 == m + len)
    {
        return -1;
    }

    memcpy(agent, m, slash - m);
    agent[slash - m] = '\0';
    memcpy(run, slash + 1, len - (slash - m) - 1);
    run[len - (slash - m) - 1] = '\0';

    return 0;
}


static int
aw_sweep_cmd(aw_sweep_t *s, int argc, const char **argv)
{
    redisReply  *reply;
    int          rc;

    reply = aw_redis_argv(s->r, argc, argv, NULL);
    rc = (reply == NULL || reply->type == REDIS_REPLY_ERROR) ? -1 : 0;

    if (reply != NULL) {
        if (rc != 0) {
            aw_log_warn(NULL, NULL, "sweep: %s %s: %s", argv[0], argv[1],
                        aw_redis_what(reply));
        }
        freeReplyObject(reply);
    }

    return rc;
}


/*
 * The status of the run of member m: "" when its hash is gone (or m
 * names no run), else the status; NULL when Redis failed.
 */
static const char *
aw_sweep_status(aw_sweep_t *s, const char *agent, const char *run,
    char *buf, size_t size)
{
    const char  *argv[3];
    char         key[AA_KEY_MAX];
    redisReply  *reply;

    if (aa_key_run(key, sizeof(key), aw_worker.cf.prefix, run) < 0) {
        buf[0] = '\0';
        return buf;
    }

    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "status";

    reply = aw_redis_argv(s->r, 3, argv, NULL);
    if (reply == NULL) {
        return NULL;
    }

    if (reply->type == REDIS_REPLY_STRING) {
        snprintf(buf, size, "%s", reply->str);

    } else if (reply->type == REDIS_REPLY_NIL) {
        buf[0] = '\0';

    } else {
        aw_log_warn(NULL, NULL, "sweep: HGET %s: %s", key,
                    aw_redis_what(reply));
        freeReplyObject(reply);
        return NULL;
    }

    freeReplyObject(reply);

    return buf;
}


/* the entries of a run that is gone: in the order a repeat can redo */
static int
aw_sweep_forget(aw_sweep_t *s, const char *m, const char *agent,
    const char *run)
{
    const char  *argv[3];
    char         key[AA_KEY_MAX];

    argv[0] = "ZREM";
    argv[2] = run;

    if (aa_key_agent_runs(key, sizeof(key), aw_worker.cf.prefix, agent) >= 0)
    {
        argv[1] = key;
        if (aw_sweep_cmd(s, 3, argv) != 0) {
            return -1;
        }
    }

    /* the tenant's entries last: while they are there, a repeat finds m */
    argv[0] = "ZREM";
    argv[2] = m;
    argv[1] = s->active;
    if (aw_sweep_cmd(s, 3, argv) != 0) {
        return -1;
    }

    argv[1] = s->runs;
    if (aw_sweep_cmd(s, 3, argv) != 0) {
        return -1;
    }

    s->removed++;

    return 0;
}


/*
 * One batch of index: entries [offset, offset + AW_SWEEP_BATCH) among
 * those of a score up to max ("+inf" for all), by rank.  Returns the
 * number of entries it kept (the next batch starts that much further),
 * AW_SWEEP_BATCH + 1 when the index has no more, or -1.
 */
static long
aw_sweep_batch(aw_sweep_t *s, const char *index, const char *max,
    long offset, int active)
{
    const char  *argv[8], *st;
    char         off[32], count[32], agent[AA_ID_MAX], run[AA_ID_MAX];
    char         status[32];
    size_t       i;
    long         kept;
    redisReply  *reply, *m;

    snprintf(off, sizeof(off), "%ld", offset);
    snprintf(count, sizeof(count), "%d", AW_SWEEP_BATCH);

    argv[0] = "ZRANGE";
    argv[1] = index;
    argv[2] = "-inf";
    argv[3] = max;
    argv[4] = "BYSCORE";
    argv[5] = "LIMIT";
    argv[6] = off;
    argv[7] = count;

    reply = aw_redis_argv(s->r, 8, argv, NULL);
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        if (reply != NULL) {
            aw_log_warn(NULL, NULL, "sweep: ZRANGE %s: %s", index,
                        aw_redis_what(reply));
            freeReplyObject(reply);
        }
        return -1;
    }

    kept = 0;

    for (i = 0; i < reply->elements; i++) {
        m = reply->element[i];

        if (m->type != REDIS_REPLY_STRING
            || aw_sweep_member(m->str, m->len, agent, run) != 0)
        {
            /* not "A/R": nothing can find it, nothing needs it */
            argv[0] = "ZREM";
            argv[1] = index;
            argv[2] = m->str;
            if (m->type == REDIS_REPLY_STRING && aw_sweep_cmd(s, 3, argv)) {
                freeReplyObject(reply);
                return -1;
            }
            continue;
        }

        st = aw_sweep_status(s, agent, run, status, sizeof(status));
        if (st == NULL) {
            freeReplyObject(reply);
            return -1;
        }

        if (st[0] == '\0') {
            if (aw_sweep_forget(s, m->str, agent, run) != 0) {
                freeReplyObject(reply);
                return -1;
            }
            continue;
        }

        if (active && (strcmp(st, "completed") == 0
                       || strcmp(st, "failed") == 0
                       || strcmp(st, "cancelled") == 0))
        {
            argv[0] = "ZREM";
            argv[1] = index;
            argv[2] = m->str;
            if (aw_sweep_cmd(s, 3, argv) != 0) {
                freeReplyObject(reply);
                return -1;
            }
            s->removed++;
            continue;
        }

        kept++;
    }

    if (reply->elements < AW_SWEEP_BATCH) {
        kept = AW_SWEEP_BATCH + 1;
    }

    freeReplyObject(reply);

    return kept;
}


/* an index, up to AW_SWEEP_MAX entries, stopping at the first error */
static int
aw_sweep_index(aw_sweep_t *s, const char *index, const char *max, int active)
{
    long  offset, kept, seen;

    offset = 0;

    for (seen = 0; seen < AW_SWEEP_MAX; seen += AW_SWEEP_BATCH) {
        if (aw_stage() >= AW_DRAINING) {
            return 0;
        }

        kept = aw_sweep_batch(s, index, max, offset, active);

        if (kept < 0) {
            return -1;
        }

        if (kept > AW_SWEEP_BATCH) {
            break;
        }

        offset += kept;
    }

    return 0;
}


/*
 * One call of delete_agent_runs.lua for agent A of tenant T, removing the
 * runs ids[0..n) the previous call answered: its answer, or NULL.
 */
static redisReply *
aw_sweep_delete_batch(aw_redis_t *r, const char *agent, const char *tenant,
    redisReply **ids, size_t n)
{
    const char   **argv;
    char          *keys, flags[AW_SWEEP_DEL + 1], batch[16];
    size_t         i, nkeys, j;
    redisReply    *reply;
    const char    *p;
    int            ok;

    p = aw_worker.cf.prefix;

    if (n > AW_SWEEP_DEL) {
        /* more than asked for: the rest comes again in the next answer */
        n = AW_SWEEP_DEL;
    }

    argv = malloc((7 + 3 * n + 3 + n) * sizeof(char *));
    keys = malloc((7 + 3 * n) * AA_KEY_MAX);

    if (argv == NULL || keys == NULL) {
        free(argv);
        free(keys);
        return NULL;
    }

#define AW_KEY(k)  (keys + (k) * AA_KEY_MAX)

    ok = aa_key_agent(AW_KEY(0), AA_KEY_MAX, p, agent) >= 0
         && aa_key_agent_runs(AW_KEY(1), AA_KEY_MAX, p, agent) >= 0
         && aa_key_tenant_runs(AW_KEY(2), AA_KEY_MAX, p, tenant) >= 0
         && aa_key_tenant_active(AW_KEY(3), AA_KEY_MAX, p, tenant) >= 0
         && aa_key_callbacks(AW_KEY(4), AA_KEY_MAX, p) >= 0
         && aa_key_history(AW_KEY(5), AA_KEY_MAX, p, agent) >= 0
         && aa_key_deleting(AW_KEY(6), AA_KEY_MAX, p) >= 0;

    nkeys = 7;

    for (i = 0; ok && i < n; i++) {
        /* an id no key can be made of: only its index entries go */
        flags[i] = '0';

        if (ids[i]->type == REDIS_REPLY_STRING
            && aa_key_run(AW_KEY(nkeys), AA_KEY_MAX, p, ids[i]->str) >= 0
            && aa_key_run_messages(AW_KEY(nkeys + 1), AA_KEY_MAX, p,
                                   ids[i]->str) >= 0
            && aa_key_run_steps(AW_KEY(nkeys + 2), AA_KEY_MAX, p,
                                ids[i]->str) >= 0)
        {
            flags[i] = '1';
            nkeys += 3;
        }
    }

    flags[n] = '\0';

    if (!ok) {
        free(argv);
        free(keys);
        return NULL;
    }

    for (j = 0; j < nkeys; j++) {
        argv[j] = AW_KEY(j);
    }

#undef AW_KEY

    snprintf(batch, sizeof(batch), "%d", AW_SWEEP_DEL);
    argv[j++] = agent;
    argv[j++] = batch;
    argv[j++] = flags;

    for (i = 0; i < n; i++) {
        argv[j++] = ids[i]->type == REDIS_REPLY_STRING ? ids[i]->str : "";
    }

    reply = aw_redis_eval(r, AA_SCRIPT_DELETE_AGENT_RUNS, (int) nkeys,
                          (int) j, argv, NULL);

    free(argv);
    free(keys);

    if (reply != NULL && reply->type != REDIS_REPLY_ARRAY) {
        aw_log_warn(NULL, agent, "sweep: delete_agent_runs: %s",
                    aw_redis_what(reply));
        freeReplyObject(reply);
        return NULL;
    }

    return reply;
}


/*
 * Deletions of agents cut short (Pdeleting still names them: the module's
 * DELETE stopped between two batches) are finished here, as the next
 * DELETE of the agent would.  Another party finishing the same one at the
 * same time is harmless: each batch is idempotent.  Returns the number of
 * deletions finished, or -1.
 */
static long
aw_sweep_deletions(aw_redis_t *r)
{
    const char  *argv[2];
    char         key[AA_KEY_MAX];
    size_t       i;
    long         done, calls;
    redisReply  *all, *ids, *next;

    if (aa_key_deleting(key, sizeof(key), aw_worker.cf.prefix) < 0) {
        return -1;
    }

    argv[0] = "HGETALL";
    argv[1] = key;

    all = aw_redis_argv(r, 2, argv, NULL);
    if (all == NULL || all->type != REDIS_REPLY_ARRAY) {
        if (all != NULL) {
            freeReplyObject(all);
        }
        return -1;
    }

    done = 0;
    calls = 0;

    for (i = 0; i + 1 < all->elements && calls < AW_SWEEP_DELS; i += 2) {
        if (all->element[i]->type != REDIS_REPLY_STRING
            || all->element[i + 1]->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        ids = NULL;

        for ( ;; ) {
            if (aw_stage() >= AW_DRAINING || calls++ >= AW_SWEEP_DELS) {
                break;
            }

            next = aw_sweep_delete_batch(r, all->element[i]->str,
                                         all->element[i + 1]->str,
                                         ids ? ids->element : NULL,
                                         ids ? ids->elements : 0);
            if (ids != NULL) {
                freeReplyObject(ids);
            }
            ids = next;

            if (ids == NULL) {
                break;
            }

            if (ids->elements == 0) {
                aw_log_info(NULL, all->element[i]->str, "sweep: finished "
                            "the deletion of agent %s",
                            all->element[i]->str);
                done++;
                break;
            }
        }

        if (ids != NULL) {
            freeReplyObject(ids);
        }
    }

    freeReplyObject(all);

    return done;
}


long
aw_sweep_pass(aw_redis_t *r)
{
    const char  *argv[2];
    char         tenants[AA_KEY_MAX], max[32];
    size_t       i;
    aw_sweep_t   s;
    redisReply  *reply, *t;
    int64_t      cutoff;

    if (aa_key_tenants(tenants, sizeof(tenants), aw_worker.cf.prefix) < 0
        || aw_sweep_deletions(r) < 0)
    {
        return -1;
    }

    argv[0] = "SMEMBERS";
    argv[1] = tenants;

    reply = aw_redis_argv(r, 2, argv, NULL);
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        if (reply != NULL) {
            aw_log_warn(NULL, NULL, "sweep: SMEMBERS %s: %s", tenants,
                        aw_redis_what(reply));
            freeReplyObject(reply);
        }
        return -1;
    }

    /*
     * A run ends after it is created, so a run created since the cutoff
     * cannot have expired yet: the runs index is read up to it only.
     */
    cutoff = aa_now_us() - (int64_t) aw_worker.cf.retention * 1000000;
    snprintf(max, sizeof(max), "%lld", (long long) cutoff);

    memset(&s, 0, sizeof(s));
    s.r = r;

    for (i = 0; i < reply->elements; i++) {
        t = reply->element[i];

        if (t->type != REDIS_REPLY_STRING
            || aa_key_tenant_runs(s.runs, sizeof(s.runs),
                                  aw_worker.cf.prefix, t->str) < 0
            || aa_key_tenant_active(s.active, sizeof(s.active),
                                    aw_worker.cf.prefix, t->str) < 0)
        {
            continue;
        }

        s.tenant = t->str;

        if (aw_sweep_index(&s, s.active, "+inf", 1) != 0
            || (aw_worker.cf.retention > 0
                && aw_sweep_index(&s, s.runs, max, 0) != 0))
        {
            freeReplyObject(reply);
            return -1;
        }
    }

    freeReplyObject(reply);

    return s.removed;
}


/* Psweep for one period: one worker of the deployment sweeps at a time */
static int
aw_sweep_lock(aw_redis_t *r)
{
    const char  *argv[6];
    char         key[AA_KEY_MAX], ttl[32];
    redisReply  *reply;
    int          got;

    if (aa_key_sweep(key, sizeof(key), aw_worker.cf.prefix) < 0) {
        return 0;
    }

    snprintf(ttl, sizeof(ttl), "%d", aw_worker.cf.sweep_interval_ms);

    argv[0] = "SET";
    argv[1] = key;
    argv[2] = aw_worker.id;
    argv[3] = "NX";
    argv[4] = "PX";
    argv[5] = ttl;

    reply = aw_redis_argv(r, 6, argv, NULL);
    got = reply != NULL && reply->type == REDIS_REPLY_STATUS;

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    return got;
}


void *
aw_sweep_main(void *arg)
{
    aw_redis_t  r;
    long        removed;
    int64_t     t0;

    aw_log_thread("sweep");
    aw_redis_init(&r);

    while (aw_stage() < AW_DRAINING) {
        if (aw_redis_ensure(&r, AW_DRAINING) != 0) {
            break;
        }

        if (aw_sweep_lock(&r)) {
            t0 = aa_mono_ns();
            removed = aw_sweep_pass(&r);

            if (removed > 0) {
                aw_log_info(NULL, NULL, "sweep: %ld index entries of runs "
                            "gone or finished removed in %lld ms", removed,
                            (long long) ((aa_mono_ns() - t0) / 1000000));
            }
        }

        aw_sleep_ms(aw_worker.cf.sweep_interval_ms, AW_DRAINING);
    }

    aw_redis_close(&r);

    /* counted as a slot by aw_main.c: the drain waits for it */
    __atomic_sub_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);

    return NULL;
}
