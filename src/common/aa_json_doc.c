/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "aa_json.h"
#include "aa_json_doc.h"


#define AA_DOC_BLOCK  (64 * 1024)
#define AA_DOC_HEAD   32            /* a block's header, data 16-aligned */


typedef struct aa_doc_block_s  aa_doc_block_t;

struct aa_doc_block_s {
    aa_doc_block_t  *next;
    size_t           used;
    size_t           size;
    /* the block's bytes follow, from AA_DOC_HEAD on */
};


/*
 * While parsing, the values of the containers still open are kept on one
 * stack (and the keys of the objects on another); a container's values go
 * to the arena, exactly sized, when it closes.
 */
typedef struct {
    yajl_val   value;           /* the container */
    size_t     base;            /* its first value on the stack */
    size_t     kbase;           /* its first key on the key stack */
} aa_doc_open_t;


struct aa_json_doc_s {
    aa_doc_block_t  *blocks;
    yajl_val         root;

    /* parse-time state, freed when the parse ends */
    yajl_val        *stack;
    size_t           nstack, cstack;
    char           **keys;
    size_t           nkeys, ckeys;
    aa_doc_open_t   *open;
    size_t           nopen, copen;
    int              nomem;
};


static void *
aa_doc_alloc(aa_json_doc_t *d, size_t n)
{
    size_t           size;
    aa_doc_block_t  *b;
    unsigned char   *p;

    n = (n + 15) & ~(size_t) 15;
    b = d->blocks;

    if (b == NULL || b->size - b->used < n) {
        size = n > AA_DOC_BLOCK / 4 ? n : AA_DOC_BLOCK;
        b = malloc(AA_DOC_HEAD + size);
        if (b == NULL) {
            d->nomem = 1;
            return NULL;
        }
        b->size = size;
        b->used = 0;
        b->next = d->blocks;
        d->blocks = b;
    }

    p = (unsigned char *) b + AA_DOC_HEAD + b->used;
    b->used += n;

    return p;
}


static int
aa_doc_grow(void **v, size_t *cap, size_t need, size_t elt)
{
    size_t   c;
    void    *p;

    if (need <= *cap) {
        return 0;
    }

    c = *cap ? *cap : 64;
    while (c < need) {
        c *= 2;
    }

    p = realloc(*v, c * elt);
    if (p == NULL) {
        return -1;
    }

    *v = p;
    *cap = c;

    return 0;
}


/* a new value: the root, or the next value of the container open */
static int
aa_doc_add(aa_json_doc_t *d, yajl_val v)
{
    if (v == NULL) {
        return 0;
    }

    if (d->nopen == 0) {
        d->root = v;
        return 1;
    }

    if (aa_doc_grow((void **) &d->stack, &d->cstack, d->nstack + 1,
                    sizeof(yajl_val)) != 0)
    {
        d->nomem = 1;
        return 0;
    }

    d->stack[d->nstack++] = v;

    return 1;
}


static yajl_val
aa_doc_value(aa_json_doc_t *d, yajl_type type)
{
    yajl_val  v;

    v = aa_doc_alloc(d, sizeof(struct yajl_val_s));
    if (v != NULL) {
        memset(v, 0, sizeof(struct yajl_val_s));
        v->type = type;
    }

    return v;
}


static char *
aa_doc_string(aa_json_doc_t *d, const unsigned char *s, size_t n)
{
    char  *p;

    p = aa_doc_alloc(d, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }

    return p;
}


static int
aa_doc_null(void *ctx)
{
    aa_json_doc_t  *d = ctx;

    return aa_doc_add(d, aa_doc_value(d, yajl_t_null));
}


static int
aa_doc_boolean(void *ctx, int b)
{
    aa_json_doc_t  *d = ctx;

    return aa_doc_add(d, aa_doc_value(d, b ? yajl_t_true : yajl_t_false));
}


/*
 * As yajl_tree: i valid when the text is an integer that fits a long long,
 * d valid when strtod() takes all of it.  An integer's double is its
 * conversion, as strtod() would round it (-0 kept); strtod() runs for the
 * others only, which is most of the time saved on a body of numbers.
 */
