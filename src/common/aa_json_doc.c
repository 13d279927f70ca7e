/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <yajl/yajl_parse.h>

#include "aa_buf.h"
#include "aa_json.h"
#include "aa_json_doc.h"


/*
 * The arena grows by blocks, each twice the one before up to 256 KiB, then
 * AA_DOC_BLOCK_MAX: few mallocs for a large body, little waste for a small
 * one.  Values (8-aligned) and the bytes of strings (not aligned) are
 * taken from two regions of it, so a one-digit number costs 2 bytes of
 * text, not 16.
 */
#define AA_DOC_BLOCK      (16 * 1024)
#define AA_DOC_BLOCK_MAX  (2 * 1024 * 1024)
#define AA_DOC_HEAD       32            /* a block's header */

/*
 * A document's first memory comes with it: the first values, string bytes
 * and room of its stacks, so that a small body's parse makes one
 * allocation, not six (its doc, two blocks, three stacks).
 */
#define AA_DOC_FIRST_VALUES  2048
#define AA_DOC_FIRST_CHARS   1024
#define AA_DOC_FIRST_STACK   64         /* entries of each stack */

/*
 * Blocks of AA_DOC_BLOCK_MAX and more, and a value stack that grows to
 * AA_DOC_STACK_MAP bytes, are mapped on their own, aligned to a
 * transparent huge page and advised as such: one page fault per 2 MiB
 * instead of 512.  A body of half a million values touches ~8 MiB, and a
 * fault costs ~1.4 us on this VM (docs/performance.md).
 */
#define AA_DOC_HUGE       (2 * 1024 * 1024)
#define AA_DOC_STACK_MAP  (512 * 1024)

/*
 * Scalars whose text is at most AA_DOC_SHORT bytes (numbers, strings,
 * keys) are made once per document and shared: the tree is never written
 * to once built.  A 1 MiB array of small numbers is then half a million
 * pointers, not half a million values.
 */
#define AA_DOC_SHORT      7
#define AA_DOC_CACHE      256           /* entries, 2^8 */
#define AA_DOC_CACHE_MIN  4096          /* bytes of text to have one */

#define AA_DOC_NUMBER     0
#define AA_DOC_STRING     1
#define AA_DOC_KEY        2

/* objects with more keys are checked for duplicates by sorting */
#define AA_DOC_DUP_SORT   8


typedef struct aa_doc_block_s  aa_doc_block_t;

struct aa_doc_block_s {
    aa_doc_block_t  *next;
    size_t           size;
    size_t           mapped;        /* bytes of its mapping, 0: malloc() */
    /* the block's bytes follow, from AA_DOC_HEAD on */
};


typedef struct {
    unsigned char   *pos;
    unsigned char   *end;
} aa_doc_region_t;


/* one table of AA_DOC_CACHE entries per kind */
typedef struct {
    uint64_t         key;           /* the length, and the bytes */
    void            *p;             /* a number or a string; a key's bytes */
} aa_doc_short_t;


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
    size_t           next_size;
    aa_doc_region_t  values;
    aa_doc_region_t  chars;
    yajl_val         root;
    yajl_val         literals[3];   /* null, false, true: shared too */

    /* parse-time state, freed when the parse ends */
    yajl_val        *stack;
    size_t           nstack, cstack;
    size_t           stack_mapped;  /* bytes of its mapping, 0: malloc() */
    size_t           stack_max;     /* values it may need to be mapped */
    char           **keys;
    size_t           nkeys, ckeys;
    aa_doc_open_t   *open;
    size_t           nopen, copen;
    aa_doc_short_t  *cache;
    char            *scratch;       /* a string's escapes decoded */
    size_t           cscratch;
    unsigned         fast:1;        /* built by aa_doc_fast() */
    size_t           max_depth;
    const unsigned char  *end;      /* of the text, for aa_doc_fast() */
    int              nomem;
    int              dup;

    /* the first memory (above), within the doc: never freed on its own */
    uint64_t         first_values[AA_DOC_FIRST_VALUES / 8];
    unsigned char    first_chars[AA_DOC_FIRST_CHARS];
    yajl_val         first_stack[AA_DOC_FIRST_STACK];
    char            *first_keys[AA_DOC_FIRST_STACK];
    aa_doc_open_t    first_open[AA_DOC_FIRST_STACK];
};


