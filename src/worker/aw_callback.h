/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The callback of spec section 4: once a run is terminal, if it has a
 * callback_url, one POST of {run_id, status, completed_at, metadata:
 * {...stored metadata..., result: LettaResponse}} (5 s timeout, no
 * redirects, http and https only, no retry), then callback_sent_at,
 * callback_status_code or callback_error on the run.  HSETNX of
 * callback_sent_at before the POST makes it once per run, whichever
 * worker or attempt gets there first.
 */

#ifndef AW_CALLBACK_H
#define AW_CALLBACK_H

#include "aw_redis.h"

int aw_callback_init(void);
void aw_callback_cleanup(void);

/* Reads the terminal run from Redis and sends its callback if due. */
void aw_callback_run(aw_redis_t *r, const char *agent, const char *run);

#endif
