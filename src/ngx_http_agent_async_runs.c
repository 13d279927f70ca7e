
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * POST /v1/agents/{agent_id}/messages/async: validate, then create the run
 * and queue it in one script (docs/redis-keys.md), answer the Run.
 * GET /v1/runs/{run_id}: the Run, straight from its hash.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_id.h"
#include "aa_keys.h"
#include "aa_request.h"
#include "aa_slot.h"
#include "aa_time.h"


#define NGX_HTTP_AGENT_ASYNC_RUN_FIELDS  11

/* the largest body whose job is built in the request's pool */
#define NGX_HTTP_AGENT_ASYNC_POOL_JOB    65536


/* a run being created, with what src/lua/create_run.lua takes, in r->pool */

typedef struct {
    char                agent_key[AA_KEY_MAX];
    char                queue[AA_KEY_MAX];
    char                agent_runs[AA_KEY_MAX];
    char                run_key[AA_KEY_MAX];
    char                tenant_runs[AA_KEY_MAX];
    char                ready[AA_KEY_MAX];
    char                tenant_active[AA_KEY_MAX];
    ngx_http_agent_async_idem_t  idem;

    char                id[AA_ID_MAX];
    char                agent[AA_ID_MAX];
    char                tenant[NGX_HTTP_AGENT_ASYNC_TENANT_MAX + 1];
    char                created_at[AA_TIME_RUN_LEN + 1];
    char                created_us[NGX_INT64_LEN + 1];

    /* the run hash, rendered as the answer once stored */
    aa_field_t          fields[NGX_HTTP_AGENT_ASYNC_RUN_FIELDS];
    size_t              nfields;

    const char         *argv[17 + 2 * NGX_HTTP_AGENT_ASYNC_RUN_FIELDS];
    size_t              argvlen[17 + 2 * NGX_HTTP_AGENT_ASYNC_RUN_FIELDS];
} ngx_http_agent_async_new_run_t;


static void ngx_http_agent_async_run_create_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_run_prepare(ngx_http_request_t *r,
    aa_async_request_t *req, ngx_http_agent_async_new_run_t *run);
static ngx_int_t ngx_http_agent_async_run_store(ngx_http_request_t *r,
    ngx_http_agent_async_new_run_t *run);