static int aa_doc_dup_cmp(const void *a, const void *b);


/* a document with nothing in it, its regions and stacks in its own memory */
static aa_json_doc_t *
aa_doc_new(void)
{
    aa_json_doc_t  *d;

    d = malloc(sizeof(aa_json_doc_t));
    if (d == NULL) {
        return NULL;
    }

    memset(d, 0, offsetof(aa_json_doc_t, first_values));

    d->values.pos = (unsigned char *) d->first_values;
    d->values.end = d->values.pos + sizeof(d->first_values);
    d->chars.pos = d->first_chars;
    d->chars.end = d->chars.pos + sizeof(d->first_chars);

    d->stack = d->first_stack;
    d->cstack = AA_DOC_FIRST_STACK;
    d->keys = d->first_keys;
    d->ckeys = AA_DOC_FIRST_STACK;
    d->open = d->first_open;
    d->copen = AA_DOC_FIRST_STACK;

    return d;
}


/*
 * size bytes (a multiple of AA_DOC_HUGE) mapped on their own, aligned to
 * AA_DOC_HUGE, advised as huge pages; NULL when they could not be
 */
static void *
aa_doc_map(size_t size)
{
    unsigned char  *m, *a;

    m = mmap(NULL, size + AA_DOC_HUGE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return NULL;
    }

    a = (unsigned char *) (((uintptr_t) m + AA_DOC_HUGE - 1)
                           & ~(uintptr_t) (AA_DOC_HUGE - 1));

    /* the parts before and after the aligned size go back at once */
    if (a > m) {
        (void) munmap(m, (size_t) (a - m));
    }

    if (m + size + AA_DOC_HUGE > a + size) {
        (void) munmap(a + size, (size_t) (m + size + AA_DOC_HUGE - a - size));
    }

#ifdef MADV_HUGEPAGE
    /* where the kernel has no such pages, this only fails */
    (void) madvise(a, size, MADV_HUGEPAGE);
#endif

    return a;
}


static size_t
aa_doc_huge_size(size_t n)
{
    return (n + AA_DOC_HUGE - 1) & ~(size_t) (AA_DOC_HUGE - 1);
}


/* n bytes from region r, from a new block when r has not enough left */
static void *
aa_doc_take(aa_json_doc_t *d, aa_doc_region_t *r, size_t n)
{
    size_t           size, mapped;
    unsigned char   *p;
    aa_doc_block_t  *b;

    if ((size_t) (r->end - r->pos) < n) {
        size = d->next_size ? d->next_size : AA_DOC_BLOCK;

        /* 16 KiB, 32 KiB ... 256 KiB from malloc(), then 2 MiB mapped */
        if (size < AA_DOC_BLOCK_MAX) {
            d->next_size = size < AA_DOC_BLOCK_MAX / 8 ? size * 2
                                                       : AA_DOC_BLOCK_MAX;
        }

        /* a string larger than a block has one of its own */
        if (size < n) {
            size = n;
        }

        if (size >= AA_DOC_BLOCK_MAX) {
            /* the header within the mapping, the block to its end */
            mapped = aa_doc_huge_size(AA_DOC_HEAD + size);
            b = aa_doc_map(mapped);
            size = mapped - AA_DOC_HEAD;

        } else {
            mapped = 0;
            b = malloc(AA_DOC_HEAD + size);
        }

        if (b == NULL) {
            d->nomem = 1;
            return NULL;
        }

        b->size = size;
        b->mapped = mapped;
        b->next = d->blocks;
        d->blocks = b;

        r->pos = (unsigned char *) b + AA_DOC_HEAD;
        r->end = r->pos + size;
    }

    p = r->pos;
    r->pos += n;

    return p;
}


