/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The worker's counters, for Prometheus: updated by any thread, published
 * by the heartbeat thread as the hash Pmetrics:W (docs/redis-keys.md),
 * which expires with the heartbeat.  Its fields are Prometheus sample
 * names with their labels, the worker label aside; nginx's
 * agent_async_metrics serves them with worker="W" added.
 */

#ifndef AW_METRICS_H
#define AW_METRICS_H

#include <stdint.h>

#include "aw_redis.h"

typedef enum {
    AW_CALLBACK_DELIVERED = 0,      /* a 2xx */
    AW_CALLBACK_REJECTED,           /* another final HTTP answer */
    AW_CALLBACK_RETRIED,            /* failed, tried again later */
    AW_CALLBACK_GIVEN_UP,           /* failed, no attempt left */
    AW_CALLBACK_N
} aw_callback_outcome_e;

/* a run made terminal by this worker; ttft_ns < 0 when it had none */
void aw_metrics_run(const char *status, const char *stop_reason,
    int64_t ttft_ns, int64_t total_ns);
void aw_metrics_callback(aw_callback_outcome_e outcome);
void aw_metrics_redis_error(void);
void aw_metrics_redis_reconnect(void);

/* HSET of every counter into Pmetrics:W, PEXPIRE of the lease; 0 or -1 */
int aw_metrics_publish(aw_redis_t *r);

/* the fields as published, NUL-separated name and value; for the tests */
int aw_metrics_render(char *out, size_t size);

#endif
