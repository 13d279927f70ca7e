/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>
#include <sys/types.h>

#include "aa_id.h"
#include "aa_json.h"
#include "aa_request_job.h"


/* strings this short are written with one append (aa_job_string()) */
#define AA_JOB_SHORT  64


static int aa_job_string(aa_buf_t *b, const char *s, size_t n);
static ssize_t aa_job_plain(const char *s, char *out);
static int aa_job_member(aa_buf_t *b, const char *key, yajl_val v);
static int aa_job_head(aa_buf_t *b, int comma, const char *type);
static int aa_job_key(aa_buf_t *b, const char *key);
static int aa_job_value(aa_buf_t *b, yajl_val v);
static int aa_job_otid(aa_buf_t *b, yajl_val otid);
static void aa_job_encode_except(aa_buf_t *b, yajl_val obj,
    const char *skip1, const char *skip2, const char *skip3);
static void aa_job_encode_tool_items(aa_buf_t *b, yajl_val arr,
    int approvals);
static int aa_job_encode_message(aa_buf_t *b, int comma, yajl_val item);
static void aa_job_encode_messages(aa_buf_t *b, const aa_job_fields_t *f);
static void aa_job_encode_config(aa_buf_t *b, const aa_job_fields_t *f);


const char *
aa_job_message_type(yajl_val item)
{
    size_t       i;
    yajl_val     t;
    const char  *k;
    int          approval;

    if (!YAJL_IS_OBJECT(item)) {
        return "message";
    }

    /* one pass over the keys for the three that decide */
    t = NULL;
    approval = 0;

    for (i = 0; i < item->u.object.len; i++) {
        k = item->u.object.keys[i];

        if (k[0] == 't' && strcmp(k, "type") == 0) {
            t = item->u.object.values[i];

        } else if (k[0] == 'a' && (strcmp(k, "approval_request_id") == 0
                                   || strcmp(k, "approve") == 0))
        {
            approval = 1;
        }
    }

    if (t == NULL || YAJL_IS_NULL(t)) {
        return approval ? "approval" : "message";
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


const char *
aa_job_approval_type(yajl_val item)
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


/*
 * s (n bytes) as aa_buf_json_string() writes it.  Most strings of a job
 * are short and need no escape (keys, roles, types, otids): those are
 * written with one append instead of three.
 */
static int
aa_job_string(aa_buf_t *b, const char *s, size_t n)
{
    char           tmp[AA_JOB_SHORT + 2];
    size_t         i;
    unsigned char  c;

    if (n > AA_JOB_SHORT) {
        return aa_buf_json_string(b, s, n);
    }

    for (i = 0; i < n; i++) {
        c = (unsigned char) s[i];

        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
            return aa_buf_json_string(b, s, n);
        }

        tmp[i + 1] = (char) c;
    }

    tmp[0] = '"';
    tmp[n + 1] = '"';

    return aa_buf_append(b, tmp, n + 2);
}


/*
 * Copies s to out when it is at most AA_JOB_SHORT bytes that need no
 * escape; its length, or -1 (out then holds anything).
 */
static ssize_t
aa_job_plain(const char *s, char *out)
{
    size_t  i;

    /* the NUL ends the loop as a byte that is not plain */
    for (i = 0; aa_json_plain[(unsigned char) s[i]]; i++) {
        if (i == AA_JOB_SHORT) {
            return -1;
        }

        out[i] = s[i];
    }

    return s[i] == '\0' ? (ssize_t) i : -1;
}


/*
 * ,"key":value, with a plain key and a plain string value (the usual
 * member: "role":"user") in one append
 */
static int
aa_job_member(aa_buf_t *b, const char *key, yajl_val v)
{
    char     tmp[2 * AA_JOB_SHORT + 8], *p;
    ssize_t  n;

    p = tmp;
    *p++ = ',';
    *p++ = '"';

    n = aa_job_plain(key, p);

    if (n < 0) {
        aa_job_key(b, key);
        return aa_job_value(b, v);
    }

    p += n;
    *p++ = '"';
    *p++ = ':';

    if (YAJL_IS_STRING(v)) {
        n = aa_job_plain(v->u.string, p + 1);

        if (n >= 0) {
            *p = '"';
            p += n + 1;
            *p++ = '"';

            return aa_buf_append(b, tmp, (size_t) (p - tmp));
        }
    }

    aa_buf_append(b, tmp, (size_t) (p - tmp));

    return aa_job_value(b, v);
}


/* [,]{"type":"<type>", the start of an item; type is one of ours */
static int
aa_job_head(aa_buf_t *b, int comma, const char *type)
{
    char    tmp[64], *p;
    size_t  n;

    n = strlen(type);
    p = tmp;

    if (comma) {
        *p++ = ',';
    }

    memcpy(p, "{\"type\":\"", 9);
    p += 9;
    memcpy(p, type, n);
    p += n;
    *p++ = '"';

    return aa_buf_append(b, tmp, (size_t) (p - tmp));
}


/* ,"key": */
static int
aa_job_key(aa_buf_t *b, const char *key)
{
    char           tmp[AA_JOB_SHORT + 4];
    size_t         i, n;
    unsigned char  c;

    n = strlen(key);

    for (i = 0; i < n && n <= AA_JOB_SHORT; i++) {
        c = (unsigned char) key[i];

        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
            break;
        }

        tmp[i + 2] = (char) c;
    }

    if (i < n || n > AA_JOB_SHORT) {
        aa_buf_putc(b, ',');
        aa_buf_json_string(b, key, n);
        return aa_buf_putc(b, ':');
    }

    tmp[0] = ',';
    tmp[1] = '"';
    tmp[n + 2] = '"';
    tmp[n + 3] = ':';

    return aa_buf_append(b, tmp, n + 4);
}


