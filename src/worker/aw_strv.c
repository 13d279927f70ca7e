/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdlib.h>
#include <string.h>

#include "aw_strv.h"


void
aw_strv_free(aw_strv_t *v)
{
    size_t  i;

    for (i = 0; i < v->n; i++) {
        free(v->items[i]);
    }

    free(v->items);
    free(v->lens);
    memset(v, 0, sizeof(aw_strv_t));
}


int
aw_strv_push(aw_strv_t *v, aa_buf_t *b)
{
    size_t   cap;
    char   **items;
    size_t  *lens;

    if (b->failed || aa_buf_cstr(b) != 0) {
        return -1;
    }

    if (v->n == v->cap) {
        cap = v->cap ? v->cap * 2 : 8;

        items = realloc(v->items, cap * sizeof(char *));
        if (items == NULL) {
            return -1;
        }
        v->items = items;

        lens = realloc(v->lens, cap * sizeof(size_t));
        if (lens == NULL) {
            return -1;
        }
        v->lens = lens;

        v->cap = cap;
    }

    v->items[v->n] = b->data;
    v->lens[v->n] = b->len;
    v->n++;

    aa_buf_init(b);

    return 0;
}
