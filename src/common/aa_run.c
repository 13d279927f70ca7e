/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>

#include "aa_run.h"


typedef enum {
    AA_RUN_STRING = 0,
    AA_RUN_INTEGER,
    AA_RUN_BOOLEAN,
    AA_RUN_JSON
} aa_run_kind_e;


typedef struct {
    const char     *name;
    size_t          len;
    const char     *head;       /* "name": as it is rendered */
    size_t          head_len;
    aa_run_kind_e   kind;
} aa_run_key_t;


#define aa_run_key_def(name, kind)                                           \
    { name, sizeof(name) - 1, "\"" name "\":", sizeof(name) + 2, kind }


/* Letta's Run, in the order Letta serialises it (spec 2.9). */
static const aa_run_key_t  aa_run_keys[] = {
    aa_run_key_def("id",                   AA_RUN_STRING),
    aa_run_key_def("status",               AA_RUN_STRING),
    aa_run_key_def("created_at",           AA_RUN_STRING),
    aa_run_key_def("completed_at",         AA_RUN_STRING),
    aa_run_key_def("agent_id",             AA_RUN_STRING),
    aa_run_key_def("conversation_id",      AA_RUN_STRING),
    aa_run_key_def("base_template_id",     AA_RUN_STRING),
    aa_run_key_def("background",           AA_RUN_BOOLEAN),
    aa_run_key_def("metadata",             AA_RUN_JSON),
    aa_run_key_def("request_config",       AA_RUN_JSON),
    aa_run_key_def("stop_reason",          AA_RUN_STRING),
    aa_run_key_def("callback_url",         AA_RUN_STRING),
    aa_run_key_def("callback_sent_at",     AA_RUN_STRING),
    aa_run_key_def("callback_status_code", AA_RUN_INTEGER),
    aa_run_key_def("callback_error",       AA_RUN_STRING),
    aa_run_key_def("ttft_ns",              AA_RUN_INTEGER),
    aa_run_key_def("total_duration_ns",    AA_RUN_INTEGER),
};

typedef char  aa_run_nkeys_check[
    sizeof(aa_run_keys) / sizeof(aa_run_keys[0]) == AA_RUN_NKEYS ? 1 : -1];


const char *
aa_run_key(size_t i)
{
    return i < AA_RUN_NKEYS ? aa_run_keys[i].name : NULL;
}


const aa_field_t *
aa_field_find(const aa_field_t *fields, size_t n, const char *name)
{
    size_t  i, len;

    len = strlen(name);

    for (i = 0; i < n; i++) {
        if (fields[i].name_len == len
            && memcmp(fields[i].name, name, len) == 0)
        {
            return &fields[i];
        }
    }

    return NULL;
}


int
aa_run_integer_ok(const char *s, size_t len)
{
    size_t       i, neg, digits;
    const char  *max;

    if (len == 0) {
        return 0;
    }

    neg = (s[0] == '-');
    digits = len - neg;

    if (digits == 0 || digits > 19) {
        return 0;
    }

    for (i = neg; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }

    if (digits == 19) {
        max = neg ? "9223372036854775808" : "9223372036854775807";

        if (memcmp(s + neg, max, 19) > 0) {
            return 0;
        }
    }

    return 1;
}


/*
 * The field of key k, searched from *next on: fields mostly come in the
 * keys' order (a reply to HMGET of them), so each is found at once.
 */
static const aa_field_t *
aa_run_field(const aa_field_t *fields, size_t n, const aa_run_key_t *k,
    size_t *next)
{
    size_t  i, j;

    for (j = 0, i = *next; j < n; j++, i++) {
        if (i == n) {
            i = 0;
        }

        if (fields[i].name_len == k->len
            && memcmp(fields[i].name, k->name, k->len) == 0)
        {
            *next = i + 1 < n ? i + 1 : 0;
            return &fields[i];
        }
    }

    return NULL;
}


int
aa_run_render(aa_buf_t *out, const aa_field_t *fields, size_t n)
{
    size_t             i, next;
    const aa_field_t  *f;

    aa_buf_putc(out, '{');
    next = 0;

    for (i = 0; i < sizeof(aa_run_keys) / sizeof(aa_run_keys[0]); i++) {
        if (i) {
            aa_buf_putc(out, ',');
        }

        aa_buf_append(out, aa_run_keys[i].head, aa_run_keys[i].head_len);

        f = aa_run_field(fields, n, &aa_run_keys[i], &next);

        if (f == NULL) {
            aa_buf_append(out, "null", 4);
            continue;
        }

        switch (aa_run_keys[i].kind) {

        case AA_RUN_STRING:
            aa_buf_json_string(out, f->value, f->value_len);
            break;

        case AA_RUN_INTEGER:
            /* a corrupt field must not corrupt the JSON */
            if (aa_run_integer_ok(f->value, f->value_len)) {
                aa_buf_append(out, f->value, f->value_len);
            } else {
                aa_buf_append(out, "null", 4);
            }
            break;

        case AA_RUN_BOOLEAN:
            if (f->value_len == 1 && f->value[0] == '1') {
                aa_buf_append(out, "true", 4);
            } else {
                aa_buf_append(out, "false", 5);
            }
            break;

        case AA_RUN_JSON:
            /* written by the module or the worker, always valid JSON */
            if (f->value_len) {
                aa_buf_append(out, f->value, f->value_len);
            } else {
                aa_buf_append(out, "null", 4);
            }
            break;
        }
    }

    return aa_buf_putc(out, '}');
}


int
aa_run_status_terminal(const char *status, size_t len)
{
    return (len == 9 && memcmp(status, "completed", 9) == 0)
           || (len == 6 && memcmp(status, "failed", 6) == 0)
           || (len == 9 && memcmp(status, "cancelled", 9) == 0);
}
