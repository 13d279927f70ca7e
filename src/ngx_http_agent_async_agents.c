
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * POST /v1/agents/ creates an agent of the caller's tenant;
 * GET /v1/agents/{agent_id} serves it.  Runs may only be sent to agents
 * that exist here.  And what every agent route shares: the AgentState
 * served from the agent hash's fields, the 404.
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


/* what an AgentState is served from, after "tenant" */
const char *const  ngx_http_agent_async_agent_fields[
    NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS] =
{
    "state", "last_run_completion", "last_run_duration_ms",
    "last_stop_reason"
};


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
    char                tenant_names[AA_KEY_MAX];
    char                tenants[AA_KEY_MAX];
    char                created_us[NGX_INT64_LEN + 1];
    char                created_at[AA_TIME_RUN_LEN + 1];
    char                id[AA_ID_MAX];
    char                tenant[NGX_HTTP_AGENT_ASYNC_TENANT_MAX + 1];
    const char         *argv[21];
    size_t              argvlen[21];
} ngx_http_agent_async_new_agent_t;


static ngx_int_t
ngx_http_agent_async_agent_store(ngx_http_request_t *r, aa_agent_t *agent,
    const char *id, int64_t now)
{
    u_char                            *system, *llm, *name;
    aa_buf_t                           out;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_new_agent_t  *a;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    if (agent->state.failed || agent->system.failed || agent->llm.failed
        || agent->name.failed)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    a = ngx_palloc(r->pool, sizeof(ngx_http_agent_async_new_agent_t));
    system = ngx_http_agent_async_pool_copy(r, &agent->system);
    llm = ngx_http_agent_async_pool_copy(r, &agent->llm);
    name = ngx_http_agent_async_pool_copy(r, &agent->name);

    /* the answer: the state stored, with no run yet */
    ngx_http_agent_async_buf_init(r, &out);
    aa_agent_render(&out, agent->state.data, agent->state.len, NULL, 0,
                    NULL, 0, NULL, 0);

    ctx->agent_state.data = ngx_http_agent_async_pool_copy(r, &out);
    ctx->agent_state.len = out.len;

    if (a == NULL || system == NULL || llm == NULL || name == NULL
        || out.failed || ctx->agent_state.data == NULL)
    {
        aa_buf_free(&out);
        return ngx_http_agent_async_send_oom(r);
    }

    aa_buf_free(&out);

    ngx_cpystrn((u_char *) a->id, (u_char *) id, AA_ID_MAX);
    ctx->agent_id.data = (u_char *) a->id;
    ctx->agent_id.len = ngx_strlen(a->id);
    ngx_cpystrn((u_char *) a->tenant, ctx->tenant.data, ctx->tenant.len + 1);
    ngx_sprintf((u_char *) a->created_us, "%L%Z", now);
    aa_time_run(now, a->created_at);

    if (aa_key_agent(a->agent_key, AA_KEY_MAX, (char *) amcf->prefix.data,
                     a->id) < 0
        || aa_key_tenant_agents(a->tenant_agents, AA_KEY_MAX,
                                (char *) amcf->prefix.data, a->tenant) < 0
        || aa_key_tenant_agent_names(a->tenant_names, AA_KEY_MAX,
                                     (char *) amcf->prefix.data,
                                     a->tenant) < 0
        || aa_key_tenants(a->tenants, AA_KEY_MAX,
                          (char *) amcf->prefix.data) < 0)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    /* KEYS, then ARGV, in the order of src/lua/create_agent.lua */

    a->argv[0] = a->agent_key;      a->argvlen[0] = ngx_strlen(a->agent_key);
    a->argv[1] = a->tenant_agents;
    a->argvlen[1] = ngx_strlen(a->tenant_agents);
    a->argv[2] = a->tenant_names;
    a->argvlen[2] = ngx_strlen(a->tenant_names);
    a->argv[3] = a->tenants;        a->argvlen[3] = ngx_strlen(a->tenants);
    a->argv[4] = a->created_us;     a->argvlen[4] = ngx_strlen(a->created_us);
    a->argv[5] = a->id;             a->argvlen[5] = ngx_strlen(a->id);
    a->argv[6] = (char *) name;     a->argvlen[6] = agent->name.len;

    a->argv[7] = "id";              a->argvlen[7] = 2;
    a->argv[8] = a->id;             a->argvlen[8] = ngx_strlen(a->id);
    a->argv[9] = "tenant";          a->argvlen[9] = 6;
    a->argv[10] = a->tenant;        a->argvlen[10] = ctx->tenant.len;
    a->argv[11] = "created_at";     a->argvlen[11] = 10;
    a->argv[12] = a->created_at;    a->argvlen[12] = ngx_strlen(a->created_at);
    a->argv[13] = "name";           a->argvlen[13] = 4;
    a->argv[14] = (char *) name;    a->argvlen[14] = agent->name.len;
    a->argv[15] = "system";         a->argvlen[15] = 6;
    a->argv[16] = (char *) system;  a->argvlen[16] = agent->system.len;
    a->argv[17] = "llm";            a->argvlen[17] = 3;
    a->argv[18] = agent->llm.len ? (char *) llm : "{}";
    a->argvlen[18] = agent->llm.len ? agent->llm.len : 2;
    a->argv[19] = "state";          a->argvlen[19] = 5;
    a->argv[20] = (char *) ngx_http_agent_async_pool_copy(r, &agent->state);
    a->argvlen[20] = agent->state.len;

    if (a->argv[20] == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent create \"%s\" of \"%V\"", a->id,
                   &ctx->tenant);

    return ngx_http_agent_async_query_script(r,
                                         ngx_http_agent_async_agent_created,
                                         AA_SCRIPT_CREATE_AGENT, 4, 21,
                                         a->argv, a->argvlen);
}


