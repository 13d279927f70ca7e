
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * DELETE /v1/agents/{agent_id}: Letta's 200 {"message":"Agent id=<id>
 * successfully deleted"}.  delete_agent removes the agent itself in one
 * step (from then on it is a 404, gone from the list, and no run can be
 * created for it or claimed from its queue); then delete_agent_runs
 * removes its runs, NGX_HTTP_AGENT_ASYNC_DELETE_BATCH per call, until none
 * is left (docs/redis-keys.md, "Deleting an agent").  A deletion cut short
 * (Redis failed) is finished by the next DELETE of the agent.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_id.h"
#include "aa_keys.h"


#define NGX_HTTP_AGENT_ASYNC_DELETE_BATCH  100
#define NGX_HTTP_AGENT_ASYNC_DELETE_KEYS   7        /* before the runs' */


typedef struct {
    char                       agent[AA_ID_MAX];
    char                       tenant[AA_CONF_TENANT_MAX + 1];
    char                       batch[NGX_INT_T_LEN + 1];
    ngx_uint_t                 batches;
    char                       keys[NGX_HTTP_AGENT_ASYNC_DELETE_KEYS]
                                   [AA_KEY_MAX];
} ngx_http_agent_async_delete_t;


static ngx_int_t ngx_http_agent_async_delete_start(ngx_http_request_t *r,
    ngx_http_agent_async_delete_t *d);
