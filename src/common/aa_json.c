/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_buf.h"
#include "aa_json.h"


#define AA_JSON_DUP_SORT  8     /* objects larger than this are sorted */


static long aa_json_hex4(const char *s, size_t n);
static int aa_json_key_cmp(const void *a, const void *b);
static void aa_json_err(char *err, size_t errlen, const char *msg,
    size_t n);


/* 1 for the bytes a string takes as they are: 0x20 - 0x7f but " and \ */
const unsigned char  aa_json_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,     /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
    /* 0x80 - 0xff: 0, UTF-8 is checked apart */
};


static void
aa_json_err(char *err, size_t errlen, const char *msg, size_t n)
{
    if (err == NULL || errlen == 0) {
        return;
    }

    if (n >= errlen) {
        n = errlen - 1;
    }

    memcpy(err, msg, n);
    err[n] = '\0';
}


/*
 * One pass over the text, outside and inside strings: nesting depth, NUL
 * bytes (yajl_tree_parse() stops at the first one), comments (yajl_tree
 * enables them, JSON has none), the escape \u0000 (yajl_tree keeps no
 * string lengths, so such a string would be silently truncated) and UTF-8
 * (yajl lets overlong forms such as C0 80, encoded surrogates and code
 * points above U+10FFFF through).
 */

/* the value of four hex digits, or -1 */

static long
aa_json_hex4(const char *s, size_t n)
{
    long    v;
    size_t  i;
    char    c;

    if (n < 4) {
        return -1;
    }

    v = 0;

    for (i = 0; i < 4; i++) {
        c = s[i];

        if (c >= '0' && c <= '9') {
            v = v * 16 + (c - '0');

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v = v * 16 + ((c | 0x20) - 'a' + 10);

        } else {
            return -1;
        }
    }

    return v;
}


int
aa_json_prescan(const char *text, size_t len, size_t max_depth, char *err,
    size_t errlen)
{
    long         cp, lo;
    const char  *msg;
    size_t       i, k, depth;
    int          in_string;

    depth = 0;
    in_string = 0;

    for (i = 0; i < len; i++) {

        if ((unsigned char) text[i] >= 0x80) {
            k = aa_buf_utf8_len(text + i, len - i);

            if (k == 0) {
                msg = "invalid UTF-8";
                goto failed;
            }

            i += k - 1;
            continue;
        }

        switch (text[i]) {

        case '\0':
            msg = "invalid NUL byte";
            goto failed;

        case '"':
            in_string = !in_string;
            break;

        case '\\':
            if (!in_string) {
                break;
            }

            if (i + 5 < len && text[i + 1] == 'u'
                && memcmp(&text[i + 2], "0000", 4) == 0)
            {
                msg = "\\u0000 is not supported in strings";
                goto failed;
            }

            /*
             * A surrogate escape must come as a high-low pair: alone it
             * stands for no character, and yajl would quietly put "?".
             */
            cp = (i + 1 < len && text[i + 1] == 'u')
                 ? aa_json_hex4(text + i + 2, len - i - 2) : -1;

            if (cp >= 0xdc00 && cp <= 0xdfff) {
                msg = "lone surrogate escape";
                goto failed;
            }

            if (cp >= 0xd800 && cp <= 0xdbff) {
                lo = (i + 7 < len && text[i + 6] == '\\' && text[i + 7] == 'u')
                     ? aa_json_hex4(text + i + 8, len - i - 8) : -1;

                if (lo < 0xdc00 || lo > 0xdfff) {
                    msg = "lone surrogate escape";
                    goto failed;
                }

                i += 11;
                break;
            }

            /* skip the escaped character; a NUL is caught next round */
            if (i + 1 < len && text[i + 1] != '\0') {
                i++;
            }

            break;

        case '[':
        case '{':
            if (!in_string && ++depth > max_depth) {
                msg = "nesting too deep";
                goto failed;
            }
            break;

        case ']':
        case '}':
            if (!in_string && depth) {
                depth--;
            }
            break;

        case '/':
            if (!in_string) {
                msg = "comments are not allowed";
                goto failed;
            }
            break;

        default:
            break;
        }
    }

    return 0;

failed:

    aa_json_err(err, errlen, msg, strlen(msg));

    return -1;
}


