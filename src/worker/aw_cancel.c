/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <string.h>

#include "aa_id.h"
#include "aw_cancel.h"
#include "aw_redis.h"
#include "aw_store.h"


int
aw_cancel_main(const char *run)
{
    aw_redis_t  r;
    char        answer[256];
    int         rc;

    if (!aa_id_valid("run", run, strlen(run))) {
        fprintf(stderr, "agent-async-worker: \"%s\" is not a run id\n", run);
        return 2;
    }

    aw_redis_init(&r);

    if (aw_store_cancel(&r, run, answer, sizeof(answer)) != 0) {
        fprintf(stderr, "agent-async-worker: %s\n", answer);
        rc = 1;

    } else {
        printf("%s\n", answer);
        rc = strcmp(answer, "not_found") == 0;
    }

    aw_redis_close(&r);

    return rc;
}
