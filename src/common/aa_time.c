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


/* days since 1970-01-01 of a proleptic Gregorian date */
static int64_t
aa_time_days(int64_t y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


static int
aa_time_num(const char *s, size_t n, int *out)
{
    size_t  i;
    int     v;

    for (v = 0, i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }

    *out = v;

    return 0;
}


int
aa_time_parse_run(const char *s, size_t len, int64_t *us)
{
    int  y, mo, d, h, mi, sec, frac;

    static const int  mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
                                  30, 31 };

    if (len != AA_TIME_RUN_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T'
        || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z'
        || aa_time_num(s, 4, &y) || aa_time_num(s + 5, 2, &mo)
        || aa_time_num(s + 8, 2, &d) || aa_time_num(s + 11, 2, &h)
        || aa_time_num(s + 14, 2, &mi) || aa_time_num(s + 17, 2, &sec)
        || aa_time_num(s + 20, 6, &frac)
        || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23
        || mi > 59 || sec > 60)
    {
        return -1;
    }

    *us = ((aa_time_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec)
           * 1000000) + frac;

    return 0;
}