static void ngx_http_agent_async_delete_started(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_delete_runs(ngx_http_request_t *r,
    redisReply **ids, size_t n);
static void ngx_http_agent_async_delete_batch(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_delete_done(ngx_http_request_t *r);


ngx_int_t
ngx_http_agent_async_agent_delete(ngx_http_request_t *r)
{
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_delete_t  *d;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!aa_id_valid("agent", (char *) ctx->id.data, ctx->id.len)) {
        return ngx_http_agent_async_send_path_error(r, "agent", &ctx->id);
    }

    d = ngx_pcalloc(r->pool, sizeof(ngx_http_agent_async_delete_t));
    if (d == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

    ctx->data = d;

    ngx_cpystrn((u_char *) d->agent, ctx->id.data, ctx->id.len + 1);
    ngx_cpystrn((u_char *) d->tenant, ctx->tenant.data, ctx->tenant.len + 1);
    ngx_sprintf((u_char *) d->batch, "%d%Z",
                NGX_HTTP_AGENT_ASYNC_DELETE_BATCH);

    return ngx_http_agent_async_delete_start(r, d);
}


/* KEYS and ARGV of src/lua/delete_agent.lua */

static ngx_int_t
ngx_http_agent_async_delete_start(ngx_http_request_t *r,
    ngx_http_agent_async_delete_t *d)
{
    char                              *keys, *p;
    size_t                            *lens, i;
    const char                       **argv;
    ngx_http_agent_async_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);
    p = (char *) amcf->prefix.data;

    argv = ngx_palloc(r->pool, 11 * sizeof(char *));
    lens = ngx_palloc(r->pool, 11 * sizeof(size_t));
    keys = ngx_pnalloc(r->pool, 8 * AA_KEY_MAX);

    if (argv == NULL || lens == NULL || keys == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

#define ngx_http_agent_async_key(i)  (keys + (i) * AA_KEY_MAX)

    if (aa_key_agent(ngx_http_agent_async_key(0), AA_KEY_MAX, p, d->agent)
        < 0
        || aa_key_tenant_agents(ngx_http_agent_async_key(1), AA_KEY_MAX, p,
                                d->tenant) < 0
        || aa_key_tenant_agent_names(ngx_http_agent_async_key(2),
                                     AA_KEY_MAX, p, d->tenant) < 0
        || aa_key_queue(ngx_http_agent_async_key(3), AA_KEY_MAX, p,
                        d->agent) < 0
        || aa_key_ready(ngx_http_agent_async_key(4), AA_KEY_MAX, p) < 0
        || aa_key_agent_runs(ngx_http_agent_async_key(5), AA_KEY_MAX, p,
                             d->agent) < 0
        || aa_key_deleting(ngx_http_agent_async_key(6), AA_KEY_MAX, p) < 0
        || aa_key_history(ngx_http_agent_async_key(7), AA_KEY_MAX, p,
                          d->agent) < 0)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    for (i = 0; i < 8; i++) {
        argv[i] = ngx_http_agent_async_key(i);
    }

#undef ngx_http_agent_async_key

    argv[8] = d->tenant;
    argv[9] = d->agent;
    argv[10] = d->batch;

    for (i = 0; i < 11; i++) {
        lens[i] = ngx_strlen(argv[i]);
    }

    /* the keys every batch names first, as src/lua/delete_agent_runs.lua */

    if (aa_key_agent(d->keys[0], AA_KEY_MAX, p, d->agent) < 0
        || aa_key_agent_runs(d->keys[1], AA_KEY_MAX, p, d->agent) < 0
        || aa_key_tenant_runs(d->keys[2], AA_KEY_MAX, p, d->tenant) < 0
        || aa_key_tenant_active(d->keys[3], AA_KEY_MAX, p, d->tenant) < 0
        || aa_key_callbacks(d->keys[4], AA_KEY_MAX, p) < 0
        || aa_key_history(d->keys[5], AA_KEY_MAX, p, d->agent) < 0
        || aa_key_deleting(d->keys[6], AA_KEY_MAX, p) < 0)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent delete \"%s\": start", d->agent);

    return ngx_http_agent_async_query_script(r,
                                        ngx_http_agent_async_delete_started,
                                        AA_SCRIPT_DELETE_AGENT, 8, 11, argv,
                                        lens);
}


/* {"deleted", head, R...} or {"not_found"} */

static void
ngx_http_agent_async_delete_started(ngx_http_request_t *r, redisReply *reply)
{
    size_t                          i;
    redisReply                    **e;
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_delete_t  *d;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    d = ctx->data;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1)
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    e = reply->element;

    for (i = 0; i < reply->elements; i++) {
        if (e[i]->type != REDIS_REPLY_STRING) {
            ngx_http_finalize_request(r,
                ngx_http_agent_async_send_storage_error(r, reply));
            return;
        }
    }

    if (ngx_strcmp(e[0]->str, "not_found") == 0) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "agent_async agent delete \"%s\": not found",
                       d->agent);

        ngx_http_finalize_request(r, ngx_http_agent_async_agent_not_found(r));
        return;
    }

    if (ngx_strcmp(e[0]->str, "deleted") != 0 || reply->elements < 2) {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent delete \"%s\": gone, head \"%s\", "
                   "%uz runs in the first batch", d->agent, e[1]->str,
                   (size_t) (reply->elements - 2));

    if (reply->elements == 2) {
        ngx_http_finalize_request(r, ngx_http_agent_async_delete_done(r));
        return;
    }

    /* the head first: a worker may be executing it */

    if (e[1]->len == 0) {
        e++;
    }

    ngx_http_finalize_request(r,
        ngx_http_agent_async_delete_runs(r, e + 1,
                                         reply->elements - 1
                                         - (size_t) (e - reply->element)));
}


/* KEYS and ARGV of src/lua/delete_agent_runs.lua for the run ids */

