
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Finding the run of a path's id: one HMGET of the run's hash, whose key
 * the id gives (it carries its agent's slot, aa_slot.h), reads "tenant",
 * the fields a route needs (never all: the job may be as large as a
 * request body) and "agent_id".  A run of another tenant is answered as
 * one that does not exist.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_id.h"
#include "aa_keys.h"


#define NGX_HTTP_AGENT_ASYNC_FIND_MAX  (3 + AA_RUN_NKEYS + 4)


static void ngx_http_agent_async_run_read(ngx_http_request_t *r,
    redisReply *reply);


ngx_int_t
ngx_http_agent_async_run_find(ngx_http_request_t *r,
    const char *const *fields, ngx_uint_t nfields,
    ngx_http_agent_async_found_pt found)
{
    int                                n;
    char                              *key, id[AA_ID_MAX];
    size_t                             i, lens[NGX_HTTP_AGENT_ASYNC_FIND_MAX];
    aa_buf_t                           b;
    const char                        *argv[NGX_HTTP_AGENT_ASYNC_FIND_MAX];
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!aa_id_valid("run", (char *) ctx->id.data, ctx->id.len)) {
        ngx_http_agent_async_buf_init(r, &b);
        aa_buf_puts(&b, "{\"detail\":\"INVALID_ARGUMENT: Invalid run ID "
                        "format: ");
        ngx_http_agent_async_json_escape(&b, ctx->id.data, ctx->id.len);
        aa_buf_puts(&b, ". Expected format: 'run-<uuid4>'\"}");

        return ngx_http_agent_async_send_buf(r, NGX_HTTP_BAD_REQUEST, &b);
    }

    if (nfields + 4 > NGX_HTTP_AGENT_ASYNC_FIND_MAX) {
        return ngx_http_agent_async_send_oom(r);
    }

    ctx->find_fields = fields;
    ctx->nfind = nfields;
    ctx->found = found;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    key = ngx_pnalloc(r->pool, AA_KEY_MAX);
    if (key == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

    ngx_cpystrn((u_char *) id, ctx->id.data, ctx->id.len + 1);

    n = aa_key_run(key, AA_KEY_MAX, (char *) amcf->prefix.data, id);
    if (n < 0) {
        return ngx_http_agent_async_send_oom(r);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async: run find \"%s\"", key);

    argv[0] = "HMGET";
    lens[0] = 5;
    argv[1] = key;
    lens[1] = (size_t) n;
    argv[2] = "tenant";
    lens[2] = 6;

    for (i = 0; i < nfields; i++) {
        argv[3 + i] = fields[i];
        lens[3 + i] = ngx_strlen(fields[i]);
    }

    argv[3 + i] = "agent_id";
    lens[3 + i] = 8;

    return ngx_http_agent_async_query(r, ngx_http_agent_async_run_read,
                                      (int) (4 + nfields), argv, lens);
}


static void
ngx_http_agent_async_run_read(ngx_http_request_t *r, redisReply *reply)
{
    redisReply                  *tenant, *agent;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 2 + ctx->nfind)
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    tenant = reply->element[0];
    agent = reply->element[1 + ctx->nfind];

    /* another tenant's run does not exist, as far as this caller knows */

    if (tenant->type != REDIS_REPLY_STRING
        || (size_t) tenant->len != ctx->tenant.len
        || ngx_strncmp(tenant->str, ctx->tenant.data, ctx->tenant.len) != 0
        || agent->type != REDIS_REPLY_STRING
        || !aa_id_valid("agent", agent->str, agent->len))
    {
        ngx_http_finalize_request(r, ngx_http_agent_async_run_not_found(r));
        return;
    }

    ctx->agent.data = ngx_pnalloc(r->pool, agent->len + 1);
    if (ctx->agent.data == NULL) {
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    ngx_memcpy(ctx->agent.data, agent->str, agent->len);
    ctx->agent.data[agent->len] = '\0';
    ctx->agent.len = agent->len;

    ctx->found(r, &ctx->agent, reply);
}


ngx_int_t
ngx_http_agent_async_run_not_found(ngx_http_request_t *r)
{
    aa_buf_t                     out;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    ngx_http_agent_async_buf_init(r, &out);
    aa_buf_puts(&out, "{\"detail\":\"Run not found with id=");
    aa_buf_append(&out, (char *) ctx->id.data, ctx->id.len);
    aa_buf_puts(&out, "\"}");

    return ngx_http_agent_async_send_buf(r, NGX_HTTP_NOT_FOUND, &out);
}


/* a key of the run found (aa_key_run, aa_key_run_messages...), in r->pool */

ngx_int_t
ngx_http_agent_async_run_key(ngx_http_request_t *r,
    ngx_http_agent_async_run_key_pt make, const char **key, size_t *len)
{
    int                                n;
    char                              *p, id[AA_ID_MAX];
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    p = ngx_pnalloc(r->pool, AA_KEY_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) id, ctx->id.data, ctx->id.len + 1);

    n = make(p, AA_KEY_MAX, (char *) amcf->prefix.data, id);
    if (n < 0) {
        return NGX_ERROR;
    }

    *key = p;
    *len = (size_t) n;

    return NGX_OK;
}
