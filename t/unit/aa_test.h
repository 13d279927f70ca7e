/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Helpers shared by the unit tests (header only: each test is one binary).
 * Produced JSON is parsed back with yajl and inspected by path.
 */

#ifndef AA_TEST_H
#define AA_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "aa_buf.h"
#include "aa_errors.h"


/* Parses n bytes of JSON (a copy is NUL-terminated); fails the test. */

/* JSON written with single quotes, for readable tests; free() it */
static inline char *
aa_t_dq(const char *s)
{
    char    *d;
    size_t   i, n;

    n = strlen(s);
    d = malloc(n + 1);
    assert_non_null(d);

    for (i = 0; i <= n; i++) {
        d[i] = s[i] == '\'' ? '"' : s[i];
    }

    return d;
}


static inline yajl_val
aa_t_parse(const char *s, size_t n)
{
    char      err[256], *copy;
    yajl_val  v;

    copy = malloc(n + 1);
    assert_non_null(copy);
    memcpy(copy, s, n);
    copy[n] = '\0';

    v = yajl_tree_parse(copy, err, sizeof(err));
    if (v == NULL) {
        fprintf(stderr, "not JSON (%s): %s\n", err, copy);
    }

    free(copy);
    assert_non_null(v);

    return v;
}


/* JSON written with single quotes, parsed */

static inline yajl_val
aa_t_parse_sq(const char *sq)
{
    char      *s;
    yajl_val   v;

    s = aa_t_dq(sq);
    v = aa_t_parse(s, strlen(s));
    free(s);

    return v;
}


static inline yajl_val
aa_t_parse_buf(const aa_buf_t *b)
{
    assert_false(b->failed);
    return aa_t_parse(b->data ? b->data : "", b->len);
}


/*
 * "a/0/b": object key a, array index 0, object key b.  NULL when the path
 * does not exist.  A segment indexes an array when v is one.
 */

static inline yajl_val
aa_t_get(yajl_val v, const char *path)
{
    char         seg[128];
    size_t       n, i;
    const char  *p, *end;

    p = path;

    while (v != NULL && *p) {
        end = strchr(p, '/');
        n = end ? (size_t) (end - p) : strlen(p);
        assert_true(n < sizeof(seg));
        memcpy(seg, p, n);
        seg[n] = '\0';

        if (YAJL_IS_ARRAY(v)) {
            i = (size_t) strtoul(seg, NULL, 10);
            v = i < v->u.array.len ? v->u.array.values[i] : NULL;

        } else if (YAJL_IS_OBJECT(v)) {
            yajl_val  found = NULL;

            for (i = 0; i < v->u.object.len; i++) {
                if (strcmp(v->u.object.keys[i], seg) == 0) {
                    found = v->u.object.values[i];
                    break;
                }
            }

            v = found;

        } else {
            v = NULL;
        }

        p = end ? end + 1 : p + n;
    }

    return v;
}


static inline const char *
aa_t_str(yajl_val v, const char *path)
{
    v = aa_t_get(v, path);
    assert_true(YAJL_IS_STRING(v));
    return v->u.string;
}


static inline long long
aa_t_int(yajl_val v, const char *path)
{
    v = aa_t_get(v, path);
    assert_true(YAJL_IS_INTEGER(v));
    return YAJL_GET_INTEGER(v);
}


static inline size_t
aa_t_len(yajl_val v, const char *path)
{
    v = aa_t_get(v, path);

    if (YAJL_IS_ARRAY(v)) {
        return v->u.array.len;
    }

    assert_true(YAJL_IS_OBJECT(v));
    return v->u.object.len;
}


/* The yajl type at path, or -1 when absent. */

static inline int
aa_t_type(yajl_val v, const char *path)
{
    v = aa_t_get(v, path);
    return v ? (int) v->type : -1;
}


/*
 * Compares a FastAPI loc array with "body/messages/0/role": digit-only
 * segments must be JSON integers, the others strings.
 */

static inline int
aa_t_loc_is(yajl_val loc, const char *want)
{
    char         seg[128];
    size_t       n, i, k;
    const char  *p, *end;

    if (!YAJL_IS_ARRAY(loc)) {
        return 0;
    }

    p = want;
    k = 0;

    for ( ;; ) {
        end = strchr(p, '/');
        n = end ? (size_t) (end - p) : strlen(p);
        if (n >= sizeof(seg) || k >= loc->u.array.len) {
            return 0;
        }

        memcpy(seg, p, n);
        seg[n] = '\0';

        for (i = 0; i < n && seg[i] >= '0' && seg[i] <= '9'; i++) {
            /* void */
        }

        if (n && i == n) {
            if (!YAJL_IS_INTEGER(loc->u.array.values[k])
                || YAJL_GET_INTEGER(loc->u.array.values[k])
                   != strtoll(seg, NULL, 10))
            {
                return 0;
            }

        } else if (!YAJL_IS_STRING(loc->u.array.values[k])
                   || strcmp(loc->u.array.values[k]->u.string, seg) != 0)
        {
            return 0;
        }

        k++;

        if (end == NULL) {
            break;
        }

        p = end + 1;
    }

    return k == loc->u.array.len;
}


/* Renders e and parses it: {"detail":[...]} */

static inline yajl_val
aa_t_errors(aa_errors_t *e)
{
    aa_buf_t  out;
    yajl_val  v;

    aa_buf_init(&out);
    assert_int_equal(aa_errors_render(e, &out, NULL), 0);
    v = aa_t_parse_buf(&out);
    aa_buf_free(&out);

    assert_true(YAJL_IS_ARRAY(aa_t_get(v, "detail")));

    return v;
}


/* The detail item with this type and loc (msg too unless NULL), or NULL. */

static inline yajl_val
aa_t_find_error(yajl_val doc, const char *type, const char *loc,
    const char *msg)
{
    size_t    i;
    yajl_val  d, item, t, m;

    d = aa_t_get(doc, "detail");

    for (i = 0; d != NULL && i < d->u.array.len; i++) {
        item = d->u.array.values[i];
        t = aa_t_get(item, "type");
        m = aa_t_get(item, "msg");

        if (YAJL_IS_STRING(t) && strcmp(t->u.string, type) == 0
            && aa_t_loc_is(aa_t_get(item, "loc"), loc)
            && (msg == NULL
                || (YAJL_IS_STRING(m) && strcmp(m->u.string, msg) == 0)))
        {
            return item;
        }
    }

    return NULL;
}


static inline void
aa_t_dump_errors(yajl_val doc)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    aa_json_encode(&b, doc);
    fprintf(stderr, "errors: %.*s\n", (int) b.len, b.data ? b.data : "");
    aa_buf_free(&b);
}


/* 1 when s is a lower-case canonical UUID v4 (independent of aa_id.c) */

static inline int
aa_t_is_uuid4(const char *s)
{
    size_t  i;

    if (strlen(s) != 36) {
        return 0;
    }

    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

        } else if (!((s[i] >= '0' && s[i] <= '9')
                     || (s[i] >= 'a' && s[i] <= 'f')))
        {
            return 0;
        }
    }

    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

#endif