static void ngx_http_agent_async_run_created(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_run_repeated(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_agent_async_run_replayed(ngx_http_request_t *r,
    ngx_str_t *agent, redisReply *reply);
static void ngx_http_agent_async_run_got(ngx_http_request_t *r,
    ngx_str_t *agent, redisReply *reply);
static void ngx_http_agent_async_field(aa_field_t *f, const char *name,
    const char *value, size_t len);
static const char *ngx_http_agent_async_lettuce(ngx_http_request_t *r,
    aa_async_request_t *req);


ngx_int_t
ngx_http_agent_async_run_create(ngx_http_request_t *r)
{
    return ngx_http_agent_async_read_agent_body(r,
                                        ngx_http_agent_async_run_create_body);
}


static void
ngx_http_agent_async_run_create_body(ngx_http_request_t *r)
{
    u_char                          *body;
    size_t                           len;
    ngx_int_t                        rc;
    aa_async_request_t               req;
    ngx_http_agent_async_new_run_t  *run;

    body = ngx_http_agent_async_body(r, &len);
    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    aa_async_request_init(&req);

    /*
     * The request config, and the job of a small body, are built in the
     * pool at their likely size: no malloc, no regrowth.  A large job
     * keeps malloc's realloc, which can grow it in place where the pool
     * would keep every block it outgrew until the request ends.
     */
    if (len <= NGX_HTTP_AGENT_ASYNC_POOL_JOB) {
        ngx_http_agent_async_buf_init_size(r, &req.job, len + 256);
    }

    ngx_http_agent_async_buf_init_size(r, &req.request_config, 256);

    switch (aa_async_request_parse(&req, (char *) body, len)) {

    case AA_OK:
        run = ngx_palloc(r->pool, sizeof(ngx_http_agent_async_new_run_t));

        if (run == NULL
            || ngx_http_agent_async_run_prepare(r, &req, run) != NGX_OK)
        {
            rc = ngx_http_agent_async_send_oom(r);
            break;
        }

        if (ngx_http_agent_async_idem_prepare(r, &run->idem, body, len,
                                              &req.otids, &rc)
            != NGX_OK)
        {
            break;
        }

        rc = ngx_http_agent_async_run_store(r, run);
        break;

    case AA_INVALID:
        rc = ngx_http_agent_async_send_invalid(r, &req.errors);
        break;

    default: /* AA_NOMEM */
        rc = ngx_http_agent_async_send_oom(r);
        break;
    }

    aa_async_request_free(&req);

    ngx_http_finalize_request(r, rc);
}


/* the run hash, kept in the request pool to answer with once stored */

static ngx_int_t
ngx_http_agent_async_run_prepare(ngx_http_request_t *r,
    aa_async_request_t *req, ngx_http_agent_async_new_run_t *run)
{
    u_char                      *metadata, *config, *job, *url;
    int64_t                      now;
    aa_buf_t                     meta;
    aa_field_t                  *f;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    /* the id carries the agent's slot: its keys are found from it alone */
    if (aa_run_id_new(aa_slot((char *) ctx->id.data, ctx->id.len), run->id,
                      sizeof(run->id))
        < 0)
    {
        return NGX_ERROR;
    }

    now = aa_now_us();
    aa_time_run(now, run->created_at);
    ngx_sprintf((u_char *) run->created_us, "%L%Z", now);
    ngx_cpystrn((u_char *) run->agent, ctx->id.data, ctx->id.len + 1);
    ngx_cpystrn((u_char *) run->tenant, ctx->tenant.data,
                ctx->tenant.len + 1);

    ngx_http_agent_async_buf_init_size(r, &meta, 128);
    aa_buf_puts(&meta, "{\"run_type\":\"send_message_async\",\"lettuce\":");
    aa_buf_puts(&meta, ngx_http_agent_async_lettuce(r, req));
    aa_buf_putc(&meta, '}');

    /*
     * The job, maybe as large as the body, is not copied: req outlives the
     * command's formatting, and the answer does not show the job.
     */
    metadata = meta.failed ? NULL : (u_char *) meta.data;
    config = req->request_config.failed ? NULL
                                        : (u_char *) req->request_config.data;
    job = req->job.failed ? NULL : (u_char *) req->job.data;

    if (metadata == NULL || config == NULL || job == NULL) {
        return NGX_ERROR;
    }

    f = run->fields;

    ngx_http_agent_async_field(f++, "id", run->id, ngx_strlen(run->id));
    ngx_http_agent_async_field(f++, "agent_id", run->agent, ctx->id.len);
    ngx_http_agent_async_field(f++, "tenant", run->tenant, ctx->tenant.len);
    ngx_http_agent_async_field(f++, "status", "created", 7);
    ngx_http_agent_async_field(f++, "created_at", run->created_at,
                               ngx_strlen(run->created_at));
    ngx_http_agent_async_field(f++, "created_us", run->created_us,
                               ngx_strlen(run->created_us));
    ngx_http_agent_async_field(f++, "background", "1", 1);
    ngx_http_agent_async_field(f++, "metadata", (char *) metadata, meta.len);
    ngx_http_agent_async_field(f++, "request_config", (char *) config,
                               req->request_config.len);

    if (req->callback_url_len) {
        url = ngx_pnalloc(r->pool, req->callback_url_len);
        if (url == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(url, req->callback_url, req->callback_url_len);
        ngx_http_agent_async_field(f++, "callback_url", (char *) url,
                                   req->callback_url_len);
    }

    /* what the answer renders: all but the job, which goes last */
    ctx->fields = run->fields;
    ctx->nfields = f - run->fields;

    ngx_http_agent_async_field(f++, "request", (char *) job, req->job.len);

    run->nfields = f - run->fields;

    return NGX_OK;
}


static ngx_int_t
ngx_http_agent_async_run_store(ngx_http_request_t *r,
    ngx_http_agent_async_new_run_t *run)
{
    static const char *const           stored[] = {
        "created_at", "metadata", "request_config", "request", "callback_url"
    };

    int                                argc, nkeys;
    size_t                             i;
    const char                        *p, *m;
    const aa_field_t                  *f;
    ngx_http_agent_async_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    p = (char *) amcf->prefix.data;

    if (aa_key_agent(run->agent_key, AA_KEY_MAX, p, run->agent) < 0
        || aa_key_queue(run->queue, AA_KEY_MAX, p, run->agent) < 0
        || aa_key_agent_runs(run->agent_runs, AA_KEY_MAX, p, run->agent) < 0
        || aa_key_run(run->run_key, AA_KEY_MAX, p, run->id) < 0
        || aa_key_tenant_runs(run->tenant_runs, AA_KEY_MAX, p,
                              run->tenant) < 0
        || aa_key_ready(run->ready, AA_KEY_MAX, p) < 0
        || aa_key_tenant_active(run->tenant_active, AA_KEY_MAX, p,
                                run->tenant) < 0)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    /* KEYS, then ARGV, in the order of src/lua/create_run.lua */

    run->argv[0] = run->agent_key;
    run->argv[1] = run->queue;
    run->argv[2] = run->agent_runs;
    run->argv[3] = run->run_key;
    run->argv[4] = run->tenant_runs;
    run->argv[5] = run->ready;
    run->argv[6] = run->tenant_active;
    nkeys = 7;

    for (m = run->idem.mode; *m; m++) {
        run->argv[nkeys++] = *m == 'k' ? run->idem.key : run->idem.otids;
    }

    /* the upstream owns the agents: no local hash needed (but a tenant's) */
    if (amcf->agents == NGX_HTTP_AGENT_ASYNC_AGENTS_UPSTREAM) {
        i = ngx_strlen(run->idem.mode);
        run->idem.mode[i++] = 'u';
        run->idem.mode[i] = '\0';
    }

    argc = nkeys;
    run->argv[argc++] = run->tenant;
    run->argv[argc++] = run->id;
    run->argv[argc++] = run->agent;
    run->argv[argc++] = run->created_us;
    run->argv[argc++] = run->idem.mode;
    run->argv[argc++] = run->idem.fingerprint;
    run->argv[argc++] = run->idem.window;

    for (i = 0; i < (size_t) argc; i++) {
        run->argvlen[i] = ngx_strlen(run->argv[i]);
    }

    /* the values of the run hash the script does not know: no names */
    for (i = 0; i < sizeof(stored) / sizeof(stored[0]); i++) {
        f = aa_field_find(run->fields, run->nfields, stored[i]);
        if (f == NULL) {
            continue;    /* callback_url, the last, when there is none */
        }

        run->argv[argc] = f->value;
        run->argvlen[argc++] = f->value_len;
    }

    return ngx_http_agent_async_query_script(r,
                                             ngx_http_agent_async_run_created,
                                             AA_SCRIPT_CREATE_RUN, nkeys, argc,
                                             run->argv, run->argvlen);
}


static void
ngx_http_agent_async_run_created(ngx_http_request_t *r, redisReply *reply)
{
    aa_buf_t                     out;
    ngx_int_t                    rc;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY) {
        rc = ngx_http_agent_async_run_repeated(r, reply);

    } else if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        rc = ngx_http_agent_async_send_storage_error(r, reply);

    } else if (reply->integer == 0) {
        rc = ngx_http_agent_async_send_detail(r, NGX_HTTP_NOT_FOUND,
                                              "Agent not found");

    } else {
        /* fields[0] is the run's "id" */
        ctx->run_id.data = (u_char *) ctx->fields[0].value;
        ctx->run_id.len = ctx->fields[0].value_len;
        ctx->run_created = 1;

        ngx_http_agent_async_buf_init(r, &out);
        aa_run_render(&out, ctx->fields, ctx->nfields);
        rc = ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out);
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * A repeat of a request within the idempotency window: the run it made
 * ("replay"), or a 422 when its key or otids came with another request.
 */

static ngx_int_t
ngx_http_agent_async_run_repeated(ngx_http_request_t *r, redisReply *reply)
{
    aa_buf_t                     out;
    redisReply                  *v, *run;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (reply->elements < 2 || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[reply->elements - 1]->type != REDIS_REPLY_STRING)
    {
        return ngx_http_agent_async_send_storage_error(r, NULL);
    }

    v = reply->element[0];
    run = reply->element[reply->elements - 1];

    if (v->len == 6 && ngx_strncmp(v->str, "replay", 6) == 0) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "agent_async run create: a repeat of %*s",
                       (size_t) run->len, run->str);

        ctx->id.data = ngx_pnalloc(r->pool, run->len + 1);
        if (ctx->id.data == NULL) {
            return ngx_http_agent_async_send_oom(r);
        }

        ngx_memcpy(ctx->id.data, run->str, run->len);
        ctx->id.data[run->len] = '\0';
        ctx->id.len = run->len;
        ctx->run_id = ctx->id;

        return ngx_http_agent_async_run_find(r,
                   ngx_http_agent_async_run_fields(), AA_RUN_NKEYS,
                   ngx_http_agent_async_run_replayed);
    }

    ngx_http_agent_async_buf_init(r, &out);

    if (reply->elements == 3 && reply->element[1]->type == REDIS_REPLY_STRING
        && reply->element[1]->len == 3)
    {
        aa_buf_puts(&out, "{\"detail\":\"This Idempotency-Key was used "
                          "with another request: ");
    } else {
        aa_buf_puts(&out, "{\"detail\":\"These message otids were sent "
                          "with another request: ");
    }

    ngx_http_agent_async_json_escape(&out, (u_char *) run->str, run->len);
    aa_buf_puts(&out, "\"}");

    return ngx_http_agent_async_send_buf(r, NGX_HTTP_UNPROCESSABLE_ENTITY,
                                         &out);
}


