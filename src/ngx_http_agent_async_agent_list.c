
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * GET /v1/agents/: the caller's tenant's agents, a page at a time, from
 * the tenant's index (docs/redis-keys.md, "Listing agents"): the page is
 * cut by list_agents, in one step, then the agents are read by
 * get_agents.  A bare JSON array of AgentState, as Letta answers.
 *
 * Letta's parameters (docs/api.md): before, after, limit, order, order_by,
 * ascending, name; the filters no agent here can match (project_id,
 * template_id, base_template_id, identity_id, identifier_keys,
 * created_by_id) answer [] at once; tags, query_text and last_stop_reason
 * cannot be served from an index and are refused; the others are checked
 * and have nothing to do.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_id.h"
#include "aa_json.h"
#include "aa_keys.h"
#include "aa_validate.h"


#define NGX_HTTP_AGENT_ASYNC_AGENTS_LIMIT  50      /* Letta's default */
#define NGX_HTTP_AGENT_ASYNC_AGENTS_MAX    1000


static void ngx_http_agent_async_include_errors(aa_errors_t *e, yajl_val q);
static ngx_int_t ngx_http_agent_async_list_filters(ngx_http_request_t *r,
    yajl_val q, ngx_uint_t *answered);
static ngx_int_t ngx_http_agent_async_list_send(ngx_http_request_t *r,
    const char *name);
static void ngx_http_agent_async_listed(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_agent_async_list_got(ngx_http_request_t *r,
    redisReply *reply);


const char *const  ngx_http_agent_async_include_lists[] = {
    "include", "include_relationships", NULL
};


static const char *const  ngx_http_agent_async_list_lists[] = {
    "include", "include_relationships", "tags", "identifier_keys", NULL
};


static const char *const  ngx_http_agent_async_relationships[] = {
    "agent.blocks", "agent.identities", "agent.managed_group",
    "agent.pending_approval", "agent.secrets", "agent.sources",
    "agent.tags", "agent.tools", NULL
};


static const char *const  ngx_http_agent_async_stop_reasons[] = {
    "end_turn", "error", "llm_api_error", "invalid_llm_response",
    "invalid_tool_call", "max_steps", "max_tokens_exceeded", "no_tool_call",
    "tool_rule", "cancelled", "insufficient_credits", "requires_approval",
    "context_window_overflow_in_system_prompt", NULL
};


static const char *const  ngx_http_agent_async_list_order_by[] = {
    "created_at", "updated_at", "last_run_completion", NULL
};


/* the filters no agent here has a value for: nothing matches them */
static const char *const  ngx_http_agent_async_list_none[] = {
    "project_id", "template_id", "base_template_id", "identity_id",
    "created_by_id", "identifier_keys", NULL
};


/* the filters an index cannot serve */
static const char *const  ngx_http_agent_async_list_refused[] = {
    "tags", "query_text", "last_stop_reason", NULL
};


ngx_int_t
ngx_http_agent_async_agent_list(ngx_http_request_t *r)
{
    int                          asc, flag;
    ngx_int_t                    rc;
    yajl_val                     q, v;
    ngx_uint_t                   answered;
    aa_errors_t                  e;
    const char                  *name;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    q = ngx_http_agent_async_args(r, ngx_http_agent_async_list_lists, &rc);
    if (q == NULL) {
        return rc;
    }

    aa_errors_init(&e);

    ngx_http_agent_async_page_by(&e, q, &ctx->page,
                                 NGX_HTTP_AGENT_ASYNC_AGENTS_LIMIT,
                                 NGX_HTTP_AGENT_ASYNC_AGENTS_MAX, 1,
                                 ngx_http_agent_async_list_order_by,
                                 "Input should be 'created_at', "
                                 "'updated_at' or 'last_run_completion'");

    /* the deprecated ascending, when order does not say */
    if (ngx_http_agent_async_arg_bool(&e, q, "ascending", &asc) == 1
        && aa_json_get(q, "order") == NULL)
    {
        ctx->page.desc = !asc;
    }

    (void) ngx_http_agent_async_arg_bool(&e, q, "match_all_tags", &flag);
    (void) ngx_http_agent_async_arg_bool(&e, q, "show_hidden_agents", &flag);
    ngx_http_agent_async_include_errors(&e, q);

    v = aa_json_get(q, "last_stop_reason");
    if (v != NULL) {
        (void) aa_v_literal(&e, "query/last_stop_reason", v,
                            ngx_http_agent_async_stop_reasons, "enum",
                            "Input should be 'end_turn', 'error', "
                            "'llm_api_error', 'invalid_llm_response', "
                            "'invalid_tool_call', 'max_steps', "
                            "'max_tokens_exceeded', 'no_tool_call', "
                            "'tool_rule', 'cancelled', "
                            "'insufficient_credits', 'requires_approval' or "
                            "'context_window_overflow_in_system_prompt'");
    }

    if (e.items.failed) {
        aa_errors_free(&e);
        return ngx_http_agent_async_send_oom(r);
    }

    if (e.count) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "agent_async agent list: %d invalid parameters",
                       e.count);

        rc = ngx_http_agent_async_send_invalid(r, &e);
        aa_errors_free(&e);
        return rc;
    }

    aa_errors_free(&e);

    answered = 0;
    rc = ngx_http_agent_async_list_filters(r, q, &answered);
    if (answered) {
        return rc;
    }

    /* empty cursors and an empty name are none, as in Letta */

    if (ctx->page.after != NULL && ctx->page.after[0] == '\0') {
        ctx->page.after = NULL;
    }

    if (ctx->page.before != NULL && ctx->page.before[0] == '\0') {
        ctx->page.before = NULL;
    }

    v = aa_json_get(q, "name");
    name = (v != NULL && YAJL_IS_STRING(v)) ? v->u.string : "";

    return ngx_http_agent_async_list_send(r, name);
}


