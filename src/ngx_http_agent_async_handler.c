
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The content handler: authentication, then the API's routes beneath
 * /v1/ (and Letta's /latest/ alias), each with and without a trailing
 * slash.  What the module does not serve goes to agent_async_pass's named
 * location when there is one; otherwise a path it does not know is a JSON
 * 404, a known one with another method a 405 with Allow.
 */


#include "ngx_http_agent_async_module.h"


typedef ngx_int_t (*ngx_http_agent_async_route_pt)(ngx_http_request_t *r);


typedef enum {
    NGX_HTTP_AGENT_ASYNC_ROUTE_NONE = 0,
    NGX_HTTP_AGENT_ASYNC_ROUTE_HEALTH,          /* /health */
    NGX_HTTP_AGENT_ASYNC_ROUTE_AGENTS,          /* /agents */
    NGX_HTTP_AGENT_ASYNC_ROUTE_AGENT,           /* /agents/{id} */
    NGX_HTTP_AGENT_ASYNC_ROUTE_MESSAGES_ASYNC,  /* .../messages/async */
    NGX_HTTP_AGENT_ASYNC_ROUTE_MESSAGES_CANCEL, /* .../messages/cancel */
    NGX_HTTP_AGENT_ASYNC_ROUTE_RUNS,            /* /runs */
    NGX_HTTP_AGENT_ASYNC_ROUTE_RUNS_ACTIVE,     /* /runs/active */
    NGX_HTTP_AGENT_ASYNC_ROUTE_RUN,             /* /runs/{id} */
    NGX_HTTP_AGENT_ASYNC_ROUTE_RUN_MESSAGES,    /* /runs/{id}/messages */
    NGX_HTTP_AGENT_ASYNC_ROUTE_RUN_USAGE,       /* /runs/{id}/usage */
    NGX_HTTP_AGENT_ASYNC_ROUTE_RUN_STEPS,       /* /runs/{id}/steps */
    NGX_HTTP_AGENT_ASYNC_ROUTE_RUN_METRICS,     /* /runs/{id}/metrics */
    NGX_HTTP_AGENT_ASYNC_ROUTE_N
} ngx_http_agent_async_route_e;


typedef struct {
    ngx_uint_t                      method;     /* GET also serves HEAD */
    ngx_http_agent_async_route_pt   handler;
} ngx_http_agent_async_method_t;


typedef struct {
    const char                     *allow;      /* Allow of a 405 */
    ngx_uint_t                      public;     /* no token needed */
    ngx_http_agent_async_method_t   methods[4];
} ngx_http_agent_async_route_t;


static ngx_str_t *ngx_http_agent_async_authenticate(ngx_http_request_t *r,
    ngx_http_agent_async_loc_conf_t *alcf);
static ngx_uint_t ngx_http_agent_async_route(ngx_str_t *uri, ngx_str_t *id);
static ngx_int_t ngx_http_agent_async_not_served(ngx_http_request_t *r,
    ngx_http_agent_async_loc_conf_t *alcf, ngx_int_t status,
    const char *allow);


/* as the routes are named in metrics */
static const char  *ngx_http_agent_async_route_names[] = {
    "none", "health", "agents", "agent", "messages_async", "messages_cancel",
    "runs", "runs_active", "run", "run_messages", "run_usage", "run_steps",
    "run_metrics"
};

const ngx_uint_t  ngx_http_agent_async_nroutes = NGX_HTTP_AGENT_ASYNC_ROUTE_N;


static ngx_http_agent_async_route_t
    ngx_http_agent_async_routes[NGX_HTTP_AGENT_ASYNC_ROUTE_N] =
{
    /* NONE */
    { NULL, 0, { { 0, NULL } } },

    /* HEALTH */
    { "GET, HEAD", 1,
      { { NGX_HTTP_GET, ngx_http_agent_async_health },
        { 0, NULL } } },

    /* AGENTS */
    { "GET, HEAD, POST", 0,
      { { NGX_HTTP_GET, ngx_http_agent_async_agent_list },
        { NGX_HTTP_POST, ngx_http_agent_async_agent_create },
        { 0, NULL } } },

    /* AGENT */
    { "GET, HEAD, PATCH, DELETE", 0,
      { { NGX_HTTP_GET, ngx_http_agent_async_agent_get },
        { NGX_HTTP_PATCH, ngx_http_agent_async_agent_update },
        { NGX_HTTP_DELETE, ngx_http_agent_async_agent_delete },
        { 0, NULL } } },

    /* MESSAGES_ASYNC */
    { "POST", 0,
      { { NGX_HTTP_POST, ngx_http_agent_async_run_create },
        { 0, NULL } } },

    /* MESSAGES_CANCEL */
    { "POST", 0,
      { { NGX_HTTP_POST, ngx_http_agent_async_cancel },
        { 0, NULL } } },

    /* RUNS */
    { "GET, HEAD", 0,
      { { NGX_HTTP_GET, ngx_http_agent_async_runs_list },
        { 0, NULL } } },

    /* RUNS_ACTIVE: as for Letta, DELETE takes "active" for a run id */
    { "GET, HEAD, DELETE", 0,
      { { NGX_HTTP_GET, ngx_http_agent_async_runs_active },
        { NGX_HTTP_DELETE, ngx_http_agent_async_run_delete },
        { 0, NULL } } },

    /* RUN */
    { "GET, HEAD, DELETE", 0,
      { { NGX_HTTP_GET, ngx_http_agent_async_run_get },
        { NGX_HTTP_DELETE, ngx_http_agent_async_run_delete },
        { 0, NULL } } },

    /* RUN_MESSAGES */
    { "GET, HEAD", 0,
      { { NGX_HTTP_GET, ngx_http_agent_async_run_messages },
        { 0, NULL } } },

    /* RUN_USAGE */
    { "GET, HEAD", 0,
      { { NGX_HTTP_GET, ngx_http_agent_async_run_usage },
        { 0, NULL } } },

    /* RUN_STEPS */
    { "GET, HEAD", 0,
      { { NGX_HTTP_GET, ngx_http_agent_async_run_steps },
        { 0, NULL } } },

    /* RUN_METRICS */
    { "GET, HEAD", 0,
      { { NGX_HTTP_GET, ngx_http_agent_async_run_metrics },
        { 0, NULL } } },
};


ngx_int_t
ngx_http_agent_async_handler(ngx_http_request_t *r)
{
    ngx_str_t                        *tenant, id;
    ngx_uint_t                        i, method;
    ngx_http_agent_async_ctx_t       *ctx;
    ngx_http_agent_async_route_t     *route;
    ngx_http_agent_async_loc_conf_t  *alcf;

    static ngx_str_t  default_tenant = ngx_string("default");

    if (r != r->main) {
        return NGX_HTTP_NOT_FOUND;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_agent_async_module);

    ctx = ngx_http_agent_async_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->route = ngx_http_agent_async_route(&r->uri, &id);
    route = &ngx_http_agent_async_routes[ctx->route];
    ctx->id = id;

    /* for $agent_async_agent_id and $agent_async_run_id */
    if (ctx->route >= NGX_HTTP_AGENT_ASYNC_ROUTE_AGENT
        && ctx->route <= NGX_HTTP_AGENT_ASYNC_ROUTE_MESSAGES_CANCEL)
    {
        ctx->agent_id = id;

    } else if (ctx->route >= NGX_HTTP_AGENT_ASYNC_ROUTE_RUNS_ACTIVE) {
        ctx->run_id = id;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async route %d id \"%V\"",
                   (int) (route - ngx_http_agent_async_routes), &id);

    if (alcf->auth && !route->public) {
        tenant = ngx_http_agent_async_authenticate(r, alcf);

        if (tenant == NULL) {
            if (ngx_http_discard_request_body(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return ngx_http_agent_async_send_detail(r, NGX_HTTP_UNAUTHORIZED,
                                                    "Unauthorized");
        }

    } else {
        tenant = &default_tenant;
    }

    ctx->tenant = *tenant;

    if (route->methods[0].handler == NULL) {
        return ngx_http_agent_async_not_served(r, alcf, NGX_HTTP_NOT_FOUND,
                                               NULL);
    }

    method = (r->method == NGX_HTTP_HEAD) ? NGX_HTTP_GET : r->method;

    for (i = 0; route->methods[i].handler != NULL; i++) {
        if (route->methods[i].method == method) {
            return route->methods[i].handler(r);
        }
    }

    return ngx_http_agent_async_not_served(r, alcf, NGX_HTTP_NOT_ALLOWED,
                                           route->allow);
}


const char *
ngx_http_agent_async_route_name(ngx_uint_t route)
{
    if (route >= NGX_HTTP_AGENT_ASYNC_ROUTE_N) {
        return "none";
    }

    return ngx_http_agent_async_route_names[route];
}


static ngx_str_t *
ngx_http_agent_async_authenticate(ngx_http_request_t *r,
    ngx_http_agent_async_loc_conf_t *alcf)
{
    u_char                        *p, *last, diff;
    size_t                         len, i;
    ngx_str_t                     *tenant;
    ngx_uint_t                     k;
    ngx_table_elt_t               *h;
    ngx_http_agent_async_token_t  *t;

    h = r->headers_in.authorization;

    if (h == NULL || h->value.len < sizeof("Bearer ") - 1
        || ngx_strncasecmp(h->value.data, (u_char *) "Bearer ", 7) != 0)
    {
        return NULL;
    }

    p = h->value.data + 7;
    last = h->value.data + h->value.len;

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    len = last - p;

    /*
     * Every configured token is compared, each in time that depends only
     * on its own length, so timing tells nothing about where a guess
     * went wrong.
     */

    tenant = NULL;
    t = alcf->tokens->elts;

    for (k = 0; k < alcf->tokens->nelts; k++) {
        diff = (u_char) (t[k].token.len != len);

        for (i = 0; i < t[k].token.len; i++) {
            diff |= t[k].token.data[i] ^ (i < len ? p[i] : 0);
        }

        if (diff == 0) {
            tenant = &t[k].tenant;
        }
    }

    return tenant;
}


/*
 * "[/v1|/latest]/<route>[/]" and the id segment of it.  Segments are
 * matched whole; an empty one where an id goes is an id that fails its
 * check later, anywhere else no route.
 */

static ngx_uint_t
ngx_http_agent_async_route(ngx_str_t *uri, ngx_str_t *id)
{
    u_char      *p, *last, *s;
    ngx_str_t    seg[5];
    ngx_uint_t   n;

    id->data = NULL;
    id->len = 0;

    p = uri->data;
    last = uri->data + uri->len;

    if ((size_t) (last - p) >= 3 && ngx_strncmp(p, "/v1", 3) == 0) {
        p += 3;

    } else if ((size_t) (last - p) >= 7
               && ngx_strncmp(p, "/latest", 7) == 0)
    {
        p += 7;

    } else {
        return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
    }

    if (p == last || *p != '/') {
        return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
    }

    /* one trailing slash: Letta answers both forms */
    if (last - p > 1 && last[-1] == '/') {
        last--;
    }

    n = 0;

    while (p < last) {
        if (n == 5) {
            return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
        }

        s = ++p;

        while (p < last && *p != '/') {
            p++;
        }

        seg[n].data = s;
        seg[n].len = p - s;
        n++;
    }

#define ngx_http_agent_async_seg(i, name)                                     \
    (seg[i].len == sizeof(name) - 1                                           \
     && ngx_strncmp(seg[i].data, name, sizeof(name) - 1) == 0)

    if (n == 0) {
        return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
    }

    if (ngx_http_agent_async_seg(0, "health")) {
        return n == 1 ? NGX_HTTP_AGENT_ASYNC_ROUTE_HEALTH
                      : NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
    }

    if (ngx_http_agent_async_seg(0, "agents")) {
        if (n == 1) {
            return NGX_HTTP_AGENT_ASYNC_ROUTE_AGENTS;
        }

        *id = seg[1];

        if (n == 2) {
            return NGX_HTTP_AGENT_ASYNC_ROUTE_AGENT;
        }

        if (n == 4 && ngx_http_agent_async_seg(2, "messages")) {
            if (ngx_http_agent_async_seg(3, "async")) {
                return NGX_HTTP_AGENT_ASYNC_ROUTE_MESSAGES_ASYNC;
            }

            if (ngx_http_agent_async_seg(3, "cancel")) {
                return NGX_HTTP_AGENT_ASYNC_ROUTE_MESSAGES_CANCEL;
            }
        }

        return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
    }

    if (ngx_http_agent_async_seg(0, "runs") && n == 1) {
        return NGX_HTTP_AGENT_ASYNC_ROUTE_RUNS;
    }

    if (ngx_http_agent_async_seg(0, "runs") && n >= 2 && seg[1].len) {
        *id = seg[1];

        if (n == 2) {
            return ngx_http_agent_async_seg(1, "active")
                   ? NGX_HTTP_AGENT_ASYNC_ROUTE_RUNS_ACTIVE
                   : NGX_HTTP_AGENT_ASYNC_ROUTE_RUN;
        }

        if (n == 3) {
            if (ngx_http_agent_async_seg(2, "messages")) {
                return NGX_HTTP_AGENT_ASYNC_ROUTE_RUN_MESSAGES;
            }

            if (ngx_http_agent_async_seg(2, "usage")) {
                return NGX_HTTP_AGENT_ASYNC_ROUTE_RUN_USAGE;
            }

            if (ngx_http_agent_async_seg(2, "steps")) {
                return NGX_HTTP_AGENT_ASYNC_ROUTE_RUN_STEPS;
            }

            if (ngx_http_agent_async_seg(2, "metrics")) {
                return NGX_HTTP_AGENT_ASYNC_ROUTE_RUN_METRICS;
            }
        }
    }

#undef ngx_http_agent_async_seg

    id->data = NULL;
    id->len = 0;

    return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
}


/*
 * A path or method the module does not serve: to agent_async_pass's named
 * location, with the request body unread, or answered here.
 */

static ngx_int_t
ngx_http_agent_async_not_served(ngx_http_request_t *r,
    ngx_http_agent_async_loc_conf_t *alcf, ngx_int_t status,
    const char *allow)
{
    ngx_table_elt_t  *h;

    if (alcf->pass.len) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "agent_async pass to \"%V\"", &alcf->pass);

        return ngx_http_named_location(r, &alcf->pass);
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == NGX_HTTP_NOT_FOUND) {
        return ngx_http_agent_async_send_detail(r, NGX_HTTP_NOT_FOUND,
                                                "Not Found");
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value.data = (u_char *) allow;
    h->value.len = ngx_strlen(allow);

    return ngx_http_agent_async_send_detail(r, NGX_HTTP_NOT_ALLOWED,
                                            "Method Not Allowed");
}
