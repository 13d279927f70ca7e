/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdlib.h>

#include "aw_backoff.h"


void
aw_backoff_init(aw_backoff_t *b, int min_ms, int max_ms)
{
    b->step_ms = 0;
    b->min_ms = min_ms;
    b->max_ms = max_ms;
    b->failures = 0;
    b->succeeded = 0;
}


void
aw_backoff_success(aw_backoff_t *b)
{
    b->step_ms = 0;
    b->failures = 0;
    b->succeeded = 1;
}


int
aw_backoff_failure(aw_backoff_t *b)
{
    b->failures++;

    /*
     * Only a success resets the step, never a reconnect: a server that
     * accepts connections and drops them at the next command must not be
     * reconnected to in a tight loop.
     */
    if (b->succeeded) {
        b->succeeded = 0;
        b->step_ms = 0;
        return 0;
    }

    b->step_ms = b->step_ms ? b->step_ms * 2 : b->min_ms;
    if (b->step_ms > b->max_ms) {
        b->step_ms = b->max_ms;
    }

    return b->step_ms * 3 / 4 + (int) (random() % (b->step_ms / 4 + 1));
}