static void *
aa_doc_alloc(aa_json_doc_t *d, size_t n)
{
    return aa_doc_take(d, &d->values, (n + 7) & ~(size_t) 7);
}


/* *v of *cap entries grown to hold need; first: its room in the doc */
static int
aa_doc_grow(void **v, size_t *cap, size_t need, size_t elt, void *first)
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

    if (first != NULL && *v == first) {
        p = malloc(c * elt);
        if (p != NULL) {
            memcpy(p, first, *cap * elt);
        }

    } else {
        p = realloc(*v, c * elt);
    }

    if (p == NULL) {
        return -1;
    }

    *v = p;
    *cap = c;

    return 0;
}


/*
 * The value stack is full: it doubles, and once it would reach
 * AA_DOC_STACK_MAP bytes, it moves to a mapping sized for the most values
 * the text can hold (d->stack_max), where it stays.
 */
static int
aa_doc_stack_grow(aa_json_doc_t *d)
{
    size_t     size;
    yajl_val  *m;

    if (d->stack_mapped) {
        return -1;
    }

    if (d->stack_max == 0
        || d->cstack * 2 * sizeof(yajl_val) < AA_DOC_STACK_MAP)
    {
        return aa_doc_grow((void **) &d->stack, &d->cstack, d->nstack + 1,
                           sizeof(yajl_val), d->first_stack);
    }

    size = aa_doc_huge_size(d->stack_max * sizeof(yajl_val));

    m = aa_doc_map(size);
    if (m == NULL) {
        return -1;
    }

    memcpy(m, d->stack, d->nstack * sizeof(yajl_val));

    if (d->stack != d->first_stack) {
        free(d->stack);
    }

    d->stack = m;
    d->stack_mapped = size;
    d->cstack = size / sizeof(yajl_val);

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

    if (d->nstack == d->cstack && aa_doc_stack_grow(d) != 0) {
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

    p = aa_doc_take(d, &d->chars, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }

    return p;
}


/*
 * The shared entry for a short text of a kind: its p is the value (or the
 * key's bytes) when the text was seen, else NULL, for the caller to fill.
 * NULL when the text is too long to share, or the text too short to have
 * a cache (AA_DOC_CACHE_MIN).
 */
static inline aa_doc_short_t *
aa_doc_short(aa_json_doc_t *d, unsigned kind, const unsigned char *s,
    size_t n)
{
    size_t           i;
    uint64_t         key;
    aa_doc_short_t  *e;

    if (n > AA_DOC_SHORT || d->cache == NULL) {
        return NULL;
    }

    /*
     * the length in the top byte, the text below it; byte by byte:
     * memcpy() into it would stall the load that follows
     */
    key = (uint64_t) n << 56;

    for (i = 0; i < n; i++) {
        key |= (uint64_t) s[i] << (i * 8);
    }

    e = &d->cache[kind * AA_DOC_CACHE
                  + ((key * 0x9e3779b97f4a7c15ULL) >> (64 - 8))];

    if (e->key != key) {
        e->key = key;
        e->p = NULL;
    }

    return e;
}


/* the tables of shared scalars, for a text long enough to repeat some */
static void
aa_doc_cache(aa_json_doc_t *d, size_t len)
{
    if (len >= AA_DOC_CACHE_MIN) {
        /* without, nothing is shared: no error */
        d->cache = calloc(3 * AA_DOC_CACHE, sizeof(aa_doc_short_t));
    }
}


static yajl_val
aa_doc_literal(aa_json_doc_t *d, yajl_type type, int i)
{
    if (d->literals[i] == NULL) {
        d->literals[i] = aa_doc_value(d, type);
    }

    return d->literals[i];
}


static int
aa_doc_null(void *ctx)
{
    aa_json_doc_t  *d = ctx;

    return aa_doc_add(d, aa_doc_literal(d, yajl_t_null, 0));
}


static int
aa_doc_boolean(void *ctx, int b)
{
    aa_json_doc_t  *d = ctx;

    return aa_doc_add(d, b ? aa_doc_literal(d, yajl_t_true, 2)
                           : aa_doc_literal(d, yajl_t_false, 1));
}


/*
 * As yajl_tree: i valid when the text is an integer that fits a long long,
 * d valid when strtod() takes all of it.  An integer's double is its
 * conversion, as strtod() would round it (-0 kept); strtod() runs for the
 * others only, which is most of the time saved on a body of numbers.
 */
static yajl_val
aa_doc_number_value(aa_json_doc_t *d, const char *s, size_t n)
{
    int        neg, integer;
    char      *end;
    size_t     i;
    yajl_val   v;
    uint64_t   u;

    v = aa_doc_value(d, yajl_t_number);
    if (v == NULL || (v->u.number.r = aa_doc_string(d,
                      (const unsigned char *) s, n)) == NULL)
    {
        return NULL;
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

        return v;
    }

    /* yajl_tree's i for a number that is not a valid integer */
    v->u.number.i = neg ? LLONG_MIN : LLONG_MAX;

    errno = 0;
    end = NULL;
    v->u.number.d = strtod(v->u.number.r, &end);

    if (errno == 0 && end != NULL && *end == '\0') {
        v->u.number.flags = YAJL_NUMBER_DOUBLE_VALID;
    }

    return v;
}


static int
aa_doc_number(void *ctx, const char *s, size_t n)
{
    yajl_val         v;
    aa_doc_short_t  *e;
    aa_json_doc_t   *d = ctx;

    e = aa_doc_short(d, AA_DOC_NUMBER, (const unsigned char *) s, n);

    if (e != NULL && e->p != NULL) {
        return aa_doc_add(d, e->p);
    }

    v = aa_doc_number_value(d, s, n);

    if (e != NULL) {
        e->p = v;
    }

    return aa_doc_add(d, v);
}


static int
aa_doc_str(void *ctx, const unsigned char *s, size_t n)
{
    yajl_val         v;
    aa_doc_short_t  *e;
    aa_json_doc_t   *d = ctx;

    e = aa_doc_short(d, AA_DOC_STRING, s, n);

    if (e != NULL && e->p != NULL) {
        return aa_doc_add(d, e->p);
    }

    v = aa_doc_value(d, yajl_t_string);
    if (v == NULL || (v->u.string = aa_doc_string(d, s, n)) == NULL) {
        return 0;
    }

    if (e != NULL) {
        e->p = v;
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
                       sizeof(aa_doc_open_t), d->first_open) != 0)
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
    char            *k;
    aa_doc_short_t  *e;
    aa_json_doc_t   *d = ctx;

    e = aa_doc_short(d, AA_DOC_KEY, s, n);

    if (e != NULL && e->p != NULL) {
        k = e->p;

    } else {
        k = aa_doc_string(d, s, n);

        if (e != NULL) {
            e->p = k;
        }
    }

    if (k == NULL
        || aa_doc_grow((void **) &d->keys, &d->ckeys, d->nkeys + 1,
                       sizeof(char *), d->first_keys) != 0)
    {
        d->nomem = 1;
        return 0;
    }

    d->keys[d->nkeys++] = k;

    return 1;
}


