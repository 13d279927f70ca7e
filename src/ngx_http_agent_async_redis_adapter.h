
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */


#ifndef _NGX_HTTP_AGENT_ASYNC_REDIS_ADAPTER_H_INCLUDED_
#define _NGX_HTTP_AGENT_ASYNC_REDIS_ADAPTER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>


/*
 * Drives the socket of ac with nginx's event loop, as hiredis's own
 * adapters/ drive it with libevent or libuv: an ngx_connection_t around
 * its descriptor, read and write events that call redisAsyncHandleRead()
 * and redisAsyncHandleWrite(), released when hiredis frees ac.  Returns
 * NGX_ERROR, leaving ac alone, when no connection is free.
 */
ngx_int_t ngx_http_agent_async_redis_attach(redisAsyncContext *ac,
    ngx_log_t *log);


#endif /* _NGX_HTTP_AGENT_ASYNC_REDIS_ADAPTER_H_INCLUDED_ */
