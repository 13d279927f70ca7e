
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Configuration, directives and process hooks.
 */


#include "ngx_http_agent_async_module.h"


static void *ngx_http_agent_async_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_agent_async_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_agent_async_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_agent_async_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_agent_async_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_agent_async_prefix(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_agent_async_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_agent_async_pass(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_agent_async_db_check(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_agent_async_msec_check(ngx_conf_t *cf, void *post,
    void *data);
static ngx_int_t ngx_http_agent_async_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_agent_async_init_process(ngx_cycle_t *cycle);
static void ngx_http_agent_async_exit_process(ngx_cycle_t *cycle);


static ngx_conf_post_t  ngx_http_agent_async_db_post = {
    ngx_http_agent_async_db_check
};

static ngx_conf_post_t  ngx_http_agent_async_msec_post = {
    ngx_http_agent_async_msec_check
};


static ngx_conf_enum_t  ngx_http_agent_async_agents[] = {
    { ngx_string("local"), NGX_HTTP_AGENT_ASYNC_AGENTS_LOCAL },
    { ngx_string("upstream"), NGX_HTTP_AGENT_ASYNC_AGENTS_UPSTREAM },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_agent_async_commands[] = {

    { ngx_string("agent_async"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_agent_async_loc_conf_t, enable),
      NULL },

    { ngx_string("agent_async_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_agent_async_loc_conf_t, auth),
      NULL },

    { ngx_string("agent_async_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_agent_async_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("agent_async_pass"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_agent_async_pass,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_agent_async_loc_conf_t, pass),
      NULL },

    { ngx_string("agent_async_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_agent_async_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("agent_async_redis_password"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_agent_async_main_conf_t, redis.password),
      NULL },

    { ngx_string("agent_async_redis_db"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_agent_async_main_conf_t, redis.db),
      &ngx_http_agent_async_db_post },

    { ngx_string("agent_async_redis_prefix"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_agent_async_prefix,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("agent_async_redis_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_agent_async_main_conf_t, redis.connect_timeout),
      &ngx_http_agent_async_msec_post },

    { ngx_string("agent_async_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_agent_async_main_conf_t, redis.timeout),
      &ngx_http_agent_async_msec_post },

    { ngx_string("agent_async_redis_reconnect_max"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_agent_async_main_conf_t, redis.reconnect_max),
      &ngx_http_agent_async_msec_post },

    { ngx_string("agent_async_idempotency_window"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_agent_async_main_conf_t, idempotency_window),
      &ngx_http_agent_async_msec_post },

    { ngx_string("agent_async_retention"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_agent_async_main_conf_t, retention),
      NULL },

    { ngx_string("agent_async_agents"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_agent_async_main_conf_t, agents),
      &ngx_http_agent_async_agents },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_agent_async_module_ctx = {
    ngx_http_agent_async_add_variables,    /* preconfiguration */
    ngx_http_agent_async_postconfiguration, /* postconfiguration */

    ngx_http_agent_async_create_main_conf, /* create main configuration */
    ngx_http_agent_async_init_main_conf,   /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_agent_async_create_loc_conf,  /* create location configuration */
    ngx_http_agent_async_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_agent_async_module = {
    NGX_MODULE_V1,
    &ngx_http_agent_async_module_ctx,      /* module context */
    ngx_http_agent_async_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_agent_async_init_process,     /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_agent_async_exit_process,     /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_agent_async_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_agent_async_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_agent_async_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->configured = 0;
     *     amcf->redis.host = { 0, NULL };
     *     amcf->redis.unix_path = { 0, NULL };
     *     amcf->prefix = { 0, NULL };
     */

    amcf->redis.port = NGX_CONF_UNSET;
    amcf->redis.db = NGX_CONF_UNSET;
    amcf->redis.connect_timeout = NGX_CONF_UNSET_MSEC;
    amcf->redis.timeout = NGX_CONF_UNSET_MSEC;
    amcf->redis.reconnect_max = NGX_CONF_UNSET_MSEC;
    amcf->idempotency_window = NGX_CONF_UNSET_MSEC;
    amcf->retention = NGX_CONF_UNSET;
    amcf->agents = NGX_CONF_UNSET_UINT;

    return amcf;
}


static char *
ngx_http_agent_async_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_agent_async_main_conf_t  *amcf = conf;

    if (amcf->redis.host.len == 0 && amcf->redis.unix_path.len == 0) {
        ngx_str_set(&amcf->redis.host, "127.0.0.1");
        amcf->redis.port = 6379;
    }

    if (amcf->prefix.data == NULL) {
        ngx_str_set(&amcf->prefix, "aa:");
    }

    ngx_conf_init_value(amcf->redis.db, 0);
    ngx_conf_init_msec_value(amcf->redis.connect_timeout, 1000);
    ngx_conf_init_msec_value(amcf->redis.timeout, 2000);
    ngx_conf_init_msec_value(amcf->redis.reconnect_max, 2000);
    ngx_conf_init_msec_value(amcf->idempotency_window, 24 * 60 * 60 * 1000);
    ngx_conf_init_value(amcf->retention, 7 * 24 * 60 * 60);
    ngx_conf_init_uint_value(amcf->agents, NGX_HTTP_AGENT_ASYNC_AGENTS_LOCAL);

    return NGX_CONF_OK;
}


static void *
ngx_http_agent_async_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_agent_async_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_agent_async_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     alcf->core = NULL;
     */

    alcf->enable = NGX_CONF_UNSET;
    alcf->auth = NGX_CONF_UNSET;
    alcf->tokens = NGX_CONF_UNSET_PTR;

    return alcf;
}


static char *
ngx_http_agent_async_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_agent_async_loc_conf_t *prev = parent;
    ngx_http_agent_async_loc_conf_t *conf = child;

    ngx_flag_t                         here;
    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_agent_async_main_conf_t  *amcf;

    here = (conf->enable != NGX_CONF_UNSET);

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->auth, prev->auth, 1);
    ngx_conf_merge_ptr_value(conf->tokens, prev->tokens, NULL);
    ngx_conf_merge_str_value(conf->pass, prev->pass, "");

    /*
     * The core module's merge has run: clcf's root and handler are final.
     * Only the http level is never merged, so prev->core is NULL exactly
     * when this is a server's own level.
     */

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    conf->core = clcf;

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    if (clcf->handler != NULL) {
        if (here) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"agent_async on\" conflicts with another "
                               "content handler (such as \"proxy_pass\") "
                               "in location \"%V\"", &clcf->name);
            return NGX_CONF_ERROR;
        }

        /* inherited: the location, and those in it, keep their handler */
        conf->enable = 0;
        return NGX_CONF_OK;
    }

    if (!here && prev->core != NULL
        && clcf->root.data != prev->core->root.data)
    {
        /* a location with its own root or alias serves files */
        conf->enable = 0;
        return NGX_CONF_OK;
    }

    if (conf->auth && conf->tokens == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"agent_async\" needs at least one "
                           "\"agent_async_token\", "
                           "or \"agent_async_auth off\"");
        return NGX_CONF_ERROR;
    }

    clcf->handler = ngx_http_agent_async_handler;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_agent_async_module);
    amcf->configured = 1;

    return NGX_CONF_OK;
}


static char *
ngx_http_agent_async_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_agent_async_main_conf_t *amcf = conf;

    u_char     *p;
    size_t      len;
    ngx_str_t  *value;
    ngx_url_t   u;

    if (amcf->redis.host.len || amcf->redis.unix_path.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len > 5 && ngx_strncmp(value[1].data, "unix:", 5) == 0) {
        len = value[1].len - 5;

        if (len >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unix socket path \"%V\" is too long",
                               &value[1]);
            return NGX_CONF_ERROR;
        }

        p = ngx_pnalloc(cf->pool, len + 1);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(p, value[1].data + 5, len);
        p[len] = '\0';

        amcf->redis.unix_path.data = p;
        amcf->redis.unix_path.len = len;

        return NGX_CONF_OK;
    }

    /*
     * hiredis 0.14 resolves names with a blocking getaddrinfo() at connect
     * time, so the name is resolved here, once, and the address kept.
     */

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = value[1];
    u.default_port = 6379;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        if (u.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%s in redis address \"%V\"", u.err, &value[1]);
        }

        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid redis address \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, p,
                        NGX_SOCKADDR_STRLEN, 0);
    p[len] = '\0';

    amcf->redis.host.data = p;
    amcf->redis.host.len = len;
    amcf->redis.port = u.port;

    return NGX_CONF_OK;
}