static int
aa_doc_dup_cmp(const void *a, const void *b)
{
    return strcmp(*(char * const *) a, *(char * const *) b);
}


/*
 * Whether keys (n of them) holds one twice: 1, 0, or -1 when out of
 * memory.  Checked as each object closes, so the tree is never walked
 * again; a short key shared (aa_doc_short()) is its own duplicate.
 */
static int
aa_doc_dup(char **keys, size_t n)
{
    int     rc;
    char  **sorted;
    size_t  i, j;

    if (n <= AA_DOC_DUP_SORT) {
        for (i = 1; i < n; i++) {
            for (j = 0; j < i; j++) {
                if (keys[i] == keys[j]
                    || (keys[i][0] == keys[j][0]
                        && strcmp(keys[i], keys[j]) == 0))
                {
                    return 1;
                }
            }
        }

        return 0;
    }

    sorted = malloc(n * sizeof(char *));
    if (sorted == NULL) {
        return -1;
    }

    memcpy(sorted, keys, n * sizeof(char *));
    qsort(sorted, n, sizeof(char *), aa_doc_dup_cmp);

    rc = 0;

    for (i = 1; i < n; i++) {
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            rc = 1;
            break;
        }
    }

    free(sorted);

    return rc;
}


/* the container open closes: its values (and keys) into the arena */
static int
aa_doc_close(void *ctx)
{
    int             rc;
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
            /*
             * a duplicate refuses the document once yajl has parsed all
             * of it: a syntax error further on is reported first, as
             * aa_json_parse() does
             */
            if (!d->dup) {
                rc = aa_doc_dup(d->keys + o->kbase, n);

                if (rc < 0) {
                    d->nomem = 1;
                    return 0;
                }

                d->dup = rc;
            }

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


/*
 * The fast path.  yajl's event parser costs ~20 ns a token, more than the
 * rest of the work on a body of small values, so the common case is
 * parsed here, straight into the same builders.  It takes a subset of what
 * yajl takes: an object or an array, the four whitespace characters of
 * RFC 8259, JSON's grammar for numbers, strings and literals; and it
 * makes the checks of aa_json_prescan() on the way (UTF-8 well-formed, no
 * NUL, no comment, no \u0000, surrogate escapes paired, the depth), so
 * the text is read once.  Anything else, and any error, makes it give up:
 * the prescan and yajl then read the text again, so a refusal keeps its
 * reason.
 */

#define aa_doc_digit(c)  ((c) >= '0' && (c) <= '9')


static const unsigned char *
aa_doc_ws(const unsigned char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
        p++;
    }

    return p;
}


