
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Variables for log_format and the rest of nginx's configuration:
 *
 *   $agent_async_run_id     the run of the request: of its path, or the
 *                           one a POST .../messages/async created
 *   $agent_async_agent_id   its agent: of its path, of the run found, or
 *                           the one a POST /v1/agents/ created
 *   $agent_async_tenant     the tenant its token maps to (never the
 *                           token itself)
 *
 * Each is "not found" (logged as "-") where the request has none, and an
 * id is given only when it is one (aa_id_valid), whatever the path held.
 */


#include "ngx_http_agent_async_module.h"
#include "aa_id.h"


static ngx_int_t ngx_http_agent_async_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#define NGX_HTTP_AGENT_ASYNC_VAR_RUN     0
#define NGX_HTTP_AGENT_ASYNC_VAR_AGENT   1
#define NGX_HTTP_AGENT_ASYNC_VAR_TENANT  2


static ngx_http_variable_t  ngx_http_agent_async_vars[] = {

    { ngx_string("agent_async_run_id"), NULL,
      ngx_http_agent_async_variable, NGX_HTTP_AGENT_ASYNC_VAR_RUN,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("agent_async_agent_id"), NULL,
      ngx_http_agent_async_variable, NGX_HTTP_AGENT_ASYNC_VAR_AGENT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("agent_async_tenant"), NULL,
      ngx_http_agent_async_variable, NGX_HTTP_AGENT_ASYNC_VAR_TENANT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_agent_async_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_agent_async_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_agent_async_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                   *s;
    const char                  *prefix;
    ngx_http_agent_async_ctx_t  *ctx;

    v->not_found = 1;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_agent_async_module);
    if (ctx == NULL) {
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_AGENT_ASYNC_VAR_RUN:
        s = &ctx->run_id;
        prefix = "run";
        break;

    case NGX_HTTP_AGENT_ASYNC_VAR_AGENT:
        s = ctx->agent_id.len ? &ctx->agent_id : &ctx->agent;
        prefix = "agent";
        break;

    default: /* NGX_HTTP_AGENT_ASYNC_VAR_TENANT */
        s = &ctx->tenant;
        prefix = NULL;
        break;
    }

    if (s->len == 0
        || (prefix && !aa_id_valid(prefix, (char *) s->data, s->len)))
    {
        return NGX_OK;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async variable %ui: \"%V\"", (ngx_uint_t) data, s);

    v->data = s->data;
    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
