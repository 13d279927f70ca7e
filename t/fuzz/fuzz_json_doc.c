/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * libFuzzer harness for aa_json_doc_parse(), against aa_json_parse_depth()
 * (yajl_tree): the same tree value for value, or the same refusal with the
 * same reason, whichever of its parsers (the fast path, yajl) took it.
 */

#include <stdint.h>

#include "aa_json_doc.h"
#include "fuzz_check.h"


static void
same_tree(yajl_val a, yajl_val b)
{
    size_t  i;

    AA_FUZZ_ASSERT(a != NULL && b != NULL);
    AA_FUZZ_ASSERT(a->type == b->type);

    switch (a->type) {

    case yajl_t_string:
        AA_FUZZ_ASSERT(strcmp(a->u.string, b->u.string) == 0);
        break;

    case yajl_t_number:
        AA_FUZZ_ASSERT(strcmp(a->u.number.r, b->u.number.r) == 0);
        AA_FUZZ_ASSERT(a->u.number.flags == b->u.number.flags);
        AA_FUZZ_ASSERT(!(a->u.number.flags & YAJL_NUMBER_INT_VALID)
                       || a->u.number.i == b->u.number.i);
        /* bit for bit: -0 and 0 differ */
        AA_FUZZ_ASSERT(!(a->u.number.flags & YAJL_NUMBER_DOUBLE_VALID)
                       || memcmp(&a->u.number.d, &b->u.number.d,
                                 sizeof(double)) == 0);
        break;

    case yajl_t_object:
        AA_FUZZ_ASSERT(a->u.object.len == b->u.object.len);
        for (i = 0; i < a->u.object.len; i++) {
            AA_FUZZ_ASSERT(strcmp(a->u.object.keys[i], b->u.object.keys[i])
                           == 0);
            same_tree(a->u.object.values[i], b->u.object.values[i]);
        }
        break;

    case yajl_t_array:
        AA_FUZZ_ASSERT(a->u.array.len == b->u.array.len);
        for (i = 0; i < a->u.array.len; i++) {
            same_tree(a->u.array.values[i], b->u.array.values[i]);
        }
        break;

    default:
        break;
    }
}


static void
both(const char *s, size_t len, size_t depth)
{
    char            e1[128], e2[128];
    yajl_val        t;
    aa_json_doc_t  *d;

    t = aa_json_parse_depth(s, len, depth, e1, sizeof(e1));
    d = aa_json_doc_parse(s, len, depth, e2, sizeof(e2));

    AA_FUZZ_ASSERT((t == NULL) == (d == NULL));

    if (t == NULL) {
        AA_FUZZ_ASSERT(strcmp(e1, e2) == 0);

    } else {
        same_tree(t, aa_json_doc_root(d));
    }

    yajl_tree_free(t);
    aa_json_doc_free(d);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *s;

    s = malloc(size + 4096 + 1);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data, size);
    s[size] = '\0';

    both(s, size, AA_JSON_MAX_DEPTH);
    both(s, size, 3);

    /* padded: long enough for the tables of shared scalars */
    memset(s + size, ' ', 4096);
    s[size + 4096] = '\0';
    both(s, size + 4096, AA_JSON_MAX_DEPTH);

    free(s);

    return 0;
}
