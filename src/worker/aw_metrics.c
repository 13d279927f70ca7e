/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aa_keys.h"
#include "aw_log.h"
#include "aw_metrics.h"
#include "aw_worker.h"


#define AW_METRICS_BUCKETS  13

/* seconds; the last is +Inf */
static const char *const  aw_metrics_le[AW_METRICS_BUCKETS] = {
    "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "120",
    "300", "+Inf"
};

static const int64_t  aw_metrics_le_ns[AW_METRICS_BUCKETS - 1] = {
    50000000LL, 100000000LL, 250000000LL, 500000000LL, 1000000000LL,
    2500000000LL, 5000000000LL, 10000000000LL, 30000000000LL,
    60000000000LL, 120000000000LL, 300000000000LL
};

static const char *const  aw_metrics_statuses[] = {
    "completed", "failed", "cancelled", NULL
};

/* Letta's StopReasonType; anything else counts as "other" */
static const char *const  aw_metrics_stop_reasons[] = {
    "end_turn", "error", "invalid_llm_response", "invalid_tool_call",
    "max_steps", "no_tool_call", "tool_rule", "cancelled",
    "requires_approval", "other", NULL
};

static const char *const  aw_metrics_callbacks[AW_CALLBACK_N] = {
    "delivered", "rejected", "retried", "given_up"
};

typedef struct {
    uint64_t  bucket[AW_METRICS_BUCKETS];   /* not cumulative */
    uint64_t  sum_us;
    uint64_t  count;
} aw_histogram_t;

static struct {
    uint64_t        status[3];
    uint64_t        stop_reason[10];
    aw_histogram_t  duration;
    aw_histogram_t  ttft;
    uint64_t        callback[AW_CALLBACK_N];
    uint64_t        redis_errors;
    uint64_t        redis_reconnects;
} aw_metrics;


static void
aw_metrics_add(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}


static uint64_t
aw_metrics_get(const uint64_t *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}


static int
aw_metrics_index(const char *const *names, const char *name, int other)
{
    int  i;

    for (i = 0; names[i] != NULL; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }

    return other;
}


static void
aw_metrics_observe(aw_histogram_t *h, int64_t ns)
{
    int  i;

    for (i = 0; i < AW_METRICS_BUCKETS - 1; i++) {
        if (ns <= aw_metrics_le_ns[i]) {
            break;
        }
    }

    aw_metrics_add(&h->bucket[i], 1);
    aw_metrics_add(&h->sum_us, (uint64_t) (ns / 1000));
    aw_metrics_add(&h->count, 1);
}


void
aw_metrics_run(const char *status, const char *stop_reason, int64_t ttft_ns,
    int64_t total_ns)
{
    int  i;

    i = aw_metrics_index(aw_metrics_statuses, status, -1);
    if (i >= 0) {
        aw_metrics_add(&aw_metrics.status[i], 1);
    }

    aw_metrics_add(&aw_metrics.stop_reason[
                       aw_metrics_index(aw_metrics_stop_reasons, stop_reason,
                                        9)], 1);

    if (total_ns >= 0) {
        aw_metrics_observe(&aw_metrics.duration, total_ns);
    }

    if (ttft_ns >= 0) {
        aw_metrics_observe(&aw_metrics.ttft, ttft_ns);
    }
}


void
aw_metrics_callback(aw_callback_outcome_e outcome)
{
    if (outcome < AW_CALLBACK_N) {
        aw_metrics_add(&aw_metrics.callback[outcome], 1);
    }
}


void
aw_metrics_redis_error(void)
{
    aw_metrics_add(&aw_metrics.redis_errors, 1);
}


void
aw_metrics_redis_reconnect(void)
{
    aw_metrics_add(&aw_metrics.redis_reconnects, 1);
}


/* one field: its name, NUL, its value, NUL; the length written, or -1 */
static int
aw_metrics_field(char *out, size_t size, size_t *off, const char *value,
    const char *fmt, ...)
{
    int      n, m;
    va_list  ap;

    if (*off >= size) {
        return -1;
    }

    va_start(ap, fmt);
    n = vsnprintf(out + *off, size - *off, fmt, ap);
    va_end(ap);

    if (n < 0 || (size_t) n + 1 >= size - *off) {
        return -1;
    }

    *off += n + 1;

    m = snprintf(out + *off, size - *off, "%s", value);
    if (m < 0 || (size_t) m + 1 > size - *off) {
        return -1;
    }

    *off += m + 1;

    return 0;
}


