/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aa_json.h"
#include "aa_json_doc.h"
#include "aa_validate.h"


static const char *aa_v_kind_type(aa_v_kind_e kind);
static const char *aa_v_kind_msg(aa_v_kind_e kind);
static int aa_v_int_range(aa_errors_t *e, const char *loc, yajl_val v,
    int64_t n, int64_t min, int64_t max);
static int aa_v_int_string(const char *s, int64_t *out);
static int aa_v_url_host_char(unsigned char c);
static int aa_v_body_object(aa_errors_t *e, yajl_val root);
static int aa_v_kind_ok(yajl_val v, aa_v_kind_e kind);


/* a body's root: an object, else the error saying what it is instead */
static int
aa_v_body_object(aa_errors_t *e, yajl_val root)
{
    if (YAJL_IS_OBJECT(root)) {
        return 1;
    }

    if (YAJL_IS_NULL(root)) {
        aa_errors_add(e, "missing", "body", "Field required", NULL);

    } else {
        aa_errors_add(e, "model_attributes_type", "body",
                      aa_v_kind_msg(AA_V_MODEL), root);
    }

    return 0;
}


yajl_val
aa_v_body(aa_errors_t *e, const char *body, size_t len, size_t max_depth)
{
    char      err[128];
    yajl_val  root;

    if (len == 0) {
        aa_errors_add(e, "missing", "body", "Field required", NULL);
        return NULL;
    }

    root = aa_json_parse_depth(body, len, max_depth, err, sizeof(err));

    if (root == NULL) {
        aa_errors_add_ctx(e, "json_invalid", "body", "JSON decode error",
                          NULL, err);
        return NULL;
    }

    if (aa_v_body_object(e, root)) {
        return root;
    }

    yajl_tree_free(root);

    return NULL;
}


aa_json_doc_t *
aa_v_body_doc(aa_errors_t *e, const char *body, size_t len,
    size_t max_depth)
{
    char            err[128];
    aa_json_doc_t  *doc;

    if (len == 0) {
        aa_errors_add(e, "missing", "body", "Field required", NULL);
        return NULL;
    }

    doc = aa_json_doc_parse(body, len, max_depth, err, sizeof(err));

    if (doc == NULL) {
        aa_errors_add_ctx(e, "json_invalid", "body", "JSON decode error",
                          NULL, err);
        return NULL;
    }

    if (aa_v_body_object(e, aa_json_doc_root(doc))) {
        return doc;
    }

    aa_json_doc_free(doc);

    return NULL;
}


/* never cut in practice: locs are short */

void
aa_v_loc(char *out, const char *parent, const char *key)
{
    size_t  n, k;

    n = strlen(parent);
    n = n < AA_LOC_MAX - 1 ? n : AA_LOC_MAX - 1;
    memmove(out, parent, n);

    if (n < AA_LOC_MAX - 1) {
        out[n++] = '/';
    }

    k = strlen(key);
    k = k < AA_LOC_MAX - 1 - n ? k : AA_LOC_MAX - 1 - n;
    memcpy(out + n, key, k);
    out[n + k] = '\0';
}


void
aa_v_loc_idx(char *out, const char *parent, size_t i)
{
    char    digits[24];
    size_t  n;

    n = sizeof(digits) - 1;
    digits[n] = '\0';

    do {
        digits[--n] = (char) ('0' + i % 10);
        i /= 10;
    } while (i);

    aa_v_loc(out, parent, &digits[n]);
}


static const char *
aa_v_kind_type(aa_v_kind_e kind)
{
    switch (kind) {
    case AA_V_STRING:  return "string_type";
    case AA_V_BOOL:    return "bool_type";
    case AA_V_DICT:    return "dict_type";
    case AA_V_MODEL:   return "model_attributes_type";
    case AA_V_LIST:
    case AA_V_STRLIST: return "list_type";
    default:           return "int_type";
    }
}


static const char *
aa_v_kind_msg(aa_v_kind_e kind)
{
    switch (kind) {
    case AA_V_STRING:  return "Input should be a valid string";
    case AA_V_BOOL:    return "Input should be a valid boolean";
    case AA_V_DICT:    return "Input should be a valid dictionary";
    case AA_V_MODEL:
        return "Input should be a valid dictionary or object to extract "
               "fields from";
    case AA_V_LIST:
    case AA_V_STRLIST: return "Input should be a valid list";
    default:           return "Input should be a valid integer";
    }
}


