/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aa_id.h"
#include "aa_json.h"
#include "aa_request.h"


#define AA_MAX_STEPS_DEFAULT   50
#define AA_MAX_STEPS_MIN       1
#define AA_MAX_STEPS_MAX       10000
#define AA_URL_MAX             2048


typedef struct {
    const char   *key;
    aa_v_kind_e   kind;
    int           flags;
} aa_v_spec_t;


/* What the validation pass keeps for the output pass. */
typedef struct {
    yajl_val      messages;
    yajl_val      input;
    yajl_val      override_model;
    yajl_val      override_system;
    yajl_val      include_types;
    yajl_val      tool_name;
    yajl_val      tool_kwarg;
    yajl_val      callback_url;
    int64_t       max_steps;
    int           use_assistant_message;
    int           include_compaction;
} aa_req_fields_t;


static const char *aa_v_kind_type(aa_v_kind_e kind);
static const char *aa_v_kind_msg(aa_v_kind_e kind);
static int aa_v_check(aa_errors_t *e, const char *loc, yajl_val v,
    aa_v_kind_e kind);
static void aa_v_fields(aa_errors_t *e, const char *parent, yajl_val obj,
    const aa_v_spec_t *spec);
static int aa_v_literal(aa_errors_t *e, const char *loc, yajl_val v,
    const char *const *values, const char *type, const char *msg);
static int aa_v_is(yajl_val v, const char *s);
static int aa_v_int_range(aa_errors_t *e, const char *loc, yajl_val v,
    int64_t n, int64_t min, int64_t max);
static int aa_v_int_string(const char *s, int64_t *out);
static int aa_v_url_host_char(unsigned char c);

static void aa_req_parts(aa_errors_t *e, const char *loc, yajl_val v,
    int allow_empty);
static void aa_req_part(aa_errors_t *e, const char *loc, yajl_val part);
static void aa_req_image_source(aa_errors_t *e, const char *loc,
    yajl_val src);
static void aa_req_summary(aa_errors_t *e, const char *parent,
    yajl_val part);
static void aa_req_content(aa_errors_t *e, const char *parent, yajl_val obj,
    const char *key, int required, int allow_empty);
static const char *aa_req_message_type(yajl_val item);
static const char *aa_req_approval_type(yajl_val item);
static void aa_req_message(aa_errors_t *e, const char *loc, yajl_val item);
static void aa_req_tool_items(aa_errors_t *e, const char *parent,
    yajl_val obj, const char *key, int approvals);
static void aa_req_tool_item(aa_errors_t *e, const char *loc, yajl_val item,
    const char *type);
static void aa_req_messages(aa_errors_t *e, yajl_val v);
static void aa_req_input(aa_errors_t *e, yajl_val v);
static void aa_req_types(aa_errors_t *e, yajl_val v);
static void aa_req_callback(aa_errors_t *e, yajl_val v);
static void aa_req_tools(aa_errors_t *e, yajl_val body, const char *key);
static void aa_req_validate(aa_errors_t *e, yajl_val body,
    aa_req_fields_t *f);

static int aa_req_otid(aa_buf_t *b, yajl_val otid);
static void aa_req_encode_except(aa_buf_t *b, yajl_val obj,
    const char *skip1, const char *skip2, const char *skip3);
static void aa_req_encode_tool_items(aa_buf_t *b, yajl_val arr,
    int approvals);
static int aa_req_encode_message(aa_buf_t *b, yajl_val item);
static int aa_req_build(aa_async_request_t *req, aa_req_fields_t *f);


static const char *const  aa_roles[] = {
    "user", "system", "assistant", NULL
};

static const char *const  aa_tool_status[] = {
    "success", "error", NULL
};

static const char *const  aa_tool_type[] = {
    "tool", NULL
};

/* spec 2.7 */
static const char *const  aa_return_types[] = {
    "system_message", "user_message", "assistant_message",
    "reasoning_message", "hidden_reasoning_message", "tool_call_message",
    "tool_return_message", "approval_request_message",
    "approval_response_message", "summary_message", "event_message", NULL
};

#define AA_RETURN_TYPES_MSG                                                   \
    "Input should be 'system_message', 'user_message', "                      \
    "'assistant_message', 'reasoning_message', 'hidden_reasoning_message', "  \
    "'tool_call_message', 'tool_return_message', "                            \
    "'approval_request_message', 'approval_response_message', "               \
    "'summary_message' or 'event_message'"

