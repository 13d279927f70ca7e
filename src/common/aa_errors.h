/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Validation errors, rendered in FastAPI's list form (docs/api.md):
 *
 *   {"detail":[{"type":"missing","loc":["body","messages",0,"role"],
 *               "msg":"Field required","input":{...}}, ...]}
 *
 * A loc is written as "body/messages/0/role": segments made only of digits
 * become JSON integers.
 */

#ifndef AA_ERRORS_H
#define AA_ERRORS_H

#include <yajl/yajl_tree.h>

#include "aa_buf.h"

#define AA_ERRORS_MAX  32       /* further errors are counted, not listed */

typedef struct {
    aa_buf_t    items;          /* comma-separated error objects */
    int         count;
} aa_errors_t;

void aa_errors_init(aa_errors_t *e);
void aa_errors_free(aa_errors_t *e);

/* input may be NULL: the "input" key is then omitted. */
void aa_errors_add(aa_errors_t *e, const char *type, const char *loc,
    const char *msg, yajl_val input);

/*
 * As aa_errors_add, plus "ctx":{"error":ctx_error} when ctx_error != NULL
 * (used for json_invalid, with the parser's one-line reason).
 */
void aa_errors_add_ctx(aa_errors_t *e, const char *type, const char *loc,
    const char *msg, yajl_val input, const char *ctx_error);

/* As aa_errors_add, with a raw string as the input value. */
void aa_errors_add_str(aa_errors_t *e, const char *type, const char *loc,
    const char *msg, const char *input, size_t input_len);

/*
 * Writes {"detail":[...]} (plus "examples":<examples> when examples != NULL;
 * examples is raw JSON, e.g. "[\"agent-...\"]").  Only the first
 * AA_ERRORS_MAX errors are listed.  0, or -1 when out of memory (including
 * an earlier failure while adding errors).
 */
int aa_errors_render(aa_errors_t *e, aa_buf_t *out, const char *examples);

/*
 * Appends the JSON encoding of a parsed value (NULL encodes as null).
 * Numbers are written as the text received, strings through
 * aa_buf_json_string().  0, or -1 when out of memory.
 */
int aa_json_encode(aa_buf_t *b, yajl_val v);

#endif