/* each item of include one of Letta's AgentRelationships */

static void
ngx_http_agent_async_include_errors(aa_errors_t *e, yajl_val q)
{
    char      loc[AA_LOC_MAX];
    size_t    i;
    yajl_val  v;

    v = aa_json_get(q, "include");

    for (i = 0; v != NULL && YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
        aa_v_loc_idx(loc, "query/include", i);
        (void) aa_v_literal(e, loc, v->u.array.values[i],
                            ngx_http_agent_async_relationships,
                            "literal_error",
                            "Input should be 'agent.blocks', "
                            "'agent.identities', 'agent.managed_group', "
                            "'agent.pending_approval', 'agent.secrets', "
                            "'agent.sources', 'agent.tags' or "
                            "'agent.tools'");
    }
}


/* GET /v1/agents/{id}: include checked, with nothing to include */

ngx_int_t
ngx_http_agent_async_include_check(ngx_http_request_t *r, yajl_val q)
{
    ngx_int_t    rc;
    aa_errors_t  e;

    aa_errors_init(&e);
    ngx_http_agent_async_include_errors(&e, q);

    if (e.items.failed) {
        rc = ngx_http_agent_async_send_oom(r);

    } else if (e.count) {
        rc = ngx_http_agent_async_send_invalid(r, &e);

    } else {
        rc = NGX_OK;
    }

    aa_errors_free(&e);

    return rc;
}


/*
 * A filter is given when it is a non-empty string or a non-empty list
 * (Letta tests each for truth): one no agent here matches answers [], one
 * an index cannot serve is a 400.  With *answered set, the return value is
 * the answer's status.
 */

static ngx_int_t
ngx_http_agent_async_list_filters(ngx_http_request_t *r, yajl_val q,
    ngx_uint_t *answered)
{
    u_char      buf[128];
    ngx_uint_t  i, k;
    yajl_val    v;

    static u_char  empty[] = "[]";

    const char *const  *lists[] = { ngx_http_agent_async_list_none,
                                    ngx_http_agent_async_list_refused };

    for (k = 0; k < 2; k++) {
        for (i = 0; lists[k][i] != NULL; i++) {
            v = aa_json_get(q, lists[k][i]);

            if (v == NULL
                || (YAJL_IS_STRING(v) && v->u.string[0] == '\0')
                || (YAJL_IS_ARRAY(v) && v->u.array.len == 0))
            {
                continue;
            }

            *answered = 1;

            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "agent_async agent list: filter \"%s\" %s",
                           lists[k][i], k == 0 ? "matches none" : "refused");

            if (k == 0) {
                return ngx_http_agent_async_send_json(r, NGX_HTTP_OK, empty,
                                                      2);
            }

            ngx_snprintf(buf, sizeof(buf),
                         "INVALID_ARGUMENT: filtering agents by %s is not "
                         "supported by this server%Z", lists[k][i]);

            return ngx_http_agent_async_send_detail(r, NGX_HTTP_BAD_REQUEST,
                                                    (const char *) buf);
        }
    }

    return NGX_OK;
}


/* KEYS and ARGV of src/lua/list_agents.lua, in r->pool */

