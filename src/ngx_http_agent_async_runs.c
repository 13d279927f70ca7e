
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * POST /v1/agents/{agent_id}/messages/async: validate, then create the run
 * and queue it in one script (docs/redis-keys.md), answer the Run.
 * GET /v1/runs/{run_id}: the Run, straight from its hash.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_id.h"
#include "aa_keys.h"
#include "aa_request.h"
#include "aa_time.h"


#define NGX_HTTP_AGENT_ASYNC_RUN_FIELDS  11


static void ngx_http_agent_async_run_create_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_run_prepare(ngx_http_request_t *r,
    aa_async_request_t *req);
static ngx_int_t ngx_http_agent_async_run_store(ngx_http_request_t *r);
static void ngx_http_agent_async_run_created(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_agent_async_run_got(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_pool_str(ngx_http_request_t *r,
    aa_field_t *f, const char *name, const char *value, size_t len);
static const char *ngx_http_agent_async_lettuce(ngx_http_request_t *r,
    aa_async_request_t *req);


ngx_int_t
ngx_http_agent_async_run_create(ngx_http_request_t *r)
{
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (!aa_id_valid("agent", (char *) ctx->id.data, ctx->id.len)) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_agent_async_send_path_error(r, "agent", &ctx->id);
    }

    return ngx_http_agent_async_read_body(r,
                                      ngx_http_agent_async_run_create_body);
}


static void
ngx_http_agent_async_run_create_body(ngx_http_request_t *r)
{
    u_char              *body;
    size_t               len;
    ngx_int_t            rc;
    aa_async_request_t   req;

    body = ngx_http_agent_async_body(r, &len);
    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    aa_async_request_init(&req);

    switch (aa_async_request_parse(&req, (char *) body, len)) {

    case AA_OK:
        rc = ngx_http_agent_async_run_prepare(r, &req);

        if (rc == NGX_OK) {
            rc = ngx_http_agent_async_run_store(r);

            if (rc == NGX_OK) {
                /* the body reference holds the request until the reply */
                aa_async_request_free(&req);
                return;
            }
        }

        rc = ngx_http_agent_async_send_not_sent(r, rc);
        break;

    case AA_INVALID:
        rc = ngx_http_agent_async_send_invalid(r, &req.errors);
        break;

    default: /* AA_NOMEM */
        rc = ngx_http_agent_async_send_oom(r);
        break;
    }

    aa_async_request_free(&req);

    ngx_http_finalize_request(r, rc);
}


/* the run hash, kept in the request pool to answer with once stored */

static ngx_int_t
ngx_http_agent_async_run_prepare(ngx_http_request_t *r,
    aa_async_request_t *req)
{
    char                         id[AA_ID_MAX], created_at[32], us[32];
    size_t                       n;
    int64_t                      now;
    aa_buf_t                     meta;
    aa_field_t                  *f;
    ngx_int_t                    rc;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (aa_id_new("run", id, sizeof(id)) < 0) {
        return NGX_ERROR;
    }

    now = aa_now_us();
    aa_time_run(now, created_at);
    n = ngx_sprintf((u_char *) us, "%L", now) - (u_char *) us;

    f = ngx_palloc(r->pool,
                   NGX_HTTP_AGENT_ASYNC_RUN_FIELDS * sizeof(aa_field_t));
    if (f == NULL) {
        return NGX_ERROR;
    }

    ctx->fields = f;

    aa_buf_init(&meta);
    aa_buf_printf(&meta, "{\"run_type\":\"send_message_async\","
                         "\"lettuce\":%s}",
                  ngx_http_agent_async_lettuce(r, req));

    rc = NGX_OK;

    rc |= ngx_http_agent_async_pool_str(r, f++, "id", id, ngx_strlen(id));
    rc |= ngx_http_agent_async_pool_str(r, f++, "agent_id",
                                        (char *) ctx->id.data, ctx->id.len);
    rc |= ngx_http_agent_async_pool_str(r, f++, "tenant",
                                        (char *) ctx->tenant.data,
                                        ctx->tenant.len);
    rc |= ngx_http_agent_async_pool_str(r, f++, "status", "created", 7);
    rc |= ngx_http_agent_async_pool_str(r, f++, "created_at", created_at,
                                        ngx_strlen(created_at));
    rc |= ngx_http_agent_async_pool_str(r, f++, "created_us", us, n);
    rc |= ngx_http_agent_async_pool_str(r, f++, "background", "1", 1);
    rc |= ngx_http_agent_async_pool_str(r, f++, "metadata", meta.data,
                                        meta.failed ? 0 : meta.len);
    rc |= ngx_http_agent_async_pool_str(r, f++, "request_config",
                                        req->request_config.data,
                                        req->request_config.len);
    rc |= ngx_http_agent_async_pool_str(r, f++, "request", req->job.data,
                                        req->job.len);

    aa_buf_free(&meta);

    if (rc != NGX_OK || req->job.failed || req->request_config.failed) {
        return NGX_ERROR;
    }

    if (req->callback_url_len) {
        rc = ngx_http_agent_async_pool_str(r, f++, "callback_url",
                                           req->callback_url,
                                           req->callback_url_len);
        if (rc != NGX_OK) {
            return NGX_ERROR;
        }
    }

    ctx->nfields = f - ctx->fields;

    return NGX_OK;
}


static ngx_int_t
ngx_http_agent_async_run_store(ngx_http_request_t *r)
{
    int                                argc;
    char                               keys[7][AA_KEY_MAX];
    char                               agent[AA_ID_MAX];
    char                               tenant[NGX_HTTP_AGENT_ASYNC_TENANT_MAX
                                              + 1];
    size_t                             i, lens[NGX_HTTP_AGENT_ASYNC_MAX_ARGS];
    const char                        *argv[NGX_HTTP_AGENT_ASYNC_MAX_ARGS];
    const char                        *p;
    aa_field_t                        *f;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    f = ctx->fields;
    p = (char *) amcf->prefix.data;

    ngx_cpystrn((u_char *) agent, ctx->id.data, ctx->id.len + 1);
    ngx_cpystrn((u_char *) tenant, ctx->tenant.data, ctx->tenant.len + 1);

    /* f[0] is the run id, NUL-terminated by ngx_http_agent_async_pool_str */

    if (aa_key_agent(keys[0], AA_KEY_MAX, p, agent) < 0
        || aa_key_queue(keys[1], AA_KEY_MAX, p, agent) < 0
        || aa_key_agent_runs(keys[2], AA_KEY_MAX, p, agent) < 0
        || aa_key_run(keys[3], AA_KEY_MAX, p, agent, f[0].value) < 0
        || aa_key_runloc(keys[4], AA_KEY_MAX, p, f[0].value) < 0
        || aa_key_tenant_runs(keys[5], AA_KEY_MAX, p, tenant) < 0
        || aa_key_ready(keys[6], AA_KEY_MAX, p) < 0)
    {
        return NGX_ERROR;
    }

    argc = 0;

    for (i = 0; i < 7; i++) {
        argv[argc] = keys[i];
        lens[argc++] = ngx_strlen(keys[i]);
    }

    argv[argc] = tenant;
    lens[argc++] = ctx->tenant.len;
    argv[argc] = f[0].value;
    lens[argc++] = f[0].value_len;
    argv[argc] = agent;
    lens[argc++] = ctx->id.len;
    argv[argc] = f[5].value;                            /* created_us */
    lens[argc++] = f[5].value_len;

    for (i = 0; i < ctx->nfields; i++) {
        argv[argc] = f[i].name;
        lens[argc++] = f[i].name_len;
        argv[argc] = f[i].value;
        lens[argc++] = f[i].value_len;
    }

    return ngx_http_agent_async_redis_script(r,
                                             ngx_http_agent_async_run_created,
                                             AA_SCRIPT_CREATE_RUN, 7, argc,
                                             argv, lens);
}


static void
ngx_http_agent_async_run_created(ngx_http_request_t *r, redisReply *reply)
{
    aa_buf_t                     out;
    ngx_int_t                    rc;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        rc = ngx_http_agent_async_send_storage_error(r, reply);

    } else if (reply->integer == 0) {
        rc = ngx_http_agent_async_send_detail(r, NGX_HTTP_NOT_FOUND,
                                              "Agent not found");

    } else {
        aa_buf_init(&out);
        aa_run_render(&out, ctx->fields, ctx->nfields);
        rc = ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out);
    }

    ngx_http_finalize_request(r, rc);
}


