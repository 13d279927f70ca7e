/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * libFuzzer harness for what the worker reads from a model server: the
 * SSE parser (aw_sse.c) and the answer reader (aw_chat.c), fed as a
 * stream and as one body.  No crash, no leak; and the answer does not
 * depend on where the stream is cut: fed whole and fed in pieces of the
 * size the first byte gives, it is the same.
 */

#include <stdint.h>

#include "aw_chat.h"
#include "aw_sse.h"
#include "fuzz_check.h"


static int
event(void *ctx, const char *data, size_t len)
{
    AA_FUZZ_ASSERT(data[len] == '\0');

    return aw_chat_chunk(ctx, data, len) == 0 ? 0 : 1;
}


/* the stream in pieces of step bytes; returns the parser's outcome */
static int
stream(aw_chat_t *c, const char *s, size_t n, size_t step)
{
    aw_sse_t  p;
    size_t    i, k;
    int       rc;

    aw_chat_init(c);
    aw_sse_init(&p, 2048, event, c);
    rc = 0;

    for (i = 0; rc == 0 && i < n; i += k) {
        k = n - i < step ? n - i : step;
        rc = aw_sse_feed(&p, s + i, k);
    }

    if (rc == 0) {
        rc = aw_sse_pending(&p) ? 2 : aw_chat_check(c);
    }

    aw_sse_free(&p);

    return rc;
}


static void
same(aw_chat_t *a, aw_chat_t *b)
{
    size_t  i;

    AA_FUZZ_ASSERT(a->ncalls == b->ncalls);
    AA_FUZZ_ASSERT(a->content.len == b->content.len);
    AA_FUZZ_ASSERT(memcmp(a->content.data, b->content.data,
                          a->content.len) == 0);
    AA_FUZZ_ASSERT(strcmp(a->finish_reason, b->finish_reason) == 0);
    AA_FUZZ_ASSERT(a->prompt_tokens == b->prompt_tokens);

    for (i = 0; i < a->ncalls; i++) {
        AA_FUZZ_ASSERT(strcmp(a->calls[i].name.data,
                              b->calls[i].name.data) == 0);
        AA_FUZZ_ASSERT(strcmp(a->calls[i].args.data,
                              b->calls[i].args.data) == 0);
        AA_FUZZ_ASSERT(strcmp(a->calls[i].id.data, b->calls[i].id.data)
                       == 0);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aw_chat_t   whole, cut, body;
    char       *s;
    size_t      step;
    int         a, b;

    if (size < 1) {
        return 0;
    }

    step = (data[0] % 16) + 1;

    s = malloc(size);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';

    a = stream(&whole, s, size - 1, size);
    b = stream(&cut, s, size - 1, step);

    AA_FUZZ_ASSERT(a == b);

    if (a == 0) {
        same(&whole, &cut);
        AA_FUZZ_ASSERT(strlen(whole.content.data) <= whole.content.len);
    }

    aw_chat_free(&whole);
    aw_chat_free(&cut);

    /* and as a whole JSON body */
    aw_chat_init(&body);
    if (aw_chat_response(&body, s, size - 1) == 0) {
        (void) aw_chat_check(&body);
    }
    aw_chat_free(&body);

    free(s);

    return 0;
}
