/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Time formats of the wire contract: runs carry microsecond UTC timestamps
 * with a "Z" suffix, Letta messages carry seconds and "+00:00".
 */

#ifndef AA_TIME_H
#define AA_TIME_H

#include <stddef.h>
#include <stdint.h>

#define AA_TIME_RUN_LEN      27      /* 2026-05-14T10:00:00.123456Z */
#define AA_TIME_MSG_LEN      25      /* 2026-05-14T10:00:03+00:00 */

int64_t aa_now_us(void);            /* wall clock, microseconds */
int64_t aa_mono_ns(void);           /* monotonic clock, nanoseconds */

/* Format us (microseconds since the epoch); out needs 32 bytes. */
size_t aa_time_run(int64_t us, char *out);
size_t aa_time_msg(int64_t us, char *out);

/* A run time (aa_time_run's form) back into microseconds; 0 or -1. */
int aa_time_parse_run(const char *s, size_t len, int64_t *us);

#endif
