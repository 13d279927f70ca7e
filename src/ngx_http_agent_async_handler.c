
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The content handler: authentication, then the API's routes beneath
 * /v1/ (and Letta's /latest/ alias).  Anything else in an agent_async
 * location is a JSON 404, a known route with the wrong method a 405.
 */


#include "ngx_http_agent_async_module.h"


typedef enum {
    NGX_HTTP_AGENT_ASYNC_ROUTE_NONE = 0,
    NGX_HTTP_AGENT_ASYNC_ROUTE_AGENTS,         /* /agents, /agents/ */
    NGX_HTTP_AGENT_ASYNC_ROUTE_AGENT,          /* /agents/{id} */
    NGX_HTTP_AGENT_ASYNC_ROUTE_MESSAGES_ASYNC, /* .../messages/async */
    NGX_HTTP_AGENT_ASYNC_ROUTE_RUN             /* /runs/{id} */
} ngx_http_agent_async_route_e;


static ngx_str_t *ngx_http_agent_async_authenticate(ngx_http_request_t *r,
    ngx_http_agent_async_loc_conf_t *alcf);
static ngx_uint_t ngx_http_agent_async_route(ngx_str_t *uri, ngx_str_t *id);
static ngx_int_t ngx_http_agent_async_not_allowed(ngx_http_request_t *r,
    const char *allow);


ngx_int_t
ngx_http_agent_async_handler(ngx_http_request_t *r)
{
    ngx_str_t                        *tenant, id;
    ngx_uint_t                        route;
    ngx_http_agent_async_ctx_t       *ctx;
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

    if (alcf->auth) {
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

    route = ngx_http_agent_async_route(&r->uri, &id);
    ctx->id = id;

    switch (route) {

    case NGX_HTTP_AGENT_ASYNC_ROUTE_AGENTS:
        if (r->method != NGX_HTTP_POST) {
            return ngx_http_agent_async_not_allowed(r, "POST");
        }

        return ngx_http_agent_async_agent_create(r);

    case NGX_HTTP_AGENT_ASYNC_ROUTE_AGENT:
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return ngx_http_agent_async_not_allowed(r, "GET, HEAD");
        }

        return ngx_http_agent_async_agent_get(r);

    case NGX_HTTP_AGENT_ASYNC_ROUTE_MESSAGES_ASYNC:
        if (r->method != NGX_HTTP_POST) {
            return ngx_http_agent_async_not_allowed(r, "POST");
        }

        return ngx_http_agent_async_run_create(r);

    case NGX_HTTP_AGENT_ASYNC_ROUTE_RUN:
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return ngx_http_agent_async_not_allowed(r, "GET, HEAD");
        }

        return ngx_http_agent_async_run_get(r, &id);

    default:
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_agent_async_send_detail(r, NGX_HTTP_NOT_FOUND,
                                                "Not Found");
    }
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


/* splits "[/v1|/latest]/<route>" and the id segment of it */

static ngx_uint_t
ngx_http_agent_async_route(ngx_str_t *uri, ngx_str_t *id)
{
    u_char  *p, *last, *seg;
    size_t   len;

    id->data = NULL;
    id->len = 0;

    p = uri->data;
    last = uri->data + uri->len;

    if ((size_t) (last - p) >= 4 && ngx_strncmp(p, "/v1/", 4) == 0) {
        p += 3;

    } else if ((size_t) (last - p) >= 8
               && ngx_strncmp(p, "/latest/", 8) == 0)
    {
        p += 7;

    } else {
        return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
    }

    len = last - p;

    if (len >= 7 && ngx_strncmp(p, "/agents", 7) == 0) {
        p += 7;

        if (p == last || (p + 1 == last && *p == '/')) {
            return NGX_HTTP_AGENT_ASYNC_ROUTE_AGENTS;
        }

        if (*p != '/') {
            return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
        }

        seg = ++p;

        while (p < last && *p != '/') {
            p++;
        }

        id->data = seg;
        id->len = p - seg;

        if (p == last) {
            return NGX_HTTP_AGENT_ASYNC_ROUTE_AGENT;
        }

        len = last - p;

        if (len == sizeof("/messages/async") - 1
            && ngx_strncmp(p, "/messages/async", len) == 0)
        {
            return NGX_HTTP_AGENT_ASYNC_ROUTE_MESSAGES_ASYNC;
        }

        return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
    }

    if (len > 6 && ngx_strncmp(p, "/runs/", 6) == 0) {
        p += 6;

        id->data = p;
        id->len = last - p;

        if (ngx_strlchr(p, last, '/') == NULL) {
            return NGX_HTTP_AGENT_ASYNC_ROUTE_RUN;
        }
    }

    return NGX_HTTP_AGENT_ASYNC_ROUTE_NONE;
}


static ngx_int_t
ngx_http_agent_async_not_allowed(ngx_http_request_t *r, const char *allow)
{
    ngx_table_elt_t  *h;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
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
