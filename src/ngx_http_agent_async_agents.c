
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


/* the keys and arguments of src/lua/create_agent.lua, kept in r->pool */

typedef struct {
    char                agent_key[AA_KEY_MAX];
    char                tenant_agents[AA_KEY_MAX];
    char                created_us[NGX_INT64_LEN + 1];
    char                created_at[AA_TIME_RUN_LEN + 1];
    char                id[AA_ID_MAX];
    char                tenant[NGX_HTTP_AGENT_ASYNC_TENANT_MAX + 1];
    const char         *argv[16];
    size_t              argvlen[16];
} ngx_http_agent_async_new_agent_t;


static ngx_int_t
ngx_http_agent_async_agent_store(ngx_http_request_t *r, aa_agent_t *agent,
    const char *id, int64_t now)
{
    u_char                            *system, *llm, *state;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_new_agent_t  *a;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    if (agent->state.failed || agent->system.failed || agent->llm.failed) {
        return ngx_http_agent_async_send_oom(r);
    }

    a = ngx_palloc(r->pool, sizeof(ngx_http_agent_async_new_agent_t));
    system = ngx_http_agent_async_pool_copy(r, &agent->system);
    llm = ngx_http_agent_async_pool_copy(r, &agent->llm);
    state = ngx_http_agent_async_pool_copy(r, &agent->state);

    if (a == NULL || system == NULL || llm == NULL || state == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

    /* the answer is the state stored */
    ctx->agent_state.data = state;
    ctx->agent_state.len = agent->state.len;

    ngx_cpystrn((u_char *) a->id, (u_char *) id, AA_ID_MAX);
    ngx_cpystrn((u_char *) a->tenant, ctx->tenant.data, ctx->tenant.len + 1);
    ngx_sprintf((u_char *) a->created_us, "%L%Z", now);
    aa_time_run(now, a->created_at);

    if (aa_key_agent(a->agent_key, AA_KEY_MAX, (char *) amcf->prefix.data,
                     a->id) < 0
        || aa_key_tenant_agents(a->tenant_agents, AA_KEY_MAX,
                                (char *) amcf->prefix.data, a->tenant) < 0)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    /* KEYS, then ARGV, in the order of src/lua/create_agent.lua */

    a->argv[0] = a->agent_key;      a->argvlen[0] = ngx_strlen(a->agent_key);
    a->argv[1] = a->tenant_agents;
    a->argvlen[1] = ngx_strlen(a->tenant_agents);
    a->argv[2] = a->created_us;     a->argvlen[2] = ngx_strlen(a->created_us);
    a->argv[3] = a->id;             a->argvlen[3] = ngx_strlen(a->id);

    a->argv[4] = "id";              a->argvlen[4] = 2;
    a->argv[5] = a->id;             a->argvlen[5] = ngx_strlen(a->id);
    a->argv[6] = "tenant";          a->argvlen[6] = 6;
    a->argv[7] = a->tenant;         a->argvlen[7] = ctx->tenant.len;
    a->argv[8] = "created_at";      a->argvlen[8] = 10;
    a->argv[9] = a->created_at;     a->argvlen[9] = ngx_strlen(a->created_at);
    a->argv[10] = "system";         a->argvlen[10] = 6;
    a->argv[11] = (char *) system;  a->argvlen[11] = agent->system.len;
    a->argv[12] = "llm";            a->argvlen[12] = 3;
    a->argv[13] = agent->llm.len ? (char *) llm : "{}";
    a->argvlen[13] = agent->llm.len ? agent->llm.len : 2;
    a->argv[14] = "state";          a->argvlen[14] = 5;
    a->argv[15] = (char *) state;   a->argvlen[15] = agent->state.len;

    return ngx_http_agent_async_query_script(r,
                                         ngx_http_agent_async_agent_created,
                                         AA_SCRIPT_CREATE_AGENT, 2, 16,
                                         a->argv, a->argvlen);
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
        rc = ngx_http_agent_async_send_json(r, NGX_HTTP_OK,
                                            ctx->agent_state.data,
                                            ctx->agent_state.len);
    }

    ngx_http_finalize_request(r, rc);
}


ngx_int_t
ngx_http_agent_async_agent_get(ngx_http_request_t *r)
{
    char                               key[AA_KEY_MAX], id[AA_ID_MAX];
    size_t                             lens[4];
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

    return ngx_http_agent_async_query(r, ngx_http_agent_async_agent_got, 4,
                                      argv, lens);
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

    if (b->len) {
        ngx_memcpy(p, b->data, b->len);
    }

    return p;
}
