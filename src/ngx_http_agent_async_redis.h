
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */


#ifndef _NGX_HTTP_AGENT_ASYNC_REDIS_H_INCLUDED_
#define _NGX_HTTP_AGENT_ASYNC_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "aa_scripts.h"


#define NGX_HTTP_AGENT_ASYNC_MAX_ARGS  64


typedef struct {
    ngx_str_t                  host;        /* IP literal; empty for unix */
    ngx_int_t                  port;
    ngx_str_t                  unix_path;   /* NUL-terminated */
    ngx_str_t                  password;
    ngx_int_t                  db;
    ngx_msec_t                 connect_timeout;
    ngx_msec_t                 timeout;
    ngx_msec_t                 reconnect_max;
} ngx_http_agent_async_redis_conf_t;


/*
 * Called once per command sent for r: with the reply, or with NULL when
 * none came in time (the command timeout, a lost connection).  Not called
 * when r went away first, nor when the command was queued on a connection
 * that never came up: nothing was sent, and the redis layer answers r as
 * for an unreachable Redis (unless sent with _probe(), below).
 */
typedef void (*ngx_http_agent_async_reply_pt)(ngx_http_request_t *r,
    redisReply *reply);


/* The worker process's connection: opened at start, kept open. */
ngx_int_t ngx_http_agent_async_redis_init(ngx_cycle_t *cycle,
    ngx_http_agent_async_redis_conf_t *conf);
void ngx_http_agent_async_redis_exit(ngx_cycle_t *cycle);

/*
 * Sends a command on behalf of r; handler gets its reply.  NGX_OK when it
 * was sent; NGX_DECLINED when Redis is not connected (nothing was sent);
 * NGX_ERROR when memory ran out.  The arguments are copied.
 */
ngx_int_t ngx_http_agent_async_redis_command(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen);

/*
 * As ngx_http_agent_async_redis_command(), but handler answers r in every
 * case: it gets NULL also when the command was queued on a connection
 * that never came up (GET /v1/health/ answers in its own shape; a metrics
 * scrape, several commands in flight, answers once they are all back).
 */
ngx_int_t ngx_http_agent_async_redis_probe(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen);

/*
 * EVALSHA of script with nkeys keys among the argc arguments, as
 * ngx_http_agent_async_redis_command().  A NOSCRIPT answer (a SCRIPT
 * FLUSH, a restarted Redis) never reaches handler: the script is loaded
 * again and the command sent again.  For that, argv and argvlen must stay
 * valid as long as r: static or r->pool memory.
 */
ngx_int_t ngx_http_agent_async_redis_eval(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, aa_script_e script, int nkeys,
    int argc, const char **argv, const size_t *argvlen);


#endif /* _NGX_HTTP_AGENT_ASYNC_REDIS_H_INCLUDED_ */