int
aa_v_check(aa_errors_t *e, const char *loc, yajl_val v, aa_v_kind_e kind)
{
    int      ok;
    char     iloc[AA_LOC_MAX];
    size_t   i;
    int64_t  n;

    switch (kind) {
    case AA_V_STRING:
        ok = YAJL_IS_STRING(v);
        break;

    case AA_V_BOOL:
        ok = YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v);
        break;

    case AA_V_DICT:
    case AA_V_MODEL:
        ok = YAJL_IS_OBJECT(v);
        break;

    case AA_V_LIST:
        ok = YAJL_IS_ARRAY(v);
        break;

    case AA_V_STRLIST:
        if (!YAJL_IS_ARRAY(v)) {
            ok = 0;
            break;
        }

        ok = 1;

        for (i = 0; i < v->u.array.len; i++) {
            if (!YAJL_IS_STRING(v->u.array.values[i])) {
                aa_v_loc_idx(iloc, loc, i);
                aa_errors_add(e, "string_type", iloc,
                              aa_v_kind_msg(AA_V_STRING),
                              v->u.array.values[i]);
                ok = -1;
            }
        }

        return ok > 0;

    default:
        return aa_v_int(e, loc, v, INT64_MIN, INT64_MAX, &n);
    }

    if (!ok) {
        aa_errors_add(e, aa_v_kind_type(kind), loc, aa_v_kind_msg(kind), v);
    }

    return ok;
}


/*
 * Whether v passes kind with no error to add: the check of a valid value
 * without the loc, which aa_v_check() needs only to report an error.
 */
static int
aa_v_kind_ok(yajl_val v, aa_v_kind_e kind)
{
    size_t  i;

    switch (kind) {
    case AA_V_STRING:
        return YAJL_IS_STRING(v);

    case AA_V_BOOL:
        return YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v);

    case AA_V_DICT:
    case AA_V_MODEL:
        return YAJL_IS_OBJECT(v);

    case AA_V_LIST:
        return YAJL_IS_ARRAY(v);

    case AA_V_STRLIST:
        if (!YAJL_IS_ARRAY(v)) {
            return 0;
        }

        for (i = 0; i < v->u.array.len; i++) {
            if (!YAJL_IS_STRING(v->u.array.values[i])) {
                return 0;
            }
        }

        return 1;

    default:
        /* any JSON integer is in INT64_MIN..INT64_MAX */
        return YAJL_IS_INTEGER(v);
    }
}


int
aa_v_field(aa_errors_t *e, const char *parent, yajl_val obj,
    const char *key, aa_v_kind_e kind, int flags, yajl_val *out)
{
    char      loc[AA_LOC_MAX];
    yajl_val  v;

    v = aa_json_get(obj, key);

    /* the loc is made only for an error: most fields are valid or absent */

    if (v == NULL) {
        if (flags & AA_V_REQUIRED) {
            aa_v_loc(loc, parent, key);
            aa_errors_add(e, "missing", loc, "Field required", obj);
            return -1;
        }

        return 0;
    }

    if (YAJL_IS_NULL(v) && (flags & AA_V_NULLABLE)) {
        return 0;
    }

    if (!aa_v_kind_ok(v, kind)) {
        aa_v_loc(loc, parent, key);

        if (!aa_v_check(e, loc, v, kind)) {
            return -1;
        }
    }

    if (out != NULL) {
        *out = v;
    }

    return 1;
}


void
aa_v_fields(aa_errors_t *e, const char *parent, yajl_val obj,
    const aa_v_spec_t *spec)
{
    for ( /* void */ ; spec->key != NULL; spec++) {
        (void) aa_v_field(e, parent, obj, spec->key, spec->kind, spec->flags,
                          NULL);
    }
}


int
aa_v_is(yajl_val v, const char *s)
{
    return YAJL_IS_STRING(v) && strcmp(v->u.string, s) == 0;
}


int
aa_v_literal(aa_errors_t *e, const char *loc, yajl_val v,
    const char *const *values, const char *type, const char *msg)
{
    for ( /* void */ ; *values != NULL; values++) {
        if (aa_v_is(v, *values)) {
            return 1;
        }
    }

    aa_errors_add(e, type, loc, msg, v);

    return 0;
}


static int
aa_v_int_range(aa_errors_t *e, const char *loc, yajl_val v, int64_t n,
    int64_t min, int64_t max)
{
    char  msg[96];

    if (n < min) {
        snprintf(msg, sizeof(msg),
                 "Input should be greater than or equal to %lld",
                 (long long) min);
        aa_errors_add(e, "greater_than_equal", loc, msg, v);
        return 0;
    }

    if (n > max) {
        snprintf(msg, sizeof(msg),
                 "Input should be less than or equal to %lld",
                 (long long) max);
        aa_errors_add(e, "less_than_equal", loc, msg, v);
        return 0;
    }

    return 1;
}


/*
 * [ws][+|-]digits[ws]; 1 when parsed (saturated to INT64_MIN/INT64_MAX on
 * overflow, so the range check rejects it), else 0.
 */

static int
aa_v_int_string(const char *s, int64_t *out)
{
    int       neg, digits;
    uint64_t  n, lim;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        s++;
    }

    neg = (*s == '-');

    if (*s == '-' || *s == '+') {
        s++;
    }

    lim = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
    n = 0;
    digits = 0;

    while (*s >= '0' && *s <= '9') {
        if (n <= (lim - (uint64_t) (*s - '0')) / 10) {
            n = n * 10 + (uint64_t) (*s - '0');

        } else {
            n = lim;
        }

        s++;
        digits++;
    }

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        s++;
    }

    if (digits == 0 || *s != '\0') {
        return 0;
    }

    if (neg) {
        *out = (n == (uint64_t) INT64_MAX + 1) ? INT64_MIN : -(int64_t) n;

    } else {
        *out = (int64_t) n;
    }

    return 1;
}