#define AA_PART_TAGS                                                          \
    "'text', 'image', 'tool_call', 'tool_return', 'reasoning', "              \
    "'redacted_reasoning', 'omitted_reasoning', 'summarized_reasoning'"

#define AA_MSG_TAG_MISSING                                                    \
    "Unable to extract tag using discriminator 'type'"

#define AA_MSG_CONTENT_TYPE                                                   \
    "Input should be a valid string or a list of content parts"


static const aa_v_spec_t  aa_spec_text[] = {
    { "text",              AA_V_STRING, AA_V_REQUIRED },
    { "signature",         AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_tool_call[] = {
    { "id",                AA_V_STRING, AA_V_REQUIRED },
    { "name",              AA_V_STRING, AA_V_REQUIRED },
    { "input",             AA_V_DICT,   AA_V_REQUIRED },
    { "signature",         AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_tool_return_part[] = {
    { "tool_call_id",      AA_V_STRING, AA_V_REQUIRED },
    { "content",           AA_V_STRING, AA_V_REQUIRED },
    { "is_error",          AA_V_BOOL,   AA_V_REQUIRED },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_reasoning[] = {
    { "is_native",         AA_V_BOOL,   AA_V_REQUIRED },
    { "reasoning",         AA_V_STRING, AA_V_REQUIRED },
    { "signature",         AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_redacted[] = {
    { "data",              AA_V_STRING, AA_V_REQUIRED },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_omitted[] = {
    { "signature",         AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_summarized[] = {
    { "id",                AA_V_STRING, AA_V_REQUIRED },
    { "encrypted_content", AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_summary_item[] = {
    { "index",             AA_V_INT,    AA_V_REQUIRED },
    { "text",              AA_V_STRING, AA_V_REQUIRED },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_src_url[] = {
    { "url",               AA_V_STRING, AA_V_REQUIRED },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_src_base64[] = {
    { "media_type",        AA_V_STRING, AA_V_REQUIRED },
    { "data",              AA_V_STRING, AA_V_REQUIRED },
    { "detail",            AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_src_letta[] = {
    { "file_id",           AA_V_STRING, AA_V_REQUIRED },
    { "media_type",        AA_V_STRING, AA_V_NULLABLE },
    { "data",              AA_V_STRING, AA_V_NULLABLE },
    { "detail",            AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

/* MessageCreateBase */
static const aa_v_spec_t  aa_spec_msg_base[] = {
    { "otid",              AA_V_STRING, AA_V_NULLABLE },
    { "group_id",          AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_msg_message[] = {
    { "name",              AA_V_STRING, AA_V_NULLABLE },
    { "sender_id",         AA_V_STRING, AA_V_NULLABLE },
    { "batch_item_id",     AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_msg_approval[] = {
    { "approve",           AA_V_BOOL,   AA_V_NULLABLE },
    { "approval_request_id", AA_V_STRING, AA_V_NULLABLE },
    { "reason",            AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_approval_return[] = {
    { "tool_call_id",      AA_V_STRING, AA_V_REQUIRED },
    { "approve",           AA_V_BOOL,   AA_V_REQUIRED },
    { "reason",            AA_V_STRING, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_tool_return[] = {
    { "tool_call_id",      AA_V_STRING, AA_V_REQUIRED },
    { "stdout",            AA_V_STRLIST, AA_V_NULLABLE },
    { "stderr",            AA_V_STRLIST, AA_V_NULLABLE },
    { NULL,                0,           0 }
};

static const aa_v_spec_t  aa_spec_body[] = {
    { "override_model",    AA_V_STRING, AA_V_NULLABLE },
    { "include_compaction_messages", AA_V_BOOL, 0 },
    { "use_assistant_message", AA_V_BOOL, 0 },
    { "assistant_message_tool_name", AA_V_STRING, 0 },
    { "assistant_message_tool_kwarg", AA_V_STRING, 0 },
    { "return_logprobs",   AA_V_BOOL,   0 },
    { "return_token_ids",  AA_V_BOOL,   0 },
    { "top_logprobs",      AA_V_INT,    AA_V_NULLABLE },
    { NULL,                0,           0 }
};


/* validators */

/* parent "/" key, cut to AA_LOC_MAX - 1 bytes (never reached in practice) */

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


/* v is present and not null; returns 1 when valid, else 0 */

static int
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


int
aa_v_field(aa_errors_t *e, const char *parent, yajl_val obj,
    const char *key, aa_v_kind_e kind, int flags, yajl_val *out)
{
    char      loc[AA_LOC_MAX];
    yajl_val  v;

    v = aa_json_get(obj, key);

    aa_v_loc(loc, parent, key);

    if (v == NULL) {
        if (flags & AA_V_REQUIRED) {
            aa_errors_add(e, "missing", loc, "Field required", obj);
            return -1;
        }

        return 0;
    }

    if (YAJL_IS_NULL(v) && (flags & AA_V_NULLABLE)) {
        return 0;
    }

    if (!aa_v_check(e, loc, v, kind)) {
        return -1;
    }

    if (out != NULL) {
        *out = v;
    }

    return 1;
}


static void
aa_v_fields(aa_errors_t *e, const char *parent, yajl_val obj,
    const aa_v_spec_t *spec)
{
    for ( /* void */ ; spec->key != NULL; spec++) {
        (void) aa_v_field(e, parent, obj, spec->key, spec->kind, spec->flags,
                          NULL);
    }
}


static int
aa_v_is(yajl_val v, const char *s)
{
    return YAJL_IS_STRING(v) && strcmp(v->u.string, s) == 0;
}


static int
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

    if (len > AA_URL_MAX) {
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


/* content parts, spec 2.5 */

static void
aa_req_image_source(aa_errors_t *e, const char *loc, yajl_val src)
{
    char      uloc[AA_LOC_MAX], msg[AA_LOC_MAX + 160];
    yajl_val  tag, url;

    tag = aa_json_get(src, "type");

    if (tag == NULL || YAJL_IS_NULL(tag)) {
        aa_errors_add(e, "union_tag_not_found", loc, AA_MSG_TAG_MISSING, src);
        return;
    }

    if (aa_v_is(tag, "url")) {
        aa_v_fields(e, loc, src, aa_spec_src_url);

        url = aa_json_get(src, "url");

        if (YAJL_IS_STRING(url) && strncasecmp(url->u.string, "file://", 7)
                                   == 0)
        {
            aa_v_loc(uloc, loc, "url");
            aa_errors_add(e, "value_error", uloc,
                          "Value error, file:// URLs are not allowed", url);
        }

        return;
    }

    if (aa_v_is(tag, "base64")) {
        aa_v_fields(e, loc, src, aa_spec_src_base64);
        return;
    }

    if (aa_v_is(tag, "letta")) {
        aa_v_fields(e, loc, src, aa_spec_src_letta);
        return;
    }

    if (YAJL_IS_STRING(tag) && strlen(tag->u.string) < AA_LOC_MAX) {
        snprintf(msg, sizeof(msg), "Input tag '%s' found using 'type' does "
                 "not match any of the expected tags: 'url', 'base64', "
                 "'letta'", tag->u.string);

    } else {
        snprintf(msg, sizeof(msg), "Input tag found using 'type' does not "
                 "match any of the expected tags: 'url', 'base64', 'letta'");
    }

    aa_errors_add(e, "union_tag_invalid", loc, msg, src);
}


static void
aa_req_summary(aa_errors_t *e, const char *parent, yajl_val part)
{
    char      loc[AA_LOC_MAX], iloc[AA_LOC_MAX];
    size_t    i;
    yajl_val  summary, item;

    if (aa_v_field(e, parent, part, "summary", AA_V_LIST, AA_V_REQUIRED,
                   &summary)
        != 1)
    {
        return;
    }

    aa_v_loc(loc, parent, "summary");

    for (i = 0; i < summary->u.array.len; i++) {
        item = summary->u.array.values[i];
        aa_v_loc_idx(iloc, loc, i);

        if (aa_v_check(e, iloc, item, AA_V_MODEL)) {
            aa_v_fields(e, iloc, item, aa_spec_summary_item);
        }
    }
}


static void
aa_req_part(aa_errors_t *e, const char *loc, yajl_val part)
{
    char      msg[AA_LOC_MAX + 240], sloc[AA_LOC_MAX];
    yajl_val  tag, src;

    if (!aa_v_check(e, loc, part, AA_V_MODEL)) {
        return;
    }

    tag = aa_json_get(part, "type");

    if (tag == NULL || YAJL_IS_NULL(tag)) {
        aa_errors_add(e, "union_tag_not_found", loc, AA_MSG_TAG_MISSING, part);
        return;
    }

    if (aa_v_is(tag, "text")) {
        aa_v_fields(e, loc, part, aa_spec_text);

    } else if (aa_v_is(tag, "image")) {
        if (aa_v_field(e, loc, part, "source", AA_V_MODEL, AA_V_REQUIRED,
                       &src)
            == 1)
        {
            aa_v_loc(sloc, loc, "source");
            aa_req_image_source(e, sloc, src);
        }

    } else if (aa_v_is(tag, "tool_call")) {
        aa_v_fields(e, loc, part, aa_spec_tool_call);

    } else if (aa_v_is(tag, "tool_return")) {
        aa_v_fields(e, loc, part, aa_spec_tool_return_part);

    } else if (aa_v_is(tag, "reasoning")) {
        aa_v_fields(e, loc, part, aa_spec_reasoning);

    } else if (aa_v_is(tag, "redacted_reasoning")) {
        aa_v_fields(e, loc, part, aa_spec_redacted);

    } else if (aa_v_is(tag, "omitted_reasoning")) {
        aa_v_fields(e, loc, part, aa_spec_omitted);

    } else if (aa_v_is(tag, "summarized_reasoning")) {
        aa_v_fields(e, loc, part, aa_spec_summarized);
        aa_req_summary(e, loc, part);

    } else {
        if (YAJL_IS_STRING(tag) && strlen(tag->u.string) < AA_LOC_MAX) {
            snprintf(msg, sizeof(msg), "Input tag '%s' found using 'type' "
                     "does not match any of the expected tags: "
                     AA_PART_TAGS, tag->u.string);

        } else {
            snprintf(msg, sizeof(msg), "Input tag found using 'type' does "
                     "not match any of the expected tags: " AA_PART_TAGS);
        }

        aa_errors_add(e, "union_tag_invalid", loc, msg, part);
    }
}


/* v: an array of content parts */

static void
aa_req_parts(aa_errors_t *e, const char *loc, yajl_val v, int allow_empty)
{
    char    iloc[AA_LOC_MAX];
    size_t  i;

    if (v->u.array.len == 0 && !allow_empty) {
        aa_errors_add(e, "value_error", loc,
                      "Value error, content must not be empty", v);
        return;
    }

    for (i = 0; i < v->u.array.len; i++) {
        aa_v_loc_idx(iloc, loc, i);
        aa_req_part(e, iloc, v->u.array.values[i]);
    }
}


/* obj[key]: a string or an array of content parts */

static void
aa_req_content(aa_errors_t *e, const char *parent, yajl_val obj,
    const char *key, int required, int allow_empty)
{
    char      loc[AA_LOC_MAX];
    yajl_val  v;

    v = aa_json_get(obj, key);
    aa_v_loc(loc, parent, key);

    if (v == NULL) {
        if (required) {
            aa_errors_add(e, "missing", loc, "Field required", obj);
        }
        return;
    }

    if (YAJL_IS_STRING(v)) {
        return;
    }

    if (YAJL_IS_ARRAY(v)) {
        aa_req_parts(e, loc, v, allow_empty);
        return;
    }

    aa_errors_add(e, "string_type", loc, AA_MSG_CONTENT_TYPE, v);
}


/* message items, spec 2.4 */

/* The item's type, injected as Letta does; NULL for an explicit bad one. */

static const char *
aa_req_message_type(yajl_val item)
{
    yajl_val  t;

    t = aa_json_get(item, "type");

    if (t == NULL || YAJL_IS_NULL(t)) {
        if (aa_json_get(item, "approval_request_id") != NULL
            || aa_json_get(item, "approve") != NULL)
        {
            return "approval";
        }

        return "message";
    }

    if (aa_v_is(t, "message")) {
        return "message";
    }

    if (aa_v_is(t, "approval")) {
        return "approval";
    }

    if (aa_v_is(t, "tool_return")) {
        return "tool_return";
    }

    return NULL;
}


/* Type of an item of "approvals"; NULL when it cannot be told. */

static const char *
aa_req_approval_type(yajl_val item)
{
    yajl_val  t;

    t = aa_json_get(item, "type");

    if (t == NULL || YAJL_IS_NULL(t)) {
        if (aa_json_get(item, "approve") != NULL) {
            return "approval";
        }

        if (aa_json_get(item, "status") != NULL
            || aa_json_get(item, "tool_return") != NULL)
        {
            return "tool";
        }

        return NULL;
    }

    if (aa_v_is(t, "approval")) {
        return "approval";
    }

    if (aa_v_is(t, "tool")) {
        return "tool";
    }

    return "";
}


static void
aa_req_tool_item(aa_errors_t *e, const char *loc, yajl_val item,
    const char *type)
{
    char      sloc[AA_LOC_MAX];
    yajl_val  status;

    if (strcmp(type, "approval") == 0) {
        aa_v_fields(e, loc, item, aa_spec_approval_return);
        return;
    }

    aa_v_fields(e, loc, item, aa_spec_tool_return);

    status = aa_json_get(item, "status");
    aa_v_loc(sloc, loc, "status");

    if (status == NULL) {
        aa_errors_add(e, "missing", sloc, "Field required", item);

    } else {
        (void) aa_v_literal(e, sloc, status, aa_tool_status,
                            "literal_error",
                            "Input should be 'success' or 'error'");
    }

    aa_req_content(e, loc, item, "tool_return", 1, 1);
}


/* obj[key]: "approvals" (approvals = 1) or "tool_returns" */

static void
aa_req_tool_items(aa_errors_t *e, const char *parent, yajl_val obj,
    const char *key, int approvals)
{
    char         loc[AA_LOC_MAX], iloc[AA_LOC_MAX], tloc[AA_LOC_MAX];
    size_t       i;
    yajl_val     arr, item, t;
    const char  *type;

    if (aa_v_field(e, parent, obj, key, AA_V_LIST,
                   approvals ? AA_V_NULLABLE : AA_V_REQUIRED, &arr)
        != 1)
    {
        return;
    }

    aa_v_loc(loc, parent, key);

    if (!approvals && arr->u.array.len == 0) {
        aa_errors_add(e, "value_error", loc,
                      "Value error, tool_returns must not be empty", arr);
        return;
    }

    for (i = 0; i < arr->u.array.len; i++) {
        item = arr->u.array.values[i];
        aa_v_loc_idx(iloc, loc, i);

        if (!aa_v_check(e, iloc, item, AA_V_MODEL)) {
            continue;
        }

        if (!approvals) {
            t = aa_json_get(item, "type");

            if (t != NULL && !YAJL_IS_NULL(t)) {
                aa_v_loc(tloc, iloc, "type");

                if (!aa_v_literal(e, tloc, t, aa_tool_type, "literal_error",
                                  "Input should be 'tool'"))
                {
                    continue;
                }
            }

            aa_req_tool_item(e, iloc, item, "tool");
            continue;
        }

        type = aa_req_approval_type(item);

        if (type == NULL) {
            aa_errors_add(e, "union_tag_not_found", iloc, AA_MSG_TAG_MISSING,
                          item);

        } else if (*type == '\0') {
            aa_errors_add(e, "union_tag_invalid", iloc,
                          "Input tag found using 'type' does not match any "
                          "of the expected tags: 'approval', 'tool'", item);

        } else {
            aa_req_tool_item(e, iloc, item, type);
        }
    }
}


static void
aa_req_message(aa_errors_t *e, const char *loc, yajl_val item)
{
    char         sloc[AA_LOC_MAX];
    yajl_val     v, approvals, approve, request_id;
    const char  *type;

    if (!aa_v_check(e, loc, item, AA_V_MODEL)) {
        return;
    }

    type = aa_req_message_type(item);

    if (type == NULL) {
        aa_v_loc(sloc, loc, "type");
        aa_errors_add(e, "literal_error", sloc,
                      "Input should be 'message', 'approval' or "
                      "'tool_return'", aa_json_get(item, "type"));
        return;
    }

    aa_v_fields(e, loc, item, aa_spec_msg_base);

    if (strcmp(type, "message") == 0) {
        v = aa_json_get(item, "role");
        aa_v_loc(sloc, loc, "role");

        if (v == NULL) {
            aa_errors_add(e, "missing", sloc, "Field required", item);

        } else {
            (void) aa_v_literal(e, sloc, v, aa_roles, "literal_error",
                                "Input should be 'user', 'system' or "
                                "'assistant'");
        }

        aa_req_content(e, loc, item, "content", 1, 0);
        aa_v_fields(e, loc, item, aa_spec_msg_message);

        return;
    }

    if (strcmp(type, "tool_return") == 0) {
        aa_req_tool_items(e, loc, item, "tool_returns", 0);
        return;
    }

    /* approval */

    aa_v_fields(e, loc, item, aa_spec_msg_approval);
    aa_req_tool_items(e, loc, item, "approvals", 1);

    approvals = aa_json_get(item, "approvals");
    approve = aa_json_get(item, "approve");
    request_id = aa_json_get(item, "approval_request_id");

    if (YAJL_IS_ARRAY(approvals) && approvals->u.array.len) {
        return;
    }

    if (approve != NULL && !YAJL_IS_NULL(approve)
        && request_id != NULL && !YAJL_IS_NULL(request_id))
    {
        return;
    }

    aa_errors_add(e, "value_error", loc,
                  "Value error, Either 'approvals' or both 'approve' and "
                  "'approval_request_id' must be provided.", item);
}


static void
aa_req_messages(aa_errors_t *e, yajl_val v)
{
    char    loc[AA_LOC_MAX];
    size_t  i;

    if (!YAJL_IS_ARRAY(v)) {
        aa_errors_add(e, "list_type", "body/messages",
                      "Input should be a valid list", v);
        return;
    }

    if (v->u.array.len == 0) {
        aa_errors_add(e, "value_error", "body/messages",
                      "Value error, messages must not be empty", v);
        return;
    }

    for (i = 0; i < v->u.array.len; i++) {
        aa_v_loc_idx(loc, "body/messages", i);
        aa_req_message(e, loc, v->u.array.values[i]);
    }
}


static void
aa_req_input(aa_errors_t *e, yajl_val v)
{
    if (YAJL_IS_STRING(v)) {
        return;
    }

    if (YAJL_IS_ARRAY(v)) {
        if (v->u.array.len == 0) {
            aa_errors_add(e, "value_error", "body/input",
                          "Value error, input must not be empty", v);
            return;
        }

        aa_req_parts(e, "body/input", v, 0);
        return;
    }

    aa_errors_add(e, "string_type", "body/input", AA_MSG_CONTENT_TYPE, v);
}


static void
aa_req_types(aa_errors_t *e, yajl_val v)
{
    char    loc[AA_LOC_MAX];
    size_t  i;

    for (i = 0; i < v->u.array.len; i++) {
        aa_v_loc_idx(loc, "body/include_return_message_types", i);

        /* a MessageType enum member: pydantic's "enum" error */
        (void) aa_v_literal(e, loc, v->u.array.values[i], aa_return_types,
                            "enum", AA_RETURN_TYPES_MSG);
    }
}


static void
aa_req_callback(aa_errors_t *e, yajl_val v)
{
    const char  *msg, *type;

    msg = aa_v_url(v->u.string, strlen(v->u.string), &type);

    if (msg != NULL) {
        aa_errors_add(e, type, "body/callback_url", msg, v);
    }
}


/* client_tools, client_skills: null or [{"name": string, ...}] */

static void
aa_req_tools(aa_errors_t *e, yajl_val body, const char *key)
{
    char      loc[AA_LOC_MAX], iloc[AA_LOC_MAX];
    size_t    i;
    yajl_val  arr, item;

    if (aa_v_field(e, "body", body, key, AA_V_LIST, AA_V_NULLABLE, &arr)
        != 1)
    {
        return;
    }

    aa_v_loc(loc, "body", key);

    for (i = 0; i < arr->u.array.len; i++) {
        item = arr->u.array.values[i];
        aa_v_loc_idx(iloc, loc, i);

        if (aa_v_check(e, iloc, item, AA_V_MODEL)) {
            (void) aa_v_field(e, iloc, item, "name", AA_V_STRING,
                              AA_V_REQUIRED, NULL);
        }
    }
}


static void
aa_req_validate(aa_errors_t *e, yajl_val body, aa_req_fields_t *f)
{
    yajl_val  v;

    f->messages = aa_json_get(body, "messages");
    f->input = aa_json_get(body, "input");

    if (YAJL_IS_NULL(f->messages)) {
        f->messages = NULL;
    }

    if (YAJL_IS_NULL(f->input)) {
        f->input = NULL;
    }

    if (f->messages != NULL && f->input != NULL) {
        aa_errors_add(e, "value_error", "body",
                      "Value error, Cannot specify both 'input' and "
                      "'messages'. Use one or the other.", body);

    } else if (f->messages == NULL && f->input == NULL) {
        aa_errors_add(e, "value_error", "body",
                      "Value error, Must specify either 'input' or "
                      "'messages'.", body);

    } else if (f->messages != NULL) {
        aa_req_messages(e, f->messages);

    } else {
        aa_req_input(e, f->input);
    }

    f->max_steps = AA_MAX_STEPS_DEFAULT;

    v = aa_json_get(body, "max_steps");

    if (v != NULL) {
        (void) aa_v_int(e, "body/max_steps", v, AA_MAX_STEPS_MIN,
                        AA_MAX_STEPS_MAX, &f->max_steps);
    }

    aa_v_fields(e, "body", body, aa_spec_body);

    v = aa_json_get(body, "use_assistant_message");
    f->use_assistant_message = !YAJL_IS_FALSE(v);

    v = aa_json_get(body, "include_compaction_messages");
    f->include_compaction = YAJL_IS_TRUE(v);

    f->override_model = aa_json_get(body, "override_model");

    f->tool_name = aa_json_get(body, "assistant_message_tool_name");
    f->tool_kwarg = aa_json_get(body, "assistant_message_tool_kwarg");

    if (aa_json_get(body, "override_system") != NULL) {
        (void) aa_v_field(e, "body", body, "override_system", AA_V_STRING,
                          AA_V_NULLABLE, &f->override_system);

    } else {
        (void) aa_v_field(e, "body", body, "system", AA_V_STRING,
                          AA_V_NULLABLE, &f->override_system);
    }

    v = aa_json_get(body, "enable_thinking");

    if (v != NULL && !YAJL_IS_NULL(v) && !YAJL_IS_STRING(v)
        && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
    {
        aa_errors_add(e, "string_type", "body/enable_thinking",
                      "Input should be a valid string", v);
    }

    if (aa_v_field(e, "body", body, "include_return_message_types",
                   AA_V_LIST, AA_V_NULLABLE, &f->include_types)
        == 1)
    {
        aa_req_types(e, f->include_types);
    }

    if (aa_v_field(e, "body", body, "callback_url", AA_V_STRING,
                   AA_V_NULLABLE, &f->callback_url)
        == 1)
    {
        aa_req_callback(e, f->callback_url);
    }

    aa_req_tools(e, body, "client_tools");
    aa_req_tools(e, body, "client_skills");
}


/* output */

static int
aa_req_otid(aa_buf_t *b, yajl_val otid)
{
    char  uuid[AA_UUID_LEN + 1];

    if (YAJL_IS_STRING(otid)) {
        return aa_json_encode(b, otid);
    }

    if (aa_uuid4(uuid) != 0) {
        b->failed = 1;
        return -1;
    }

    return aa_buf_json_string(b, uuid, AA_UUID_LEN);
}


/* Writes ,"key":value for every member of obj but the skipped ones. */

static void
aa_req_encode_except(aa_buf_t *b, yajl_val obj, const char *skip1,
    const char *skip2, const char *skip3)
{
    size_t       i;
    const char  *key;

    for (i = 0; i < obj->u.object.len; i++) {
        key = obj->u.object.keys[i];

        if (strcmp(key, skip1) == 0
            || (skip2 != NULL && strcmp(key, skip2) == 0)
            || (skip3 != NULL && strcmp(key, skip3) == 0))
        {
            continue;
        }

        aa_buf_putc(b, ',');
        aa_buf_json_string(b, key, strlen(key));
        aa_buf_putc(b, ':');
        aa_json_encode(b, obj->u.object.values[i]);
    }
}


/* "approvals" / "tool_returns", every item with its "type" */

static void
aa_req_encode_tool_items(aa_buf_t *b, yajl_val arr, int approvals)
{
    size_t       i;
    yajl_val     item;
    const char  *type;

    if (!YAJL_IS_ARRAY(arr)) {
        aa_json_encode(b, arr);
        return;
    }

    aa_buf_putc(b, '[');

    for (i = 0; i < arr->u.array.len; i++) {
        item = arr->u.array.values[i];
        type = approvals ? aa_req_approval_type(item) : "tool";

        if (i) {
            aa_buf_putc(b, ',');
        }

        aa_buf_puts(b, "{\"type\":");
        aa_buf_json_string(b, type, strlen(type));
        aa_req_encode_except(b, item, "type", NULL, NULL);
        aa_buf_putc(b, '}');
    }

    aa_buf_putc(b, ']');
}


static int
aa_req_encode_message(aa_buf_t *b, yajl_val item)
{
    const char  *type;

    type = aa_req_message_type(item);

    aa_buf_puts(b, "{\"type\":");
    aa_buf_json_string(b, type, strlen(type));

    if (strcmp(type, "approval") == 0) {
        aa_req_encode_except(b, item, "type", "otid", "approvals");

        if (aa_json_get(item, "approvals") != NULL) {
            aa_buf_puts(b, ",\"approvals\":");
            aa_req_encode_tool_items(b, aa_json_get(item, "approvals"), 1);
        }

    } else if (strcmp(type, "tool_return") == 0) {
        aa_req_encode_except(b, item, "type", "otid", "tool_returns");
        aa_buf_puts(b, ",\"tool_returns\":");
        aa_req_encode_tool_items(b, aa_json_get(item, "tool_returns"), 0);

    } else {
        aa_req_encode_except(b, item, "type", "otid", NULL);
    }

    aa_buf_puts(b, ",\"otid\":");
    aa_req_otid(b, aa_json_get(item, "otid"));

    return aa_buf_putc(b, '}');
}


static int
aa_req_build(aa_async_request_t *req, aa_req_fields_t *f)
{
    size_t     i;
    aa_buf_t  *b;

    /* the job */

    b = &req->job;

    aa_buf_puts(b, "{\"messages\":[");

    if (f->messages != NULL) {
        for (i = 0; i < f->messages->u.array.len; i++) {
            if (i) {
                aa_buf_putc(b, ',');
            }

            aa_req_encode_message(b, f->messages->u.array.values[i]);
        }

    } else {
        aa_buf_puts(b, "{\"type\":\"message\",\"role\":\"user\","
                    "\"content\":");
        aa_json_encode(b, f->input);
        aa_buf_puts(b, ",\"otid\":");
        aa_req_otid(b, NULL);
        aa_buf_putc(b, '}');
    }

    aa_buf_printf(b, "],\"max_steps\":%lld,\"override_model\":",
                  (long long) f->max_steps);
    aa_json_encode(b, f->override_model);
    aa_buf_puts(b, ",\"override_system\":");
    aa_json_encode(b, f->override_system);
    aa_buf_puts(b, ",\"include_compaction_messages\":");
    aa_buf_puts(b, f->include_compaction ? "true" : "false");
    aa_buf_puts(b, ",\"include_return_message_types\":");
    aa_json_encode(b, f->include_types);
    aa_buf_putc(b, '}');

    /* request_config */

    b = &req->request_config;

    aa_buf_puts(b, "{\"use_assistant_message\":");
    aa_buf_puts(b, f->use_assistant_message ? "true" : "false");
    aa_buf_puts(b, ",\"assistant_message_tool_name\":");

    if (f->tool_name != NULL) {
        aa_json_encode(b, f->tool_name);

    } else {
        aa_buf_puts(b, "\"send_message\"");
    }

    aa_buf_puts(b, ",\"assistant_message_tool_kwarg\":");

    if (f->tool_kwarg != NULL) {
        aa_json_encode(b, f->tool_kwarg);

    } else {
        aa_buf_puts(b, "\"message\"");
    }

    aa_buf_puts(b, ",\"include_return_message_types\":");
    aa_json_encode(b, f->include_types);
    aa_buf_putc(b, '}');

    /* callback_url */

    aa_json_encode(&req->callback_url, f->callback_url);

    if (req->job.failed || req->request_config.failed
        || req->callback_url.failed)
    {
        return AA_NOMEM;
    }

    return AA_OK;
}


void
aa_async_request_init(aa_async_request_t *req)
{
    aa_buf_init(&req->job);
    aa_buf_init(&req->request_config);
    aa_buf_init(&req->callback_url);
    aa_errors_init(&req->errors);
}


void
aa_async_request_free(aa_async_request_t *req)
{
    aa_buf_free(&req->job);
    aa_buf_free(&req->request_config);
    aa_buf_free(&req->callback_url);
    aa_errors_free(&req->errors);
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

    if (YAJL_IS_OBJECT(root)) {
        return root;
    }

    if (YAJL_IS_NULL(root)) {
        aa_errors_add(e, "missing", "body", "Field required", NULL);

    } else {
        aa_errors_add(e, "model_attributes_type", "body",
                      aa_v_kind_msg(AA_V_MODEL), root);
    }

    yajl_tree_free(root);

    return NULL;
}


int
aa_async_request_parse(aa_async_request_t *req, const char *body,
    size_t len)
{
    int              rc;
    yajl_val         root;
    aa_req_fields_t  f;

    aa_buf_reset(&req->job);
    aa_buf_reset(&req->request_config);
    aa_buf_reset(&req->callback_url);
    aa_errors_free(&req->errors);

    root = aa_v_body(&req->errors, body, len, AA_REQUEST_MAX_DEPTH);

    if (root == NULL) {
        return req->errors.items.failed ? AA_NOMEM : AA_INVALID;
    }

    memset(&f, 0, sizeof(f));

    aa_req_validate(&req->errors, root, &f);

    if (req->errors.items.failed) {
        rc = AA_NOMEM;

    } else if (req->errors.count) {
        rc = AA_INVALID;

    } else {
        rc = aa_req_build(req, &f);

        if (rc != AA_OK) {
            aa_buf_reset(&req->job);
            aa_buf_reset(&req->request_config);
            aa_buf_reset(&req->callback_url);
        }
    }

    yajl_tree_free(root);

    return rc;
}