ngx_int_t
ngx_http_agent_async_run_get(ngx_http_request_t *r, ngx_str_t *run_id)
{
    char                               key[AA_KEY_MAX], id[AA_ID_MAX];
    size_t                             i, lens[4 + AA_RUN_NKEYS];
    aa_buf_t                           b;
    ngx_int_t                          rc;
    const char                        *argv[4 + AA_RUN_NKEYS];
    ngx_http_agent_async_main_conf_t  *amcf;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!aa_id_valid("run", (char *) run_id->data, run_id->len)) {
        aa_buf_init(&b);
        aa_buf_puts(&b, "{\"detail\":\"INVALID_ARGUMENT: Invalid run ID "
                        "format: ");
        ngx_http_agent_async_json_escape(&b, run_id->data, run_id->len);
        aa_buf_puts(&b, ". Expected format: 'run-<uuid4>'\"}");

        return ngx_http_agent_async_send_buf(r, NGX_HTTP_BAD_REQUEST, &b);
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    ngx_cpystrn((u_char *) id, run_id->data, run_id->len + 1);

    if (aa_key_runloc(key, sizeof(key), (char *) amcf->prefix.data, id) < 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[0] = key;
    lens[0] = ngx_strlen(key);
    argv[1] = (char *) amcf->prefix.data;
    lens[1] = amcf->prefix.len;
    argv[2] = id;
    lens[2] = run_id->len;
    argv[3] = "tenant";
    lens[3] = 6;

    for (i = 0; i < AA_RUN_NKEYS; i++) {
        argv[4 + i] = aa_run_key(i);
        lens[4 + i] = ngx_strlen(argv[4 + i]);
    }

    rc = ngx_http_agent_async_redis_script(r, ngx_http_agent_async_run_got,
                                           AA_SCRIPT_GET_RUN, 1,
                                           4 + AA_RUN_NKEYS, argv, lens);

    if (rc == NGX_DECLINED) {
        return ngx_http_agent_async_send_unreachable(r);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_agent_async_run_got(ngx_http_request_t *r, redisReply *reply)
{
    size_t                       i, n;
    aa_buf_t                     out;
    ngx_int_t                    rc;
    redisReply                  *tenant, *v;
    aa_field_t                   fields[AA_RUN_NKEYS];
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR
        || (reply->type != REDIS_REPLY_NIL
            && (reply->type != REDIS_REPLY_ARRAY
                || reply->elements != 1 + AA_RUN_NKEYS)))
    {
        rc = ngx_http_agent_async_send_storage_error(r, reply);
        goto done;
    }

    /* another tenant's run does not exist, as far as this caller knows */

    tenant = reply->type == REDIS_REPLY_ARRAY ? reply->element[0] : NULL;

    if (tenant == NULL
        || tenant->type != REDIS_REPLY_STRING
        || (size_t) tenant->len != ctx->tenant.len
        || ngx_strncmp(tenant->str, ctx->tenant.data, ctx->tenant.len) != 0)
    {
        aa_buf_init(&out);
        aa_buf_puts(&out, "{\"detail\":\"Run not found with id=");
        aa_buf_append(&out, (char *) ctx->id.data, ctx->id.len);
        aa_buf_puts(&out, "\"}");
        rc = ngx_http_agent_async_send_buf(r, NGX_HTTP_NOT_FOUND, &out);
        goto done;
    }

    n = 0;

    for (i = 0; i < AA_RUN_NKEYS; i++) {
        v = reply->element[1 + i];

        if (v->type != REDIS_REPLY_STRING) {
            continue;
        }

        fields[n].name = aa_run_key(i);
        fields[n].name_len = ngx_strlen(fields[n].name);
        fields[n].value = v->str;
        fields[n].value_len = v->len;
        n++;
    }

    aa_buf_init(&out);
    aa_run_render(&out, fields, n);
    rc = ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out);

done:

    ngx_http_finalize_request(r, rc);
}


/* copies a field into the pool, NUL-terminated for the key helpers */

static ngx_int_t
ngx_http_agent_async_pool_str(ngx_http_request_t *r, aa_field_t *f,
    const char *name, const char *value, size_t len)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL || (value == NULL && len)) {
        return NGX_ERROR;
    }

    if (len) {
        ngx_memcpy(p, value, len);
    }

    p[len] = '\0';

    f->name = name;
    f->name_len = ngx_strlen(name);
    f->value = (char *) p;
    f->value_len = len;

    return NGX_OK;
}


/*
 * metadata.lettuce mirrors Letta: null without the experimental header,
 * true only for "true" with a first message of type "message".
 */

static const char *
ngx_http_agent_async_lettuce(ngx_http_request_t *r, aa_async_request_t *req)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    static ngx_str_t  name = ngx_string("X-Experimental-Message-Async");

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return "null";
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name.len
            && ngx_strncasecmp(h[i].key.data, name.data, name.len) == 0)
        {
            break;
        }
    }

    if (h[i].value.len != 4
        || ngx_strncasecmp(h[i].value.data, (u_char *) "true", 4) != 0)
    {
        return "false";
    }

    return req->first_is_message ? "true" : "false";
}
