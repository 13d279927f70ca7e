
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */


#ifndef _NGX_HTTP_AGENT_ASYNC_REDIS_READER_H_INCLUDED_
#define _NGX_HTTP_AGENT_ASYNC_REDIS_READER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>


/*
 * Makes ac's reader build its replies in one arena, emptied when hiredis
 * frees each reply (after its callback): no malloc per element.  For the
 * one connection of a worker process at a time.
 */
void ngx_http_agent_async_redis_reader_install(redisAsyncContext *ac);


#endif /* _NGX_HTTP_AGENT_ASYNC_REDIS_READER_H_INCLUDED_ */
