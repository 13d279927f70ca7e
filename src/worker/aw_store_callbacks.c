/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_keys.h"
#include "aa_scripts.h"
#include "aa_time.h"
#include "aw_log.h"
#include "aw_store_callbacks.h"
#include "aw_worker.h"


static const char *const  aw_attempt_fields[] = {
    "status", "callback_url", "stop_reason", "usage", "metadata",
    "request_config", "completed_at"
};


redisReply *
aw_store_callbacks_due(aw_redis_t *r, int limit)
{
    const char  *argv[2];
    char         key[AA_KEY_MAX], n[16];
    redisReply  *reply;

    aa_key_callbacks(key, sizeof(key), aw_worker.cf.prefix);
    snprintf(n, sizeof(n), "%d", limit);

    argv[0] = key;
    argv[1] = n;

    reply = aw_redis_eval(r, AA_SCRIPT_CALLBACK_DUE, 1, 2, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        aw_log_warn(NULL, NULL, "callbacks: due: %s", aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return NULL;
    }

    return reply;
}


/* "A/R" into a->agent, a->run; -1 when it is not that */
static int
aw_store_member(const char *member, aw_attempt_t *a)
{
    const char  *slash;
    size_t       alen, rlen;

    slash = strchr(member, '/');
    if (slash == NULL) {
        return -1;
    }

    alen = slash - member;
    rlen = strlen(slash + 1);

    if (!aa_id_valid("agent", member, alen)
        || !aa_id_valid("run", slash + 1, rlen))
    {
        return -1;
    }

    memcpy(a->agent, member, alen);
    a->agent[alen] = '\0';
    memcpy(a->run, slash + 1, rlen + 1);
    snprintf(a->member, sizeof(a->member), "%s", member);

    return 0;
}


/* a member that can be no delivery: dropped, so that it is not due forever */
static void
aw_store_drop_member(aw_redis_t *r, const char *member)
{
    const char  *argv[3];
    char         key[AA_KEY_MAX];
    redisReply  *reply;

    aa_key_callbacks(key, sizeof(key), aw_worker.cf.prefix);

    argv[0] = "ZREM";
    argv[1] = key;
    argv[2] = member;

    aw_log_error(NULL, NULL, "callbacks: dropped a bad delivery (%zu "
                 "bytes)", strlen(member));

    reply = aw_redis_argv(r, 3, argv, NULL);
    if (reply != NULL) {
        freeReplyObject(reply);
    }
}


int
aw_store_attempt_start(aw_redis_t *r, const char *member, int lease_ms,
    aw_attempt_t *a)
{
    const char   *argv[8], *p;
    char          key[AA_KEY_MAX], run_key[AA_KEY_MAX], msgs[AA_KEY_MAX];
    char          lease[16], now[32], limit[16];
    size_t        i;
    redisReply   *reply, **e;

    memset(a, 0, sizeof(aw_attempt_t));
    p = aw_worker.cf.prefix;

    if (aw_store_member(member, a) != 0
        || aa_key_run(run_key, sizeof(run_key), p, a->run) < 0
        || aa_key_run_messages(msgs, sizeof(msgs), p, a->run) < 0)
    {
        aw_store_drop_member(r, member);
        return AW_ATTEMPT_GONE;
    }

    aa_key_callbacks(key, sizeof(key), p);
    snprintf(lease, sizeof(lease), "%d", lease_ms);
    snprintf(limit, sizeof(limit), "%d", AW_CALLBACK_MSGS);
    aa_time_run(aa_now_us(), now);

    argv[0] = key;
    argv[1] = run_key;
    argv[2] = msgs;
    argv[3] = member;
    argv[4] = aw_worker.id;
    argv[5] = lease;
    argv[6] = now;
    argv[7] = limit;

    reply = aw_redis_eval(r, AA_SCRIPT_CALLBACK_START, 3, 8, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        aw_log_warn(a->run, a->agent, "callback: start: %s",
                    reply != NULL && reply->type != REDIS_REPLY_ERROR
                    ? "unexpected reply" : aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return AW_ATTEMPT_ERROR;
    }

    e = reply->element;

    if (strcmp(e[0]->str, "start") != 0) {
        i = strcmp(e[0]->str, "taken") == 0;
        freeReplyObject(reply);
        return i ? AW_ATTEMPT_TAKEN : AW_ATTEMPT_GONE;
    }

    if (reply->elements != 11 || e[1]->type != REDIS_REPLY_INTEGER
        || e[2]->type != REDIS_REPLY_STRING
        || e[2]->len >= sizeof(a->lease)
        || e[10]->type != REDIS_REPLY_ARRAY)
    {
        aw_log_warn(a->run, a->agent, "callback: start: unexpected reply");
        freeReplyObject(reply);
        return AW_ATTEMPT_ERROR;
    }

    for (i = 3; i < 10; i++) {
        if (e[i]->type != REDIS_REPLY_STRING) {
            aw_log_warn(a->run, a->agent, "callback: start: unexpected "
                        "reply");
            freeReplyObject(reply);
            return AW_ATTEMPT_ERROR;
        }
    }

    a->reply = reply;
    a->n = (long) e[1]->integer;
    memcpy(a->lease, e[2]->str, e[2]->len + 1);

    /* status, stop_reason, usage, metadata, request_config: as stored */
    for (i = 3; i < 9; i++) {
        if (i == 4 || (i != 3 && e[i]->len == 0)) {
            continue;
        }

        a->fields[a->nfields].name = aw_attempt_fields[i - 3];
        a->fields[a->nfields].name_len = strlen(aw_attempt_fields[i - 3]);
        a->fields[a->nfields].value = e[i]->str;
        a->fields[a->nfields].value_len = e[i]->len;
        a->nfields++;
    }

    a->url = e[4]->str;
    a->url_len = e[4]->len;
    a->completed_at = e[9]->str;
    a->messages = e[10];

    return AW_ATTEMPT_STARTED;
}


void
aw_store_attempt_free(aw_attempt_t *a)
{
    if (a->reply != NULL) {
        freeReplyObject(a->reply);
        a->reply = NULL;
    }
}


int
aw_store_attempt_done(aw_redis_t *r, const aw_attempt_t *a,
    aw_outcome_e outcome, const char *value, long long next_ms)
{
    static const char *const  outcomes[] = { "code", "error", "release" };

    const char  *argv[7];
    char         key[AA_KEY_MAX], run_key[AA_KEY_MAX], next[32];
    redisReply  *reply;
    int          rc;

    aa_key_callbacks(key, sizeof(key), aw_worker.cf.prefix);
    aa_key_run(run_key, sizeof(run_key), aw_worker.cf.prefix, a->run);

    next[0] = '\0';
    if (next_ms >= 0) {
        snprintf(next, sizeof(next), "%lld", next_ms);
    }

    argv[0] = key;
    argv[1] = run_key;
    argv[2] = a->member;
    argv[3] = a->lease;
    argv[4] = outcomes[outcome];
    argv[5] = value;
    argv[6] = next;

    reply = aw_redis_eval(r, AA_SCRIPT_CALLBACK_DONE, 2, 7, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
        aw_log_warn(a->run, a->agent, "callback: done: %s",
                    reply != NULL && reply->type != REDIS_REPLY_ERROR
                    ? "unexpected reply" : aw_redis_what(reply));
        rc = -1;

    } else {
        rc = strcmp(reply->str, "lost") == 0;
    }

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    return rc;
}
