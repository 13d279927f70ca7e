/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Oracles shared by the libFuzzer harnesses: everything the validators
 * produce must be well-formed JSON without duplicate keys.
 */

#ifndef AA_FUZZ_CHECK_H
#define AA_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "aa_buf.h"
#include "aa_errors.h"
#include "aa_json.h"


#define AA_FUZZ_ASSERT(c)                                                     \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__,        \
                    __LINE__, #c);                                            \
            abort();                                                          \
        }                                                                     \
    } while (0)


static int
aa_fuzz_no_dup_keys(yajl_val v)
{
    size_t  i, j;

    if (YAJL_IS_ARRAY(v)) {
        for (i = 0; i < v->u.array.len; i++) {
            if (!aa_fuzz_no_dup_keys(v->u.array.values[i])) {
                return 0;
            }
        }
    }

    if (YAJL_IS_OBJECT(v)) {
        for (i = 0; i < v->u.object.len; i++) {
            for (j = i + 1; j < v->u.object.len; j++) {
                if (strcmp(v->u.object.keys[i], v->u.object.keys[j]) == 0) {
                    return 0;
                }
            }

            if (!aa_fuzz_no_dup_keys(v->u.object.values[i])) {
                return 0;
            }
        }
    }

    return 1;
}


/*
 * Parses b as JSON (aborting when it is not); the caller frees the tree.
 * strict: with aa_json_parse() itself, as the worker reads what the module
 * stores (depth, UTF-8, duplicate keys); else with yajl alone.
 */

static yajl_val
aa_fuzz_json(aa_buf_t *b, int strict)
{
    char      err[256];
    yajl_val  v;

    AA_FUZZ_ASSERT(!b->failed);
    AA_FUZZ_ASSERT(aa_buf_cstr(b) == 0);
    AA_FUZZ_ASSERT(strlen(b->data) == b->len);

    if (strict) {
        v = aa_json_parse(b->data, b->len, err, sizeof(err));

    } else {
        v = yajl_tree_parse(b->data, err, sizeof(err));
    }

    if (v == NULL) {
        fprintf(stderr, "not JSON: %s\n%.*s\n", err, (int) b->len, b->data);
        abort();
    }

    AA_FUZZ_ASSERT(aa_fuzz_no_dup_keys(v));

    return v;
}


/* The rendered 422 body: {"detail":[1..AA_ERRORS_MAX items]} */

static void
aa_fuzz_errors(aa_errors_t *e)
{
    size_t    i;
    aa_buf_t  out;
    yajl_val  v, d, item;

    const char  *type[] = { "type", NULL };
    const char  *loc[] = { "loc", NULL };
    const char  *msg[] = { "msg", NULL };
    const char  *detail[] = { "detail", NULL };

    AA_FUZZ_ASSERT(e->count > 0);

    aa_buf_init(&out);
    AA_FUZZ_ASSERT(aa_errors_render(e, &out, NULL) == 0);

    /* an error's input may be the whole body, one level deeper */
    v = aa_fuzz_json(&out, 0);
    d = yajl_tree_get(v, detail, yajl_t_array);
    AA_FUZZ_ASSERT(d != NULL);
    AA_FUZZ_ASSERT(d->u.array.len
                   == (size_t) (e->count < AA_ERRORS_MAX ? e->count
                                                         : AA_ERRORS_MAX));

    for (i = 0; i < d->u.array.len; i++) {
        item = d->u.array.values[i];
        AA_FUZZ_ASSERT(yajl_tree_get(item, type, yajl_t_string) != NULL);
        AA_FUZZ_ASSERT(yajl_tree_get(item, msg, yajl_t_string) != NULL);
        AA_FUZZ_ASSERT(yajl_tree_get(item, loc, yajl_t_array) != NULL);
        AA_FUZZ_ASSERT(yajl_tree_get(item, loc, yajl_t_array)->u.array.len
                       >= 1);
    }

    yajl_tree_free(v);
    aa_buf_free(&out);
}

#endif
