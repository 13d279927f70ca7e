
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * JSON responses, Letta's error bodies, and a filter that turns the error
 * pages nginx itself generates inside agent_async locations (413 for a
 * body over client_max_body_size, 400, 414, ...) into the same JSON shape.
 */


#include "ngx_http_agent_async_module.h"


static ngx_int_t ngx_http_agent_async_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static const char *ngx_http_agent_async_reason(ngx_uint_t status);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_http_agent_async_ctx_t *
ngx_http_agent_async_ctx(ngx_http_request_t *r)
{
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_agent_async_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_agent_async_module);
    }

    return ctx;
}


ngx_int_t
ngx_http_agent_async_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *json, size_t len)
{
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_chain_t                  out;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_agent_async_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->own_response = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    /* nginx 1.22 has no reason phrase for 422 */
    if (status == NGX_HTTP_UNPROCESSABLE_ENTITY) {
        ngx_str_set(&r->headers_out.status_line,
                    "422 Unprocessable Entity");
    }
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = json;
    b->last = json + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static void *
ngx_http_agent_async_buf_alloc(void *pool, size_t size)
{
    return ngx_pnalloc(pool, size);
}


void
ngx_http_agent_async_buf_init(ngx_http_request_t *r, aa_buf_t *b)
{
    /* a Run's JSON at once: a block grown by doubling is a copy each time */
    ngx_http_agent_async_buf_init_size(r, b, 2000);
}


void
ngx_http_agent_async_buf_init_size(ngx_http_request_t *r, aa_buf_t *b,
    size_t size)
{
    aa_buf_init_alloc(b, ngx_http_agent_async_buf_alloc, r->pool);

    (void) aa_buf_reserve(b, size);
}


ngx_int_t
ngx_http_agent_async_send_buf(ngx_http_request_t *r, ngx_uint_t status,
    aa_buf_t *b)
{
    u_char  *p;
    size_t   len;

    if (b->failed) {
        aa_buf_free(b);
        return ngx_http_agent_async_send_oom(r);
    }

    len = b->len;

    if (b->alloc == ngx_http_agent_async_buf_alloc && b->ctx == r->pool
        && len)
    {
        return ngx_http_agent_async_send_json(r, status, (u_char *) b->data,
                                              len);
    }

    p = ngx_pnalloc(r->pool, len ? len : 1);
    if (p == NULL) {
        aa_buf_free(b);
        return NGX_ERROR;
    }

    ngx_memcpy(p, b->data, len);
    aa_buf_free(b);

    return ngx_http_agent_async_send_json(r, status, p, len);
}


ngx_int_t
ngx_http_agent_async_send_detail(ngx_http_request_t *r, ngx_uint_t status,
    const char *detail)
{
    aa_buf_t  b;

    ngx_http_agent_async_buf_init(r, &b);
    aa_buf_puts(&b, "{\"detail\":");
    aa_buf_json_string(&b, detail, ngx_strlen(detail));
    aa_buf_putc(&b, '}');

    return ngx_http_agent_async_send_buf(r, status, &b);
}


ngx_int_t
ngx_http_agent_async_send_oom(ngx_http_request_t *r)
{
    static u_char  oom[] = "{\"detail\":\"An unknown error occurred\"}";

    ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                  "agent_async: out of memory");

    return ngx_http_agent_async_send_json(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          oom, sizeof(oom) - 1);
}


ngx_int_t
ngx_http_agent_async_send_invalid(ngx_http_request_t *r, aa_errors_t *errors)
{
    aa_buf_t  out;

    ngx_http_agent_async_buf_init(r, &out);
    aa_errors_render(errors, &out, NULL);

    return ngx_http_agent_async_send_buf(r, NGX_HTTP_UNPROCESSABLE_ENTITY,
                                         &out);
}


/* bytes of a path are not necessarily UTF-8: escape all but ASCII */

void
ngx_http_agent_async_json_escape(aa_buf_t *b, u_char *s, size_t len)
{
    u_char  *p, *last;

    for (p = s, last = s + len; p < last; p++) {
        if (*p >= 0x80 || *p < 0x20 || *p == '"' || *p == '\\') {
            aa_buf_printf(b, "\\u%04x", *p);

        } else {
            aa_buf_putc(b, (char) *p);
        }
    }
}


