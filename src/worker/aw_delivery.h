/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The callback deliveries (docs/callbacks.md), sent by a thread of their
 * own with its own Redis connection and one libcurl multi handle, many at
 * once (--callback-concurrency), so that no receiver, however slow,
 * holds up a run or another delivery.  Each attempt is taken from
 * Pcallbacks under a lease, sent with the Standard Webhooks headers
 * (signed with --callback-secret), only to addresses the SSRF policy
 * allows (aw_ssrf.h), and its outcome recorded on the run; connection
 * errors, timeouts, 429 and 5xx are tried again, with exponential backoff
 * and jitter, honouring Retry-After, up to --callback-attempts.
 *
 * It takes no new delivery once the worker drains, and at the end of the
 * drain grace gives the ones in flight back, due at once.
 */

#ifndef AW_DELIVERY_H
#define AW_DELIVERY_H

/* The thread's body. */
void *aw_delivery_main(void *arg);

/*
 * The delay before attempt n + 1, after attempt n failed: backoff_ms
 * doubling to max_ms, at 75% to 100% of the step; at least retry_after_ms
 * (-1: none), within max_ms.  Exposed for unit tests.
 */
long long aw_delivery_delay(long n, int backoff_ms, int max_ms,
    long long retry_after_ms);

/* Retry-After as ms from now: seconds or an HTTP date; -1 if neither. */
long long aw_delivery_retry_after(const char *value, long long now_s);

#endif
