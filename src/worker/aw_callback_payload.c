/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>

#include "aa_json.h"
#include "aa_message.h"
#include "aw_callback_payload.h"


/* 1 when the message's type is listed (or nothing is listed). */
static int
aw_callback_wanted(yajl_val types, const char *msg, size_t len)
{
    yajl_val  m, t;
    size_t    i;
    char      err[64];
    int       wanted;

    if (types == NULL) {
        return 1;
    }

    m = aa_json_parse(msg, len, err, sizeof(err));
    if (m == NULL) {
        return 0;
    }

    wanted = 0;
    t = aa_json_get(m, "message_type");

    for (i = 0; t != NULL && YAJL_IS_STRING(t) && i < types->u.array.len;
         i++)
    {
        if (YAJL_IS_STRING(types->u.array.values[i])
            && strcmp(types->u.array.values[i]->u.string,
                      t->u.string) == 0)
        {
            wanted = 1;
            break;
        }
    }

    yajl_tree_free(m);

    return wanted;
}


/* A field's value as JSON (it need not end in NUL); NULL if not JSON. */
static yajl_val
aw_callback_field_json(const aa_field_t *f)
{
    yajl_val  v;
    aa_buf_t  copy;
    char      err[64];

    if (f == NULL) {
        return NULL;
    }

    v = NULL;

    aa_buf_init(&copy);
    aa_buf_append(&copy, f->value, f->value_len);

    if (aa_buf_cstr(&copy) == 0) {
        v = aa_json_parse(copy.data, copy.len, err, sizeof(err));
    }

    aa_buf_free(&copy);

    return v;
}


/* Appends the stored metadata object with "result" added. */
static void
aw_callback_metadata(aa_buf_t *out, const aa_field_t *md, aa_buf_t *result)
{
    yajl_val  v;
    size_t    brace;

    v = aw_callback_field_json(md);

    if (v != NULL && YAJL_IS_OBJECT(v) && v->u.object.len > 0) {
        /* the stored members, up to the closing brace */
        brace = md->value_len;
        while (brace > 0 && md->value[brace - 1] != '}') {
            brace--;
        }

        aa_buf_append(out, md->value, brace - 1);
        aa_buf_puts(out, ",\"result\":");

    } else {
        aa_buf_puts(out, "{\"result\":");
    }

    if (v != NULL) {
        yajl_tree_free(v);
    }

    aa_buf_append(out, result->data, result->len);
    aa_buf_putc(out, '}');
}


void
aw_callback_payload(aa_buf_t *out, const char *run, const aa_field_t *f,
    size_t nf, const char *const *msgs, const size_t *lens, size_t nmsgs,
    const char *now)
{
    const aa_field_t  *status, *stop, *usage, *md;
    aa_buf_t           result;
    aa_usage_t         zero;
    yajl_val           cfg, types;
    size_t             i, n;

    status = aa_field_find(f, nf, "status");
    stop = aa_field_find(f, nf, "stop_reason");
    usage = aa_field_find(f, nf, "usage");
    md = aa_field_find(f, nf, "metadata");

    /* request_config.include_return_message_types filters the messages */
    cfg = aw_callback_field_json(aa_field_find(f, nf, "request_config"));
    types = cfg ? aa_json_get(cfg, "include_return_message_types") : NULL;

    if (types != NULL && !YAJL_IS_ARRAY(types)) {
        types = NULL;
    }

    aa_buf_init(&result);
    aa_buf_puts(&result, "{\"messages\":[");

    for (i = 0, n = 0; i < nmsgs; i++) {
        if (!aw_callback_wanted(types, msgs[i], lens[i])) {
            continue;
        }

        if (n++) {
            aa_buf_putc(&result, ',');
        }
        aa_buf_append(&result, msgs[i], lens[i]);
    }

    if (cfg != NULL) {
        yajl_tree_free(cfg);
    }

    aa_buf_puts(&result,
                "],\"stop_reason\":{\"message_type\":\"stop_reason\","
                "\"stop_reason\":");
    if (stop != NULL) {
        aa_buf_json_string(&result, stop->value, stop->value_len);
    } else {
        aa_buf_puts(&result, "null");
    }

    aa_buf_puts(&result, "},\"usage\":");
    if (usage != NULL && usage->value_len) {
        aa_buf_append(&result, usage->value, usage->value_len);
    } else {
        memset(&zero, 0, sizeof(zero));
        aa_usage_render(&result, &zero);
    }
    aa_buf_puts(&result, ",\"logprobs\":null,\"turns\":null}");

    aa_buf_puts(out, "{\"run_id\":");
    aa_buf_json_string(out, run, strlen(run));
    aa_buf_puts(out, ",\"status\":");
    aa_buf_json_string(out, status->value, status->value_len);
    aa_buf_puts(out, ",\"completed_at\":");
    aa_buf_json_string(out, now, strlen(now));
    aa_buf_puts(out, ",\"metadata\":");
    aw_callback_metadata(out, md, &result);
    aa_buf_putc(out, '}');

    aa_buf_free(&result);
}
