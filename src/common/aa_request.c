/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aa_json.h"
#include "aa_request.h"
#include "aa_request_job.h"


#define AA_MAX_STEPS_DEFAULT   50
#define AA_MAX_STEPS_MIN       1
#define AA_MAX_STEPS_MAX       10000


static int aa_req_is_one_of(yajl_val v, const char *const *values);
static void aa_req_idx(char *p, size_t i);
static void aa_req_parts(aa_errors_t *e, const char *loc, yajl_val v,
    int allow_empty);
static void aa_req_part(aa_errors_t *e, const char *loc, yajl_val part);
static void aa_req_image_source(aa_errors_t *e, const char *loc,
    yajl_val src);
static void aa_req_summary(aa_errors_t *e, const char *parent,
    yajl_val part);
static void aa_req_content(aa_errors_t *e, const char *parent, yajl_val obj,
    const char *key, int required, int allow_empty);
static void aa_req_message(aa_errors_t *e, const char *loc, yajl_val item);
static void aa_req_tool_items(aa_errors_t *e, const char *parent,
    yajl_val obj, const char *key, int approvals);
static void aa_req_tool_item(aa_errors_t *e, const char *loc, yajl_val item,
    const char *type);
static int aa_req_plain_message(yajl_val item);
static void aa_req_messages(aa_errors_t *e, yajl_val v);
static void aa_req_input(aa_errors_t *e, yajl_val v);
static void aa_req_types(aa_errors_t *e, yajl_val v);
static void aa_req_callback(aa_errors_t *e, yajl_val v);
static void aa_req_tools(aa_errors_t *e, yajl_val body, const char *key);
static void aa_req_validate(aa_errors_t *e, yajl_val body,
    aa_job_fields_t *f, yajl_val *callback_url);
static void aa_req_reset(aa_async_request_t *req);
static void aa_req_output(aa_async_request_t *req, const aa_job_fields_t *f,
    yajl_val callback_url);
static void aa_req_otids(aa_async_request_t *req, const aa_job_fields_t *f);


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


/* 1 when v is one of the strings of values (NULL-terminated) */

static int
aa_req_is_one_of(yajl_val v, const char *const *values)
{
    if (!YAJL_IS_STRING(v)) {
        return 0;
    }

    for ( /* void */ ; *values != NULL; values++) {
        if (strcmp(v->u.string, *values) == 0) {
            return 1;
        }
    }

    return 0;
}


/* i in decimal at p, NUL-terminated */

