
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * hiredis's event hooks over an nginx connection.  Events are registered
 * level-triggered: hiredis 0.14 reads at most 16 KiB per call, and with
 * edge-triggered events a large reply could be left unread.
 */


#include "ngx_http_agent_async_redis_adapter.h"


static void ngx_http_agent_async_redis_add_read(void *privdata);
static void ngx_http_agent_async_redis_del_read(void *privdata);
static void ngx_http_agent_async_redis_add_write(void *privdata);
static void ngx_http_agent_async_redis_del_write(void *privdata);
static void ngx_http_agent_async_redis_cleanup(void *privdata);
static void ngx_http_agent_async_redis_read_handler(ngx_event_t *ev);
static void ngx_http_agent_async_redis_write_handler(ngx_event_t *ev);


ngx_int_t
ngx_http_agent_async_redis_attach(redisAsyncContext *ac, ngx_log_t *log)
{
    ngx_connection_t  *c;

    c = ngx_get_connection(ac->c.fd, log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = ac;
    c->read->handler = ngx_http_agent_async_redis_read_handler;
    c->write->handler = ngx_http_agent_async_redis_write_handler;
    c->read->log = log;
    c->write->log = log;

    ac->ev.data = c;
    ac->ev.addRead = ngx_http_agent_async_redis_add_read;
    ac->ev.delRead = ngx_http_agent_async_redis_del_read;
    ac->ev.addWrite = ngx_http_agent_async_redis_add_write;
    ac->ev.delWrite = ngx_http_agent_async_redis_del_write;
    ac->ev.cleanup = ngx_http_agent_async_redis_cleanup;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, log, 0,
                   "agent_async redis attached fd:%d", c->fd);

    return NGX_OK;
}


static void
ngx_http_agent_async_redis_add_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (!c->read->active
        && ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "agent_async: adding redis read event failed");
    }
}


static void
ngx_http_agent_async_redis_del_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_agent_async_redis_add_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (!c->write->active
        && ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
           != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "agent_async: adding redis write event failed");
    }
}


static void
ngx_http_agent_async_redis_del_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }
}


/* hiredis closes the descriptor after this returns: only forget it here */

static void
ngx_http_agent_async_redis_cleanup(void *privdata)
{
    ngx_connection_t   *c = privdata;
    redisAsyncContext  *ac;

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, c->log, 0,
                   "agent_async redis detached fd:%d", c->fd);

    ac = c->data;
    ac->ev.data = NULL;

    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    ngx_free_connection(c);
    c->fd = (ngx_socket_t) -1;
}


static void
ngx_http_agent_async_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    redisAsyncHandleRead(c->data);
}


static void
ngx_http_agent_async_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    redisAsyncHandleWrite(c->data);
}