static ngx_int_t
ngx_http_agent_async_delete_runs(ngx_http_request_t *r, redisReply **ids,
    size_t n)
{
    char                              *keys, *flags, *p, run[AA_ID_MAX];
    size_t                            *lens, i, j, k, nkeys;
    const char                       **argv;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_delete_t     *d;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);
    d = ctx->data;
    p = (char *) amcf->prefix.data;

    argv = ngx_palloc(r->pool, (NGX_HTTP_AGENT_ASYNC_DELETE_KEYS + 5 * n + 3)
                               * sizeof(char *));
    lens = ngx_palloc(r->pool, (NGX_HTTP_AGENT_ASYNC_DELETE_KEYS + 5 * n + 3)
                               * sizeof(size_t));
    keys = ngx_pnalloc(r->pool, 3 * n * AA_KEY_MAX);
    flags = ngx_pnalloc(r->pool, n + 1);

    if (argv == NULL || lens == NULL || keys == NULL || flags == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

    for (i = 0; i < NGX_HTTP_AGENT_ASYNC_DELETE_KEYS; i++) {
        argv[i] = d->keys[i];
    }

    nkeys = NGX_HTTP_AGENT_ASYNC_DELETE_KEYS;

    for (i = 0, k = 0; i < n; i++) {
        flags[i] = '0';

        /* an id that cannot be a run's has no keys: its entries go */
        if (!aa_id_valid("run", ids[i]->str, ids[i]->len)) {
            continue;
        }

        ngx_memcpy(run, ids[i]->str, ids[i]->len);
        run[ids[i]->len] = '\0';

#define ngx_http_agent_async_key(j)  (keys + (k + (j)) * AA_KEY_MAX)

        if (aa_key_run(ngx_http_agent_async_key(0), AA_KEY_MAX, p, run) < 0
            || aa_key_run_messages(ngx_http_agent_async_key(1), AA_KEY_MAX,
                                   p, run) < 0
            || aa_key_run_steps(ngx_http_agent_async_key(2), AA_KEY_MAX, p,
                                run) < 0)
        {
            continue;
        }

        for (j = 0; j < 3; j++) {
            argv[nkeys++] = ngx_http_agent_async_key(j);
        }

#undef ngx_http_agent_async_key

        k += 3;
        flags[i] = '1';
    }

    flags[n] = '\0';

    /* ARGV: A, the batch size, the flags, the ids (copied: reply goes) */

    j = nkeys;
    argv[j++] = d->agent;
    argv[j++] = d->batch;
    argv[j++] = flags;

    for (i = 0; i < n; i++) {
        argv[j] = ngx_pnalloc(r->pool, ids[i]->len + 1);
        if (argv[j] == NULL) {
            return ngx_http_agent_async_send_oom(r);
        }

        ngx_memcpy((char *) argv[j], ids[i]->str, ids[i]->len + 1);
        j++;
    }

    for (i = 0; i < j; i++) {
        lens[i] = ngx_strlen(argv[i]);
    }

    d->batches++;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent delete \"%s\": batch %ui of %uz runs",
                   d->agent, d->batches, n);

    return ngx_http_agent_async_query_script(r,
                                        ngx_http_agent_async_delete_batch,
                                        AA_SCRIPT_DELETE_AGENT_RUNS,
                                        (int) nkeys, (int) j, argv, lens);
}


/* the next run ids: another batch, or none, done */

static void
ngx_http_agent_async_delete_batch(ngx_http_request_t *r, redisReply *reply)
{
    size_t  i;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        if (reply->element[i]->type != REDIS_REPLY_STRING) {
            ngx_http_finalize_request(r,
                ngx_http_agent_async_send_storage_error(r, reply));
            return;
        }
    }

    if (reply->elements == 0) {
        ngx_http_finalize_request(r, ngx_http_agent_async_delete_done(r));
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_agent_async_delete_runs(r, reply->element, reply->elements));
}


static ngx_int_t
ngx_http_agent_async_delete_done(ngx_http_request_t *r)
{
    aa_buf_t                        out;
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_delete_t  *d;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    d = ctx->data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async agent delete \"%s\": done in %ui batches",
                   d->agent, d->batches);

    ngx_http_agent_async_buf_init(r, &out);
    aa_buf_puts(&out, "{\"message\":\"Agent id=");
    aa_buf_puts(&out, d->agent);
    aa_buf_puts(&out, " successfully deleted\"}");

    return ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out);
}
