
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */


#ifndef _NGX_HTTP_AGENT_ASYNC_MODULE_H_INCLUDED_
#define _NGX_HTTP_AGENT_ASYNC_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "aa_buf.h"
#include "aa_conf.h"
#include "aa_errors.h"
#include "aa_keys.h"
#include "aa_run.h"
#include "aa_scripts.h"
#include "ngx_http_agent_async_redis.h"

#include <yajl/yajl_tree.h>


#define NGX_HTTP_AGENT_ASYNC_VERSION     "0.1.0"
#define NGX_HTTP_AGENT_ASYNC_TENANT_MAX  AA_CONF_TENANT_MAX

/* agent_async_agents: whose agents runs are made for */
#define NGX_HTTP_AGENT_ASYNC_AGENTS_LOCAL     0
#define NGX_HTTP_AGENT_ASYNC_AGENTS_UPSTREAM  1

#ifndef NGX_HTTP_UNPROCESSABLE_ENTITY
#define NGX_HTTP_UNPROCESSABLE_ENTITY    422
#endif


typedef struct {
    ngx_str_t                  token;
    ngx_str_t                  tenant;
} ngx_http_agent_async_token_t;


typedef struct {
    ngx_flag_t                          configured; /* a location has it */
    ngx_http_agent_async_redis_conf_t   redis;
    ngx_str_t                           prefix;     /* NUL-terminated */
    ngx_msec_t                          idempotency_window;
    time_t                              retention;  /* seconds, 0: keep */
    ngx_uint_t                          agents;     /* local, upstream */
} ngx_http_agent_async_main_conf_t;


typedef struct {
    ngx_flag_t                 enable;      /* the API is served here */
    ngx_flag_t                 auth;
    ngx_array_t               *tokens;      /* ngx_http_agent_async_token_t */
    ngx_str_t                  pass;        /* named location, or empty */
    ngx_http_core_loc_conf_t  *core;        /* this level's, once merged */
} ngx_http_agent_async_loc_conf_t;


/* pagination of a listing: cursors are ids, not decoded further */
typedef struct {
    const char                *before;     /* NULL: none */
    const char                *after;
    int64_t                    limit;
    ngx_uint_t                 desc;       /* order=desc */
} ngx_http_agent_async_page_t;


/* what names a run being created, for create_run.lua's dedupe */
typedef struct {
    char                       mode[4];     /* "", "k", "o" or "ko",
                                               then "u": upstream agents */
    char                       fingerprint[41];
    char                       window[NGX_INT64_LEN + 1];   /* ms */
    char                       key[AA_KEY_MAX];     /* Pidem:T:H */
    char                       otids[AA_KEY_MAX];   /* P{A}:otids:H */
} ngx_http_agent_async_idem_t;


/* a run found from the id of the path, its fields in reply after tenant */
typedef void (*ngx_http_agent_async_found_pt)(ngx_http_request_t *r,
    ngx_str_t *agent, redisReply *reply);


typedef struct {
    ngx_str_t                  tenant;
    ngx_str_t                  id;          /* agent or run id of the path */
    aa_field_t                *fields;      /* the run being created */
    size_t                     nfields;
    ngx_str_t                  agent_state; /* the agent being created */
    ngx_str_t                  agent;       /* the agent of the run found */
    ngx_http_agent_async_page_t    page;    /* of a listing */
    ngx_str_t                  types;       /* its message types, JSON */
    const char *const         *find_fields; /* what to read of it */
    ngx_uint_t                 nfind;
    ngx_http_agent_async_found_pt  found;
    void                      *data;        /* a route's own state */
    ngx_str_t                  error_body;  /* replaces nginx's error page */
    ngx_uint_t                 route;       /* handler.c's, 0: none */
    ngx_str_t                  run_id;      /* of the path, or created */
    ngx_str_t                  agent_id;    /* of the path, or created */
    unsigned                   own_response:1;
    unsigned                   run_created:1;   /* for the metrics */
    unsigned                   idempotent:1;    /* a retry is a replay */
    unsigned                   rewrite_error:1;
} ngx_http_agent_async_ctx_t;


/* ngx_http_agent_async_module.c */
extern ngx_module_t  ngx_http_agent_async_module;


