
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * hiredis's reply objects from an arena.  hiredis makes a redisReply and
 * a string buffer with malloc for every element of a reply (an HMGET of a
 * run: some 40 mallocs and frees), and frees the whole reply itself once
 * its callback returns, the top object only being passed to freeObject.
 * Replies are built one at a time (the next is parsed only after the one
 * before was freed), and the module has one connection per worker process
 * at a time, so one arena serves: bump allocation from a block that is
 * kept, blocks of their own for large replies, all emptied when the top
 * object of the reply goes.  A callback must not keep a pointer into its
 * reply, as with hiredis's own objects.
 */


#include "ngx_http_agent_async_redis_reader.h"


#define NGX_HTTP_AGENT_ASYNC_ARENA_SIZE  (64 * 1024)


typedef struct ngx_http_agent_async_arena_big_s
    ngx_http_agent_async_arena_big_t;

struct ngx_http_agent_async_arena_big_s {
    ngx_http_agent_async_arena_big_t  *next;
};


typedef struct {
    u_char                            *block;    /* kept */
    size_t                             used;
    ngx_http_agent_async_arena_big_t  *big;      /* freed when emptied */
    void                              *top;      /* the reply being built */
} ngx_http_agent_async_arena_t;


static void *ngx_http_agent_async_reader_alloc(size_t size);
static redisReply *ngx_http_agent_async_reader_object(
    const redisReadTask *task, int type);
static void *ngx_http_agent_async_reader_string(const redisReadTask *task,
    char *str, size_t len);
static void *ngx_http_agent_async_reader_array(const redisReadTask *task,
    int elements);
static void *ngx_http_agent_async_reader_integer(const redisReadTask *task,
    long long value);
static void *ngx_http_agent_async_reader_nil(const redisReadTask *task);
static void ngx_http_agent_async_reader_free(void *reply);


static ngx_http_agent_async_arena_t  ngx_http_agent_async_arena;

static redisReplyObjectFunctions  ngx_http_agent_async_reader_functions = {
    ngx_http_agent_async_reader_string,
    ngx_http_agent_async_reader_array,
    ngx_http_agent_async_reader_integer,
    ngx_http_agent_async_reader_nil,
    ngx_http_agent_async_reader_free
};


void
ngx_http_agent_async_redis_reader_install(redisAsyncContext *ac)
{
    ngx_http_agent_async_arena_t  *a;

    a = &ngx_http_agent_async_arena;

    if (a->block == NULL) {
        a->block = ngx_alloc(NGX_HTTP_AGENT_ASYNC_ARENA_SIZE, ngx_cycle->log);
        if (a->block == NULL) {
            return;    /* hiredis's own objects, then */
        }
    }

    /* a reply of the connection before, cut short, is gone with it */
    ngx_http_agent_async_reader_free(a->top);

    ac->c.reader->fn = &ngx_http_agent_async_reader_functions;
}


static void *
ngx_http_agent_async_reader_alloc(size_t size)
{
    u_char                            *p;
    ngx_http_agent_async_arena_t      *a;
    ngx_http_agent_async_arena_big_t  *big;

    a = &ngx_http_agent_async_arena;

    size = ngx_align(size, sizeof(void *) * 2);

    if (size <= NGX_HTTP_AGENT_ASYNC_ARENA_SIZE - a->used) {
        p = a->block + a->used;
        a->used += size;
        return p;
    }

    /* too large for what is left: a block of its own */
    big = ngx_alloc(ngx_align(sizeof(*big), sizeof(void *) * 2) + size,
                    ngx_cycle->log);
    if (big == NULL) {
        return NULL;
    }

    big->next = a->big;
    a->big = big;

    return (u_char *) big + ngx_align(sizeof(*big), sizeof(void *) * 2);
}


static redisReply *
ngx_http_agent_async_reader_object(const redisReadTask *task, int type)
{
    redisReply  *r, *parent;

    r = ngx_http_agent_async_reader_alloc(sizeof(redisReply));
    if (r == NULL) {
        return NULL;
    }

    ngx_memzero(r, sizeof(redisReply));
    r->type = type;

    if (task->parent) {
        parent = task->parent->obj;
        parent->element[task->idx] = r;

    } else {
        ngx_http_agent_async_arena.top = r;
    }

    return r;
}


static void *
ngx_http_agent_async_reader_string(const redisReadTask *task, char *str,
    size_t len)
{
    char        *buf;
    redisReply  *r;

    buf = ngx_http_agent_async_reader_alloc(len + 1);
    if (buf == NULL) {
        return NULL;
    }

    r = ngx_http_agent_async_reader_object(task, task->type);
    if (r == NULL) {
        return NULL;
    }

    ngx_memcpy(buf, str, len);
    buf[len] = '\0';

    r->str = buf;
    r->len = len;

    return r;
}


static void *
ngx_http_agent_async_reader_array(const redisReadTask *task, int elements)
{
    redisReply  *r;

    r = ngx_http_agent_async_reader_object(task, REDIS_REPLY_ARRAY);
    if (r == NULL) {
        return NULL;
    }

    if (elements > 0) {
        r->element = ngx_http_agent_async_reader_alloc(elements
                                                       * sizeof(redisReply *));
        if (r->element == NULL) {
            return NULL;
        }

        ngx_memzero(r->element, elements * sizeof(redisReply *));
    }

    r->elements = elements;

    return r;
}


static void *
ngx_http_agent_async_reader_integer(const redisReadTask *task,
    long long value)
{
    redisReply  *r;

    r = ngx_http_agent_async_reader_object(task, REDIS_REPLY_INTEGER);
    if (r == NULL) {
        return NULL;
    }

    r->integer = value;

    return r;
}


static void *
ngx_http_agent_async_reader_nil(const redisReadTask *task)
{
    return ngx_http_agent_async_reader_object(task, REDIS_REPLY_NIL);
}


/* hiredis frees only whole replies: the arena is emptied */

static void
ngx_http_agent_async_reader_free(void *reply)
{
    ngx_http_agent_async_arena_t      *a;
    ngx_http_agent_async_arena_big_t  *big;

    a = &ngx_http_agent_async_arena;

    if (reply == NULL || reply != a->top) {
        return;
    }

    while (a->big) {
        big = a->big;
        a->big = big->next;
        ngx_free(big);
    }

    a->used = 0;
    a->top = NULL;
}
