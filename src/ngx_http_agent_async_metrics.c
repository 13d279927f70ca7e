
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * agent_async_metrics: Prometheus text format of the whole deployment.
 *
 *   - what nginx counts, in a shared memory zone, so that every worker
 *     process of the node adds to the same counters: requests by route
 *     and status, runs created, Redis connection errors and reconnects;
 *   - what Redis holds at the time of the scrape: agents waiting for a
 *     worker, agents being run, the runs queued for them;
 *   - what each worker counts, from its hash Pmetrics:W (which expires
 *     with its heartbeat), with a worker label: runs by terminal status
 *     and stop reason, run duration and time to first token histograms,
 *     callback outcomes, Redis errors and reconnects.
 *
 * No tenant and no token appear in any of it.
 */


#include "ngx_http_agent_async_module.h"

#include <math.h>
#include <stdlib.h>


#define NGX_HTTP_AGENT_ASYNC_METRICS_ZONE_SIZE  (64 * 1024)
#define NGX_HTTP_AGENT_ASYNC_METRICS_AGENTS     1000   /* queues counted */
#define NGX_HTTP_AGENT_ASYNC_METRICS_WORKERS    256

#define ngx_http_agent_async_isdigit(c)  ((c) >= '0' && (c) <= '9')
#define ngx_http_agent_async_isword(c)                                        \
    (ngx_http_agent_async_isdigit(c) || (c) == '_'                            \
     || ((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))


typedef struct {
    ngx_atomic_t  requests[NGX_HTTP_AGENT_ASYNC_ROUTES_MAX]
                          [NGX_HTTP_AGENT_ASYNC_METRICS_NSTATUS];
    ngx_atomic_t  counters[NGX_HTTP_AGENT_ASYNC_METRIC_N];
} ngx_http_agent_async_metrics_sh_t;


typedef struct {
    ngx_str_t                  name;
    ngx_array_t                fields;      /* ngx_str_t name, value, ... */
} ngx_http_agent_async_metrics_worker_t;


typedef struct {
    ngx_uint_t                 pending;     /* commands not yet answered */
    ngx_uint_t                 stage;
    ngx_uint_t                 redis_ok;
    int64_t                    waiting;
    int64_t                    running;
    int64_t                    queued;
    ngx_array_t                agents;      /* ngx_str_t */
    ngx_array_t                workers;     /* ..._metrics_worker_t */
} ngx_http_agent_async_metrics_scrape_t;


typedef struct {
    const char                *name;
    const char                *type;
    const char                *help;
} ngx_http_agent_async_metrics_family_t;


static char *ngx_http_agent_async_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_agent_async_metrics_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_agent_async_metrics_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static ngx_int_t ngx_http_agent_async_metrics_log(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_metrics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_metrics_send(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, const char *cmd, const char *key,
    const char *arg1, const char *arg2);
static void ngx_http_agent_async_metrics_reply(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_metrics_next(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_metrics_copy(ngx_pool_t *pool,
    ngx_str_t *s, redisReply *reply);
static ngx_int_t ngx_http_agent_async_metrics_render(ngx_http_request_t *r);
static void ngx_http_agent_async_metrics_label(aa_buf_t *b, ngx_str_t *s);
static const char *ngx_http_agent_async_metrics_sample(ngx_str_t *field,
    ngx_str_t *value, ngx_http_agent_async_metrics_family_t *f,
    ngx_uint_t histogram, ngx_str_t *labels);
static double ngx_http_agent_async_metrics_le(ngx_str_t *labels);
static void ngx_http_agent_async_metrics_workers(aa_buf_t *b,
    ngx_http_agent_async_metrics_scrape_t *sc,
    ngx_http_agent_async_metrics_family_t *f, ngx_uint_t histogram);


static ngx_uint_t  ngx_http_agent_async_metrics_statuses[] = {
    200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408, 409, 413,
    414, 422, 429, 499, 500, 502, 503, 504, 0
};


static const char  *ngx_http_agent_async_metrics_counter_names[] = {
    "agent_async_runs_created_total",
    "agent_async_nginx_redis_errors_total",
    "agent_async_nginx_redis_reconnects_total"
};


static ngx_http_agent_async_metrics_family_t
    ngx_http_agent_async_metrics_module_families[] =
{
    { "agent_async_runs_created_total", "counter",
      "Runs created by POST messages/async on this nginx node" },
    { "agent_async_nginx_redis_errors_total", "counter",
      "Redis connections of this node's nginx workers that failed or "
      "were lost" },
    { "agent_async_nginx_redis_reconnects_total", "counter",
      "Reconnections to Redis of this node's nginx workers" },
};


static ngx_http_agent_async_metrics_family_t
    ngx_http_agent_async_metrics_worker_families[] =
{
    { "agent_async_worker_runs_total", "counter",
      "Runs a worker made terminal, by status" },
    { "agent_async_worker_stop_reasons_total", "counter",
      "Runs a worker made terminal, by stop reason" },
    { "agent_async_worker_callbacks_total", "counter",
      "Callback attempts of a worker, by outcome" },
    { "agent_async_worker_redis_errors_total", "counter",
      "Redis connections of a worker that failed or were lost" },
    { "agent_async_worker_redis_reconnects_total", "counter",
      "Reconnections to Redis of a worker" },
    { "agent_async_worker_run_duration_seconds", "histogram",
      "Time from a run's claim to its end" },
    { "agent_async_worker_ttft_seconds", "histogram",
      "Time from a run's claim to its first output" },
    { NULL, NULL, NULL }
};


static ngx_http_agent_async_metrics_sh_t  *ngx_http_agent_async_metrics_sh;


static ngx_command_t  ngx_http_agent_async_metrics_commands[] = {

    { ngx_string("agent_async_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_agent_async_metrics,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_agent_async_metrics_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_agent_async_metrics_init,     /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_agent_async_metrics_module = {
    NGX_MODULE_V1,
    &ngx_http_agent_async_metrics_module_ctx, /* module context */
    ngx_http_agent_async_metrics_commands, /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static char *
ngx_http_agent_async_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "is duplicate, or the location has another content handler";
    }

    clcf->handler = ngx_http_agent_async_metrics_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_agent_async_metrics_init(ngx_conf_t *cf)
{
    ngx_str_t                   name = ngx_string("agent_async_metrics");
    ngx_shm_zone_t             *shm_zone;
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    if (ngx_http_agent_async_nroutes > NGX_HTTP_AGENT_ASYNC_ROUTES_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "agent_async: too many routes for the metrics");
        return NGX_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name,
                                     NGX_HTTP_AGENT_ASYNC_METRICS_ZONE_SIZE,
                                     &ngx_http_agent_async_metrics_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_agent_async_metrics_init_zone;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_agent_async_metrics_log;

    return NGX_OK;
}


/* the counters survive a reload: the zone of the old cycle is kept */

static ngx_int_t
ngx_http_agent_async_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t                    *shpool;
    ngx_http_agent_async_metrics_sh_t  *sh;

    if (data) {
        shm_zone->data = data;
        ngx_http_agent_async_metrics_sh = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        ngx_http_agent_async_metrics_sh = shpool->data;
        return NGX_OK;
    }

    sh = ngx_slab_calloc(shpool, sizeof(ngx_http_agent_async_metrics_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    shpool->data = sh;
    shm_zone->data = sh;
    ngx_http_agent_async_metrics_sh = sh;

    return NGX_OK;
}


void
ngx_http_agent_async_metrics_count(ngx_uint_t counter)
{
    if (ngx_http_agent_async_metrics_sh != NULL
        && counter < NGX_HTTP_AGENT_ASYNC_METRIC_N)
    {
        (void) ngx_atomic_fetch_add(
                   &ngx_http_agent_async_metrics_sh->counters[counter], 1);
    }
}


/* the log phase: each request the module handled, by route and status */

static ngx_int_t
ngx_http_agent_async_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                   status, i;
    ngx_http_agent_async_ctx_t  *ctx;

    if (ngx_http_agent_async_metrics_sh == NULL || r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    if (ctx == NULL) {
        return NGX_OK;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;

    for (i = 0; ngx_http_agent_async_metrics_statuses[i]; i++) {
        if (ngx_http_agent_async_metrics_statuses[i] == status) {
            break;
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async metrics: route %ui status %ui",
                   ctx->route, status);

    (void) ngx_atomic_fetch_add(
               &ngx_http_agent_async_metrics_sh->requests[ctx->route][i], 1);

    if (ctx->run_created) {
        ngx_http_agent_async_metrics_count(
            NGX_HTTP_AGENT_ASYNC_METRIC_RUNS_CREATED);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_agent_async_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t                               rc;
    ngx_http_agent_async_metrics_scrape_t  *sc;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    sc = ngx_pcalloc(r->pool, sizeof(ngx_http_agent_async_metrics_scrape_t));
    if (sc == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_array_init(&sc->agents, r->pool, 16, sizeof(ngx_str_t))
        != NGX_OK
        || ngx_array_init(&sc->workers, r->pool, 4,
                          sizeof(ngx_http_agent_async_metrics_worker_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sc->redis_ok = 1;

    ngx_http_set_ctx(r, sc, ngx_http_agent_async_metrics_module);

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async metrics: scrape");

    rc = ngx_http_agent_async_metrics_next(r);

    if (rc == NGX_DONE) {
        return NGX_DONE;
    }

    return ngx_http_agent_async_metrics_render(r);
}


/*
 * The commands of the next stage, all sent at once: NGX_DONE when some
 * were, each reply then finalizing r once; NGX_OK when there is nothing
 * (more) to ask, or Redis is not there: render what is known.
 *
 *   1: LLEN Pready, SMEMBERS Pworkers, LRANGE Pready (agents waiting)
 *   2: for each worker, HGETALL Pmetrics:W and LRANGE Pprocessing:W
 *   3: for each agent waiting or running, LLEN P{A}:queue
 */

static ngx_int_t
ngx_http_agent_async_metrics_next(ngx_http_request_t *r)
{
    char                                    key[AA_KEY_MAX];
    char                                    last[NGX_INT_T_LEN + 1];
    u_char                                 *prefix;
    ngx_str_t                              *a;
    ngx_int_t                               rc;
    ngx_uint_t                              i, n;
    ngx_http_agent_async_main_conf_t       *amcf;
    ngx_http_agent_async_metrics_worker_t  *w;
    ngx_http_agent_async_metrics_scrape_t  *sc;

    sc = ngx_http_get_module_ctx(r, ngx_http_agent_async_metrics_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);
    prefix = amcf->prefix.data;

    if (!sc->redis_ok) {
        return NGX_OK;
    }

    sc->stage++;
    rc = NGX_OK;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async metrics: stage %ui", sc->stage);

    switch (sc->stage) {

    case 1:
        aa_key_ready(key, sizeof(key), (char *) prefix);
        ngx_sprintf((u_char *) last, "%ui%Z",
                    (ngx_uint_t) NGX_HTTP_AGENT_ASYNC_METRICS_AGENTS - 1);

        rc = ngx_http_agent_async_metrics_send(r,
                 ngx_http_agent_async_metrics_reply, "LLEN", key, NULL,
                 NULL);

        if (rc == NGX_OK) {
            rc = ngx_http_agent_async_metrics_send(r,
                     ngx_http_agent_async_metrics_reply, "LRANGE", key, "0",
                     last);
        }

        if (rc == NGX_OK) {
            aa_key_workers(key, sizeof(key), (char *) prefix);
            rc = ngx_http_agent_async_metrics_send(r,
                     ngx_http_agent_async_metrics_reply, "SMEMBERS", key,
                     NULL, NULL);
        }

        break;

    case 2:
        w = sc->workers.elts;

        /* names of 128 bytes at most: their keys fit (AA_KEY_MAX) */
        for (i = 0; rc == NGX_OK && i < sc->workers.nelts; i++) {
            (void) aa_key_worker_metrics(key, sizeof(key), (char *) prefix,
                                         (char *) w[i].name.data);

            rc = ngx_http_agent_async_metrics_send(r,
                     ngx_http_agent_async_metrics_reply, "HGETALL", key,
                     NULL, NULL);

            if (rc == NGX_OK) {
                (void) aa_key_processing(key, sizeof(key), (char *) prefix,
                                         (char *) w[i].name.data);

                rc = ngx_http_agent_async_metrics_send(r,
                         ngx_http_agent_async_metrics_reply, "LRANGE", key,
                         "0", "-1");
            }
        }

        break;

    case 3:
        a = sc->agents.elts;
        n = ngx_min(sc->agents.nelts,
                    (ngx_uint_t) NGX_HTTP_AGENT_ASYNC_METRICS_AGENTS);

        for (i = 0; rc == NGX_OK && i < n; i++) {
            if (aa_key_queue(key, sizeof(key), (char *) prefix,
                             (char *) a[i].data) < 0)
            {
                continue;
            }

            rc = ngx_http_agent_async_metrics_send(r,
                     ngx_http_agent_async_metrics_reply, "LLEN", key, NULL,
                     NULL);
        }

        break;

    default:
        return NGX_OK;
    }

    if (rc != NGX_OK) {
        /* what was sent is still answered; the rest is not asked */
        sc->redis_ok = 0;
    }

    if (sc->pending) {
        return NGX_DONE;
    }

    return ngx_http_agent_async_metrics_next(r);
}


static ngx_int_t
ngx_http_agent_async_metrics_send(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, const char *cmd, const char *key,
    const char *arg1, const char *arg2)
{
    int                                     argc;
    size_t                                  lens[4];
    ngx_int_t                               rc;
    const char                             *argv[4];
    ngx_http_agent_async_metrics_scrape_t  *sc;

    sc = ngx_http_get_module_ctx(r, ngx_http_agent_async_metrics_module);

    argc = 0;
    argv[argc++] = cmd;
    argv[argc++] = key;

    if (arg1) {
        argv[argc++] = arg1;
    }

    if (arg2) {
        argv[argc++] = arg2;
    }

    for (rc = 0; rc < argc; rc++) {
        lens[rc] = ngx_strlen(argv[rc]);
    }

    /*
     * A probe: the reply handler gets every reply, none included, also
     * of a connection that never came up, and answers once all are back
     * (the redis layer would answer r itself for each command: one
     * answer, then "header already sent" for the others).
     */
    rc = ngx_http_agent_async_redis_probe(r, handler, argc, argv, lens);

    if (rc == NGX_OK) {
        sc->pending++;
        r->main->count++;
    }

    return rc;
}


/*
 * Each reply in the order sent: its stage says what it answers.  The last
 * one of a stage starts the next, or renders.
 */

static void
ngx_http_agent_async_metrics_reply(ngx_http_request_t *r, redisReply *reply)
{
    size_t                                  i;
    ngx_str_t                              *s;
    ngx_int_t                               rc;
    ngx_http_agent_async_metrics_worker_t  *w;
    ngx_http_agent_async_metrics_scrape_t  *sc;

    sc = ngx_http_get_module_ctx(r, ngx_http_agent_async_metrics_module);

    sc->pending--;

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        sc->redis_ok = 0;

    } else if (reply->type == REDIS_REPLY_INTEGER) {
        /* LLEN Pready first, then the queues */
        if (sc->stage == 1) {
            sc->waiting = reply->integer;
        } else {
            sc->queued += reply->integer;
        }

    } else if (reply->type == REDIS_REPLY_ARRAY) {

        if (sc->stage == 1 && sc->workers.nelts == 0
            && sc->pending == 0)
        {
            /* SMEMBERS Pworkers, the last command of stage 1 */
            for (i = 0; i < reply->elements
                        && i < NGX_HTTP_AGENT_ASYNC_METRICS_WORKERS; i++)
            {
                /* its keys must fit: both or neither are asked for */
                if (reply->element[i]->type != REDIS_REPLY_STRING
                    || reply->element[i]->len == 0
                    || reply->element[i]->len > 128)
                {
                    continue;
                }

                w = ngx_array_push(&sc->workers);
                if (w == NULL
                    || ngx_array_init(&w->fields, r->pool, 64,
                                      sizeof(ngx_str_t)) != NGX_OK
                    || ngx_http_agent_async_metrics_copy(r->pool, &w->name,
                                                     reply->element[i])
                       != NGX_OK)
                {
                    sc->redis_ok = 0;
                    break;
                }
            }

        } else if (sc->stage == 2 && (sc->pending % 2) == 1) {
            /* HGETALL Pmetrics:W of the worker whose turn it is */
            w = sc->workers.elts;
            w = &w[sc->workers.nelts - 1 - sc->pending / 2];

            for (i = 0; i + 1 < reply->elements; i++) {
                s = ngx_array_push(&w->fields);
                if (s == NULL
                    || ngx_http_agent_async_metrics_copy(r->pool, s,
                                                     reply->element[i])
                       != NGX_OK)
                {
                    sc->redis_ok = 0;
                    break;
                }
            }

            if (i < reply->elements && sc->redis_ok) {
                s = ngx_array_push(&w->fields);
                if (s == NULL
                    || ngx_http_agent_async_metrics_copy(r->pool, s,
                                                     reply->element[i])
                       != NGX_OK)
                {
                    sc->redis_ok = 0;
                }
            }

        } else {
            /* LRANGE Pready, or LRANGE Pprocessing:W: agents */
            if (sc->stage == 2) {
                sc->running += reply->elements;
            }

            for (i = 0; i < reply->elements; i++) {
                if (sc->agents.nelts >= NGX_HTTP_AGENT_ASYNC_METRICS_AGENTS) {
                    break;
                }

                s = ngx_array_push(&sc->agents);
                if (s == NULL
                    || ngx_http_agent_async_metrics_copy(r->pool, s,
                                                     reply->element[i])
                       != NGX_OK)
                {
                    sc->redis_ok = 0;
                    break;
                }
            }
        }
    }

    if (sc->pending) {
        ngx_http_finalize_request(r, NGX_DONE);
        return;
    }

    rc = ngx_http_agent_async_metrics_next(r);

    if (rc == NGX_DONE) {
        ngx_http_finalize_request(r, NGX_DONE);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_agent_async_metrics_render(r));
}


/* a string of a reply, NUL-terminated in pool */

static ngx_int_t
ngx_http_agent_async_metrics_copy(ngx_pool_t *pool, ngx_str_t *s,
    redisReply *reply)
{
    if (reply->type != REDIS_REPLY_STRING) {
        return NGX_ERROR;
    }

    s->data = ngx_pnalloc(pool, reply->len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, reply->str, reply->len);
    s->data[reply->len] = '\0';
    s->len = reply->len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_agent_async_metrics_render(ngx_http_request_t *r)
{
    u_char                                 *p;
    aa_buf_t                                b;
    ngx_int_t                               rc;
    ngx_buf_t                              *out;
    ngx_uint_t                              i, k, status;
    ngx_atomic_uint_t                       v;
    ngx_chain_t                             cl;
    ngx_http_agent_async_metrics_sh_t      *sh;
    ngx_http_agent_async_metrics_family_t  *f;
    ngx_http_agent_async_metrics_scrape_t  *sc;

    sc = ngx_http_get_module_ctx(r, ngx_http_agent_async_metrics_module);
    sh = ngx_http_agent_async_metrics_sh;

    ngx_http_agent_async_buf_init(r, &b);

    aa_buf_puts(&b, "# HELP agent_async_requests_total Requests the module "
                    "answered on this nginx node, by route and status\n"
                    "# TYPE agent_async_requests_total counter\n");

    for (i = 0; sh && i < ngx_http_agent_async_nroutes; i++) {
        for (k = 0; k < NGX_HTTP_AGENT_ASYNC_METRICS_NSTATUS; k++) {
            v = sh->requests[i][k];
            if (v == 0) {
                continue;
            }

            status = ngx_http_agent_async_metrics_statuses[k];

            if (status) {
                aa_buf_printf(&b, "agent_async_requests_total{route=\"%s\","
                              "status=\"%u\"} %lu\n",
                              ngx_http_agent_async_route_name(i),
                              (unsigned) status, (unsigned long) v);
            } else {
                aa_buf_printf(&b, "agent_async_requests_total{route=\"%s\","
                              "status=\"other\"} %lu\n",
                              ngx_http_agent_async_route_name(i),
                              (unsigned long) v);
            }
        }
    }

    for (i = 0; i < NGX_HTTP_AGENT_ASYNC_METRIC_N; i++) {
        f = &ngx_http_agent_async_metrics_module_families[i];
        aa_buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %lu\n",
                      f->name, f->help, f->name, f->type,
                      ngx_http_agent_async_metrics_counter_names[i],
                      (unsigned long) (sh ? sh->counters[i] : 0));
    }

    aa_buf_printf(&b, "# HELP agent_async_redis_up Whether this scrape "
                      "read Redis\n# TYPE agent_async_redis_up gauge\n"
                      "agent_async_redis_up %d\n", sc->redis_ok ? 1 : 0);

    if (sc->redis_ok) {
        aa_buf_printf(&b,
            "# HELP agent_async_agents_waiting Agents with queued runs "
            "waiting for a worker\n"
            "# TYPE agent_async_agents_waiting gauge\n"
            "agent_async_agents_waiting %lld\n"
            "# HELP agent_async_agents_running Agents a worker is running "
            "a run of\n"
            "# TYPE agent_async_agents_running gauge\n"
            "agent_async_agents_running %lld\n"
            "# HELP agent_async_queue_depth Runs not finished of the agents "
            "waiting or running (the first %d of them)\n"
            "# TYPE agent_async_queue_depth gauge\n"
            "agent_async_queue_depth %lld\n",
            (long long) sc->waiting, (long long) sc->running,
            NGX_HTTP_AGENT_ASYNC_METRICS_AGENTS, (long long) sc->queued);
    }

    for (f = ngx_http_agent_async_metrics_worker_families; f->name; f++) {
        aa_buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n",
                      f->name, f->help, f->name, f->type);
        ngx_http_agent_async_metrics_workers(&b, sc, f,
                                             f->type[0] == 'h');
    }

    if (b.failed) {
        aa_buf_free(&b);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, b.len);
    out = ngx_calloc_buf(r->pool);

    if (p == NULL || out == NULL) {
        aa_buf_free(&b);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, b.data, b.len);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b.len;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    out->pos = p;
    out->last = p + b.len;
    out->memory = 1;
    out->last_buf = (r == r->main) ? 1 : 0;
    out->last_in_chain = 1;

    aa_buf_free(&b);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    cl.buf = out;
    cl.next = NULL;

    return ngx_http_output_filter(r, &cl);
}


/* the label value of a worker id: \ " and newline escaped */

static void
ngx_http_agent_async_metrics_label(aa_buf_t *b, ngx_str_t *s)
{
    u_char  *p, *last;

    for (p = s->data, last = s->data + s->len; p < last; p++) {
        if (*p == '\\' || *p == '"') {
            aa_buf_putc(b, '\\');
            aa_buf_putc(b, (char) *p);

        } else if (*p == '\n') {
            aa_buf_puts(b, "\\n");

        } else {
            aa_buf_putc(b, (char) *p);
        }
    }
}


/*
 * A field of a worker's hash, if it is a sample of the family f:
 * "<name>" or "<name>{<label>=\"<value>\"}" and a number.  Returns the
 * suffix of its name ("" or "_bucket", "_sum", "_count") and its labels,
 * or NULL.
 */

static const char *
ngx_http_agent_async_metrics_sample(ngx_str_t *field, ngx_str_t *value,
    ngx_http_agent_async_metrics_family_t *f, ngx_uint_t histogram,
    ngx_str_t *labels)
{
    u_char       *p, *last;
    size_t        n;
    const char   *suffix;

    static const char  *suffixes[] = { "_bucket", "_sum", "_count", NULL };

    n = ngx_strlen(f->name);

    if (field->len < n || ngx_strncmp(field->data, f->name, n) != 0) {
        return NULL;
    }

    p = field->data + n;
    last = field->data + field->len;
    suffix = "";

    if (histogram) {
        for (n = 0; suffixes[n]; n++) {
            if ((size_t) (last - p) >= ngx_strlen(suffixes[n])
                && ngx_strncmp(p, suffixes[n], ngx_strlen(suffixes[n])) == 0)
            {
                suffix = suffixes[n];
                p += ngx_strlen(suffixes[n]);
                break;
            }
        }

        if (suffixes[n] == NULL) {
            return NULL;
        }
    }

    labels->data = p;
    labels->len = last - p;

    if (labels->len) {
        /* {name="value"}: letters, digits and _ . + in it */
        if (labels->len < 5 || p[0] != '{' || last[-1] != '}'
            || last[-2] != '"')
        {
            return NULL;
        }

        for (p++; p < last - 2 && ngx_http_agent_async_isword(*p); p++) {
            /* void */
        }

        if (p + 2 > last - 2 || p[0] != '=' || p[1] != '"') {
            return NULL;
        }

        for (p += 2; p < last - 2; p++) {
            if (!ngx_http_agent_async_isword(*p) && *p != '.' && *p != '+') {
                return NULL;
            }
        }
    }

    if (value->len == 0 || value->len > 32) {
        return NULL;
    }

    for (n = 0; n < value->len; n++) {
        if (!ngx_http_agent_async_isdigit(value->data[n])
            && value->data[n] != '.')
        {
            return NULL;
        }
    }

    return suffix;
}


static double
ngx_http_agent_async_metrics_le(ngx_str_t *labels)
{
    u_char  *p;

    p = ngx_strlchr(labels->data, labels->data + labels->len, '"');

    if (p == NULL || ngx_strncmp(p + 1, "+Inf", 4) == 0) {
        return HUGE_VAL;
    }

    return strtod((char *) p + 1, NULL);
}


/* the samples of family f of every worker, a histogram's buckets by le */

static void
ngx_http_agent_async_metrics_workers(aa_buf_t *b,
    ngx_http_agent_async_metrics_scrape_t *sc,
    ngx_http_agent_async_metrics_family_t *f, ngx_uint_t histogram)
{
    double                                  le, done, best;
    ngx_str_t                              *fl, labels, bl;
    ngx_uint_t                              i, k, pass, bk;
    const char                             *suffix;
    ngx_http_agent_async_metrics_worker_t  *w;

    w = sc->workers.elts;

    for (i = 0; i < sc->workers.nelts; i++) {
        fl = w[i].fields.elts;

        /*
         * pass 0: buckets, smallest le not yet written first (a few
         * dozen fields: quadratic is nothing); then _sum and _count, or
         * the counter
         */

        done = -HUGE_VAL;

        for (pass = histogram ? 0 : 1; pass < 2; pass++) {

            for ( ;; ) {
                bk = NGX_CONF_UNSET_UINT;
                best = HUGE_VAL;
                bl.len = 0;
                bl.data = NULL;

                for (k = 0; k + 1 < w[i].fields.nelts; k += 2) {
                    suffix = ngx_http_agent_async_metrics_sample(&fl[k],
                                 &fl[k + 1], f, histogram, &labels);
                    if (suffix == NULL) {
                        continue;
                    }

                    if (pass == 0) {
                        if (suffix[1] != 'b') {
                            continue;
                        }

                        le = ngx_http_agent_async_metrics_le(&labels);

                        if (le > done && (bk == NGX_CONF_UNSET_UINT
                                          || le < best))
                        {
                            best = le;
                            bk = k;
                            bl = labels;
                        }

                        continue;
                    }

                    if (histogram && suffix[1] == 'b') {
                        continue;
                    }

                    aa_buf_printf(b, "%s%s{worker=\"", f->name, suffix);
                    ngx_http_agent_async_metrics_label(b, &w[i].name);
                    aa_buf_putc(b, '"');

                    if (labels.len) {
                        aa_buf_putc(b, ',');
                        aa_buf_append(b, (char *) labels.data + 1,
                                      labels.len - 1);
                    } else {
                        aa_buf_putc(b, '}');
                    }

                    aa_buf_printf(b, " %.*s\n", (int) fl[k + 1].len,
                                  (char *) fl[k + 1].data);
                }

                if (pass == 1 || bk == NGX_CONF_UNSET_UINT) {
                    break;
                }

                aa_buf_printf(b, "%s_bucket{worker=\"", f->name);
                ngx_http_agent_async_metrics_label(b, &w[i].name);
                aa_buf_puts(b, "\",");
                aa_buf_append(b, (char *) bl.data + 1, bl.len - 1);
                aa_buf_printf(b, " %.*s\n", (int) fl[bk + 1].len,
                              (char *) fl[bk + 1].data);

                done = best;

                if (best == HUGE_VAL) {
                    break;
                }
            }
        }
    }
}