static char *
ngx_http_agent_async_prefix(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_agent_async_main_conf_t *amcf = conf;

    ngx_str_t   *value, *prefix;
    const char  *msg;

    if (amcf->prefix.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    prefix = &value[1];

    msg = aa_conf_prefix_check((char *) prefix->data, prefix->len);

    if (msg != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "redis prefix \"%V\" %s",
                           prefix, msg);
        return NGX_CONF_ERROR;
    }

    amcf->prefix = *prefix;

    return NGX_CONF_OK;
}


static char *
ngx_http_agent_async_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_agent_async_loc_conf_t *alcf = conf;

    u_char                        c;
    ngx_str_t                    *value, *token, tenant;
    ngx_uint_t                    i;
    const char                   *msg;
    ngx_http_agent_async_token_t  *t;

    value = cf->args->elts;
    token = &value[1];

    /* messages never quote the token: it is a secret */

    if (token->len < 8) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"agent_async_token\" must be at least 8 "
                           "characters long");
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < token->len; i++) {
        c = token->data[i];
        if (c <= ' ' || c >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid character in \"agent_async_token\"");
            return NGX_CONF_ERROR;
        }
    }

    if (cf->args->nelts == 3) {
        tenant = value[2];

    } else {
        ngx_str_set(&tenant, "default");
    }

    msg = aa_conf_tenant_check((char *) tenant.data, tenant.len);

    if (msg != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "tenant \"%V\" %s",
                           &tenant, msg);
        return NGX_CONF_ERROR;
    }

    if (alcf->tokens == NGX_CONF_UNSET_PTR) {
        alcf->tokens = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_agent_async_token_t));
        if (alcf->tokens == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    t = alcf->tokens->elts;

    for (i = 0; i < alcf->tokens->nelts; i++) {
        if (t[i].token.len == token->len
            && ngx_strncmp(t[i].token.data, token->data, token->len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate token in \"agent_async_token\"");
            return NGX_CONF_ERROR;
        }
    }

    t = ngx_array_push(alcf->tokens);
    if (t == NULL) {
        return NGX_CONF_ERROR;
    }

    t->token = *token;
    t->tenant = tenant;

    return NGX_CONF_OK;
}


