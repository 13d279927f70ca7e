/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * A request's query string as a JSON object, so that the validators of
 * request bodies (aa_validate.h) check query parameters too, with the same
 * 422s at loc ["query", name]:
 *
 *   limit=10&statuses=created&statuses=running&q=a%20b+c
 *     -> {"limit":"10","statuses":["created","running"],"q":"a b c"}
 *
 * Every value is a string ("+" a space, %XX decoded, bytes that are not
 * UTF-8 become U+FFFD as Starlette decodes them); a name listed in lists
 * is an array of all its values, in order; any other name takes its last
 * value.  Pairs without "=" have the empty string as value; empty pairs
 * ("a=1&&b=2") are skipped.
 */

#ifndef AA_QUERY_H
#define AA_QUERY_H

#include <stddef.h>

#include "aa_buf.h"

#define AA_QUERY_MAX_PAIRS  64

/*
 * args: the query without "?" (len bytes).  0, or -1 when it cannot be one
 * (a NUL byte, encoded or not; more than AA_QUERY_MAX_PAIRS pairs) or
 * memory ran out (out->failed).
 */
int aa_query_json(const char *args, size_t len, const char *const *lists,
    aa_buf_t *out);

/*
 * A boolean as pydantic reads one from a string: true, t, yes, y, on, 1 /
 * false, f, no, n, off, 0, any case.  1 or 0 in *out, or -1.
 */
int aa_query_bool(const char *s, int *out);

#endif
