
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * GET /v1/health/: Letta's {"version": ..., "status": "ok"}, without
 * authentication, for load balancers; 503 with "status": "unavailable"
 * when the run store does not answer PING.
 */


#include "ngx_http_agent_async_module.h"


static void ngx_http_agent_async_health_pong(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_health_answer(ngx_http_request_t *r,
    ngx_uint_t ok);


ngx_int_t
ngx_http_agent_async_health(ngx_http_request_t *r)
{
    ngx_int_t    rc;
    const char  *argv[1];
    size_t       lens[1];

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[0] = "PING";
    lens[0] = 4;

    /* a Redis down is answered here, in health's shape, however found */
    rc = ngx_http_agent_async_redis_probe(r, ngx_http_agent_async_health_pong,
                                          1, argv, lens);

    if (rc == NGX_OK) {
        r->main->count++;
        return NGX_DONE;
    }

    return ngx_http_agent_async_health_answer(r, 0);
}


static void
ngx_http_agent_async_health_pong(ngx_http_request_t *r, redisReply *reply)
{
    ngx_http_finalize_request(r, ngx_http_agent_async_health_answer(r,
        reply != NULL && reply->type == REDIS_REPLY_STATUS
        && reply->len == 4 && ngx_strncmp(reply->str, "PONG", 4) == 0));
}


static ngx_int_t
ngx_http_agent_async_health_answer(ngx_http_request_t *r, ngx_uint_t ok)
{
    static u_char  up[] = "{\"version\":\"" NGX_HTTP_AGENT_ASYNC_VERSION
                          "\",\"status\":\"ok\"}";
    static u_char  down[] = "{\"version\":\"" NGX_HTTP_AGENT_ASYNC_VERSION
                            "\",\"status\":\"unavailable\"}";

    if (ok) {
        return ngx_http_agent_async_send_json(r, NGX_HTTP_OK, up,
                                              sizeof(up) - 1);
    }

    return ngx_http_agent_async_send_json(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                          down, sizeof(down) - 1);
}
