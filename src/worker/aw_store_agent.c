/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_keys.h"
#include "aa_scripts.h"
#include "aw_log.h"
#include "aw_store_agent.h"
#include "aw_worker.h"


static char *
aw_reply_dup(redisReply *e)
{
    if (e->type == REDIS_REPLY_STRING) {
        return strndup(e->str, e->len);
    }

    return strdup("");
}


int
aw_store_agent_read(aw_redis_t *r, const aw_claim_t *claim, char **state,
    char **rev, char **rc)
{
    const char  *argv[4];
    char         key[AA_KEY_MAX];
    redisReply  *reply;

    *state = NULL;
    *rev = NULL;
    *rc = NULL;

    if (aa_key_agent(key, sizeof(key), aw_worker.cf.prefix, claim->agent)
        < 0)
    {
        return -1;
    }

    argv[0] = "HMGET";
    argv[1] = key;
    argv[2] = "state";
    argv[3] = "rev";

    reply = aw_redis_argv(r, 4, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 2)
    {
        aw_log_warn(claim->run, claim->agent, "reading the agent: %s",
                    aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return -1;
    }

    if (reply->element[0]->type == REDIS_REPLY_STRING) {
        *state = aw_reply_dup(reply->element[0]);
    }

    *rev = reply->element[1]->type == REDIS_REPLY_STRING
           ? aw_reply_dup(reply->element[1]) : strdup("0");
    freeReplyObject(reply);

    argv[0] = "HGET";
    argv[1] = claim->run_key;
    argv[2] = "request_config";

    reply = aw_redis_argv(r, 3, argv, NULL);

    if (reply != NULL && (reply->type == REDIS_REPLY_STRING
                          || reply->type == REDIS_REPLY_NIL))
    {
        *rc = aw_reply_dup(reply);
    }

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    if (*rev == NULL || *rc == NULL) {
        free(*state);
        free(*rev);
        free(*rc);
        *state = NULL;
        *rev = NULL;
        *rc = NULL;
        return -1;
    }

    return 0;
}


redisReply *
aw_store_history(aw_redis_t *r, const char *agent, long max)
{
    const char  *argv[4];
    char         key[AA_KEY_MAX], from[32];
    redisReply  *reply;

    if (aa_key_history(key, sizeof(key), aw_worker.cf.prefix, agent) < 0) {
        return NULL;
    }

    snprintf(from, sizeof(from), "%ld", -max);

    argv[0] = "LRANGE";
    argv[1] = key;
    argv[2] = from;
    argv[3] = "-1";

    reply = aw_redis_argv(r, 4, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        aw_log_warn(NULL, agent, "reading the history: %s",
                    aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return NULL;
    }

    return reply;
}


int
aw_store_memory_write(aw_redis_t *r, const aw_claim_t *claim,
    const char *rev, const char *state, size_t len)
{
    const char  *argv[5];
    size_t       lens[5];
    char         key[AA_KEY_MAX];
    redisReply  *reply;
    int          rc;

    if (aa_key_agent(key, sizeof(key), aw_worker.cf.prefix, claim->agent)
        < 0)
    {
        return AW_MEMORY_ERROR;
    }

    argv[0] = key;
    argv[1] = claim->run_key;
    argv[2] = rev;
    argv[3] = state;
    argv[4] = claim->lease;

    lens[0] = strlen(key);
    lens[1] = strlen(claim->run_key);
    lens[2] = strlen(rev);
    lens[3] = len;
    lens[4] = strlen(claim->lease);

    reply = aw_redis_eval(r, AA_SCRIPT_MEMORY_WRITE, 2, 5, argv, lens);

    if (reply == NULL || (reply->type != REDIS_REPLY_STATUS
                          && reply->type != REDIS_REPLY_STRING))
    {
        aw_log_warn(claim->run, claim->agent, "memory write: %s",
                    aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return AW_MEMORY_ERROR;
    }

    rc = strcmp(reply->str, "ok") == 0 ? AW_MEMORY_OK
         : strcmp(reply->str, "conflict") == 0 ? AW_MEMORY_CONFLICT
         : strcmp(reply->str, "gone") == 0 ? AW_MEMORY_GONE
         : strcmp(reply->str, "lost") == 0 ? AW_MEMORY_LOST
         : AW_MEMORY_ERROR;

    freeReplyObject(reply);

    return rc;
}


int
aw_store_progress(aw_redis_t *r, const aw_claim_t *claim, int first,
    const aw_strv_t *messages, size_t from_m, const aw_strv_t *steps,
    size_t from_s)
{
    const char  **argv;
    size_t       *lens, n, i, k;
    char          mkey[AA_KEY_MAX], skey[AA_KEY_MAX], count[32];
    const char   *p;
    redisReply   *reply;
    int           rc;

    p = aw_worker.cf.prefix;

    if (aa_key_run_messages(mkey, sizeof(mkey), p, claim->run) < 0
        || aa_key_run_steps(skey, sizeof(skey), p, claim->run) < 0)
    {
        return -1;
    }

    n = 6 + (messages->n - from_m) + (steps->n - from_s);
    argv = calloc(n, sizeof(char *));
    lens = calloc(n, sizeof(size_t));

    if (argv == NULL || lens == NULL) {
        free(argv);
        free(lens);
        return -1;
    }

    snprintf(count, sizeof(count), "%zu", messages->n - from_m);

    argv[0] = claim->run_key;
    argv[1] = mkey;
    argv[2] = skey;
    argv[3] = claim->lease;
    argv[4] = first ? "1" : "0";
    argv[5] = count;

    for (k = 0; k < 6; k++) {
        lens[k] = strlen(argv[k]);
    }

    for (i = from_m; i < messages->n; i++, k++) {
        argv[k] = messages->items[i];
        lens[k] = messages->lens[i];
    }

    for (i = from_s; i < steps->n; i++, k++) {
        argv[k] = steps->items[i];
        lens[k] = steps->lens[i];
    }

    reply = aw_redis_eval(r, AA_SCRIPT_RUN_PROGRESS, 3, (int) n, argv, lens);
    free(argv);
    free(lens);

    if (reply == NULL || (reply->type != REDIS_REPLY_STATUS
                          && reply->type != REDIS_REPLY_STRING))
    {
        aw_log_warn(claim->run, claim->agent, "storing the step: %s",
                    aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return -1;
    }

    rc = strcmp(reply->str, "ok") == 0 ? 0 : 1;
    freeReplyObject(reply);

    return rc;
}