static int
aa_doc_number(void *ctx, const char *s, size_t n)
{
    int             neg, integer;
    char           *end;
    size_t          i;
    yajl_val        v;
    uint64_t        u;
    aa_json_doc_t  *d = ctx;

    v = aa_doc_value(d, yajl_t_number);
    if (v == NULL || (v->u.number.r = aa_doc_string(d,
                      (const unsigned char *) s, n)) == NULL)
    {
        return 0;
    }

    neg = n > 0 && s[0] == '-';
    integer = n > (size_t) neg;
    u = 0;

    for (i = neg; integer && i < n; i++) {
        if (s[i] < '0' || s[i] > '9'
            || u > (UINT64_MAX - (uint64_t) (s[i] - '0')) / 10)
        {
            integer = 0;
            break;
        }
        u = u * 10 + (uint64_t) (s[i] - '0');
    }

    /* yajl refuses LLONG_MIN as an integer too: the same limit both ways */
    if (integer && u <= LLONG_MAX) {
        v->u.number.i = neg ? (long long) (0 - u) : (long long) u;
        v->u.number.d = neg ? -(double) u : (double) u;
        v->u.number.flags = YAJL_NUMBER_INT_VALID | YAJL_NUMBER_DOUBLE_VALID;

        return aa_doc_add(d, v);
    }

    /* yajl_tree's i for a number that is not a valid integer */
    v->u.number.i = neg ? LLONG_MIN : LLONG_MAX;

    errno = 0;
    end = NULL;
    v->u.number.d = strtod(v->u.number.r, &end);

    if (errno == 0 && end != NULL && *end == '\0') {
        v->u.number.flags = YAJL_NUMBER_DOUBLE_VALID;
    }

    return aa_doc_add(d, v);
}


static int
aa_doc_str(void *ctx, const unsigned char *s, size_t n)
{
    yajl_val        v;
    aa_json_doc_t  *d = ctx;

    v = aa_doc_value(d, yajl_t_string);
    if (v == NULL || (v->u.string = aa_doc_string(d, s, n)) == NULL) {
        return 0;
    }

    return aa_doc_add(d, v);
}


static int
aa_doc_open(aa_json_doc_t *d, yajl_type type)
{
    yajl_val  v;

    v = aa_doc_value(d, type);
    if (v == NULL
        || aa_doc_grow((void **) &d->open, &d->copen, d->nopen + 1,
                       sizeof(aa_doc_open_t)) != 0)
    {
        d->nomem = 1;
        return 0;
    }

    d->open[d->nopen].value = v;
    d->open[d->nopen].base = d->nstack;
    d->open[d->nopen].kbase = d->nkeys;
    d->nopen++;

    return 1;
}


static int
aa_doc_start_map(void *ctx)
{
    return aa_doc_open(ctx, yajl_t_object);
}


static int
aa_doc_start_array(void *ctx)
{
    return aa_doc_open(ctx, yajl_t_array);
}


static int
aa_doc_key(void *ctx, const unsigned char *s, size_t n)
{
    char           *k;
    aa_json_doc_t  *d = ctx;

    k = aa_doc_string(d, s, n);
    if (k == NULL
        || aa_doc_grow((void **) &d->keys, &d->ckeys, d->nkeys + 1,
                       sizeof(char *)) != 0)
    {
        d->nomem = 1;
        return 0;
    }

    d->keys[d->nkeys++] = k;

    return 1;
}


/* the container open closes: its values (and keys) into the arena */
static int
aa_doc_close(void *ctx)
{
    size_t          n, nk;
    yajl_val        v;
    aa_doc_open_t  *o;
    aa_json_doc_t  *d = ctx;

    o = &d->open[--d->nopen];
    v = o->value;
    n = d->nstack - o->base;

    if (v->type == yajl_t_object) {
        nk = d->nkeys - o->kbase;

        if (nk != n) {
            return 0;
        }

        if (n) {
            v->u.object.keys = aa_doc_alloc(d, n * sizeof(char *));
            v->u.object.values = aa_doc_alloc(d, n * sizeof(yajl_val));
            if (v->u.object.keys == NULL || v->u.object.values == NULL) {
                return 0;
            }
            memcpy(v->u.object.keys, d->keys + o->kbase, n * sizeof(char *));
            memcpy(v->u.object.values, d->stack + o->base,
                   n * sizeof(yajl_val));
        }

        v->u.object.len = n;
        d->nkeys = o->kbase;

    } else {
        if (n) {
            v->u.array.values = aa_doc_alloc(d, n * sizeof(yajl_val));
            if (v->u.array.values == NULL) {
                return 0;
            }
            memcpy(v->u.array.values, d->stack + o->base,
                   n * sizeof(yajl_val));
        }

        v->u.array.len = n;
    }

    d->nstack = o->base;

    return aa_doc_add(d, v);
}