/*
 * ngx_http_agent_async_query.c: sends a command for r (see
 * ngx_http_agent_async_redis.h) and returns NGX_DONE, or answers at once
 * why it could not and returns that answer's status: the result is for a
 * content handler to return, or for ngx_http_finalize_request().
 */
ngx_int_t ngx_http_agent_async_query(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen);
ngx_int_t ngx_http_agent_async_query_script(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, aa_script_e script, int nkeys,
    int argc, const char **argv, const size_t *argvlen);
ngx_int_t ngx_http_agent_async_query_range(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, const char *key, size_t len,
    const char *last);
ngx_int_t ngx_http_agent_async_send_unreachable(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_send_storage_error(ngx_http_request_t *r,
    redisReply *reply);


/* ngx_http_agent_async_reply.c */
ngx_http_agent_async_ctx_t *ngx_http_agent_async_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_send_json(ngx_http_request_t *r,
    ngx_uint_t status, u_char *json, size_t len);
/* b's memory from r->pool: what send_buf answers with, not a copy */
void ngx_http_agent_async_buf_init(ngx_http_request_t *r, aa_buf_t *b);
void ngx_http_agent_async_buf_init_size(ngx_http_request_t *r, aa_buf_t *b,
    size_t size);
ngx_int_t ngx_http_agent_async_send_buf(ngx_http_request_t *r,
    ngx_uint_t status, aa_buf_t *b);
ngx_int_t ngx_http_agent_async_send_detail(ngx_http_request_t *r,
    ngx_uint_t status, const char *detail);
ngx_int_t ngx_http_agent_async_send_invalid(ngx_http_request_t *r,
    aa_errors_t *errors);
ngx_int_t ngx_http_agent_async_send_path_error(ngx_http_request_t *r,
    const char *prefix, ngx_str_t *value);
ngx_int_t ngx_http_agent_async_send_oom(ngx_http_request_t *r);
void ngx_http_agent_async_json_escape(aa_buf_t *b, u_char *s, size_t len);
ngx_int_t ngx_http_agent_async_filter_init(ngx_conf_t *cf);


/*
 * ngx_http_agent_async_args.c: the query as a tree (aa_query.h), freed
 * with r, or NULL after answering (*rc: that answer's status); and the
 * pagination parameters.
 */
yajl_val ngx_http_agent_async_args(ngx_http_request_t *r,
    const char *const *lists, ngx_int_t *rc);
void ngx_http_agent_async_page(aa_errors_t *e, yajl_val q,
    ngx_http_agent_async_page_t *page, int64_t default_limit,
    int64_t max_limit, ngx_uint_t default_desc);
int ngx_http_agent_async_arg_bool(aa_errors_t *e, yajl_val q,
    const char *name, int *out);
void ngx_http_agent_async_page_by(aa_errors_t *e, yajl_val q,
    ngx_http_agent_async_page_t *page, int64_t default_limit,
    int64_t max_limit, ngx_uint_t default_desc,
    const char *const *order_by, const char *msg);


/* ngx_http_agent_async_handler.c; a route's name, "none" for 0 */
ngx_int_t ngx_http_agent_async_handler(ngx_http_request_t *r);
const char *ngx_http_agent_async_route_name(ngx_uint_t route);
extern const ngx_uint_t  ngx_http_agent_async_nroutes;


/* ngx_http_agent_async_variables.c: $agent_async_run_id, ... */
ngx_int_t ngx_http_agent_async_add_variables(ngx_conf_t *cf);


/*
 * ngx_http_agent_async_metrics.c, a module of its own (its directive
 * agent_async_metrics, its shared memory zone): what the other files count.
 */
#define NGX_HTTP_AGENT_ASYNC_ROUTES_MAX        16
#define NGX_HTTP_AGENT_ASYNC_METRICS_NSTATUS   23
#define NGX_HTTP_AGENT_ASYNC_METRIC_RUNS_CREATED      0
#define NGX_HTTP_AGENT_ASYNC_METRIC_REDIS_ERRORS      1
#define NGX_HTTP_AGENT_ASYNC_METRIC_REDIS_RECONNECTS  2
#define NGX_HTTP_AGENT_ASYNC_METRIC_N                 3
void ngx_http_agent_async_metrics_count(ngx_uint_t counter);


/* ngx_http_agent_async_body.c */
ngx_int_t ngx_http_agent_async_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post_handler);
ngx_int_t ngx_http_agent_async_read_agent_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post_handler);
u_char *ngx_http_agent_async_body(ngx_http_request_t *r, size_t *len);


