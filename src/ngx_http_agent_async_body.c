
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The request body as one NUL-terminated string for the JSON parser,
 * whether nginx kept it in memory or buffered it to a temporary file.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_id.h"


/* a route of an agent: its id checked (a 422 without reading), then the body */

ngx_int_t
ngx_http_agent_async_read_agent_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post_handler)
{
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (!aa_id_valid("agent", (char *) ctx->id.data, ctx->id.len)) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_agent_async_send_path_error(r, "agent", &ctx->id);
    }

    return ngx_http_agent_async_read_body(r, post_handler);
}


ngx_int_t
ngx_http_agent_async_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post_handler)
{
    ngx_int_t  rc;

    rc = ngx_http_read_client_request_body(r, post_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


u_char *
ngx_http_agent_async_body(ngx_http_request_t *r, size_t *len)
{
    u_char       *p, *last;
    off_t         size;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    size = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            size += ngx_buf_size(cl->buf);
        }
    }

    p = ngx_pnalloc(r->pool, (size_t) size + 1);
    if (p == NULL) {
        return NULL;
    }

    last = p;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            b = cl->buf;

            /*
             * an empty body ends in a bare last_buf whose pos is NULL:
             * memcpy() from NULL is undefined even for 0 bytes
             */
            if (ngx_buf_size(b) == 0) {
                continue;
            }

            if (!ngx_buf_in_memory(b) && b->in_file) {
                /* bounded by client_max_body_size, a local file read */
                size = b->file_last - b->file_pos;

                n = ngx_read_file(b->file, last, (size_t) size, b->file_pos);

                if (n != size) {
                    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                                  "agent_async: reading the buffered body "
                                  "returned %z of %O bytes", n, size);
                    return NULL;
                }

                last += n;
                continue;
            }

            last = ngx_cpymem(last, b->pos, b->last - b->pos);
        }
    }

    *last = '\0';
    *len = last - p;

    return p;
}
