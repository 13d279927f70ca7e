/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * A growing list of strings with their lengths, as a script's ARGV takes
 * them: the messages and history entries a run produces.
 */

#ifndef AW_STRV_H
#define AW_STRV_H

#include <stddef.h>

#include "aa_buf.h"

typedef struct {
    char   **items;
    size_t  *lens;
    size_t   n;
    size_t   cap;
} aw_strv_t;

/*
 * Appends the buffer's text, taking its data (b is left empty).  -1, with
 * b untouched, when b failed or memory ran out.
 */
int aw_strv_push(aw_strv_t *v, aa_buf_t *b);

void aw_strv_free(aw_strv_t *v);

#endif
