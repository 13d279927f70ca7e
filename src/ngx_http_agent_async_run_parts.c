
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * A run's parts, in Letta's shapes (docs/letta-contract.md):
 *   GET /v1/runs/{id}/messages  its messages, paged by message id, in
 *                               order (asc by default), filtered by the
 *                               run's include_return_message_types
 *   GET /v1/runs/{id}/steps     its steps, paged by step id (desc)
 *   GET /v1/runs/{id}/usage     its token usage, OpenAI's shape
 *   GET /v1/runs/{id}/metrics   its timings and step count
 */


#include "ngx_http_agent_async_module.h"

#include "aa_json.h"
#include "aa_keys.h"
#include "aa_time.h"
#include "aa_validate.h"


#define NGX_HTTP_AGENT_ASYNC_PAGE_MAX  1000


static ngx_int_t ngx_http_agent_async_run_list(ngx_http_request_t *r,
    ngx_uint_t desc, const char *const *fields, ngx_uint_t nfields,
    ngx_http_agent_async_found_pt found);
static void ngx_http_agent_async_messages_found(ngx_http_request_t *r,
    ngx_str_t *agent, redisReply *reply);
static void ngx_http_agent_async_steps_found(ngx_http_request_t *r,
    ngx_str_t *agent, redisReply *reply);
static void ngx_http_agent_async_list_read(ngx_http_request_t *r,
    ngx_http_agent_async_run_key_pt make, ngx_http_agent_async_reply_pt got);