/* a post handler of ngx_conf_set_num_slot(): value[0] names the directive */

static char *
ngx_http_agent_async_db_check(ngx_conf_t *cf, void *post, void *data)
{
    ngx_int_t  *np = data;

    ngx_str_t   *value;
    const char  *msg;

    msg = aa_conf_db_check(*np);

    if (msg != NULL) {
        value = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" %s, not %i",
                           &value[0], msg, *np);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * A post handler of ngx_conf_set_msec_slot(): a zero timeout would fire
 * before Redis could ever answer.
 */

static char *
ngx_http_agent_async_msec_check(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *msp = data;

    ngx_str_t  *value;

    if (*msp == 0) {
        value = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be more than 0", &value[0]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_agent_async_pass(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    /* a named location: the request goes on, body unread, as it came */
    if (value[1].len < 2 || value[1].data[0] != '@') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"agent_async_pass\" needs a named location "
                           "such as \"@letta\", not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    return ngx_conf_set_str_slot(cf, cmd, conf);
}


static ngx_int_t
ngx_http_agent_async_postconfiguration(ngx_conf_t *cf)
{
    return ngx_http_agent_async_filter_init(cf);
}


static ngx_int_t
ngx_http_agent_async_init_process(ngx_cycle_t *cycle)
{
    ngx_http_agent_async_main_conf_t  *amcf;

    /* cache managers and loaders run init_process too: they need no Redis */
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_agent_async_module);

    if (amcf == NULL || !amcf->configured) {
        return NGX_OK;
    }

    return ngx_http_agent_async_redis_init(cycle, &amcf->redis);
}


static void
ngx_http_agent_async_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_agent_async_redis_exit(cycle);
}
