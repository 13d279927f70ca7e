/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>

#include "aw_sse.h"


void
aw_sse_init(aw_sse_t *p, size_t max, aw_sse_handler_pt handler, void *ctx)
{
    memset(p, 0, sizeof(aw_sse_t));
    aa_buf_init(&p->line);
    aa_buf_init(&p->data);
    p->max = max;
    p->handler = handler;
    p->ctx = ctx;
}


void
aw_sse_free(aw_sse_t *p)
{
    aa_buf_free(&p->line);
    aa_buf_free(&p->data);
}


/* One complete line (without its end): a field, a comment, or the end. */
static int
aw_sse_line(aw_sse_t *p)
{
    const char  *s, *v;
    size_t       n, vn;
    int          rc;

    s = p->line.data;
    n = p->line.len;

    if (n == 0) {
        /* an empty line dispatches the event, if it had data */
        if (!p->has_data) {
            return 0;
        }

        aa_buf_cstr(&p->data);
        if (p->data.failed) {
            return AW_SSE_NOMEM;
        }

        rc = p->handler(p->ctx, p->data.data, p->data.len);
        aa_buf_reset(&p->data);
        p->has_data = 0;
        return rc;
    }

    /* the field name runs to the first colon, or the end of the line */
    v = memchr(s, ':', n);
    vn = v != NULL ? (size_t) (v - s) : n;

    if (vn != 4 || memcmp(s, "data", 4) != 0) {
        return 0;                   /* a comment, or another field */
    }

    if (v == NULL) {
        v = s + n;
        vn = 0;

    } else {
        v++;
        vn = n - 5;
        if (vn > 0 && *v == ' ') {
            v++;
            vn--;
        }
    }

    if (p->has_data) {
        aa_buf_putc(&p->data, '\n');
    }

    aa_buf_append(&p->data, v, vn);
    p->has_data = 1;

    if (p->data.failed) {
        return AW_SSE_NOMEM;
    }

    return p->data.len > p->max ? AW_SSE_TOO_LONG : 0;
}


int
aw_sse_feed(aw_sse_t *p, const char *buf, size_t n)
{
    size_t  i, start;
    int     rc;

    start = 0;

    for (i = 0; i < n; i++) {
        if (buf[i] != '\n' && buf[i] != '\r') {
            /* the LF of a CRLF was not this byte */
            p->cr = 0;
            continue;
        }

        if (buf[i] == '\n' && p->cr && i == start
            && p->line.len == 0)
        {
            /* the LF of a CRLF split from its CR: the line is done */
            p->cr = 0;
            start = i + 1;
            continue;
        }

        aa_buf_append(&p->line, buf + start, i - start);
        if (p->line.failed) {
            return AW_SSE_NOMEM;
        }

        rc = aw_sse_line(p);
        aa_buf_reset(&p->line);

        if (rc != 0) {
            return rc;
        }

        p->cr = buf[i] == '\r';
        start = i + 1;

        /* CRLF in one buffer: the LF ends nothing more */
        if (p->cr && i + 1 < n && buf[i + 1] == '\n') {
            i++;
            start = i + 1;
            p->cr = 0;
        }
    }

    aa_buf_append(&p->line, buf + start, n - start);

    if (p->line.failed) {
        return AW_SSE_NOMEM;
    }

    return p->line.len + p->data.len > p->max ? AW_SSE_TOO_LONG : 0;
}


int
aw_sse_pending(const aw_sse_t *p)
{
    return p->has_data || p->line.len > 0;
}
