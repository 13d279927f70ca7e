/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * An incremental parser of text/event-stream (the WHATWG "server-sent
 * events" format), as OpenAI-compatible servers stream chat completions.
 * Bytes go in as they arrive, split anywhere; each complete event's data
 * (its "data:" lines joined by "\n") comes out through the handler.
 * Other fields (event, id, retry) and comment lines are ignored.
 */

#ifndef AW_SSE_H
#define AW_SSE_H

#include <stddef.h>

#include "aa_buf.h"

/* 0 to go on; anything else stops the parser and is returned by feed */
typedef int (*aw_sse_handler_pt)(void *ctx, const char *data, size_t len);

typedef struct {
    aa_buf_t            line;       /* the line being read */
    aa_buf_t            data;       /* data of the event being read */
    int                 has_data;   /* a data field was seen */
    int                 cr;         /* the last byte was a CR */
    size_t              max;        /* longest event accepted, in bytes */
    aw_sse_handler_pt   handler;
    void               *ctx;
} aw_sse_t;

void aw_sse_init(aw_sse_t *p, size_t max, aw_sse_handler_pt handler,
    void *ctx);
void aw_sse_free(aw_sse_t *p);

/*
 * Feeds n bytes.  0; AW_SSE_TOO_LONG when an event outgrows max;
 * AW_SSE_NOMEM; or the handler's non-zero answer.  Once it failed, the
 * parser must not be fed again.
 */
int aw_sse_feed(aw_sse_t *p, const char *buf, size_t n);

/* 1 when the stream ended inside an event (data not yet dispatched). */
int aw_sse_pending(const aw_sse_t *p);

#define AW_SSE_TOO_LONG  -2
#define AW_SSE_NOMEM     -3

#endif
