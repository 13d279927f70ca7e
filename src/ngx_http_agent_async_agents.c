
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * POST /v1/agents/ creates an agent of the caller's tenant;
 * GET /v1/agents/{agent_id} serves it.  Runs may only be sent to agents
 * that exist here.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_agent.h"
#include "aa_id.h"
#include "aa_keys.h"
#include "aa_time.h"


static void ngx_http_agent_async_agent_create_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_agent_store(ngx_http_request_t *r,
    aa_agent_t *agent, const char *id, int64_t now);
static void ngx_http_agent_async_agent_created(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_agent_async_agent_got(ngx_http_request_t *r,
    redisReply *reply);
static u_char *ngx_http_agent_async_pool_copy(ngx_http_request_t *r,
    aa_buf_t *b);


ngx_int_t
ngx_http_agent_async_agent_create(ngx_http_request_t *r)
{
    return ngx_http_agent_async_read_body(r,
                                    ngx_http_agent_async_agent_create_body);
}


static void
ngx_http_agent_async_agent_create_body(ngx_http_request_t *r)
{
    char        id[AA_ID_MAX];
    u_char     *body;
    size_t      len;
    int64_t     now;
    ngx_int_t   rc;
    aa_agent_t  agent;

    body = ngx_http_agent_async_body(r, &len);
    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (aa_id_new("agent", id, sizeof(id)) < 0) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    now = aa_now_us();

    aa_agent_init(&agent);

    switch (aa_agent_parse(&agent, (char *) body, len, id, now)) {

    case AA_OK:
        rc = ngx_http_agent_async_agent_store(r, &agent, id, now);

        if (rc == NGX_OK) {
            /* the body reference holds the request until the reply */
            aa_agent_free(&agent);
            return;
        }

        rc = ngx_http_agent_async_send_not_sent(r, rc);
        break;

    case AA_INVALID:
        rc = ngx_http_agent_async_send_invalid(r, &agent.errors);
        break;

    default: /* AA_NOMEM */
        rc = ngx_http_agent_async_send_oom(r);
        break;
    }

    aa_agent_free(&agent);

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_agent_async_agent_store(ngx_http_request_t *r, aa_agent_t *agent,
    const char *id, int64_t now)
{
    char                               keys[2][AA_KEY_MAX], us[32];
    char                               created_at[32];
    char                               tenant[NGX_HTTP_AGENT_ASYNC_TENANT_MAX
                                              + 1];
    u_char                            *state;
    size_t                             lens[16];
    const char                        *argv[16];
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    if (agent->state.failed || agent->system.failed || agent->llm.failed) {
        return NGX_ERROR;
    }

    /* the answer is the state we store: keep it for the reply */
    state = ngx_http_agent_async_pool_copy(r, &agent->state);
    if (state == NULL) {
        return NGX_ERROR;
    }

    ctx->id.data = state;
    ctx->id.len = agent->state.len;

    ngx_cpystrn((u_char *) tenant, ctx->tenant.data, ctx->tenant.len + 1);

    if (aa_key_agent(keys[0], AA_KEY_MAX, (char *) amcf->prefix.data, id) < 0
        || aa_key_tenant_agents(keys[1], AA_KEY_MAX,
                                (char *) amcf->prefix.data, tenant) < 0)
    {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) us, "%L%Z", now);
    aa_time_run(now, created_at);

    argv[0] = keys[0];            lens[0] = ngx_strlen(keys[0]);
    argv[1] = keys[1];            lens[1] = ngx_strlen(keys[1]);
    argv[2] = us;                 lens[2] = ngx_strlen(us);
    argv[3] = id;                 lens[3] = ngx_strlen(id);
    argv[4] = "id";               lens[4] = 2;
    argv[5] = id;                 lens[5] = ngx_strlen(id);
    argv[6] = "tenant";           lens[6] = 6;
    argv[7] = tenant;             lens[7] = ctx->tenant.len;
    argv[8] = "created_at";       lens[8] = 10;
    argv[9] = created_at;         lens[9] = ngx_strlen(created_at);
    argv[10] = "system";          lens[10] = 6;
    argv[11] = agent->system.data ? agent->system.data : "";
    lens[11] = agent->system.len;
    argv[12] = "llm";             lens[12] = 3;
    argv[13] = agent->llm.data ? agent->llm.data : "{}";
    lens[13] = agent->llm.data ? agent->llm.len : 2;
    argv[14] = "state";           lens[14] = 5;
    argv[15] = (char *) state;    lens[15] = agent->state.len;

    return ngx_http_agent_async_redis_script(r,
                                         ngx_http_agent_async_agent_created,
                                         AA_SCRIPT_CREATE_AGENT, 2, 16,
                                         argv, lens);
}


static void
ngx_http_agent_async_agent_created(ngx_http_request_t *r, redisReply *reply)
{
    ngx_int_t                    rc;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        rc = ngx_http_agent_async_send_storage_error(r, reply);

    } else {
        rc = ngx_http_agent_async_send_json(r, NGX_HTTP_OK, ctx->id.data,
                                            ctx->id.len);
    }

    ngx_http_finalize_request(r, rc);
}


ngx_int_t
ngx_http_agent_async_agent_get(ngx_http_request_t *r)
{
    char                               key[AA_KEY_MAX], id[AA_ID_MAX];
    size_t                             lens[4];
    ngx_int_t                          rc;
    const char                        *argv[4];
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (!aa_id_valid("agent", (char *) ctx->id.data, ctx->id.len)) {
        return ngx_http_agent_async_send_path_error(r, "agent", &ctx->id);
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    ngx_cpystrn((u_char *) id, ctx->id.data, ctx->id.len + 1);

    if (aa_key_agent(key, sizeof(key), (char *) amcf->prefix.data, id) < 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[0] = "HMGET";    lens[0] = 5;
    argv[1] = key;        lens[1] = ngx_strlen(key);
    argv[2] = "tenant";   lens[2] = 6;
    argv[3] = "state";    lens[3] = 5;

    rc = ngx_http_agent_async_redis_command(r, ngx_http_agent_async_agent_got,
                                            4, argv, lens);

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
ngx_http_agent_async_agent_got(ngx_http_request_t *r, redisReply *reply)
{
    u_char                      *p;
    ngx_int_t                    rc;
    redisReply                  *tenant, *state;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 2)
    {
        rc = ngx_http_agent_async_send_storage_error(r, reply);
        ngx_http_finalize_request(r, rc);
        return;
    }

    tenant = reply->element[0];
    state = reply->element[1];

    if (tenant->type != REDIS_REPLY_STRING
        || state->type != REDIS_REPLY_STRING
        || (size_t) tenant->len != ctx->tenant.len
        || ngx_strncmp(tenant->str, ctx->tenant.data, ctx->tenant.len) != 0)
    {
        rc = ngx_http_agent_async_send_detail(r, NGX_HTTP_NOT_FOUND,
                                              "Agent not found");
        ngx_http_finalize_request(r, rc);
        return;
    }

    p = ngx_pnalloc(r->pool, state->len ? state->len : 1);
    if (p == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    ngx_memcpy(p, state->str, state->len);

    rc = ngx_http_agent_async_send_json(r, NGX_HTTP_OK, p, state->len);

    ngx_http_finalize_request(r, rc);
}


static u_char *
ngx_http_agent_async_pool_copy(ngx_http_request_t *r, aa_buf_t *b)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, b->len ? b->len : 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, b->data, b->len);

    return p;
}
