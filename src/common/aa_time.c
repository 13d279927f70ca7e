/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>
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


/*
 * The civil date and time of us (UTC; negative times are the epoch), by
 * the inverse of aa_time_days(): times are rendered on every request, so
 * neither gmtime_r() nor printf.
 */
typedef struct {
    int64_t  year;
    int      mon, day, hour, min, sec;
    long     frac;              /* microseconds */
} aa_civil_t;


static void
aa_time_split(int64_t us, aa_civil_t *c)
{
    int64_t  days, secs, era, doe, yoe, doy, mp;

    if (us < 0) {
        us = 0;
    }

    c->frac = (long) (us % 1000000);
    secs = us / 1000000;
    days = secs / 86400;
    secs %= 86400;

    c->hour = (int) (secs / 3600);
    c->min = (int) (secs / 60 % 60);
    c->sec = (int) (secs % 60);

    days += 719468;
    era = days / 146097;
    doe = days - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    c->day = (int) (doy - (153 * mp + 2) / 5 + 1);
    c->mon = (int) (mp < 10 ? mp + 3 : mp - 9);
    c->year = yoe + era * 400 + (c->mon <= 2);
}


/* n decimal digits of v, zero-padded, at p; returns p + n */
static char *
aa_time_digits(char *p, int64_t v, int n)
{
    int  i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (char) ('0' + v % 10);
        v /= 10;
    }

    return p + n;
}


/* "YYYY-MM-DDTHH:MM:SS" (years past 9999 are cut to 4 digits) */
static char *
aa_time_date(char *p, const aa_civil_t *c)
{
    p = aa_time_digits(p, c->year, 4);
    *p++ = '-';
    p = aa_time_digits(p, c->mon, 2);
    *p++ = '-';
    p = aa_time_digits(p, c->day, 2);
    *p++ = 'T';
    p = aa_time_digits(p, c->hour, 2);
    *p++ = ':';
    p = aa_time_digits(p, c->min, 2);
    *p++ = ':';

    return aa_time_digits(p, c->sec, 2);
}


size_t
aa_time_run(int64_t us, char *out)
{
    char        *p;
    aa_civil_t   c;

    aa_time_split(us, &c);

    p = aa_time_date(out, &c);
    *p++ = '.';
    p = aa_time_digits(p, c.frac, 6);
    *p++ = 'Z';
    *p = '\0';

    return (size_t) (p - out);
}


size_t
aa_time_msg(int64_t us, char *out)
{
    char        *p;
    aa_civil_t   c;

    aa_time_split(us, &c);

    p = aa_time_date(out, &c);
    memcpy(p, "+00:00", 7);

    return (size_t) (p + 6 - out);
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
