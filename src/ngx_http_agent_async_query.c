
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * A request's round trips to Redis: a command is sent, or the request is
 * answered at once with why it could not be (503 with Retry-After when
 * Redis is not connected); and the 503 for a reply that is no answer
 * (with Retry-After when Redis is full).
 */


#include "ngx_http_agent_async_module.h"


static ngx_int_t ngx_http_agent_async_query_sent(ngx_http_request_t *r,
    ngx_int_t rc);
static ngx_int_t ngx_http_agent_async_send_full(ngx_http_request_t *r);


ngx_int_t
ngx_http_agent_async_query(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen)
{
    return ngx_http_agent_async_query_sent(r,
               ngx_http_agent_async_redis_command(r, handler, argc, argv,
                                                  argvlen));
}


ngx_int_t
ngx_http_agent_async_query_script(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, aa_script_e script, int nkeys,
    int argc, const char **argv, const size_t *argvlen)
{
    return ngx_http_agent_async_query_sent(r,
               ngx_http_agent_async_redis_eval(r, handler, script, nkeys,
                                               argc, argv, argvlen));
}


/* LRANGE key 0 last */

ngx_int_t
ngx_http_agent_async_query_range(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, const char *key, size_t len,
    const char *last)
{
    size_t       lens[4];
    const char  *argv[4];

    argv[0] = "LRANGE";
    lens[0] = 6;
    argv[1] = key;
    lens[1] = len;
    argv[2] = "0";
    lens[2] = 1;
    argv[3] = last;
    lens[3] = ngx_strlen(last);

    return ngx_http_agent_async_query(r, handler, 4, argv, lens);
}


/*
 * Sent: the reply handler finalizes r, which NGX_DONE keeps alive until
 * then, whether it is returned by a content handler or given to
 * ngx_http_finalize_request() by a body handler or a reply handler.
 */

static ngx_int_t
ngx_http_agent_async_query_sent(ngx_http_request_t *r, ngx_int_t rc)
{
    if (rc == NGX_OK) {
        r->main->count++;
        return NGX_DONE;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_agent_async_send_unreachable(r);
    }

    return ngx_http_agent_async_send_oom(r);
}


/* nothing was sent: a retry is safe, after the reconnection's first steps */

ngx_int_t
ngx_http_agent_async_send_unreachable(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    ngx_str_set(&h->value, "1");

    return ngx_http_agent_async_send_detail(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                            "Service Unavailable: the run "
                                            "store is not reachable");
}


static ngx_int_t
ngx_http_agent_async_send_full(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "agent_async: redis is at maxmemory, request refused");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    ngx_str_set(&h->value, "10");

    return ngx_http_agent_async_send_detail(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                            "Service Unavailable: the run "
                                            "store is full");
}


ngx_int_t
ngx_http_agent_async_send_storage_error(ngx_http_request_t *r,
    redisReply *reply)
{
    ngx_table_elt_t             *h;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply && reply->type == REDIS_REPLY_ERROR) {

        /*
         * At maxmemory (noeviction) a script is refused at its first
         * write, before it wrote anything: a retry is safe, later.
         */

        if (reply->len >= 4 && ngx_strncmp(reply->str, "OOM ", 4) == 0) {
            return ngx_http_agent_async_send_full(r);
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "agent_async: redis error: %*s",
                      (size_t) reply->len, reply->str);
    }

    /*
     * The SDKs retry 5xx.  A POST that reached Redis may have been
     * committed, and a retry would create a second run, unless it names
     * its run (docs/idempotency.md).
     */

    if (r->method == NGX_HTTP_POST && !(ctx != NULL && ctx->idempotent)) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "x-should-retry");
        ngx_str_set(&h->value, "false");
    }

    return ngx_http_agent_async_send_detail(r,
                                            NGX_HTTP_SERVICE_UNAVAILABLE,
                                            reply ? "Service Unavailable: "
                                                    "the run store failed"
                                                  : "Service Unavailable: "
                                                    "the run store did not "
                                                    "answer");
}