static const yajl_callbacks  aa_doc_callbacks = {
    aa_doc_null,
    aa_doc_boolean,
    NULL,                       /* integers and doubles come as numbers */
    NULL,
    aa_doc_number,
    aa_doc_str,
    aa_doc_start_map,
    aa_doc_key,
    aa_doc_close,
    aa_doc_start_array,
    aa_doc_close
};


static void
aa_doc_err(char *err, size_t errlen, const char *msg)
{
    size_t  n;

    if (err == NULL || errlen == 0) {
        return;
    }

    /* yajl's message spans lines, with an excerpt: keep the first */
    n = strcspn(msg, "\r\n");

    while (n && (msg[n - 1] == ' ' || msg[n - 1] == '.')) {
        n--;
    }

    if (n == 0) {
        msg = "invalid JSON";
        n = 12;
    }

    if (n >= errlen) {
        n = errlen - 1;
    }

    memcpy(err, msg, n);
    err[n] = '\0';
}


static void
aa_doc_parse_done(aa_json_doc_t *d)
{
    free(d->stack);
    free(d->keys);
    free(d->open);
    d->stack = NULL;
    d->keys = NULL;
    d->open = NULL;
}


aa_json_doc_t *
aa_json_doc_parse(const char *text, size_t len, size_t max_depth, char *err,
    size_t errlen)
{
    int             rc;
    yajl_status     st;
    yajl_handle     h;
    unsigned char  *msg;
    aa_json_doc_t  *d;

    if (err != NULL && errlen) {
        err[0] = '\0';
    }

    if (max_depth > AA_JSON_MAX_DEPTH) {
        max_depth = AA_JSON_MAX_DEPTH;
    }

    if (aa_json_prescan(text, len, max_depth, err, errlen) != 0) {
        return NULL;
    }

    d = calloc(1, sizeof(aa_json_doc_t));
    if (d == NULL) {
        aa_doc_err(err, errlen, "out of memory");
        return NULL;
    }

    h = yajl_alloc(&aa_doc_callbacks, NULL, d);
    if (h == NULL) {
        free(d);
        aa_doc_err(err, errlen, "out of memory");
        return NULL;
    }

    /* as yajl_tree_parse(): the prescan has refused comments already */
    yajl_config(h, yajl_allow_comments, 1);

    st = yajl_parse(h, (const unsigned char *) text, len);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    if (st != yajl_status_ok || d->root == NULL) {
        if (d->nomem) {
            aa_doc_err(err, errlen, "out of memory");

        } else {
            msg = yajl_get_error(h, 1, (const unsigned char *) text, len);
            aa_doc_err(err, errlen, msg ? (const char *) msg : "");
            yajl_free_error(h, msg);
        }

        yajl_free(h);
        aa_json_doc_free(d);
        return NULL;
    }

    yajl_free(h);
    aa_doc_parse_done(d);

    rc = aa_json_dup_keys(d->root);

    if (rc != 0) {
        aa_doc_err(err, errlen, rc < 0 ? "out of memory"
                                       : "duplicate key in object");
        aa_json_doc_free(d);
        return NULL;
    }

    return d;
}


yajl_val
aa_json_doc_root(const aa_json_doc_t *doc)
{
    return doc->root;
}


void
aa_json_doc_free(aa_json_doc_t *doc)
{
    aa_doc_block_t  *b, *next;

    if (doc == NULL) {
        return;
    }

    aa_doc_parse_done(doc);

    for (b = doc->blocks; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    free(doc);
}
