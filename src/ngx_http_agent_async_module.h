
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
#include "aa_run.h"
#include "aa_scripts.h"
#include "ngx_http_agent_async_redis.h"


#define NGX_HTTP_AGENT_ASYNC_TENANT_MAX  AA_CONF_TENANT_MAX

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
} ngx_http_agent_async_main_conf_t;


typedef struct {
    ngx_flag_t                 enable;      /* the API is served here */
    ngx_flag_t                 auth;
    ngx_array_t               *tokens;      /* ngx_http_agent_async_token_t */
    ngx_http_core_loc_conf_t  *core;        /* this level's, once merged */
} ngx_http_agent_async_loc_conf_t;


typedef struct {
    ngx_str_t                  tenant;
    ngx_str_t                  id;          /* agent or run id of the path */
    aa_field_t                *fields;      /* the run being created */
    size_t                     nfields;
    ngx_str_t                  agent_state; /* the agent being created */
    ngx_str_t                  error_body;  /* replaces nginx's error page */
    unsigned                   own_response:1;
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
ngx_int_t ngx_http_agent_async_send_unreachable(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_send_storage_error(ngx_http_request_t *r,
    redisReply *reply);


/* ngx_http_agent_async_reply.c */
ngx_http_agent_async_ctx_t *ngx_http_agent_async_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_send_json(ngx_http_request_t *r,
    ngx_uint_t status, u_char *json, size_t len);
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


/* ngx_http_agent_async_handler.c */
ngx_int_t ngx_http_agent_async_handler(ngx_http_request_t *r);


/* ngx_http_agent_async_body.c */
ngx_int_t ngx_http_agent_async_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt post_handler);
u_char *ngx_http_agent_async_body(ngx_http_request_t *r, size_t *len);


/* ngx_http_agent_async_runs.c */
ngx_int_t ngx_http_agent_async_run_create(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_run_get(ngx_http_request_t *r,
    ngx_str_t *run_id);


/* ngx_http_agent_async_agents.c */
ngx_int_t ngx_http_agent_async_agent_create(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_agent_get(ngx_http_request_t *r);


#endif /* _NGX_HTTP_AGENT_ASYNC_MODULE_H_INCLUDED_ */