int
aa_v_int(aa_errors_t *e, const char *loc, yajl_val v, int64_t min,
    int64_t max, int64_t *out)
{
    double   d;
    int64_t  n;

    n = 0;

    if (YAJL_IS_INTEGER(v)) {
        n = YAJL_GET_INTEGER(v);

    } else if (YAJL_IS_NUMBER(v)) {
        d = YAJL_GET_DOUBLE(v);

        if (!YAJL_IS_DOUBLE(v) || !isfinite(d)) {
            aa_errors_add(e, "finite_number", loc,
                          "Input should be a finite number", v);
            return 0;
        }

        /* 2^63 is exact as a double; beyond it every double is integral */
        if (d >= 9223372036854775808.0) {
            n = INT64_MAX;

        } else if (d < -9223372036854775808.0) {
            n = INT64_MIN;

        } else {
            n = (int64_t) d;

            if ((double) n != d) {
                aa_errors_add(e, "int_from_float", loc,
                              "Input should be a valid integer, got a "
                              "number with a fractional part", v);
                return 0;
            }
        }

    } else if (YAJL_IS_STRING(v)) {
        if (!aa_v_int_string(v->u.string, &n)) {
            aa_errors_add(e, "int_parsing", loc,
                          "Input should be a valid integer, unable to parse "
                          "string as an integer", v);
            return 0;
        }

    } else {
        aa_errors_add(e, "int_type", loc, "Input should be a valid integer",
                      v);
        return 0;
    }

    if (!aa_v_int_range(e, loc, v, n, min, max)) {
        return 0;
    }

    *out = n;

    return 1;
}


static int
aa_v_url_host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~' || c >= 0x80;
}


const char *
aa_v_url(const char *s, size_t len, const char **type)
{
    size_t       i, scheme, end, at, host, hend, port;
    unsigned     pn;

    *type = "url_parsing";

    if (len > AA_V_URL_MAX) {
        *type = "url_too_long";
        return "URL should have at most 2048 characters";
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] <= 0x20 || s[i] == 0x7f) {
            return "Input should be a valid URL, invalid character";
        }
    }

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */

    for (i = 0; i < len; i++) {
        if (s[i] == ':') {
            break;
        }

        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (i && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+'
                        || s[i] == '-' || s[i] == '.'))))
        {
            return "Input should be a valid URL, relative URL without a base";
        }
    }

    if (i == 0 || i == len) {
        return "Input should be a valid URL, relative URL without a base";
    }

    scheme = i;

    if (!((scheme == 4 && strncasecmp(s, "http", 4) == 0)
          || (scheme == 5 && strncasecmp(s, "https", 5) == 0)))
    {
        *type = "url_scheme";
        return "URL scheme should be 'http' or 'https'";
    }

    if (len - scheme < 3 || s[scheme + 1] != '/' || s[scheme + 2] != '/') {
        return "Input should be a valid URL, empty host";
    }

    /* authority: up to "/", "?" or "#"; userinfo ends at the last "@" */

    host = scheme + 3;

    for (end = host; end < len; end++) {
        if (s[end] == '/' || s[end] == '?' || s[end] == '#') {
            break;
        }
    }

    for (at = end; at > host; at--) {
        if (s[at - 1] == '@') {
            host = at;
            break;
        }
    }

    if (host < end && s[host] == '[') {
        for (hend = host + 1; hend < end && s[hend] != ']'; hend++) {
            if (!((s[hend] >= '0' && s[hend] <= '9')
                  || (s[hend] >= 'a' && s[hend] <= 'f')
                  || (s[hend] >= 'A' && s[hend] <= 'F')
                  || s[hend] == ':' || s[hend] == '.'))
            {
                return "Input should be a valid URL, invalid IPv6 address";
            }
        }

        if (hend == end || hend == host + 1) {
            return "Input should be a valid URL, invalid IPv6 address";
        }

        port = hend + 1;

    } else {
        for (hend = host; hend < end && s[hend] != ':'; hend++) {
            if (!aa_v_url_host_char((unsigned char) s[hend])) {
                return "Input should be a valid URL, invalid domain "
                       "character";
            }
        }

        if (hend == host) {
            return "Input should be a valid URL, empty host";
        }

        port = hend;
    }

    if (port < end) {
        if (s[port] != ':') {
            return "Input should be a valid URL, invalid port number";
        }

        pn = 0;

        for (i = port + 1; i < end; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return "Input should be a valid URL, invalid port number";
            }

            pn = pn * 10 + (unsigned) (s[i] - '0');

            if (pn > 65535) {
                return "Input should be a valid URL, invalid port number";
            }
        }
    }

    return NULL;
}