static void
ngx_http_agent_async_run_replayed(ngx_http_request_t *r, ngx_str_t *agent,
    redisReply *reply)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Idempotent-Replayed");
    ngx_str_set(&h->value, "true");

    ngx_http_agent_async_run_got(r, agent, reply);
}


/* the fields of a Run, as HMGET asks for them */

const char *const *
ngx_http_agent_async_run_fields(void)
{
    static const char  *fields[AA_RUN_NKEYS];

    ngx_uint_t  i;

    if (fields[0] == NULL) {
        for (i = 0; i < AA_RUN_NKEYS; i++) {
            fields[i] = aa_run_key(i);
        }
    }

    return fields;
}


/* GET /v1/runs/{run_id}: the fields the Run renders, never the job */

ngx_int_t
ngx_http_agent_async_run_get(ngx_http_request_t *r)
{
    return ngx_http_agent_async_run_find(r, ngx_http_agent_async_run_fields(),
                                         AA_RUN_NKEYS,
                                         ngx_http_agent_async_run_got);
}


static void
ngx_http_agent_async_run_got(ngx_http_request_t *r, ngx_str_t *agent,
    redisReply *reply)
{
    size_t       i, n;
    aa_buf_t     out;
    redisReply  *v;
    aa_field_t   fields[AA_RUN_NKEYS];

    n = 0;

    for (i = 0; i < AA_RUN_NKEYS; i++) {
        v = reply->element[1 + i];

        if (v->type != REDIS_REPLY_STRING) {
            continue;
        }

        ngx_http_agent_async_field(&fields[n++], aa_run_key(i), v->str,
                                   v->len);
    }

    ngx_http_agent_async_buf_init(r, &out);
    aa_run_render(&out, fields, n);

    ngx_http_finalize_request(r,
        ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out));
}


static void
ngx_http_agent_async_field(aa_field_t *f, const char *name,
    const char *value, size_t len)
{
    f->name = name;
    f->name_len = ngx_strlen(name);
    f->value = value;
    f->value_len = len;
}


/*
 * metadata.lettuce mirrors Letta: null without the experimental header,
 * true only for "true" with a first message of type "message".
 */

static const char *
ngx_http_agent_async_lettuce(ngx_http_request_t *r, aa_async_request_t *req)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    static ngx_str_t  name = ngx_string("X-Experimental-Message-Async");

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return "null";
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == name.len
            && ngx_strncasecmp(h[i].key.data, name.data, name.len) == 0)
        {
            break;
        }
    }

    if (h[i].value.len != 4
        || ngx_strncasecmp(h[i].value.data, (u_char *) "true", 4) != 0)
    {
        return "false";
    }

    return req->first_is_message ? "true" : "false";
}
