/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * A growable byte buffer.  Shared by the nginx module and the worker: it
 * uses malloc, or an allocator of the caller's (the module's request pool,
 * aa_buf_init_alloc), whose memory it never frees.  Once an allocation
 * fails the buffer stays "failed" and every later append is a no-op, so
 * builders check once, at the end.
 */

#ifndef AA_BUF_H
#define AA_BUF_H

#include <stddef.h>
#include <stdint.h>

/* size bytes that live as long as ctx says, or NULL */
typedef void *(*aa_buf_alloc_pt)(void *ctx, size_t size);

typedef struct {
    char             *data;
    size_t            len;
    size_t            cap;
    int               failed;
    aa_buf_alloc_pt   alloc;     /* NULL: malloc */
    void             *ctx;
} aa_buf_t;

void aa_buf_init(aa_buf_t *b);
/* Growing takes a new block of alloc(ctx) and copies; free forgets. */
void aa_buf_init_alloc(aa_buf_t *b, aa_buf_alloc_pt alloc, void *ctx);
void aa_buf_free(aa_buf_t *b);
void aa_buf_reset(aa_buf_t *b);

/* Each returns 0 on success, -1 when out of memory (and sets b->failed). */
int aa_buf_reserve(aa_buf_t *b, size_t n);     /* room for n more bytes */
int aa_buf_append(aa_buf_t *b, const char *s, size_t n);
int aa_buf_puts(aa_buf_t *b, const char *s);
int aa_buf_putc(aa_buf_t *b, char c);
int aa_buf_int(aa_buf_t *b, int64_t v);        /* decimal, no printf */
int aa_buf_printf(aa_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Appends s as a quoted JSON string.  Bytes that are not well-formed UTF-8
 * (including encoded surrogates) are written as \ufffd, so the result is
 * always valid JSON.
 */
int aa_buf_json_string(aa_buf_t *b, const char *s, size_t n);

/*
 * Length (1 - 4) of the well-formed UTF-8 sequence at the start of s (n
 * bytes; RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), or 0 when there is none.
 */
size_t aa_buf_utf8_len(const char *s, size_t n);

/* Appends s quoted, or null when s is NULL. */
int aa_buf_json_string_or_null(aa_buf_t *b, const char *s, size_t n);

/* NUL-terminates data without counting the NUL in len. */
int aa_buf_cstr(aa_buf_t *b);

#endif