static void ngx_http_agent_async_messages_got(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_agent_async_steps_got(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_slice(ngx_http_request_t *r,
    redisReply *items, yajl_val types, const char *what);
static void ngx_http_agent_async_usage_found(ngx_http_request_t *r,
    ngx_str_t *agent, redisReply *reply);
static void ngx_http_agent_async_metrics_found(ngx_http_request_t *r,
    ngx_str_t *agent, redisReply *reply);
static yajl_val ngx_http_agent_async_reply_json(redisReply *v);
static void ngx_http_agent_async_put_int(aa_buf_t *b, yajl_val obj,
    const char *key);


ngx_int_t
ngx_http_agent_async_run_messages(ngx_http_request_t *r)
{
    static const char  *fields[] = { "request_config" };

    return ngx_http_agent_async_run_list(r, 0, fields, 1,
                                         ngx_http_agent_async_messages_found);
}


ngx_int_t
ngx_http_agent_async_run_steps(ngx_http_request_t *r)
{
    static const char  *fields[] = { "status" };

    return ngx_http_agent_async_run_list(r, 1, fields, 1,
                                         ngx_http_agent_async_steps_found);
}


/* the paging parameters first: a bad one is a 422 before any lookup */

static ngx_int_t
ngx_http_agent_async_run_list(ngx_http_request_t *r, ngx_uint_t desc,
    const char *const *fields, ngx_uint_t nfields,
    ngx_http_agent_async_found_pt found)
{
    ngx_int_t                    rc;
    yajl_val                     q;
    aa_errors_t                  e;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    q = ngx_http_agent_async_args(r, NULL, &rc);
    if (q == NULL) {
        return rc;
    }

    aa_errors_init(&e);

    ngx_http_agent_async_page(&e, q, &ctx->page, 100,
                              NGX_HTTP_AGENT_ASYNC_PAGE_MAX, desc);

    if (e.items.failed) {
        aa_errors_free(&e);
        return ngx_http_agent_async_send_oom(r);
    }

    if (e.count) {
        rc = ngx_http_agent_async_send_invalid(r, &e);
        aa_errors_free(&e);
        return rc;
    }

    aa_errors_free(&e);

    return ngx_http_agent_async_run_find(r, fields, nfields, found);
}


static void
ngx_http_agent_async_messages_found(ngx_http_request_t *r, ngx_str_t *agent,
    redisReply *reply)
{
    redisReply                  *rc;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    /* the run's filter, kept for after the next round trip */
    rc = reply->element[1];

    if (rc->type == REDIS_REPLY_STRING && rc->len) {
        ctx->types.data = ngx_pnalloc(r->pool, rc->len + 1);
        if (ctx->types.data == NULL) {
            ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
            return;
        }

        ngx_memcpy(ctx->types.data, rc->str, rc->len + 1);
        ctx->types.len = rc->len;
    }

    ngx_http_agent_async_list_read(r, aa_key_run_messages,
                                   ngx_http_agent_async_messages_got);
}


static void
ngx_http_agent_async_steps_found(ngx_http_request_t *r, ngx_str_t *agent,
    redisReply *reply)
{
    ngx_http_agent_async_list_read(r, aa_key_run_steps,
                                   ngx_http_agent_async_steps_got);
}


static void
ngx_http_agent_async_list_read(ngx_http_request_t *r,
    ngx_http_agent_async_run_key_pt make, ngx_http_agent_async_reply_pt got)
{
    size_t       len;
    const char  *key;

    if (ngx_http_agent_async_run_key(r, make, &key, &len) != NGX_OK) {
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_agent_async_query_range(r, got, key, len, "-1"));
}


static void
ngx_http_agent_async_messages_got(ngx_http_request_t *r, redisReply *reply)
{
    char                         err[64];
    yajl_val                     cfg, types;
    ngx_int_t                    rc;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    cfg = NULL;
    types = NULL;

    if (ctx->types.len) {
        cfg = aa_json_parse((char *) ctx->types.data, ctx->types.len, err,
                            sizeof(err));
        types = aa_json_get(cfg, "include_return_message_types");

        if (types != NULL && !YAJL_IS_ARRAY(types)) {
            types = NULL;
        }
    }

    rc = ngx_http_agent_async_slice(r, reply, types, "message");

    yajl_tree_free(cfg);

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_agent_async_steps_got(ngx_http_request_t *r, redisReply *reply)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_agent_async_slice(r, reply, NULL, "step"));
}


/* 1 when the item's message_type is listed (or nothing is listed) */

static ngx_uint_t
ngx_http_agent_async_wanted(yajl_val item, yajl_val types)
{
    size_t    i;
    yajl_val  t;

    if (types == NULL) {
        return 1;
    }

    t = aa_json_get(item, "message_type");

    for (i = 0; t != NULL && YAJL_IS_STRING(t) && i < types->u.array.len;
         i++)
    {
        if (YAJL_IS_STRING(types->u.array.values[i])
            && ngx_strcmp(types->u.array.values[i]->u.string,
                          t->u.string) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * A page of the items (JSON objects with an "id", in order): those after
 * ctx->page.after and before ctx->page.before in that order, whatever the
 * order asked, the first or the last limit of them, then filtered by
 * types as Letta does (after the limit: a page can be short).  An unknown
 * cursor is a 404.
 */

static ngx_int_t
ngx_http_agent_async_slice(ngx_http_request_t *r, redisReply *items,
    yajl_val types, const char *what)
{
    size_t                       i, n, from, to, count;
    aa_buf_t                     out;
    yajl_val                    *parsed, id;
    ngx_int_t                    rc;
    const char                  *cursor;
    ngx_http_agent_async_ctx_t  *ctx;
    ngx_http_agent_async_page_t *page;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    page = &ctx->page;

    n = items->elements;

    parsed = ngx_pcalloc(r->pool, (n ? n : 1) * sizeof(yajl_val));
    if (parsed == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

    from = 0;
    to = n;
    rc = NGX_OK;

    for (i = 0; i < n; i++) {
        parsed[i] = ngx_http_agent_async_reply_json(items->element[i]);
        id = aa_json_get(parsed[i], "id");

        if (id == NULL || !YAJL_IS_STRING(id)) {
            continue;
        }

        if (page->after && ngx_strcmp(id->u.string, page->after) == 0) {
            from = i + 1;
            page->after = NULL;
        }

        if (page->before && ngx_strcmp(id->u.string, page->before) == 0) {
            to = i;
            page->before = NULL;
        }
    }

    cursor = page->after ? page->after : page->before;

    if (cursor != NULL) {
        ngx_http_agent_async_buf_init(r, &out);
        aa_buf_printf(&out, "{\"detail\":\"No %s found with id '", what);
        ngx_http_agent_async_json_escape(&out, (u_char *) cursor,
                                         ngx_strlen(cursor));
        aa_buf_puts(&out, "'\"}");
        rc = ngx_http_agent_async_send_buf(r, NGX_HTTP_NOT_FOUND, &out);
        goto done;
    }

    if (to < from) {
        to = from;
    }

    if ((int64_t) (to - from) > page->limit) {
        if (page->desc) {
            from = to - (size_t) page->limit;
        } else {
            to = from + (size_t) page->limit;
        }
    }

    ngx_http_agent_async_buf_init(r, &out);
    aa_buf_putc(&out, '[');

    for (count = 0, i = 0; i < to - from; i++) {
        n = page->desc ? to - 1 - i : from + i;

        if (parsed[n] == NULL
            || !ngx_http_agent_async_wanted(parsed[n], types))
        {
            continue;
        }

        if (count++) {
            aa_buf_putc(&out, ',');
        }

        aa_buf_append(&out, items->element[n]->str, items->element[n]->len);
    }

    aa_buf_putc(&out, ']');

    rc = ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out);

done:

    for (i = 0; i < items->elements; i++) {
        yajl_tree_free(parsed[i]);
    }

    return rc;
}


ngx_int_t
ngx_http_agent_async_run_usage(ngx_http_request_t *r)
{
    static const char  *fields[] = { "usage" };

    return ngx_http_agent_async_run_find(r, fields, 1,
                                         ngx_http_agent_async_usage_found);
}


/* OpenAI's shape: the route drops Letta's own keys */

static void
ngx_http_agent_async_usage_found(ngx_http_request_t *r, ngx_str_t *agent,
    redisReply *reply)
{
    aa_buf_t  out;
    yajl_val  usage;

    usage = ngx_http_agent_async_reply_json(reply->element[1]);

    ngx_http_agent_async_buf_init(r, &out);
    aa_buf_puts(&out, "{\"completion_tokens\":");
    ngx_http_agent_async_put_int(&out, usage, "completion_tokens");
    aa_buf_puts(&out, ",\"prompt_tokens\":");
    ngx_http_agent_async_put_int(&out, usage, "prompt_tokens");
    aa_buf_puts(&out, ",\"total_tokens\":");
    ngx_http_agent_async_put_int(&out, usage, "total_tokens");
    aa_buf_puts(&out, ",\"prompt_tokens_details\":null,"
                      "\"completion_tokens_details\":null}");

    yajl_tree_free(usage);

    ngx_http_finalize_request(r,
        ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out));
}


ngx_int_t
ngx_http_agent_async_run_metrics(ngx_http_request_t *r)
{
    static const char  *fields[] = { "started_at", "total_duration_ns",
                                     "usage" };

    return ngx_http_agent_async_run_find(r, fields, 3,
                                         ngx_http_agent_async_metrics_found);
}


static void
ngx_http_agent_async_metrics_found(ngx_http_request_t *r, ngx_str_t *agent,
    redisReply *reply)
{
    int64_t                      us;
    aa_buf_t                     out;
    yajl_val                     usage, steps;
    redisReply                  *started, *total;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    started = reply->element[1];
    total = reply->element[2];
    usage = ngx_http_agent_async_reply_json(reply->element[3]);
    steps = aa_json_get(usage, "step_count");

    ngx_http_agent_async_buf_init(r, &out);
    aa_buf_puts(&out, "{\"id\":");
    aa_buf_json_string(&out, (char *) ctx->id.data, ctx->id.len);
    aa_buf_puts(&out, ",\"organization_id\":null,\"agent_id\":");
    aa_buf_json_string(&out, (char *) agent->data, agent->len);
    aa_buf_puts(&out, ",\"project_id\":null,\"run_start_ns\":");

    if (started->type == REDIS_REPLY_STRING
        && aa_time_parse_run(started->str, started->len, &us) == 0)
    {
        aa_buf_printf(&out, "%lld", (long long) us * 1000);

    } else {
        aa_buf_puts(&out, "null");
    }

    aa_buf_puts(&out, ",\"run_ns\":");

    if (total->type == REDIS_REPLY_STRING && total->len
        && aa_run_integer_ok(total->str, total->len))
    {
        aa_buf_append(&out, total->str, total->len);

    } else {
        aa_buf_puts(&out, "null");
    }

    aa_buf_puts(&out, ",\"num_steps\":");

    if (steps != NULL && YAJL_IS_INTEGER(steps)) {
        aa_buf_printf(&out, "%lld", (long long) YAJL_GET_INTEGER(steps));

    } else {
        aa_buf_puts(&out, "null");
    }

    aa_buf_puts(&out, ",\"tools_used\":null,\"template_id\":null,"
                      "\"base_template_id\":null}");

    yajl_tree_free(usage);

    ngx_http_finalize_request(r,
        ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out));
}


/* a stored JSON value (NUL-terminated by hiredis), or NULL */

static yajl_val
ngx_http_agent_async_reply_json(redisReply *v)
{
    char  err[64];

    if (v->type != REDIS_REPLY_STRING || v->len == 0) {
        return NULL;
    }

    return aa_json_parse(v->str, v->len, err, sizeof(err));
}


static void
ngx_http_agent_async_put_int(aa_buf_t *b, yajl_val obj, const char *key)
{
    yajl_val  v;

    v = aa_json_get(obj, key);

    if (v != NULL && YAJL_IS_INTEGER(v)) {
        aa_buf_printf(b, "%lld", (long long) YAJL_GET_INTEGER(v));

    } else {
        aa_buf_putc(b, '0');
    }
}
