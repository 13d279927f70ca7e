
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Query parameters, as a JSON tree (aa_query.h) that the body validators
 * check with Letta's 422s at loc ["query", name]; the tree lives as long
 * as the request.  And the pagination parameters several routes share.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_json.h"
#include "aa_query.h"
#include "aa_validate.h"


static void ngx_http_agent_async_args_free(void *data);


yajl_val
ngx_http_agent_async_args(ngx_http_request_t *r, const char *const *lists,
    ngx_int_t *rc)
{
    char                 err[64];
    aa_buf_t             b;
    yajl_val             v;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        *rc = ngx_http_agent_async_send_oom(r);
        return NULL;
    }

    ngx_http_agent_async_buf_init(r, &b);

    if (aa_query_json((char *) r->args.data, r->args.len, lists, &b) != 0
        || aa_buf_cstr(&b) != 0)
    {
        *rc = b.failed ? ngx_http_agent_async_send_oom(r)
                       : ngx_http_agent_async_send_detail(r,
                             NGX_HTTP_BAD_REQUEST, "Invalid query string");
        aa_buf_free(&b);
        return NULL;
    }

    v = aa_json_parse(b.data, b.len, err, sizeof(err));
    aa_buf_free(&b);

    if (v == NULL) {
        *rc = ngx_http_agent_async_send_detail(r, NGX_HTTP_BAD_REQUEST,
                                               "Invalid query string");
        return NULL;
    }

    cln->handler = ngx_http_agent_async_args_free;
    cln->data = v;

    return v;
}


static void
ngx_http_agent_async_args_free(void *data)
{
    yajl_tree_free(data);
}


/*
 * before, after, limit (1 .. max, default_limit), order ("asc" or "desc",
 * default_order) and order_by ("created_at"): errors added to e.
 */

void
ngx_http_agent_async_page(aa_errors_t *e, yajl_val q,
    ngx_http_agent_async_page_t *page, int64_t default_limit,
    int64_t max_limit, ngx_uint_t default_desc)
{
    static const char *const  order_by[] = { "created_at", NULL };

    ngx_http_agent_async_page_by(e, q, page, default_limit, max_limit,
                                 default_desc, order_by,
                                 "Input should be 'created_at'");
}


/*
 * A boolean parameter, as pydantic reads one from a query (aa_query_bool):
 * 1 and *out when present and valid, 0 when absent, -1 with a bool_parsing
 * error added.
 */

int
ngx_http_agent_async_arg_bool(aa_errors_t *e, yajl_val q, const char *name,
    int *out)
{
    char      loc[AA_LOC_MAX];
    yajl_val  v;

    v = aa_json_get(q, name);
    if (v == NULL) {
        return 0;
    }

    if (YAJL_IS_STRING(v) && aa_query_bool(v->u.string, out) == 0) {
        return 1;
    }

    aa_v_loc(loc, "query", name);
    aa_errors_add(e, "bool_parsing", loc,
                  "Input should be a valid boolean, unable to interpret input",
                  v);

    return -1;
}


/* the same, order_by one of order_by (NULL-terminated), else msg */

void
ngx_http_agent_async_page_by(aa_errors_t *e, yajl_val q,
    ngx_http_agent_async_page_t *page, int64_t default_limit,
    int64_t max_limit, ngx_uint_t default_desc,
    const char *const *order_by, const char *msg)
{
    yajl_val  v;

    static const char *const  orders[] = { "asc", "desc", NULL };

    page->before = NULL;
    page->after = NULL;
    page->limit = default_limit;
    page->desc = default_desc;

    if (aa_v_field(e, "query", q, "before", AA_V_STRING, 0, &v) == 1) {
        page->before = v->u.string;
    }

    if (aa_v_field(e, "query", q, "after", AA_V_STRING, 0, &v) == 1) {
        page->after = v->u.string;
    }

    v = aa_json_get(q, "limit");
    if (v != NULL) {
        (void) aa_v_int(e, "query/limit", v, 1, max_limit, &page->limit);
    }

    v = aa_json_get(q, "order");
    if (v != NULL
        && aa_v_literal(e, "query/order", v, orders, "enum",
                        "Input should be 'asc' or 'desc'") == 1)
    {
        page->desc = ngx_strcmp(v->u.string, "desc") == 0;
    }

    v = aa_json_get(q, "order_by");
    if (v != NULL) {
        (void) aa_v_literal(e, "query/order_by", v, order_by, "literal_error",
                            msg);
    }
}