static long
aa_doc_hex4(const unsigned char *p)
{
    long      v;
    unsigned  i, c;

    v = 0;

    /* stops at the terminating NUL, which is no hex digit */
    for (i = 0; i < 4; i++) {
        c = p[i];

        if (aa_doc_digit(c)) {
            v = v * 16 + (long) (c - '0');

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v = v * 16 + (long) ((c | 0x20) - 'a' + 10);

        } else {
            return -1;
        }
    }

    return v;
}


/*
 * A string with escapes, from its first byte s to the closing quote q,
 * decoded as yajl decodes it into d->scratch; its length, or -1.
 */
static ssize_t
aa_doc_unescape(aa_json_doc_t *d, const unsigned char *s,
    const unsigned char *q)
{
    long            cp, lo;
    unsigned char  *o;

    if (aa_doc_grow((void **) &d->scratch, &d->cscratch, (size_t) (q - s),
                    1, NULL)
        != 0)
    {
        d->nomem = 1;
        return -1;
    }

    o = (unsigned char *) d->scratch;

    while (s < q) {
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }

        switch (s[1]) {
        case '"':  *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/':  *o++ = '/'; break;
        case 'b':  *o++ = '\b'; break;
        case 'f':  *o++ = '\f'; break;
        case 'n':  *o++ = '\n'; break;
        case 'r':  *o++ = '\r'; break;
        case 't':  *o++ = '\t'; break;

        case 'u':
            cp = aa_doc_hex4(s + 2);

            if (cp <= 0 || (cp >= 0xdc00 && cp <= 0xdfff)) {
                return -1;
            }

            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (s + 12 > q || s[6] != '\\' || s[7] != 'u') {
                    return -1;
                }

                lo = aa_doc_hex4(s + 8);

                if (lo < 0xdc00 || lo > 0xdfff) {
                    return -1;
                }

                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                s += 6;
            }

            if (cp < 0x80) {
                *o++ = (unsigned char) cp;

            } else if (cp < 0x800) {
                *o++ = (unsigned char) (0xc0 | (cp >> 6));
                *o++ = (unsigned char) (0x80 | (cp & 0x3f));

            } else if (cp < 0x10000) {
                *o++ = (unsigned char) (0xe0 | (cp >> 12));
                *o++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
                *o++ = (unsigned char) (0x80 | (cp & 0x3f));

            } else {
                *o++ = (unsigned char) (0xf0 | (cp >> 18));
                *o++ = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
                *o++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
                *o++ = (unsigned char) (0x80 | (cp & 0x3f));
            }

            s += 4;
            break;

        default:
            return -1;
        }

        s += 2;
    }

    return o - (unsigned char *) d->scratch;
}