/* ngx_http_agent_async_idempotency.c */
ngx_int_t ngx_http_agent_async_idem_prepare(ngx_http_request_t *r,
    ngx_http_agent_async_idem_t *idem, u_char *body, size_t len,
    aa_buf_t *otids, ngx_int_t *rc);


/* ngx_http_agent_async_runs.c */
ngx_int_t ngx_http_agent_async_run_create(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_run_get(ngx_http_request_t *r);
const char *const *ngx_http_agent_async_run_fields(void);


/* ngx_http_agent_async_run_list.c */
ngx_int_t ngx_http_agent_async_runs_list(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_runs_active(ngx_http_request_t *r);


/*
 * ngx_http_agent_async_run_find.c: the run of the path's id (ctx->id) if
 * it is the caller's tenant's: found gets the nfields fields asked for
 * (HMGET, after "tenant") and finalizes r; a malformed id (400), a run
 * unknown or of another tenant (404) are answered here.  As
 * ngx_http_agent_async_query(), NGX_DONE or that answer's status.
 */
ngx_int_t ngx_http_agent_async_run_find(ngx_http_request_t *r,
    const char *const *fields, ngx_uint_t nfields,
    ngx_http_agent_async_found_pt found);
ngx_int_t ngx_http_agent_async_run_not_found(ngx_http_request_t *r);
typedef int (*ngx_http_agent_async_run_key_pt)(char *out, size_t size,
    const char *prefix, const char *run);
ngx_int_t ngx_http_agent_async_run_key(ngx_http_request_t *r,
    ngx_http_agent_async_run_key_pt make, const char **key, size_t *len);


/* ngx_http_agent_async_run_parts.c */
ngx_int_t ngx_http_agent_async_run_messages(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_run_usage(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_run_steps(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_run_metrics(ngx_http_request_t *r);


/* ngx_http_agent_async_cancel.c */
ngx_int_t ngx_http_agent_async_cancel(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_run_delete(ngx_http_request_t *r);


/* ngx_http_agent_async_health.c */
ngx_int_t ngx_http_agent_async_health(ngx_http_request_t *r);


/*
 * ngx_http_agent_async_agents.c: create, get, and what the agent routes
 * share.  An AgentState is served from the agent hash's fields
 * ngx_http_agent_async_agent_fields (the stored state, then the run
 * metrics), rendered by ngx_http_agent_async_agent_render().
 */
#define NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS  4
extern const char *const  ngx_http_agent_async_agent_fields[
    NGX_HTTP_AGENT_ASYNC_AGENT_NFIELDS];
ngx_int_t ngx_http_agent_async_agent_create(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_agent_get(ngx_http_request_t *r);
/*
 * HMGET of the path's agent (ctx->id): "tenant", the fields above, "rev",
 * "created_at"; a malformed id is answered here.  As
 * ngx_http_agent_async_query().
 */
ngx_int_t ngx_http_agent_async_agent_read(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler);
/* its reply: NGX_OK when the caller's agent, else answered (*rc) */
ngx_int_t ngx_http_agent_async_agent_mine(ngx_http_request_t *r,
    redisReply *reply, ngx_int_t *rc);
void ngx_http_agent_async_agent_render(aa_buf_t *out, redisReply **f);
ngx_int_t ngx_http_agent_async_agent_not_found(ngx_http_request_t *r);


/*
 * ngx_http_agent_async_agent_list.c: GET /v1/agents/; and the include
 * parameters that the agent routes check (nothing to include here).
 */
extern const char *const  ngx_http_agent_async_include_lists[];
ngx_int_t ngx_http_agent_async_agent_list(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_include_check(ngx_http_request_t *r,
    yajl_val q);


/* ngx_http_agent_async_agent_update.c: PATCH /v1/agents/{agent_id} */
ngx_int_t ngx_http_agent_async_agent_update(ngx_http_request_t *r);


/* ngx_http_agent_async_agent_delete.c: DELETE /v1/agents/{agent_id} */
ngx_int_t ngx_http_agent_async_agent_delete(ngx_http_request_t *r);


#endif /* _NGX_HTTP_AGENT_ASYNC_MODULE_H_INCLUDED_ */