static void
aa_req_idx(char *p, size_t i)
{
    char    digits[24];
    size_t  n;

    n = sizeof(digits);

    do {
        digits[--n] = (char) ('0' + i % 10);
        i /= 10;
    } while (i);

    memcpy(p, &digits[n], sizeof(digits) - n);
    p[sizeof(digits) - n] = '\0';
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

    /* a string, the usual content, needs no loc */
    if (YAJL_IS_STRING(v)) {
        return;
    }

    aa_v_loc(loc, parent, key);

    if (v == NULL) {
        if (required) {
            aa_errors_add(e, "missing", loc, "Field required", obj);
        }
        return;
    }

    if (YAJL_IS_ARRAY(v)) {
        aa_req_parts(e, loc, v, allow_empty);
        return;
    }

    aa_errors_add(e, "string_type", loc, AA_MSG_CONTENT_TYPE, v);
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

    if (status == NULL) {
        aa_v_loc(sloc, loc, "status");
        aa_errors_add(e, "missing", sloc, "Field required", item);

    } else if (!aa_req_is_one_of(status, aa_tool_status)) {
        aa_v_loc(sloc, loc, "status");
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

        type = aa_job_approval_type(item);

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

    type = aa_job_message_type(item);

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

        if (v == NULL) {
            aa_v_loc(sloc, loc, "role");
            aa_errors_add(e, "missing", sloc, "Field required", item);

        } else if (!aa_req_is_one_of(v, aa_roles)) {
            aa_v_loc(sloc, loc, "role");
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


/*
 * 1 when item is a message of type "message" with nothing to report: a
 * role among aa_roles, string content, the optional strings strings or
 * null, found in one pass over its keys (most messages).  0 when anything
 * needs aa_req_message()'s checks: an error to report, content parts,
 * another type; those run then, and say what is wrong, in their order.
 */

static int
aa_req_plain_message(yajl_val item)
{
    size_t       i;
    yajl_val     v, role, content;
    const char  *k;

    role = NULL;
    content = NULL;

    for (i = 0; i < item->u.object.len; i++) {
        k = item->u.object.keys[i];
        v = item->u.object.values[i];

        switch (k[0]) {

        case 'r':
            if (strcmp(k, "role") == 0) {
                role = v;
            }
            break;

        case 'c':
            if (strcmp(k, "content") == 0) {
                content = v;
            }
            break;

        case 'o':
        case 'g':
        case 'n':
        case 's':
        case 'b':
            /* otid, group_id, name, sender_id, batch_item_id */
            if ((strcmp(k, "otid") == 0 || strcmp(k, "group_id") == 0
                 || strcmp(k, "name") == 0 || strcmp(k, "sender_id") == 0
                 || strcmp(k, "batch_item_id") == 0)
                && !YAJL_IS_STRING(v) && !YAJL_IS_NULL(v))
            {
                return 0;
            }
            break;

        case 't':
            if (strcmp(k, "type") == 0 && !YAJL_IS_NULL(v)
                && !aa_v_is(v, "message"))
            {
                return 0;
            }
            break;

        case 'a':
            /* an approval, when its type is not given */
            if (strcmp(k, "approve") == 0
                || strcmp(k, "approval_request_id") == 0)
            {
                return 0;
            }
            break;

        default:
            break;
        }
    }

    return YAJL_IS_STRING(content) && aa_req_is_one_of(role, aa_roles);
}


static void
aa_req_messages(aa_errors_t *e, yajl_val v)
{
    char      loc[AA_LOC_MAX];
    size_t    i, n;
    yajl_val  m;

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

    /* aa_v_loc_idx(loc, "body/messages", i), the prefix written once */
    n = sizeof("body/messages/") - 1;
    memcpy(loc, "body/messages/", n);

    for (i = 0; i < v->u.array.len; i++) {
        m = v->u.array.values[i];

        if (YAJL_IS_OBJECT(m) && aa_req_plain_message(m)) {
            continue;
        }

        aa_req_idx(loc + n, i);
        aa_req_message(e, loc, m);
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
aa_req_validate(aa_errors_t *e, yajl_val body, aa_job_fields_t *f,
    yajl_val *callback_url)
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
                   AA_V_NULLABLE, callback_url)
        == 1)
    {
        aa_req_callback(e, *callback_url);
    }

    aa_req_tools(e, body, "client_tools");
    aa_req_tools(e, body, "client_skills");
}


/* what the module uses of a valid request, besides the job */

static void
aa_req_output(aa_async_request_t *req, const aa_job_fields_t *f,
    yajl_val callback_url)
{
    size_t  n;

    if (callback_url != NULL) {
        /* aa_v_url() let at most AA_V_URL_MAX bytes through */
        n = strlen(callback_url->u.string);
        memcpy(req->callback_url, callback_url->u.string, n + 1);
        req->callback_url_len = n;
    }

    req->first_is_message =
        f->messages == NULL
        || strcmp(aa_job_message_type(f->messages->u.array.values[0]),
                  "message")
           == 0;

    aa_req_otids(req, f);
}


static void
aa_req_otids(aa_async_request_t *req, const aa_job_fields_t *f)
{
    size_t        i;
    yajl_val      otid;
    const char   *s;

    if (f->messages == NULL) {
        return;
    }

    for (i = 0; i < f->messages->u.array.len; i++) {
        otid = aa_json_get(f->messages->u.array.values[i], "otid");

        if (!YAJL_IS_STRING(otid) || otid->u.string[0] == '\0'
            || strchr(otid->u.string, '\n') != NULL)
        {
            aa_buf_reset(&req->otids);
            return;
        }

        s = otid->u.string;
        aa_buf_append(&req->otids, s, strlen(s));
        aa_buf_putc(&req->otids, '\n');
    }
}


static void
aa_req_reset(aa_async_request_t *req)
{
    aa_buf_reset(&req->job);
    aa_buf_reset(&req->request_config);
    aa_buf_reset(&req->otids);
    req->callback_url[0] = '\0';
    req->callback_url_len = 0;
    req->first_is_message = 0;
}


void
aa_async_request_init(aa_async_request_t *req)
{
    aa_buf_init(&req->job);
    aa_buf_init(&req->request_config);
    aa_buf_init(&req->otids);
    aa_errors_init(&req->errors);
    aa_req_reset(req);
}


void
aa_async_request_free(aa_async_request_t *req)
{
    aa_buf_free(&req->job);
    aa_buf_free(&req->request_config);
    aa_buf_free(&req->otids);
    aa_errors_free(&req->errors);
    aa_req_reset(req);
}


int
aa_async_request_parse(aa_async_request_t *req, const char *body,
    size_t len)
{
    int              rc;
    yajl_val         root, callback_url;
    aa_json_doc_t   *doc;
    aa_job_fields_t  f;

    aa_req_reset(req);
    aa_errors_free(&req->errors);

    /* a body is up to 1 MiB of values: parsed into one arena */
    doc = aa_v_body_doc(&req->errors, body, len, AA_REQUEST_MAX_DEPTH);

    if (doc == NULL) {
        return req->errors.items.failed ? AA_NOMEM : AA_INVALID;
    }

    root = aa_json_doc_root(doc);

    memset(&f, 0, sizeof(f));
    callback_url = NULL;

    aa_req_validate(&req->errors, root, &f, &callback_url);

    if (req->errors.items.failed) {
        rc = AA_NOMEM;

    } else if (req->errors.count) {
        rc = AA_INVALID;

    } else {
        rc = aa_job_build(&req->job, &req->request_config, &f);

        if (rc == AA_OK) {
            aa_req_output(req, &f, callback_url);

            if (req->otids.failed) {
                aa_req_reset(req);
                rc = AA_NOMEM;
            }

        } else {
            aa_req_reset(req);
        }
    }

    aa_json_doc_free(doc);

    return rc;
}
