/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>

#include "aa_errors.h"


static void aa_errors_loc(aa_buf_t *b, const char *loc);
static void aa_errors_head(aa_errors_t *e, const char *type, const char *loc,
    const char *msg);


void
aa_errors_init(aa_errors_t *e)
{
    aa_buf_init(&e->items);
    e->count = 0;
}


void
aa_errors_free(aa_errors_t *e)
{
    aa_buf_free(&e->items);
    e->count = 0;
}


/* "body/messages/0/role" -> ["body","messages",0,"role"] */

static void
aa_errors_loc(aa_buf_t *b, const char *loc)
{
    size_t       n, i;
    const char  *p, *end;

    aa_buf_putc(b, '[');

    p = loc;

    for ( ;; ) {
        end = strchr(p, '/');
        n = end ? (size_t) (end - p) : strlen(p);

        for (i = 0; i < n; i++) {
            if (p[i] < '0' || p[i] > '9') {
                break;
            }
        }

        if (n && i == n && n < 19) {
            aa_buf_append(b, p, n);

        } else {
            aa_buf_json_string(b, p, n);
        }

        if (end == NULL) {
            break;
        }

        aa_buf_putc(b, ',');
        p = end + 1;
    }

    aa_buf_putc(b, ']');
}


/*
 * Counts the error and, while fewer than AA_ERRORS_MAX are listed, writes
 * the item up to and including "msg".  Returns with e->count incremented;
 * the caller appends more keys only when e->count <= AA_ERRORS_MAX.
 */

static void
aa_errors_head(aa_errors_t *e, const char *type, const char *loc,
    const char *msg)
{
    aa_buf_t  *b;

    if (++e->count > AA_ERRORS_MAX) {
        return;
    }

    b = &e->items;

    if (e->count > 1) {
        aa_buf_putc(b, ',');
    }

    aa_buf_puts(b, "{\"type\":");
    aa_buf_json_string(b, type, strlen(type));
    aa_buf_puts(b, ",\"loc\":");
    aa_errors_loc(b, loc);
    aa_buf_puts(b, ",\"msg\":");
    aa_buf_json_string(b, msg, strlen(msg));
}


void
aa_errors_add(aa_errors_t *e, const char *type, const char *loc,
    const char *msg, yajl_val input)
{
    aa_errors_add_ctx(e, type, loc, msg, input, NULL);
}


void
aa_errors_add_ctx(aa_errors_t *e, const char *type, const char *loc,
    const char *msg, yajl_val input, const char *ctx_error)
{
    aa_errors_head(e, type, loc, msg);

    if (e->count > AA_ERRORS_MAX) {
        return;
    }

    if (input != NULL) {
        aa_buf_puts(&e->items, ",\"input\":");
        aa_json_encode(&e->items, input);
    }

    if (ctx_error != NULL) {
        aa_buf_puts(&e->items, ",\"ctx\":{\"error\":");
        aa_buf_json_string(&e->items, ctx_error, strlen(ctx_error));
        aa_buf_putc(&e->items, '}');
    }

    aa_buf_putc(&e->items, '}');
}


void
aa_errors_add_str(aa_errors_t *e, const char *type, const char *loc,
    const char *msg, const char *input, size_t input_len)
{
    aa_errors_head(e, type, loc, msg);

    if (e->count > AA_ERRORS_MAX) {
        return;
    }

    aa_buf_puts(&e->items, ",\"input\":");
    aa_buf_json_string_or_null(&e->items, input, input_len);
    aa_buf_putc(&e->items, '}');
}


int
aa_errors_render(aa_errors_t *e, aa_buf_t *out, const char *examples)
{
    if (e->items.failed) {
        out->failed = 1;
        return -1;
    }

    aa_buf_puts(out, "{\"detail\":[");
    aa_buf_append(out, e->items.data, e->items.len);
    aa_buf_putc(out, ']');

    if (examples != NULL) {
        aa_buf_puts(out, ",\"examples\":");
        aa_buf_puts(out, examples);
    }

    return aa_buf_putc(out, '}');
}


int
aa_json_encode(aa_buf_t *b, yajl_val v)
{
    size_t  i;

    if (v == NULL) {
        return aa_buf_append(b, "null", 4);
    }

    switch (v->type) {

    case yajl_t_string:
        return aa_buf_json_string(b, v->u.string, strlen(v->u.string));

    case yajl_t_number:
        /* the text as sent: yajl_tree keeps it, and yajl validated it */
        return aa_buf_puts(b, YAJL_GET_NUMBER(v));

    case yajl_t_object:
        aa_buf_putc(b, '{');

        for (i = 0; i < v->u.object.len; i++) {
            if (i) {
                aa_buf_putc(b, ',');
            }

            aa_buf_json_string(b, v->u.object.keys[i],
                               strlen(v->u.object.keys[i]));
            aa_buf_putc(b, ':');
            aa_json_encode(b, v->u.object.values[i]);
        }

        return aa_buf_putc(b, '}');

    case yajl_t_array:
        aa_buf_putc(b, '[');

        for (i = 0; i < v->u.array.len; i++) {
            if (i) {
                aa_buf_putc(b, ',');
            }

            aa_json_encode(b, v->u.array.values[i]);
        }

        return aa_buf_putc(b, ']');

    case yajl_t_true:
        return aa_buf_append(b, "true", 4);

    case yajl_t_false:
        return aa_buf_append(b, "false", 5);

    default:
        return aa_buf_append(b, "null", 4);
    }
}