static void
ngx_http_agent_async_agent_created(ngx_http_request_t *r, redisReply *reply)
{
    ngx_int_t                    rc;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        ctx->agent_id.len = 0;      /* not created: not logged */
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
    ngx_int_t   rc;
    yajl_val    q;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* include, include_relationships: nothing to include, but checked */
    q = ngx_http_agent_async_args(r, ngx_http_agent_async_include_lists,
                                  &rc);
    if (q == NULL) {
        return rc;
    }

    rc = ngx_http_agent_async_include_check(r, q);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_agent_async_agent_read(r, ngx_http_agent_async_agent_got);
}


/*
 * HMGET of the path's agent: "tenant", then the fields of an AgentState
 * (ngx_http_agent_async_agent_fields); a malformed id is answered here.
 */

ngx_int_t
ngx_http_agent_async_agent_read(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler)
{
    char                              *key, id[AA_ID_MAX];
    size_t                            *lens, i;
    const char                       **argv;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (!aa_id_valid("agent", (char *) ctx->id.data, ctx->id.len)) {
        return ngx_http_agent_async_send_path_error(r, "agent", &ctx->id);
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    key = ngx_pnalloc(r->pool, AA_KEY_MAX);
    argv = ngx_palloc(r->pool,
                      (3 + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS + 2)
                      * sizeof(char *));
    lens = ngx_palloc(r->pool,
                      (3 + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS + 2)
                      * sizeof(size_t));

    if (key == NULL || argv == NULL || lens == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

    ngx_cpystrn((u_char *) id, ctx->id.data, ctx->id.len + 1);

    if (aa_key_agent(key, AA_KEY_MAX, (char *) amcf->prefix.data, id) < 0) {
        return ngx_http_agent_async_send_oom(r);
    }

    argv[0] = "HMGET";    lens[0] = 5;
    argv[1] = key;        lens[1] = ngx_strlen(key);
    argv[2] = "tenant";   lens[2] = 6;

    for (i = 0; i < NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS; i++) {
        argv[3 + i] = ngx_http_agent_async_agent_fields[i];
        lens[3 + i] = ngx_strlen(argv[3 + i]);
    }

    /* what a PATCH needs besides: the revision and the creation time */
    argv[3 + i] = "rev";              lens[3 + i] = 3;
    argv[4 + i] = "created_at";       lens[4 + i] = 10;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent read \"%s\"", key);

    return ngx_http_agent_async_query(r, handler,
                                      5 + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS,
                                      argv, lens);
}


/*
 * The reply of ngx_http_agent_async_agent_read(): NGX_OK when it is the
 * caller's agent, else the answer sent (a 404, a 503) and its status in
 * *rc.
 */

ngx_int_t
ngx_http_agent_async_agent_mine(ngx_http_request_t *r, redisReply *reply,
    ngx_int_t *rc)
{
    redisReply                  *tenant;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 3 + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS)
    {
        *rc = ngx_http_agent_async_send_storage_error(r, reply);
        return NGX_DECLINED;
    }

    tenant = reply->element[0];

    if (tenant->type != REDIS_REPLY_STRING
        || reply->element[1]->type != REDIS_REPLY_STRING
        || (size_t) tenant->len != ctx->tenant.len
        || ngx_strncmp(tenant->str, ctx->tenant.data, ctx->tenant.len) != 0)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "agent_async agent \"%V\" not the caller's",
                       &ctx->id);

        *rc = ngx_http_agent_async_agent_not_found(r);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static void
ngx_http_agent_async_agent_got(ngx_http_request_t *r, redisReply *reply)
{
    ngx_int_t  rc;
    aa_buf_t   out;

    if (ngx_http_agent_async_agent_mine(r, reply, &rc) != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_agent_async_buf_init(r, &out);
    ngx_http_agent_async_agent_render(&out, &reply->element[1]);

    ngx_http_finalize_request(r,
        ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out));
}


/* f: the replies of ngx_http_agent_async_agent_fields, in that order */

void
ngx_http_agent_async_agent_render(aa_buf_t *out, redisReply **f)
{
    ngx_uint_t   i;
    const char  *v[NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS];
    size_t       len[NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS];

    for (i = 0; i < NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS; i++) {
        if (f[i]->type == REDIS_REPLY_STRING && f[i]->len) {
            v[i] = f[i]->str;
            len[i] = f[i]->len;

        } else {
            v[i] = NULL;
            len[i] = 0;
        }
    }

    aa_agent_render(out, v[0] ? v[0] : "{}", v[0] ? len[0] : 2, v[1], len[1],
                    v[2], len[2], v[3], len[3]);
}


ngx_int_t
ngx_http_agent_async_agent_not_found(ngx_http_request_t *r)
{
    return ngx_http_agent_async_send_detail(r, NGX_HTTP_NOT_FOUND,
                                            "Agent not found");
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