/* as aa_json_encode() */
static int
aa_job_value(aa_buf_t *b, yajl_val v)
{
    if (YAJL_IS_STRING(v)) {
        return aa_job_string(b, v->u.string, strlen(v->u.string));
    }

    return aa_json_encode(b, v);
}


/* ,"otid":<otid>} the end of a message: the client's, or a new one */
static int
aa_job_otid(aa_buf_t *b, yajl_val otid)
{
    char  tmp[AA_UUID_LEN + 16], uuid[AA_UUID_LEN + 1];

    if (YAJL_IS_STRING(otid)) {
        aa_job_member(b, "otid", otid);
        return aa_buf_putc(b, '}');
    }

    if (aa_uuid4(uuid) != 0) {
        b->failed = 1;
        return -1;
    }

    memcpy(tmp, ",\"otid\":\"", 9);
    memcpy(tmp + 9, uuid, AA_UUID_LEN);
    memcpy(tmp + 9 + AA_UUID_LEN, "\"}", 2);

    return aa_buf_append(b, tmp, AA_UUID_LEN + 11);
}


/* Writes ,"key":value for every member of obj but the skipped ones. */

static void
aa_job_encode_except(aa_buf_t *b, yajl_val obj, const char *skip1,
    const char *skip2, const char *skip3)
{
    size_t       i;
    const char  *key;

    for (i = 0; i < obj->u.object.len; i++) {
        key = obj->u.object.keys[i];

        /* the first byte first: most keys are none of these */
        if ((key[0] == skip1[0] && strcmp(key, skip1) == 0)
            || (skip2 != NULL && key[0] == skip2[0]
                && strcmp(key, skip2) == 0)
            || (skip3 != NULL && key[0] == skip3[0]
                && strcmp(key, skip3) == 0))
        {
            continue;
        }

        aa_job_member(b, key, obj->u.object.values[i]);
    }
}


/* "approvals" / "tool_returns", every item with its "type" */

static void
aa_job_encode_tool_items(aa_buf_t *b, yajl_val arr, int approvals)
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
        type = approvals ? aa_job_approval_type(item) : "tool";

        aa_job_head(b, i != 0, type);
        aa_job_encode_except(b, item, "type", NULL, NULL);
        aa_buf_putc(b, '}');
    }

    aa_buf_putc(b, ']');
}


static int
aa_job_encode_message(aa_buf_t *b, int comma, yajl_val item)
{
    const char  *type;

    type = aa_job_message_type(item);

    aa_job_head(b, comma, type);

    if (strcmp(type, "approval") == 0) {
        aa_job_encode_except(b, item, "type", "otid", "approvals");

        if (aa_json_get(item, "approvals") != NULL) {
            aa_buf_puts(b, ",\"approvals\":");
            aa_job_encode_tool_items(b, aa_json_get(item, "approvals"), 1);
        }

    } else if (strcmp(type, "tool_return") == 0) {
        aa_job_encode_except(b, item, "type", "otid", "tool_returns");
        aa_buf_puts(b, ",\"tool_returns\":");
        aa_job_encode_tool_items(b, aa_json_get(item, "tool_returns"), 0);

    } else {
        aa_job_encode_except(b, item, "type", "otid", NULL);
    }

    return aa_job_otid(b, aa_json_get(item, "otid"));
}


/* the "messages" array: "input" becomes one user message */

static void
aa_job_encode_messages(aa_buf_t *b, const aa_job_fields_t *f)
{
    size_t  i;

    aa_buf_putc(b, '[');

    if (f->messages != NULL) {
        for (i = 0; i < f->messages->u.array.len; i++) {
            aa_job_encode_message(b, i != 0, f->messages->u.array.values[i]);
        }

    } else {
        aa_buf_puts(b, "{\"type\":\"message\",\"role\":\"user\","
                    "\"content\":");
        aa_job_value(b, f->input);
        aa_job_otid(b, NULL);
    }

    aa_buf_putc(b, ']');
}


/* the four LettaRequestConfig fields, spec 3.4, with Letta's defaults */

static void
aa_job_encode_config(aa_buf_t *b, const aa_job_fields_t *f)
{
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
}


int
aa_job_build(aa_buf_t *job, aa_buf_t *request_config,
    const aa_job_fields_t *f)
{
    aa_buf_puts(job, "{\"messages\":");
    aa_job_encode_messages(job, f);
    aa_buf_puts(job, ",\"max_steps\":");
    aa_buf_int(job, f->max_steps);
    aa_buf_puts(job, ",\"override_model\":");
    aa_json_encode(job, f->override_model);
    aa_buf_puts(job, ",\"override_system\":");
    aa_json_encode(job, f->override_system);
    aa_buf_puts(job, ",\"include_compaction_messages\":");
    aa_buf_puts(job, f->include_compaction ? "true" : "false");
    aa_buf_puts(job, ",\"include_return_message_types\":");
    aa_json_encode(job, f->include_types);
    aa_buf_putc(job, '}');

    aa_job_encode_config(request_config, f);

    if (job->failed || request_config->failed) {
        return AA_NOMEM;
    }

    return AA_OK;
}
