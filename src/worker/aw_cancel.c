/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <string.h>

#include "aa_id.h"
#include "aa_keys.h"
#include "aa_time.h"
#include "aw_cancel.h"
#include "aw_log.h"
#include "aw_redis.h"
#include "aw_worker.h"


int
aw_cancel_main(const char *run)
{
    aw_redis_t   r;
    char         key[AA_KEY_MAX], agent[AA_ID_MAX], now[32];
    const char  *argv[3];
    redisReply  *reply;
    int          rc;

    if (!aa_id_valid("run", run, strlen(run))) {
        fprintf(stderr, "agent-async-worker: \"%s\" is not a run id\n", run);
        return 2;
    }

    aw_redis_init(&r);
    rc = 1;

    aa_key_runloc(key, sizeof(key), aw_worker.cf.prefix, run);

    argv[0] = "GET";
    argv[1] = key;

    reply = aw_redis_argv(&r, 2, argv, NULL);

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "agent-async-worker: redis: %s\n",
                aw_redis_what(reply));
        goto done;
    }

    if (reply->type != REDIS_REPLY_STRING || reply->len >= sizeof(agent)) {
        printf("not_found\n");
        goto done;
    }

    memcpy(agent, reply->str, reply->len + 1);
    freeReplyObject(reply);

    aa_key_run(key, sizeof(key), aw_worker.cf.prefix, agent, run);
    aa_time_run(aa_now_us(), now);

    argv[0] = key;
    argv[1] = now;

    reply = aw_redis_eval(&r, AW_SCRIPT_CANCEL, 1, 2, argv, NULL);

    if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
        fprintf(stderr, "agent-async-worker: cancel: %s\n",
                aw_redis_what(reply));
        goto done;
    }

    printf("%s\n", reply->str);
    rc = strcmp(reply->str, "not_found") == 0;

done:

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    aw_redis_close(&r);

    return rc;
}