/* the string (or key) whose opening quote is at p; past it, or NULL */
static const unsigned char *
aa_doc_fast_string(aa_json_doc_t *d, const unsigned char *p, int key)
{
    int                   esc;
    size_t                k;
    ssize_t               n;
    const unsigned char  *s;

    s = ++p;
    esc = 0;

    for ( ;; ) {
        while (aa_json_plain[*p]) {
            p++;
        }

        if (*p == '"') {
            break;
        }

        if (*p >= 0x80) {
            k = aa_buf_utf8_len((const char *) p, (size_t) (d->end - p));

            if (k == 0) {
                return NULL;
            }

            p += k;
            continue;
        }

        /*
         * a control character, or the end of the text; an escape of
         * anything else than ASCII is refused by aa_doc_unescape()
         */
        if (*p != '\\' || p[1] < 0x20) {
            return NULL;
        }

        esc = 1;
        p += 2;
    }

    if (esc) {
        n = aa_doc_unescape(d, s, p);
        if (n < 0) {
            return NULL;
        }

        s = (const unsigned char *) d->scratch;

    } else {
        n = p - s;
    }

    if (!(key ? aa_doc_key(d, s, (size_t) n) : aa_doc_str(d, s, (size_t) n)))
    {
        return NULL;
    }

    return p + 1;
}


/* the number at p; past it, or NULL */
static const unsigned char *
aa_doc_fast_number(aa_json_doc_t *d, const unsigned char *p)
{
    aa_doc_short_t       *e;
    const unsigned char  *q;

    q = p;

    if (*q == '-') {
        q++;
    }

    if (*q == '0') {
        q++;

    } else if (*q >= '1' && *q <= '9') {
        do { q++; } while (aa_doc_digit(*q));

    } else {
        return NULL;
    }

    if (*q == '.') {
        q++;

        if (!aa_doc_digit(*q)) {
            return NULL;
        }

        do { q++; } while (aa_doc_digit(*q));
    }

    if (*q == 'e' || *q == 'E') {
        q++;

        if (*q == '+' || *q == '-') {
            q++;
        }

        if (!aa_doc_digit(*q)) {
            return NULL;
        }

        do { q++; } while (aa_doc_digit(*q));
    }

    /* the common case, a number seen before, without a call */
    e = aa_doc_short(d, AA_DOC_NUMBER, p, (size_t) (q - p));

    if (e != NULL && e->p != NULL && d->nstack < d->cstack) {
        d->stack[d->nstack++] = e->p;
        return q;
    }

    if (!aa_doc_number(d, (const char *) p, (size_t) (q - p))) {
        return NULL;
    }

    return q;
}


