/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aa_query.h"


typedef struct {
    const char  *name;          /* raw, not decoded */
    size_t       name_len;
    const char  *value;
    size_t       value_len;
} aa_pair_t;


static int
aa_query_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}


/* %XX and "+" decoded into b (a JSON string); -1 for a NUL byte */
static int
aa_query_string(aa_buf_t *b, const char *s, size_t n)
{
    aa_buf_t  raw;
    size_t    i;
    int       hi, lo, rc;
    char      c;

    aa_buf_init(&raw);

    for (i = 0; i < n; i++) {
        c = s[i];

        if (c == '+') {
            c = ' ';

        } else if (c == '%' && i + 2 < n
                   && (hi = aa_query_hex(s[i + 1])) >= 0
                   && (lo = aa_query_hex(s[i + 2])) >= 0)
        {
            c = (char) (hi << 4 | lo);
            i += 2;
        }

        if (c == '\0') {
            aa_buf_free(&raw);
            return -1;
        }

        aa_buf_putc(&raw, c);
    }

    rc = raw.failed ? -1 : 0;

    if (rc == 0) {
        aa_buf_json_string(b, raw.data ? raw.data : "", raw.len);
    }

    aa_buf_free(&raw);

    return rc;
}


/* 1 when the two raw names decode alike: same bytes, or the same decoded */
static int
aa_query_same(const aa_pair_t *a, const aa_pair_t *b)
{
    aa_buf_t  x, y;
    int       same;

    if (a->name_len == b->name_len
        && memcmp(a->name, b->name, a->name_len) == 0)
    {
        return 1;
    }

    aa_buf_init(&x);
    aa_buf_init(&y);

    same = aa_query_string(&x, a->name, a->name_len) == 0
           && aa_query_string(&y, b->name, b->name_len) == 0
           && !x.failed && !y.failed && x.len == y.len
           && memcmp(x.data, y.data, x.len) == 0;

    aa_buf_free(&x);
    aa_buf_free(&y);

    return same;
}


static int
aa_query_listed(const aa_pair_t *p, const char *const *lists)
{
    aa_pair_t  l;
    size_t     i;

    for (i = 0; lists != NULL && lists[i] != NULL; i++) {
        l.name = lists[i];
        l.name_len = strlen(lists[i]);

        if (aa_query_same(p, &l)) {
            return 1;
        }
    }

    return 0;
}


int
aa_query_json(const char *args, size_t len, const char *const *lists,
    aa_buf_t *out)
{
    aa_pair_t   *pairs;
    const char  *p, *end, *amp, *eq;
    size_t       n, i, j, first;
    int          list, rc;

    /* at most one pair per "&" and one more */
    n = 1;
    for (p = args; p < args + len; p++) {
        n += *p == '&';
    }

    /* names are compared pairwise: no query may make that costly */
    if (n > AA_QUERY_MAX_PAIRS + 1) {
        return -1;
    }

    pairs = malloc(n * sizeof(aa_pair_t));
    if (pairs == NULL) {
        out->failed = 1;
        return -1;
    }

    n = 0;
    end = args + len;

    for (p = args; p < end; p = amp + 1) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        if (amp == p) {
            continue;
        }

        if (n == AA_QUERY_MAX_PAIRS) {
            free(pairs);
            return -1;
        }

        eq = memchr(p, '=', amp - p);

        pairs[n].name = p;
        pairs[n].name_len = (eq ? eq : amp) - p;
        pairs[n].value = eq ? eq + 1 : amp;
        pairs[n].value_len = eq ? (size_t) (amp - eq - 1) : 0;
        n++;
    }

    rc = 0;
    aa_buf_putc(out, '{');
    first = 1;

    for (i = 0; i < n && rc == 0; i++) {
        /* a name is written where it first appears, with all its values */
        for (j = 0; j < i && !aa_query_same(&pairs[j], &pairs[i]); j++) {
            /* void */
        }

        if (j < i) {
            continue;
        }

        if (!first) {
            aa_buf_putc(out, ',');
        }
        first = 0;

        if (aa_query_string(out, pairs[i].name, pairs[i].name_len) != 0) {
            rc = -1;
            break;
        }

        aa_buf_putc(out, ':');

        list = aa_query_listed(&pairs[i], lists);

        if (list) {
            aa_buf_putc(out, '[');
        }

        for (j = i; j < n; j++) {
            if (!aa_query_same(&pairs[j], &pairs[i])) {
                continue;
            }

            if (!list) {
                /* the last value counts */
                continue;
            }

            if (j > i) {
                aa_buf_putc(out, ',');
            }

            if (aa_query_string(out, pairs[j].value, pairs[j].value_len)
                != 0)
            {
                rc = -1;
                break;
            }
        }

        if (list) {
            aa_buf_putc(out, ']');
            continue;
        }

        for (j = n; j-- > i; ) {
            if (aa_query_same(&pairs[j], &pairs[i])) {
                break;
            }
        }

        if (aa_query_string(out, pairs[j].value, pairs[j].value_len) != 0) {
            rc = -1;
        }
    }

    aa_buf_putc(out, '}');

    free(pairs);

    return (rc != 0 || out->failed) ? -1 : 0;
}


int
aa_query_bool(const char *s, int *out)
{
    static const char *const  yes[] = { "true", "t", "yes", "y", "on", "1",
                                        NULL };
    static const char *const  no[] = { "false", "f", "no", "n", "off", "0",
                                       NULL };
    size_t  i;

    for (i = 0; yes[i] != NULL; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
    }

    for (i = 0; no[i] != NULL; i++) {
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }

    return -1;
}