ngx_int_t
ngx_http_agent_async_send_path_error(ngx_http_request_t *r,
    const char *prefix, ngx_str_t *value)
{
    aa_buf_t  b;

    /* Letta's shape for a malformed path id, in our FastAPI list form */

    ngx_http_agent_async_buf_init(r, &b);
    aa_buf_printf(&b, "{\"detail\":[{\"type\":\"string_pattern_mismatch\","
                      "\"loc\":[\"path\",\"%s_id\"],"
                      "\"msg\":\"String should match pattern "
                      "'%s-{uuid4}'\",\"input\":", prefix, prefix);
    aa_buf_putc(&b, '"');
    ngx_http_agent_async_json_escape(&b, value->data, value->len);
    aa_buf_putc(&b, '"');
    aa_buf_printf(&b, ",\"ctx\":{\"pattern\":\"^%s-[0-9a-f]{8}-[0-9a-f]{4}-"
                      "4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$\"}}],"
                      "\"examples\":[\"%s-123e4567-e89b-42d3-8456-"
                      "426614174000\"]}", prefix, prefix);

    return ngx_http_agent_async_send_buf(r, NGX_HTTP_UNPROCESSABLE_ENTITY,
                                         &b);
}


/* the error page filter */


ngx_int_t
ngx_http_agent_async_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_agent_async_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_agent_async_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_agent_async_header_filter(ngx_http_request_t *r)
{
    u_char                           *p;
    size_t                            len;
    const char                       *reason;
    ngx_http_agent_async_ctx_t       *ctx;
    ngx_http_agent_async_loc_conf_t  *alcf;

    if (r != r->main || r->headers_out.status < NGX_HTTP_BAD_REQUEST) {
        return ngx_http_next_header_filter(r);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_agent_async_module);

    if (alcf == NULL || !alcf->enable) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_agent_async_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->own_response) {
        return ngx_http_next_header_filter(r);
    }

    reason = ngx_http_agent_async_reason(r->headers_out.status);
    len = sizeof("{\"detail\":\"\"}") - 1 + ngx_strlen(reason);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(p, "{\"detail\":\"%s\"}", reason);

    ctx->error_body.data = p;
    ctx->error_body.len = len;
    ctx->rewrite_error = 1;

    r->headers_out.content_length_n = len;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_agent_async_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t                   *b;
    ngx_uint_t                   last;
    ngx_chain_t                 *cl, out;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (ctx == NULL || !ctx->rewrite_error || r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    /* swallow nginx's HTML page, send ours with its last buffer */

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;

        if (cl->buf->last_buf) {
            last = 1;
        }
    }

    if (!last) {
        return NGX_OK;
    }

    ctx->rewrite_error = 0;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = ctx->error_body.data;
    b->last = ctx->error_body.data + ctx->error_body.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


static const char *
ngx_http_agent_async_reason(ngx_uint_t status)
{
    switch (status) {
    case NGX_HTTP_BAD_REQUEST:              return "Bad Request";
    case NGX_HTTP_UNAUTHORIZED:             return "Unauthorized";
    case NGX_HTTP_FORBIDDEN:                return "Forbidden";
    case NGX_HTTP_NOT_FOUND:                return "Not Found";
    case NGX_HTTP_NOT_ALLOWED:              return "Method Not Allowed";
    case NGX_HTTP_REQUEST_TIME_OUT:         return "Request Timeout";
    case NGX_HTTP_LENGTH_REQUIRED:          return "Length Required";
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE: return "Request Entity Too Large";
    case NGX_HTTP_REQUEST_URI_TOO_LARGE:    return "Request-URI Too Large";
    case NGX_HTTP_UNSUPPORTED_MEDIA_TYPE:   return "Unsupported Media Type";
    case NGX_HTTP_SERVICE_UNAVAILABLE:      return "Service Unavailable";
    case NGX_HTTP_GATEWAY_TIME_OUT:         return "Gateway Timeout";
    default:
        return status >= 500 ? "An unknown error occurred" : "Bad Request";
    }
}