static int
aw_metrics_histogram(char *out, size_t size, size_t *off, const char *name,
    const aw_histogram_t *h)
{
    char      v[32];
    int       i;
    uint64_t  cumulative, sum;

    cumulative = 0;

    for (i = 0; i < AW_METRICS_BUCKETS; i++) {
        cumulative += aw_metrics_get(&h->bucket[i]);
        snprintf(v, sizeof(v), "%llu", (unsigned long long) cumulative);

        if (aw_metrics_field(out, size, off, v, "%s_bucket{le=\"%s\"}",
                             name, aw_metrics_le[i]) != 0)
        {
            return -1;
        }
    }

    sum = aw_metrics_get(&h->sum_us);
    snprintf(v, sizeof(v), "%llu.%06llu", (unsigned long long) (sum / 1000000),
             (unsigned long long) (sum % 1000000));

    if (aw_metrics_field(out, size, off, v, "%s_sum", name) != 0) {
        return -1;
    }

    /* the +Inf bucket: a scrape between two adds sees them agree */
    snprintf(v, sizeof(v), "%llu", (unsigned long long) cumulative);

    return aw_metrics_field(out, size, off, v, "%s_count", name);
}


int
aw_metrics_render(char *out, size_t size)
{
    char    v[32];
    size_t  off;
    int     i, n;

    off = 0;
    n = 0;

#define aw_metrics_counter(value, ...)                                        \
    do {                                                                      \
        snprintf(v, sizeof(v), "%llu", (unsigned long long) (value));         \
        if (aw_metrics_field(out, size, &off, v, __VA_ARGS__) != 0) {         \
            return -1;                                                        \
        }                                                                     \
        n++;                                                                  \
    } while (0)

    for (i = 0; aw_metrics_statuses[i] != NULL; i++) {
        aw_metrics_counter(aw_metrics_get(&aw_metrics.status[i]),
                           "agent_async_worker_runs_total{status=\"%s\"}",
                           aw_metrics_statuses[i]);
    }

    for (i = 0; aw_metrics_stop_reasons[i] != NULL; i++) {
        aw_metrics_counter(aw_metrics_get(&aw_metrics.stop_reason[i]),
                           "agent_async_worker_stop_reasons_total"
                           "{stop_reason=\"%s\"}",
                           aw_metrics_stop_reasons[i]);
    }

    for (i = 0; i < AW_CALLBACK_N; i++) {
        aw_metrics_counter(aw_metrics_get(&aw_metrics.callback[i]),
                           "agent_async_worker_callbacks_total"
                           "{outcome=\"%s\"}", aw_metrics_callbacks[i]);
    }

    aw_metrics_counter(aw_metrics_get(&aw_metrics.redis_errors),
                       "agent_async_worker_redis_errors_total");
    aw_metrics_counter(aw_metrics_get(&aw_metrics.redis_reconnects),
                       "agent_async_worker_redis_reconnects_total");

#undef aw_metrics_counter

    if (aw_metrics_histogram(out, size, &off,
                             "agent_async_worker_run_duration_seconds",
                             &aw_metrics.duration) != 0
        || aw_metrics_histogram(out, size, &off,
                                "agent_async_worker_ttft_seconds",
                                &aw_metrics.ttft) != 0)
    {
        return -1;
    }

    return n + 2 * (AW_METRICS_BUCKETS + 2);
}


int
aw_metrics_publish(aw_redis_t *r)
{
    char         buf[8192], key[AA_KEY_MAX], ttl[16];
    const char  *argv[2 + 2 * 64];
    redisReply  *reply;
    size_t       off;
    int          n, i, argc, rc;

    n = aw_metrics_render(buf, sizeof(buf));
    if (n < 0 || 2 + 2 * n > (int) (sizeof(argv) / sizeof(argv[0]))) {
        aw_log_error(NULL, NULL, "metrics: too many to publish");
        return -1;
    }

    aa_key_worker_metrics(key, sizeof(key), aw_worker.cf.prefix,
                          aw_worker.id);

    argv[0] = "HSET";
    argv[1] = key;
    argc = 2;
    off = 0;

    for (i = 0; i < 2 * n; i++) {
        argv[argc++] = buf + off;
        off += strlen(buf + off) + 1;
    }

    reply = aw_redis_argv(r, argc, argv, NULL);
    rc = (reply != NULL && reply->type == REDIS_REPLY_INTEGER) ? 0 : -1;

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    if (rc != 0) {
        return -1;
    }

    snprintf(ttl, sizeof(ttl), "%d", aw_worker.cf.lease_ttl_ms);

    argv[0] = "PEXPIRE";
    argv[2] = ttl;

    reply = aw_redis_argv(r, 3, argv, NULL);
    rc = (reply != NULL && reply->type == REDIS_REPLY_INTEGER) ? 0 : -1;

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    return rc;
}
