/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_buf.h"


void
aa_buf_init(aa_buf_t *b)
{
    aa_buf_init_alloc(b, NULL, NULL);
}


void
aa_buf_init_alloc(aa_buf_t *b, aa_buf_alloc_pt alloc, void *ctx)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
    b->alloc = alloc;
    b->ctx = ctx;
}


void
aa_buf_free(aa_buf_t *b)
{
    if (b->alloc == NULL) {
        free(b->data);
    }

    aa_buf_init_alloc(b, b->alloc, b->ctx);
}


void
aa_buf_reset(aa_buf_t *b)
{
    b->len = 0;
    b->failed = 0;
}


int
aa_buf_reserve(aa_buf_t *b, size_t n)
{
    size_t   cap;
    char    *p;

    if (b->failed) {
        return -1;
    }

    if (b->len + n + 1 <= b->cap) {
        return 0;
    }

    cap = b->cap ? b->cap : 256;

    while (cap < b->len + n + 1) {
        if (cap > ((size_t) -1) / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }

    if (b->alloc == NULL) {
        p = realloc(b->data, cap);

    } else {
        p = b->alloc(b->ctx, cap);
        if (p != NULL && b->len) {
            memcpy(p, b->data, b->len);
        }
    }

    if (p == NULL) {
        b->failed = 1;
        return -1;
    }

    b->data = p;
    b->cap = cap;

    return 0;
}


int
aa_buf_append(aa_buf_t *b, const char *s, size_t n)
{
    if (aa_buf_reserve(b, n) != 0) {
        return -1;
    }

    if (n) {
        memcpy(b->data + b->len, s, n);
    }

    b->len += n;

    return 0;
}


int
aa_buf_puts(aa_buf_t *b, const char *s)
{
    return aa_buf_append(b, s, strlen(s));
}


int
aa_buf_putc(aa_buf_t *b, char c)
{
    return aa_buf_append(b, &c, 1);
}


int
aa_buf_int(aa_buf_t *b, int64_t v)
{
    char      tmp[24], *p;
    uint64_t  u;

    /* from the end; the magnitude as unsigned, so INT64_MIN is fine */
    p = tmp + sizeof(tmp);
    u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;

    do {
        *--p = (char) ('0' + u % 10);
        u /= 10;
    } while (u != 0);

    if (v < 0) {
        *--p = '-';
    }

    return aa_buf_append(b, p, (size_t) (tmp + sizeof(tmp) - p));
}


int
aa_buf_printf(aa_buf_t *b, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n < 0 || aa_buf_reserve(b, (size_t) n) != 0) {
        b->failed = 1;
        return -1;
    }

    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);

    b->len += (size_t) n;

    return 0;
}


size_t
aa_buf_utf8_len(const char *s, size_t n)
{
    size_t                len, i;
    unsigned char         lo, hi;
    const unsigned char  *p;

    p = (const unsigned char *) s;

    if (n == 0) {
        return 0;
    }

    if (p[0] < 0x80) {
        return 1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;

    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        if (p[0] == 0xe0) {
            lo = 0xa0;
        } else if (p[0] == 0xed) {
            hi = 0x9f;
        }

    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        if (p[0] == 0xf0) {
            lo = 0x90;
        } else if (p[0] == 0xf4) {
            hi = 0x8f;
        }

    } else {
        return 0;
    }

    if (n < len || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return len;
}


int
aa_buf_json_string(aa_buf_t *b, const char *s, size_t n)
{
    static const char  hex[] = "0123456789abcdef";
    const char        *run;
    unsigned char      c;
    char               esc[6];
    size_t             i, k;

    aa_buf_putc(b, '"');

    run = s;
    i = 0;

    while (i < n) {
        c = (unsigned char) s[i];

        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }

        if (c >= 0x80) {
            k = aa_buf_utf8_len(s + i, n - i);

            if (k) {
                i += k;
                continue;
            }
        }

        aa_buf_append(b, run, (size_t) (s + i - run));
        run = s + i + 1;

        switch (c) {
        case '"':  aa_buf_append(b, "\\\"", 2); break;
        case '\\': aa_buf_append(b, "\\\\", 2); break;
        case '\n': aa_buf_append(b, "\\n", 2); break;
        case '\r': aa_buf_append(b, "\\r", 2); break;
        case '\t': aa_buf_append(b, "\\t", 2); break;
        case '\b': aa_buf_append(b, "\\b", 2); break;
        case '\f': aa_buf_append(b, "\\f", 2); break;
        default:
            if (c >= 0x80) {
                /* not UTF-8: U+FFFD REPLACEMENT CHARACTER */
                aa_buf_append(b, "\\ufffd", 6);
                break;
            }

            esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 0xf];
            aa_buf_append(b, esc, 6);
        }

        i++;
    }

    aa_buf_append(b, run, (size_t) (s + n - run));

    return aa_buf_putc(b, '"');
}


int
aa_buf_json_string_or_null(aa_buf_t *b, const char *s, size_t n)
{
    if (s == NULL) {
        return aa_buf_append(b, "null", 4);
    }

    return aa_buf_json_string(b, s, n);
}


int
aa_buf_cstr(aa_buf_t *b)
{
    if (aa_buf_reserve(b, 0) != 0) {
        return -1;
    }

    b->data[b->len] = '\0';

    return 0;
}