static ngx_int_t
ngx_http_agent_async_list_send(ngx_http_request_t *r, const char *name)
{
    char                              *keys, tenant[AA_CONF_TENANT_MAX + 1];
    char                              *limit;
    size_t                            *lens;
    ngx_uint_t                         i;
    const char                       **argv;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    argv = ngx_palloc(r->pool, 7 * sizeof(char *));
    lens = ngx_palloc(r->pool, 7 * sizeof(size_t));
    keys = ngx_pnalloc(r->pool, 2 * AA_KEY_MAX);
    limit = ngx_pnalloc(r->pool, NGX_INT64_LEN + 1);

    if (argv == NULL || lens == NULL || keys == NULL || limit == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

    ngx_cpystrn((u_char *) tenant, ctx->tenant.data, ctx->tenant.len + 1);

    if (aa_key_tenant_agents(keys, AA_KEY_MAX, (char *) amcf->prefix.data,
                             tenant) < 0
        || aa_key_tenant_agent_names(keys + AA_KEY_MAX, AA_KEY_MAX,
                                     (char *) amcf->prefix.data, tenant) < 0)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    ngx_sprintf((u_char *) limit, "%L%Z", ctx->page.limit);

    argv[0] = keys;
    argv[1] = keys + AA_KEY_MAX;
    argv[2] = ctx->page.after ? ctx->page.after : "";
    argv[3] = ctx->page.before ? ctx->page.before : "";
    argv[4] = limit;
    argv[5] = ctx->page.desc ? "desc" : "asc";
    argv[6] = name;

    for (i = 0; i < 7; i++) {
        lens[i] = ngx_strlen(argv[i]);
    }

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent list: after \"%s\" before \"%s\" "
                   "limit %s %s name \"%s\"", argv[2], argv[3], argv[4],
                   argv[5], argv[6]);

    return ngx_http_agent_async_query_script(r, ngx_http_agent_async_listed,
                                             AA_SCRIPT_LIST_AGENTS, 2, 7,
                                             argv, lens);
}


/* the page's ids: their agents read in one step, with get_agents */

static void
ngx_http_agent_async_listed(ngx_http_request_t *r, redisReply *reply)
{
    char                              *keys, id[AA_ID_MAX];
    size_t                            *lens, i, n;
    redisReply                        *v;
    const char                       **argv;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    static u_char  empty[] = "[]";

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent list: %uz agents",
                   (size_t) reply->elements);

    n = reply->elements;

    argv = ngx_palloc(r->pool, (n + 1 + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS)
                               * sizeof(char *));
    lens = ngx_palloc(r->pool, (n + 1 + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS)
                               * sizeof(size_t));
    keys = ngx_pnalloc(r->pool, (n ? n : 1) * AA_KEY_MAX);

    if (argv == NULL || lens == NULL || keys == NULL) {
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    /* KEYS: the agents; ARGV: the fields, as src/lua/get_agents.lua */

    for (n = 0, i = 0; i < reply->elements; i++) {
        v = reply->element[i];

        if (v->type != REDIS_REPLY_STRING
            || !aa_id_valid("agent", v->str, v->len))
        {
            continue;
        }

        ngx_memcpy(id, v->str, v->len);
        id[v->len] = '\0';

        if (aa_key_agent(keys + n * AA_KEY_MAX, AA_KEY_MAX,
                         (char *) amcf->prefix.data, id) < 0)
        {
            continue;
        }

        argv[n] = keys + n * AA_KEY_MAX;
        lens[n] = ngx_strlen(argv[n]);
        n++;
    }

    if (n == 0) {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_json(r, NGX_HTTP_OK, empty, 2));
        return;
    }

    argv[n] = "tenant";
    lens[n] = 6;

    for (i = 0; i < NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS; i++) {
        argv[n + 1 + i] = ngx_http_agent_async_agent_fields[i];
        lens[n + 1 + i] = ngx_strlen(argv[n + 1 + i]);
    }

    ctx->data = (void *) (uintptr_t) n;

    ngx_http_finalize_request(r,
        ngx_http_agent_async_query_script(r, ngx_http_agent_async_list_got,
                                  AA_SCRIPT_GET_AGENTS, (int) n,
                                  (int) (n + 1
                                         + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS),
                                  argv, lens));
}


/* an agent deleted since the page was cut is left out */

static void
ngx_http_agent_async_list_got(ngx_http_request_t *r, redisReply *reply)
{
    size_t                       i, count;
    aa_buf_t                     out;
    redisReply                  *a;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != (size_t) (uintptr_t) ctx->data)
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    ngx_http_agent_async_buf_init(r, &out);
    aa_buf_putc(&out, '[');

    for (count = 0, i = 0; i < reply->elements; i++) {
        a = reply->element[i];

        if (a->type != REDIS_REPLY_ARRAY
            || a->elements != 1 + NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS
            || a->element[0]->type != REDIS_REPLY_STRING
            || a->element[1]->type != REDIS_REPLY_STRING
            || (size_t) a->element[0]->len != ctx->tenant.len
            || ngx_strncmp(a->element[0]->str, ctx->tenant.data,
                           ctx->tenant.len) != 0)
        {
            continue;
        }

        if (count++) {
            aa_buf_putc(&out, ',');
        }

        ngx_http_agent_async_agent_render(&out, &a->element[1]);
    }

    aa_buf_putc(&out, ']');

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent list: %uz answered", count);

    ngx_http_finalize_request(r,
        ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out));
}
