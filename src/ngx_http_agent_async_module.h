
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */


#ifndef _NGX_HTTP_AGENT_ASYNC_MODULE_H_INCLUDED_
#define _NGX_HTTP_AGENT_ASYNC_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "aa_buf.h"
#include "aa_conf.h"
#include "aa_errors.h"
#include "aa_run.h"
#include "aa_scripts.h"


#define NGX_HTTP_AGENT_ASYNC_TENANT_MAX  AA_CONF_TENANT_MAX
#define NGX_HTTP_AGENT_ASYNC_MAX_ARGS    64

#ifndef NGX_HTTP_UNPROCESSABLE_ENTITY
#define NGX_HTTP_UNPROCESSABLE_ENTITY    422
#endif


typedef struct {
    ngx_str_t                  token;
    ngx_str_t                  tenant;
} ngx_http_agent_async_token_t;


typedef struct {
    ngx_flag_t                 configured;  /* some location has it on */
    ngx_str_t                  host;        /* IP literal; empty for unix */
    ngx_int_t                  port;
    ngx_str_t                  unix_path;   /* NUL-terminated */
    ngx_str_t                  password;
    ngx_int_t                  db;
    ngx_str_t                  prefix;      /* NUL-terminated */
    ngx_msec_t                 connect_timeout;
    ngx_msec_t                 timeout;
    ngx_msec_t                 reconnect_max;
} ngx_http_agent_async_main_conf_t;


typedef struct {
    ngx_flag_t                 enable;      /* the API is served here */
    ngx_flag_t                 auth;
    ngx_array_t               *tokens;      /* ngx_http_agent_async_token_t */
    ngx_http_core_loc_conf_t  *core;        /* this level's, once merged */
} ngx_http_agent_async_loc_conf_t;


typedef struct {
    ngx_str_t                  tenant;
    ngx_str_t                  id;          /* agent or run id, path or new */
    aa_field_t                *fields;      /* the object being created */
    size_t                     nfields;
    ngx_str_t                  error_body;  /* replaces nginx's error page */
    unsigned                   own_response:1;
    unsigned                   rewrite_error:1;
} ngx_http_agent_async_ctx_t;


/* called with reply == NULL when Redis went away before answering */
typedef void (*ngx_http_agent_async_reply_pt)(ngx_http_request_t *r,
    redisReply *reply);


/* ngx_http_agent_async_module.c */
extern ngx_module_t  ngx_http_agent_async_module;


/* ngx_http_agent_async_redis.c */
ngx_int_t ngx_http_agent_async_redis_init(ngx_cycle_t *cycle,
    ngx_http_agent_async_main_conf_t *amcf);
void ngx_http_agent_async_redis_exit(ngx_cycle_t *cycle);
ngx_int_t ngx_http_agent_async_redis_command(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen);
ngx_int_t ngx_http_agent_async_redis_script(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler,
    aa_script_e script, int nkeys, int argc,
    const char **argv, const size_t *argvlen);
void ngx_http_agent_async_redis_noscript(void);


/* ngx_http_agent_async_reply.c */
ngx_http_agent_async_ctx_t *ngx_http_agent_async_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_send_json(ngx_http_request_t *r,
    ngx_uint_t status, u_char *json, size_t len);
ngx_int_t ngx_http_agent_async_send_buf(ngx_http_request_t *r,
    ngx_uint_t status, aa_buf_t *b);
ngx_int_t ngx_http_agent_async_send_detail(ngx_http_request_t *r,
    ngx_uint_t status, const char *detail);
ngx_int_t ngx_http_agent_async_send_unreachable(ngx_http_request_t *r);
ngx_int_t ngx_http_agent_async_send_not_sent(ngx_http_request_t *r,
    ngx_int_t rc);
ngx_int_t ngx_http_agent_async_send_invalid(ngx_http_request_t *r,
    aa_errors_t *errors);
ngx_int_t ngx_http_agent_async_send_storage_error(ngx_http_request_t *r,
    redisReply *reply);
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
