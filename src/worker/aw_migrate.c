/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Every run of layout 1 has its Prunloc:R, so a SCAN of those finds them
 * all.  Each of its three keys is moved with RENAMENX (a key of the new
 * layout is never overwritten), then its Prunloc:R goes: a pass cut short
 * is simply run again.  Ids stay as they were: queues and indexes name the
 * same runs, and a run's keys are where its id says.  (Those ids do not
 * carry their agent's slot; only Redis Cluster would care, and the first
 * layout never ran on one.)
 */

#include <stdio.h>
#include <string.h>

#include "aa_id.h"
#include "aa_keys.h"
#include "aw_migrate.h"
#include "aw_redis.h"
#include "aw_worker.h"


typedef struct {
    long  runs;        /* moved, or already where they belong */
    long  keys;        /* keys renamed */
    long  stuck;       /* a key of both layouts: left for the operator */
    long  junk;        /* a Prunloc:R that names no agent: removed */
} aw_migrate_count_t;


/* pattern: the prefix, its glob characters escaped, then "runloc:*" */
static void
aw_migrate_pattern(char *out, size_t size, const char *prefix)
{
    size_t  o;

    for (o = 0; *prefix && o + 10 < size; prefix++) {
        if (strchr("*?[]\\", *prefix)) {
            out[o++] = '\\';
        }
        out[o++] = *prefix;
    }

    snprintf(out + o, size - o, "runloc:*");
}


/* RENAMENX from to: 1 renamed, 0 absent, 2 to exists, -1 Redis failed */
static int
aw_migrate_rename(aw_redis_t *r, const char *from, const char *to)
{
    int          rc;
    const char  *argv[3];
    redisReply  *reply;

    argv[0] = "RENAMENX";
    argv[1] = from;
    argv[2] = to;

    reply = aw_redis_argv(r, 3, argv, NULL);

    if (reply == NULL) {
        fprintf(stderr, "agent-async-worker: redis: %s\n",
                aw_redis_what(reply));
        return -1;
    }

    if (reply->type == REDIS_REPLY_INTEGER) {
        rc = reply->integer == 1 ? 1 : 2;

    } else if (reply->type == REDIS_REPLY_ERROR
               && strstr(reply->str, "no such key") != NULL)
    {
        rc = 0;

    } else {
        fprintf(stderr, "agent-async-worker: RENAMENX %s: %s\n", from,
                aw_redis_what(reply));
        rc = -1;
    }

    freeReplyObject(reply);

    return rc;
}


/* the run of runloc key loc (its id after the prefix's "runloc:") */
static int
aw_migrate_run(aw_redis_t *r, const char *loc, const char *run,
    aw_migrate_count_t *n)
{
    int          i, rc, stuck;
    char         agent[AA_ID_MAX], from[AA_KEY_MAX], to[AA_KEY_MAX];
    const char  *p, *argv[2], *part[] = { "", ":messages", ":steps" };
    redisReply  *reply;

    p = aw_worker.cf.prefix;

    argv[0] = "GET";
    argv[1] = loc;

    reply = aw_redis_argv(r, 2, argv, NULL);
    if (reply == NULL) {
        fprintf(stderr, "agent-async-worker: redis: %s\n",
                aw_redis_what(reply));
        return -1;
    }

    agent[0] = '\0';
    if (reply->type == REDIS_REPLY_STRING && reply->len < sizeof(agent)) {
        memcpy(agent, reply->str, reply->len + 1);
    }

    freeReplyObject(reply);

    stuck = 0;

    if (aa_id_valid("agent", agent, strlen(agent))
        && aa_id_valid("run", run, strlen(run)))
    {
        for (i = 0; i < 3; i++) {
            if (snprintf(from, sizeof(from), "%s{%s}:run:%s%s", p, agent,
                         run, part[i]) >= (int) sizeof(from)
                || aa_key_run(to, sizeof(to), p, run) < 0
                || strlen(to) + strlen(part[i]) >= sizeof(to))
            {
                return -1;
            }

            strcat(to, part[i]);

            rc = aw_migrate_rename(r, from, to);
            if (rc < 0) {
                return -1;
            }

            n->keys += rc == 1;
            stuck |= rc == 2;
        }

        if (stuck) {
            fprintf(stderr, "agent-async-worker: run %s: %s and %s both "
                    "exist: left as it is\n", run, from, to);
            n->stuck++;
            return 0;
        }

        n->runs++;

    } else {
        n->junk++;
    }

    argv[0] = "DEL";
    reply = aw_redis_argv(r, 2, argv, NULL);
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "agent-async-worker: DEL %s: %s\n", loc,
                aw_redis_what(reply));
        if (reply) {
            freeReplyObject(reply);
        }
        return -1;
    }

    freeReplyObject(reply);

    return 0;
}


int
aw_migrate_main(void)
{
    int                  rc;
    char                 cursor[32], pattern[2 * AA_KEY_MAX];
    size_t               i, plen, skip;
    const char          *argv[6];
    redisReply          *reply, *keys;
    aw_redis_t           r;
    aw_migrate_count_t   n;

    memset(&n, 0, sizeof(n));
    aw_migrate_pattern(pattern, sizeof(pattern), aw_worker.cf.prefix);
    plen = strlen(aw_worker.cf.prefix);
    skip = plen + strlen("runloc:");

    aw_redis_init(&r);
    snprintf(cursor, sizeof(cursor), "0");
    rc = 0;

    do {
        argv[0] = "SCAN";
        argv[1] = cursor;
        argv[2] = "MATCH";
        argv[3] = pattern;
        argv[4] = "COUNT";
        argv[5] = "1000";

        reply = aw_redis_argv(&r, 6, argv, NULL);

        if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
            || reply->elements != 2
            || reply->element[0]->type != REDIS_REPLY_STRING
            || reply->element[0]->len >= sizeof(cursor)
            || reply->element[1]->type != REDIS_REPLY_ARRAY)
        {
            fprintf(stderr, "agent-async-worker: SCAN: %s\n",
                    aw_redis_what(reply));
            if (reply) {
                freeReplyObject(reply);
            }
            rc = 1;
            break;
        }

        memcpy(cursor, reply->element[0]->str, reply->element[0]->len + 1);
        keys = reply->element[1];

        for (i = 0; i < keys->elements && rc == 0; i++) {
            if (keys->element[i]->type == REDIS_REPLY_STRING
                && keys->element[i]->len > skip
                && aw_migrate_run(&r, keys->element[i]->str,
                                  keys->element[i]->str + skip, &n) != 0)
            {
                rc = 1;
            }
        }

        freeReplyObject(reply);

    } while (rc == 0 && strcmp(cursor, "0") != 0);

    aw_redis_close(&r);

    printf("migrated %ld run(s) (%ld key(s) renamed); %ld left where both "
           "layouts have keys; %ld stray runloc key(s) removed\n",
           n.runs, n.keys, n.stuck, n.junk);

    return rc == 0 && n.stuck == 0 ? 0 : 1;
}
