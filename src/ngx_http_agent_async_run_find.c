
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Finding the run of a path's id: GET Prunloc:R gives its agent, then
 * HMGET of the run's hash reads "tenant" and the fields a route needs
 * (never all: the job may be as large as a request body).  Two commands,
 * so that every key is known to the client, as Redis Cluster needs.  A
 * run of another tenant is answered as one that does not exist.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_id.h"
#include "aa_keys.h"


#define NGX_HTTP_AGENT_ASYNC_FIND_MAX  (3 + AA_RUN_NKEYS + 4)


static void ngx_http_agent_async_run_located(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_agent_async_run_read(ngx_http_request_t *r,
    redisReply *reply);


ngx_int_t
ngx_http_agent_async_run_find(ngx_http_request_t *r,
    const char *const *fields, ngx_uint_t nfields,
    ngx_http_agent_async_found_pt found)
{
    char                              *key, id[AA_ID_MAX];
    size_t                             lens[2];
    aa_buf_t                           b;
    const char                        *argv[2];
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!aa_id_valid("run", (char *) ctx->id.data, ctx->id.len)) {
        aa_buf_init(&b);
        aa_buf_puts(&b, "{\"detail\":\"INVALID_ARGUMENT: Invalid run ID "
                        "format: ");
        ngx_http_agent_async_json_escape(&b, ctx->id.data, ctx->id.len);
        aa_buf_puts(&b, ". Expected format: 'run-<uuid4>'\"}");

        return ngx_http_agent_async_send_buf(r, NGX_HTTP_BAD_REQUEST, &b);
    }

    if (nfields + 3 > NGX_HTTP_AGENT_ASYNC_FIND_MAX) {
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

    if (aa_key_runloc(key, AA_KEY_MAX, (char *) amcf->prefix.data, id) < 0) {
        return ngx_http_agent_async_send_oom(r);
    }

    argv[0] = "GET";
    lens[0] = 3;
    argv[1] = key;
    lens[1] = ngx_strlen(key);

    return ngx_http_agent_async_query(r, ngx_http_agent_async_run_located,
                                      2, argv, lens);
}


static void
ngx_http_agent_async_run_located(ngx_http_request_t *r, redisReply *reply)
{
    char                               key[AA_KEY_MAX], agent[AA_ID_MAX];
    char                               id[AA_ID_MAX];
    size_t                             i, lens[NGX_HTTP_AGENT_ASYNC_FIND_MAX];
    ngx_int_t                          rc;
    const char                        *argv[NGX_HTTP_AGENT_ASYNC_FIND_MAX];
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    if (reply == NULL
        || (reply->type != REDIS_REPLY_STRING
            && reply->type != REDIS_REPLY_NIL))
    {
        rc = ngx_http_agent_async_send_storage_error(r, reply);
        goto done;
    }

    if (reply->type == REDIS_REPLY_NIL
        || !aa_id_valid("agent", reply->str, reply->len))
    {
        rc = ngx_http_agent_async_run_not_found(r);
        goto done;
    }

    ctx->agent.data = ngx_pnalloc(r->pool, reply->len + 1);
    if (ctx->agent.data == NULL) {
        rc = ngx_http_agent_async_send_oom(r);
        goto done;
    }

    ngx_memcpy(ctx->agent.data, reply->str, reply->len);
    ctx->agent.data[reply->len] = '\0';
    ctx->agent.len = reply->len;

    ngx_cpystrn((u_char *) agent, ctx->agent.data, sizeof(agent));
    ngx_cpystrn((u_char *) id, ctx->id.data, ctx->id.len + 1);

    if (aa_key_run(key, sizeof(key), (char *) amcf->prefix.data, agent, id)
        < 0)
    {
        rc = ngx_http_agent_async_send_oom(r);
        goto done;
    }

    argv[0] = "HMGET";
    lens[0] = 5;
    argv[1] = key;
    lens[1] = ngx_strlen(key);
    argv[2] = "tenant";
    lens[2] = 6;

    for (i = 0; i < ctx->nfind; i++) {
        argv[3 + i] = ctx->find_fields[i];
        lens[3 + i] = ngx_strlen(ctx->find_fields[i]);
    }

    rc = ngx_http_agent_async_query(r, ngx_http_agent_async_run_read,
                                    (int) (3 + ctx->nfind), argv, lens);

done:

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_agent_async_run_read(ngx_http_request_t *r, redisReply *reply)
{
    redisReply                  *tenant;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 1 + ctx->nfind)
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    tenant = reply->element[0];

    /* another tenant's run does not exist, as far as this caller knows */

    if (tenant->type != REDIS_REPLY_STRING
        || (size_t) tenant->len != ctx->tenant.len
        || ngx_strncmp(tenant->str, ctx->tenant.data, ctx->tenant.len) != 0)
    {
        ngx_http_finalize_request(r, ngx_http_agent_async_run_not_found(r));
        return;
    }

    ctx->found(r, &ctx->agent, reply);
}


ngx_int_t
ngx_http_agent_async_run_not_found(ngx_http_request_t *r)
{
    aa_buf_t                     out;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    aa_buf_init(&out);
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

    n = make(p, AA_KEY_MAX, (char *) amcf->prefix.data,
             (char *) ctx->agent.data, id);
    if (n < 0) {
        return NGX_ERROR;
    }

    *key = p;
    *len = (size_t) n;

    return NGX_OK;
}
