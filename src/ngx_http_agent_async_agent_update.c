
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * PATCH /v1/agents/{agent_id}: Letta's UpdateAgent, the fields create
 * honours (aa_agent.h), answered with the AgentState updated.  The body
 * is checked first: a bad one is a 422 before any lookup.  Then the agent
 * is read with its revision, the patch merged into its state, and
 * update_agent writes the result only if the revision is still the one
 * read; if another PATCH came first, the agent is read and merged again,
 * so that neither loses the other's fields: up to 64 PATCHes of one agent
 * at once all land, more may be a 409 (which the SDKs retry).
 */


#include "ngx_http_agent_async_module.h"

#include "aa_agent.h"
#include "aa_id.h"
#include "aa_keys.h"
#include "aa_time.h"


/*
 * Each conflict is another PATCH of the agent written: with k PATCHes of
 * one agent at once, none loses more than k - 1 times.
 */
#define NGX_HTTP_AGENT_ASYNC_UPDATE_TRIES  64


typedef struct {
    u_char                    *body;        /* the patch, NUL-terminated */
    size_t                     len;
    ngx_uint_t                 tries;
    ngx_str_t                  state;       /* the new state */
    char                       rev[NGX_INT64_LEN + 1];
    char                       keys[3][AA_KEY_MAX];
    const char                *argv[15];
    size_t                     lens[15];
} ngx_http_agent_async_update_t;


static void ngx_http_agent_async_update_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_update_read(ngx_http_request_t *r);
static void ngx_http_agent_async_update_got(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_update_write(ngx_http_request_t *r,
    aa_agent_t *agent, redisReply *rev);
static void ngx_http_agent_async_updated(ngx_http_request_t *r,
    redisReply *reply);
static u_char *ngx_http_agent_async_update_copy(ngx_http_request_t *r,
    aa_buf_t *b);


ngx_int_t
ngx_http_agent_async_agent_update(ngx_http_request_t *r)
{
    return ngx_http_agent_async_read_agent_body(r,
                                        ngx_http_agent_async_update_body);
}


static void
ngx_http_agent_async_update_body(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    aa_agent_t                      agent;
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_update_t  *u;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    u = ngx_pcalloc(r->pool, sizeof(ngx_http_agent_async_update_t));
    if (u == NULL) {
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    u->body = ngx_http_agent_async_body(r, &u->len);
    if (u->body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->data = u;

    aa_agent_init(&agent);

    switch (aa_agent_check(&agent, (char *) u->body, u->len)) {

    case AA_OK:
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "agent_async agent update \"%V\": body valid",
                       &ctx->id);

        rc = ngx_http_agent_async_update_read(r);
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
ngx_http_agent_async_update_read(ngx_http_request_t *r)
{
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_update_t  *u;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    u = ctx->data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent update \"%V\": read, try %ui",
                   &ctx->id, u->tries + 1);

    return ngx_http_agent_async_agent_read(r,
                                           ngx_http_agent_async_update_got);
}


/* the agent as it is: the patch merged into its state */

static void
ngx_http_agent_async_update_got(ngx_http_request_t *r, redisReply *reply)
{
    char                            id[AA_ID_MAX];
    int64_t                         created_us;
    ngx_int_t                       rc;
    aa_agent_t                      agent;
    redisReply                     *state, *created;
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_update_t  *u;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    u = ctx->data;

    if (ngx_http_agent_async_agent_mine(r, reply, &rc) != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    state = reply->element[1];
    created = reply->element[2 + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS];

    if (created->type != REDIS_REPLY_STRING
        || aa_time_parse_run(created->str, created->len, &created_us) != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "agent_async: agent \"%V\" has no valid created_at",
                      &ctx->id);
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_detail(r,
                                             NGX_HTTP_INTERNAL_SERVER_ERROR,
                                             "An unknown error occurred"));
        return;
    }

    ngx_cpystrn((u_char *) id, ctx->id.data, ctx->id.len + 1);

    aa_agent_init(&agent);

    switch (aa_agent_update(&agent, state->str, state->len, (char *) u->body,
                            u->len, id, created_us, aa_now_us()))
    {
    case AA_OK:
        rc = ngx_http_agent_async_update_write(r, &agent,
                 reply->element[1 + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS]);
        break;

    case AA_INVALID:
        /* checked before: not reached */
        rc = ngx_http_agent_async_send_invalid(r, &agent.errors);
        break;

    case AA_BAD_STATE:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "agent_async: agent \"%V\" has a state this module "
                      "did not write", &ctx->id);
        rc = ngx_http_agent_async_send_detail(r,
                                              NGX_HTTP_INTERNAL_SERVER_ERROR,
                                              "An unknown error occurred");
        break;

    default: /* AA_NOMEM */
        rc = ngx_http_agent_async_send_oom(r);
        break;
    }

    aa_agent_free(&agent);

    ngx_http_finalize_request(r, rc);
}


/* KEYS and ARGV of src/lua/update_agent.lua, in u (r->pool) */

static ngx_int_t
ngx_http_agent_async_update_write(ngx_http_request_t *r, aa_agent_t *agent,
    redisReply *rev)
{
    u_char                            *system, *llm, *name;
    char                               id[AA_ID_MAX];
    char                               tenant[AA_CONF_TENANT_MAX + 1];
    ngx_uint_t                         i;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_update_t     *u;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);
    u = ctx->data;

    u->state.data = ngx_http_agent_async_update_copy(r, &agent->state);
    u->state.len = agent->state.len;
    system = ngx_http_agent_async_update_copy(r, &agent->system);
    llm = ngx_http_agent_async_update_copy(r, &agent->llm);
    name = ngx_http_agent_async_update_copy(r, &agent->name);

    if (u->state.data == NULL || system == NULL || llm == NULL
        || name == NULL)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    /* the revision read: "0" before the first PATCH */
    if (rev->type == REDIS_REPLY_STRING && rev->len > 0
        && (size_t) rev->len < sizeof(u->rev))
    {
        ngx_memcpy(u->rev, rev->str, rev->len);
        u->rev[rev->len] = '\0';

    } else {
        ngx_cpystrn((u_char *) u->rev, (u_char *) "0", sizeof(u->rev));
    }

    ngx_cpystrn((u_char *) id, ctx->id.data, ctx->id.len + 1);
    ngx_cpystrn((u_char *) tenant, ctx->tenant.data, ctx->tenant.len + 1);

    if (aa_key_agent(u->keys[0], AA_KEY_MAX, (char *) amcf->prefix.data, id)
        < 0
        || aa_key_tenant_agents(u->keys[1], AA_KEY_MAX,
                                (char *) amcf->prefix.data, tenant) < 0
        || aa_key_tenant_agent_names(u->keys[2], AA_KEY_MAX,
                                     (char *) amcf->prefix.data, tenant) < 0)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    u->argv[0] = u->keys[0];
    u->argv[1] = u->keys[1];
    u->argv[2] = u->keys[2];
    u->argv[3] = (char *) ctx->tenant.data;
    u->argv[4] = u->rev;
    u->argv[5] = (char *) ctx->id.data;
    u->argv[6] = (char *) name;
    u->argv[7] = "state";
    u->argv[8] = (char *) u->state.data;
    u->argv[9] = "system";
    u->argv[10] = (char *) system;
    u->argv[11] = "llm";
    u->argv[12] = agent->llm.len ? (char *) llm : "{}";
    u->argv[13] = "name";
    u->argv[14] = (char *) name;

    for (i = 0; i < 15; i++) {
        /* tenant and id are not NUL-terminated where they come from */
        u->lens[i] = (i == 3) ? ctx->tenant.len
                              : (i == 5) ? ctx->id.len
                                         : ngx_strlen(u->argv[i]);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent update \"%V\": write at rev %s",
                   &ctx->id, u->rev);

    return ngx_http_agent_async_query_script(r, ngx_http_agent_async_updated,
                                             AA_SCRIPT_UPDATE_AGENT, 3, 15,
                                             u->argv, u->lens);
}


