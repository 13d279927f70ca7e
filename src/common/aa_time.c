/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <time.h>

#include "aa_time.h"


int64_t
aa_now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);

    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


int64_t
aa_mono_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


static void
aa_time_split(int64_t us, struct tm *tm, long *frac)
{
    time_t  sec;

    if (us < 0) {
        us = 0;
    }

    sec = (time_t) (us / 1000000);
    *frac = (long) (us % 1000000);

    gmtime_r(&sec, tm);
}


size_t
aa_time_run(int64_t us, char *out)
{
    long       frac;
    struct tm  tm;

    aa_time_split(us, &tm, &frac);

    return (size_t) snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
                             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                             tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}


size_t
aa_time_msg(int64_t us, char *out)
{
    long       frac;
    struct tm  tm;

    aa_time_split(us, &tm, &frac);

    return (size_t) snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d+00:00",
                             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                             tm.tm_hour, tm.tm_min, tm.tm_sec);
}