static int
aa_json_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char * const *) a, *(const char * const *) b);
}


/*
 * Returns 1 when some object below v has a key twice, -1 when out of
 * memory, else 0.  Recursion is bounded by AA_JSON_MAX_DEPTH.
 */

int
aa_json_dup_keys(yajl_val v)
{
    int           rc;
    size_t        i, j, n;
    const char  **keys;

    if (YAJL_IS_ARRAY(v)) {
        for (i = 0; i < v->u.array.len; i++) {
            rc = aa_json_dup_keys(v->u.array.values[i]);
            if (rc != 0) {
                return rc;
            }
        }

        return 0;
    }

    if (!YAJL_IS_OBJECT(v)) {
        return 0;
    }

    n = v->u.object.len;

    for (i = 0; i < n; i++) {
        rc = aa_json_dup_keys(v->u.object.values[i]);
        if (rc != 0) {
            return rc;
        }
    }

    if (n <= AA_JSON_DUP_SORT) {
        for (i = 0; i < n; i++) {
            for (j = i + 1; j < n; j++) {
                if (strcmp(v->u.object.keys[i], v->u.object.keys[j]) == 0) {
                    return 1;
                }
            }
        }

        return 0;
    }

    keys = malloc(n * sizeof(const char *));
    if (keys == NULL) {
        return -1;
    }

    memcpy(keys, v->u.object.keys, n * sizeof(const char *));
    qsort(keys, n, sizeof(const char *), aa_json_key_cmp);

    rc = 0;

    for (i = 1; i < n; i++) {
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            rc = 1;
            break;
        }
    }

    free(keys);

    return rc;
}


yajl_val
aa_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    return aa_json_parse_depth(text, len, AA_JSON_MAX_DEPTH, err, errlen);
}


yajl_val
aa_json_parse_depth(const char *text, size_t len, size_t max_depth,
    char *err, size_t errlen)
{
    int        rc;
    char       ebuf[512];
    size_t     n;
    yajl_val   v;

    if (err != NULL && errlen) {
        err[0] = '\0';
    }

    if (max_depth > AA_JSON_MAX_DEPTH) {
        max_depth = AA_JSON_MAX_DEPTH;
    }

    if (aa_json_prescan(text, len, max_depth, err, errlen) != 0) {
        return NULL;
    }

    ebuf[0] = '\0';

    v = yajl_tree_parse(text, ebuf, sizeof(ebuf));

    if (v == NULL) {
        /* yajl's message spans lines, with an excerpt: keep the first */
        ebuf[sizeof(ebuf) - 1] = '\0';
        n = strcspn(ebuf, "\r\n");

        while (n && (ebuf[n - 1] == ' ' || ebuf[n - 1] == '.')) {
            n--;
        }

        if (n == 0) {
            aa_json_err(err, errlen, "invalid JSON", 12);

        } else {
            aa_json_err(err, errlen, ebuf, n);
        }

        return NULL;
    }

    rc = aa_json_dup_keys(v);

    if (rc != 0) {
        yajl_tree_free(v);

        if (rc < 0) {
            aa_json_err(err, errlen, "out of memory", 13);

        } else {
            aa_json_err(err, errlen, "duplicate key in object", 23);
        }

        return NULL;
    }

    return v;
}


yajl_val
aa_json_get(yajl_val obj, const char *key)
{
    size_t       i;
    const char  *k;

    if (!YAJL_IS_OBJECT(obj)) {
        return NULL;
    }

    /* the first byte first: most keys differ there, and cost no call */
    for (i = 0; i < obj->u.object.len; i++) {
        k = obj->u.object.keys[i];

        if (k[0] == key[0] && strcmp(k, key) == 0) {
            return obj->u.object.values[i];
        }
    }

    return NULL;
}
