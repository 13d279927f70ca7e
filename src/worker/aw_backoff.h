/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Capped exponential backoff with jitter, for reconnecting to Redis: the
 * first failure after a working connection is retried at once (a
 * restarted server, a killed connection); every further one waits min
 * ms, doubling to max, at 75% to 100% of the step so that the threads of
 * many workers do not retry in step.
 */

#ifndef AW_BACKOFF_H
#define AW_BACKOFF_H

typedef struct {
    int       step_ms;          /* 0: no failure since a success */
    int       min_ms;
    int       max_ms;
    unsigned  failures;         /* since the last success */
    int       succeeded;        /* a success since the last failure */
} aw_backoff_t;

void aw_backoff_init(aw_backoff_t *b, int min_ms, int max_ms);

/* Records a success: the next failure is retried at once. */
void aw_backoff_success(aw_backoff_t *b);

/* Records a failure; returns how many ms to wait before the next try. */
int aw_backoff_failure(aw_backoff_t *b);

#endif