static void
ngx_http_agent_async_updated(ngx_http_request_t *r, redisReply *reply)
{
    size_t                          len[3];
    aa_buf_t                        out;
    ngx_uint_t                      i;
    redisReply                     *m;
    const char                     *v[3];
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_update_t  *u;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    u = ctx->data;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    if (ngx_strcmp(reply->element[0]->str, "gone") == 0) {
        ngx_http_finalize_request(r, ngx_http_agent_async_agent_not_found(r));
        return;
    }

    if (ngx_strcmp(reply->element[0]->str, "conflict") == 0) {
        if (++u->tries < NGX_HTTP_AGENT_ASYNC_UPDATE_TRIES) {
            ngx_http_finalize_request(r,
                                      ngx_http_agent_async_update_read(r));
            return;
        }

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "agent_async: agent \"%V\" changed under %ui PATCHes "
                      "in a row", &ctx->id, u->tries);

        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_detail(r, NGX_HTTP_CONFLICT,
                "CONFLICT: the agent kept changing while it was updated; "
                "try again"));
        return;
    }

    if (reply->elements != 5 || ngx_strcmp(reply->element[0]->str, "ok") != 0
        || reply->element[1]->type != REDIS_REPLY_INTEGER)
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent update \"%V\": rev %L",
                   &ctx->id, (int64_t) reply->element[1]->integer);

    /* the state as written, the run metrics as they are now */

    for (i = 0; i < 3; i++) {
        m = reply->element[2 + i];
        v[i] = (m->type == REDIS_REPLY_STRING && m->len) ? m->str : NULL;
        len[i] = v[i] ? m->len : 0;
    }

    ngx_http_agent_async_buf_init(r, &out);
    aa_agent_render(&out, (char *) u->state.data, u->state.len, v[0],
                    len[0], v[1], len[1], v[2], len[2]);

    ngx_http_finalize_request(r,
        ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out));
}


static u_char *
ngx_http_agent_async_update_copy(ngx_http_request_t *r, aa_buf_t *b)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, b->len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, b->data, b->len);
    p[b->len] = '\0';

    return p;
}