/* 0 when the tree is built, -1 to let yajl parse the text instead */
static int
aa_doc_fast(aa_json_doc_t *d, const unsigned char *p,
    const unsigned char *end)
{
    yajl_type  in;

    p = aa_doc_ws(p);

    if (*p != '{' && *p != '[') {
        return -1;
    }

value:

    switch (*p) {

    case '{':
        if (d->nopen == d->max_depth || !aa_doc_start_map(d)) {
            return -1;
        }

        p = aa_doc_ws(p + 1);

        if (*p == '}') {
            p++;
            goto close;
        }

        goto key;

    case '[':
        if (d->nopen == d->max_depth || !aa_doc_start_array(d)) {
            return -1;
        }

        p = aa_doc_ws(p + 1);

        if (*p == ']') {
            p++;
            goto close;
        }

        goto value;

    case '"':
        p = aa_doc_fast_string(d, p, 0);
        break;

    /* byte by byte: the text may end (NUL) within the word */
    case 't':
        if (p[1] != 'r' || p[2] != 'u' || p[3] != 'e'
            || !aa_doc_boolean(d, 1))
        {
            return -1;
        }
        p += 4;
        break;

    case 'f':
        if (p[1] != 'a' || p[2] != 'l' || p[3] != 's' || p[4] != 'e'
            || !aa_doc_boolean(d, 0))
        {
            return -1;
        }
        p += 5;
        break;

    case 'n':
        if (p[1] != 'u' || p[2] != 'l' || p[3] != 'l' || !aa_doc_null(d)) {
            return -1;
        }
        p += 4;
        break;

    default:
        p = aa_doc_fast_number(d, p);
        break;
    }

    if (p == NULL) {
        return -1;
    }

next:

    /* a value is done: its container goes on, or closes */

    if (d->nopen == 0) {
        return aa_doc_ws(p) == end ? 0 : -1;
    }

    p = aa_doc_ws(p);
    in = d->open[d->nopen - 1].value->type;

    if (*p == ',') {
        p = aa_doc_ws(p + 1);

        if (in == yajl_t_array) {
            goto value;
        }

        goto key;
    }

    if (*p != (in == yajl_t_array ? ']' : '}')) {
        return -1;
    }

    p++;

close:

    if (!aa_doc_close(d)) {
        return -1;
    }

    goto next;

key:

    if (*p != '"') {
        return -1;
    }

    p = aa_doc_fast_string(d, p, 1);

    if (p == NULL) {
        return -1;
    }

    p = aa_doc_ws(p);

    if (*p != ':') {
        return -1;
    }

    p = aa_doc_ws(p + 1);

    goto value;
}


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
    if (d->stack_mapped) {
        (void) munmap(d->stack, d->stack_mapped);
        d->stack_mapped = 0;

    } else if (d->stack != d->first_stack) {
        free(d->stack);
    }

    if (d->keys != d->first_keys) {
        free(d->keys);
    }

    if (d->open != d->first_open) {
        free(d->open);
    }

    free(d->cache);
    free(d->scratch);
    d->stack = NULL;
    d->keys = NULL;
    d->open = NULL;
    d->cache = NULL;
    d->scratch = NULL;
}


aa_json_doc_t *
aa_json_doc_parse(const char *text, size_t len, size_t max_depth, char *err,
    size_t errlen)
{
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

    d = aa_doc_new();
    if (d == NULL) {
        aa_doc_err(err, errlen, "out of memory");
        return NULL;
    }

    d->max_depth = max_depth;
    d->end = (const unsigned char *) text + len;
    aa_doc_cache(d, len);

    /*
     * a value takes a byte and a separator at least: the stack holds at
     * most len / 2 + 1 of them (aa_doc_stack_grow())
     */
    d->stack_max = len / 2 + 2;

    if (aa_doc_fast(d, (const unsigned char *) text, d->end) == 0) {
        d->fast = 1;
        goto done;
    }

    /*
     * from scratch, with the prescan and yajl: the same tree, or the
     * refusal and its reason
     */
    aa_json_doc_free(d);

    if (aa_json_prescan(text, len, max_depth, err, errlen) != 0) {
        return NULL;
    }

    d = aa_doc_new();
    if (d == NULL) {
        aa_doc_err(err, errlen, "out of memory");
        return NULL;
    }

    aa_doc_cache(d, len);

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

done:

    aa_doc_parse_done(d);

    if (d->dup) {
        aa_doc_err(err, errlen, "duplicate key in object");
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


int
aa_json_doc_fast(const aa_json_doc_t *doc)
{
    return doc->fast;
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

        if (b->mapped) {
            (void) munmap(b, b->mapped);

        } else {
            free(b);
        }
    }

    free(doc);
}
