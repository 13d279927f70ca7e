
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * POST /v1/agents/{agent_id}/messages/cancel: the runs named in run_ids,
 * or every run of the agent not finished yet (its queue), are cancelled
 * in one script: a queued one at once (never executed, its callback due
 * now), a running one through cancel_requested, which the worker
 * executing it watches.  The answer never waits on a worker or a
 * callback: {"run-...": "cancelled" | "failed"}.
 *
 * DELETE /v1/runs/{run_id}: the run, its messages, steps and index
 * entries removed in one script; a running one is aborted by its worker;
 * the answer is the Run as it was.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_id.h"
#include "aa_keys.h"
#include "aa_time.h"
#include "aa_validate.h"


#define NGX_HTTP_AGENT_ASYNC_CANCEL_MAX  100


typedef struct {
    ngx_str_t   ids[NGX_HTTP_AGENT_ASYNC_CANCEL_MAX];
    ngx_uint_t  n;
    ngx_uint_t  given;          /* run_ids named them */
} ngx_http_agent_async_cancel_t;


static void ngx_http_agent_async_cancel_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_cancel_parse(ngx_http_request_t *r,
    ngx_http_agent_async_cancel_t *c, u_char *body, size_t len,
    ngx_uint_t *answered);
static void ngx_http_agent_async_cancel_agent(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_agent_async_cancel_queue(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_cancel_send(ngx_http_request_t *r);
static void ngx_http_agent_async_cancelled(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_cancel_answer(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_agent_key(ngx_http_request_t *r,
    int (*make)(char *, size_t, const char *, const char *),
    const char **key, size_t *len);
static void ngx_http_agent_async_run_found(ngx_http_request_t *r,
    ngx_str_t *agent, redisReply *reply);
static void ngx_http_agent_async_run_deleted(ngx_http_request_t *r,
    redisReply *reply);


ngx_int_t
ngx_http_agent_async_cancel(ngx_http_request_t *r)
{
    return ngx_http_agent_async_read_agent_body(r,
                                        ngx_http_agent_async_cancel_body);
}


static void
ngx_http_agent_async_cancel_body(ngx_http_request_t *r)
{
    u_char                         *body;
    size_t                          len, lens[3];
    ngx_int_t                       rc;
    ngx_uint_t                      answered;
    const char                     *argv[3];
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_cancel_t  *c;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    body = ngx_http_agent_async_body(r, &len);
    c = ngx_pcalloc(r->pool, sizeof(ngx_http_agent_async_cancel_t));

    if (body == NULL || c == NULL) {
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    ctx->data = c;

    answered = 0;
    rc = ngx_http_agent_async_cancel_parse(r, c, body, len, &answered);
    if (answered) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    /* the agent first: another tenant's does not exist */

    if (ngx_http_agent_async_agent_key(r, aa_key_agent, &argv[1], &lens[1])
        != NGX_OK)
    {
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    argv[0] = "HGET";
    lens[0] = 4;
    argv[2] = "tenant";
    lens[2] = 6;

    ngx_http_finalize_request(r,
        ngx_http_agent_async_query(r, ngx_http_agent_async_cancel_agent, 3,
                                   argv, lens));
}


/*
 * An optional {"run_ids": [...] | null}.  With *answered set, the 422 (or
 * 500) was sent and the return value is its status.
 */

static ngx_int_t
ngx_http_agent_async_cancel_parse(ngx_http_request_t *r,
    ngx_http_agent_async_cancel_t *c, u_char *body, size_t len,
    ngx_uint_t *answered)
{
    size_t       i, n;
    yajl_val     root, ids, v;
    ngx_int_t    rc;
    aa_errors_t  e;
    char         loc[AA_LOC_MAX], msg[96];

    if (len == 0) {
        return NGX_OK;
    }

    aa_errors_init(&e);

    root = aa_v_body(&e, (char *) body, len, 16);
    ids = NULL;

    if (root != NULL
        && aa_v_field(&e, "body", root, "run_ids", AA_V_STRLIST,
                      AA_V_NULLABLE, &ids) == 1)
    {
        n = ids->u.array.len;

        if (n > NGX_HTTP_AGENT_ASYNC_CANCEL_MAX) {
            ngx_snprintf((u_char *) msg, sizeof(msg),
                         "List should have at most %d items after "
                         "validation, not %uz%Z",
                         NGX_HTTP_AGENT_ASYNC_CANCEL_MAX, n);
            aa_v_loc(loc, "body", "run_ids");
            aa_errors_add(&e, "too_long", loc, msg, ids);
        }
    }

    if (e.items.failed) {
        *answered = 1;
        rc = ngx_http_agent_async_send_oom(r);
        goto done;
    }

    if (e.count) {
        *answered = 1;
        rc = ngx_http_agent_async_send_invalid(r, &e);
        goto done;
    }

    for (i = 0; ids != NULL && i < ids->u.array.len; i++) {
        v = ids->u.array.values[i];

        c->ids[c->n].len = ngx_strlen(v->u.string);
        c->ids[c->n].data = ngx_pnalloc(r->pool, c->ids[c->n].len + 1);

        if (c->ids[c->n].data == NULL) {
            *answered = 1;
            rc = ngx_http_agent_async_send_oom(r);
            goto done;
        }

        ngx_memcpy(c->ids[c->n].data, v->u.string, c->ids[c->n].len + 1);
        c->n++;
    }

    c->given = c->n > 0;
    rc = NGX_OK;

done:

    yajl_tree_free(root);
    aa_errors_free(&e);

    return rc;
}


static void
ngx_http_agent_async_cancel_agent(ngx_http_request_t *r, redisReply *reply)
{
    size_t                          len;
    const char                     *key;
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_cancel_t  *c;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    c = ctx->data;

    if (reply == NULL
        || (reply->type != REDIS_REPLY_STRING
            && reply->type != REDIS_REPLY_NIL))
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    if (reply->type == REDIS_REPLY_NIL
        || (size_t) reply->len != ctx->tenant.len
        || ngx_strncmp(reply->str, ctx->tenant.data, ctx->tenant.len) != 0)
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_detail(r, NGX_HTTP_NOT_FOUND,
                                             "Agent not found"));
        return;
    }

    if (c->given) {
        ngx_http_finalize_request(r, ngx_http_agent_async_cancel_send(r));
        return;
    }

    /* no ids: every run of the agent not finished yet, its queue */

    if (ngx_http_agent_async_agent_key(r, aa_key_queue, &key, &len)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_agent_async_query_range(r,
                                         ngx_http_agent_async_cancel_queue,
                                         key, len, "99"));
}


static void
ngx_http_agent_async_cancel_queue(ngx_http_request_t *r, redisReply *reply)
{
    size_t                          i;
    aa_buf_t                        out;
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_cancel_t  *c;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    c = ctx->data;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    for (i = 0; i < reply->elements && c->n < NGX_HTTP_AGENT_ASYNC_CANCEL_MAX;
         i++)
    {
        if (reply->element[i]->type != REDIS_REPLY_STRING) {
            continue;
        }

        c->ids[c->n].len = reply->element[i]->len;
        c->ids[c->n].data = ngx_pnalloc(r->pool, c->ids[c->n].len + 1);

        if (c->ids[c->n].data == NULL) {
            ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
            return;
        }

        ngx_memcpy(c->ids[c->n].data, reply->element[i]->str,
                   c->ids[c->n].len + 1);
        c->n++;
    }

    if (c->n == 0) {
        ngx_http_agent_async_buf_init(r, &out);
        aa_buf_puts(&out, "{\"detail\":\"CONFLICT: No active runs to cancel "
                          "for agent ");
        aa_buf_append(&out, (char *) ctx->id.data, ctx->id.len);
        aa_buf_puts(&out, "\"}");

        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_buf(r, NGX_HTTP_CONFLICT, &out));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_agent_async_cancel_send(r));
}


/* the cancel script on every id that can be a run; the others "failed" */

static ngx_int_t
ngx_http_agent_async_cancel_send(ngx_http_request_t *r)
{
    int                                argc, nkeys;
    char                              *keys, *now, *ttl, agent[AA_ID_MAX];
    size_t                            *lens;
    ngx_uint_t                         i;
    const char                       **argv;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_cancel_t     *c;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);
    c = ctx->data;

    /*
     * KEYS: Pcallbacks, then a run key per id; ARGV: now, A, the
     * retention in ms, then the ids
     */
    argv = ngx_palloc(r->pool, (2 * c->n + 4) * sizeof(char *));
    lens = ngx_palloc(r->pool, (2 * c->n + 4) * sizeof(size_t));
    keys = ngx_pnalloc(r->pool, (c->n + 1) * AA_KEY_MAX);
    now = ngx_pnalloc(r->pool, AA_TIME_RUN_LEN + 1);
    ttl = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 4);

    if (argv == NULL || lens == NULL || keys == NULL || now == NULL
        || ttl == NULL)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    ngx_cpystrn((u_char *) agent, ctx->id.data, ctx->id.len + 1);

    if (aa_key_callbacks(keys, AA_KEY_MAX, (char *) amcf->prefix.data) < 0) {
        return ngx_http_agent_async_send_oom(r);
    }

    argv[0] = keys;
    lens[0] = ngx_strlen(keys);
    nkeys = 1;

    for (i = 0; i < c->n; i++) {
        if (!aa_id_valid("run", (char *) c->ids[i].data, c->ids[i].len)) {
            continue;
        }

        if (aa_key_run(keys + nkeys * AA_KEY_MAX, AA_KEY_MAX,
                       (char *) amcf->prefix.data,
                       (char *) c->ids[i].data) < 0)
        {
            return ngx_http_agent_async_send_oom(r);
        }

        argv[nkeys] = keys + nkeys * AA_KEY_MAX;
        lens[nkeys] = ngx_strlen(argv[nkeys]);
        nkeys++;
    }

    if (nkeys == 1) {
        /* nothing that can be a run: every one "failed" */
        return ngx_http_agent_async_cancel_answer(r, NULL);
    }

    aa_time_run(aa_now_us(), now);

    argc = nkeys;
    argv[argc] = now;
    lens[argc++] = ngx_strlen(now);
    argv[argc] = (char *) ctx->id.data;
    lens[argc++] = ctx->id.len;
    argv[argc] = ttl;
    lens[argc++] = ngx_sprintf((u_char *) ttl, "%T", amcf->retention * 1000)
                   - (u_char *) ttl;

    for (i = 0; i < c->n; i++) {
        if (aa_id_valid("run", (char *) c->ids[i].data, c->ids[i].len)) {
            argv[argc] = (char *) c->ids[i].data;
            lens[argc++] = c->ids[i].len;
        }
    }

    return ngx_http_agent_async_query_script(r,
                                             ngx_http_agent_async_cancelled,
                                             AA_SCRIPT_CANCEL, nkeys, argc,
                                             argv, lens);
}


static void
ngx_http_agent_async_cancelled(ngx_http_request_t *r, redisReply *reply)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_agent_async_cancel_answer(r, reply));
}


/*
 * {"run-...": "cancelled" | "failed", ...}, in the order of the ids; reply
 * holds the script's answers for the ids that can be runs (NULL: none).
 */

static ngx_int_t
ngx_http_agent_async_cancel_answer(ngx_http_request_t *r, redisReply *reply)
{
    size_t                          k;
    aa_buf_t                        out;
    ngx_uint_t                      i, ok;
    redisReply                     *s;
    ngx_http_agent_async_ctx_t     *ctx;
    ngx_http_agent_async_cancel_t  *c;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    c = ctx->data;

    ngx_http_agent_async_buf_init(r, &out);
    aa_buf_putc(&out, '{');

    for (k = 0, i = 0; i < c->n; i++) {
        ok = 0;

        if (aa_id_valid("run", (char *) c->ids[i].data, c->ids[i].len)) {
            s = (reply != NULL && k < reply->elements) ? reply->element[k]
                                                       : NULL;
            k++;

            /* already terminal counts as cancelled, as in Letta */
            ok = s != NULL && s->type == REDIS_REPLY_STRING
                 && ngx_strcmp(s->str, "not_found") != 0;
        }

        if (i) {
            aa_buf_putc(&out, ',');
        }

        aa_buf_json_string(&out, (char *) c->ids[i].data, c->ids[i].len);
        aa_buf_puts(&out, ok ? ":\"cancelled\"" : ":\"failed\"");
    }

    aa_buf_putc(&out, '}');

    return ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out);
}


/* a key of the path's agent, in r->pool */

static ngx_int_t
ngx_http_agent_async_agent_key(ngx_http_request_t *r,
    int (*make)(char *, size_t, const char *, const char *),
    const char **key, size_t *len)
{
    int                                n;
    char                              *p, id[AA_ID_MAX];
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    p = ngx_pnalloc(r->pool, AA_KEY_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) id, ctx->id.data, ctx->id.len + 1);

    n = make(p, AA_KEY_MAX, (char *) amcf->prefix.data, id);
    if (n < 0) {
        return NGX_ERROR;
    }

    *key = p;
    *len = (size_t) n;

    return NGX_OK;
}


ngx_int_t
ngx_http_agent_async_run_delete(ngx_http_request_t *r)
{
    static const char  *fields[AA_RUN_NKEYS];

    ngx_uint_t  i;

    if (fields[0] == NULL) {
        for (i = 0; i < AA_RUN_NKEYS; i++) {
            fields[i] = aa_run_key(i);
        }
    }

    return ngx_http_agent_async_run_find(r, fields, AA_RUN_NKEYS,
                                         ngx_http_agent_async_run_found);
}


/* the Run as it was kept for the answer, then the script */

static void
ngx_http_agent_async_run_found(ngx_http_request_t *r, ngx_str_t *agent,
    redisReply *reply)
{
    char                              *keys, tenant[AA_CONF_TENANT_MAX + 1];
    char                               run[AA_ID_MAX];
    size_t                             i, n, *lens;
    aa_buf_t                           out;
    redisReply                        *v;
    aa_field_t                         fields[AA_RUN_NKEYS];
    const char                       **argv;
    ngx_str_t                         *answer;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    for (n = 0, i = 0; i < AA_RUN_NKEYS; i++) {
        v = reply->element[1 + i];

        if (v->type == REDIS_REPLY_STRING) {
            fields[n].name = aa_run_key(i);
            fields[n].name_len = ngx_strlen(fields[n].name);
            fields[n].value = v->str;
            fields[n].value_len = v->len;
            n++;
        }
    }

    ngx_http_agent_async_buf_init(r, &out);
    aa_run_render(&out, fields, n);

    answer = ngx_palloc(r->pool, sizeof(ngx_str_t));
    argv = ngx_palloc(r->pool, 10 * sizeof(char *));
    lens = ngx_palloc(r->pool, 10 * sizeof(size_t));
    keys = ngx_pnalloc(r->pool, 8 * AA_KEY_MAX);

    if (out.failed || answer == NULL || argv == NULL || lens == NULL
        || keys == NULL || (answer->data = ngx_pnalloc(r->pool, out.len))
                           == NULL)
    {
        aa_buf_free(&out);
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    ngx_memcpy(answer->data, out.data, out.len);
    answer->len = out.len;
    aa_buf_free(&out);

    ctx->data = answer;

    ngx_cpystrn((u_char *) run, ctx->id.data, ctx->id.len + 1);
    ngx_cpystrn((u_char *) tenant, ctx->tenant.data, ctx->tenant.len + 1);

    /* KEYS and ARGV of src/lua/delete_run.lua */

#define ngx_http_agent_async_key(i)  (keys + (i) * AA_KEY_MAX)

    if (aa_key_run(ngx_http_agent_async_key(0), AA_KEY_MAX,
                   (char *) amcf->prefix.data, run) < 0
        || aa_key_run_messages(ngx_http_agent_async_key(1), AA_KEY_MAX,
                               (char *) amcf->prefix.data, run) < 0
        || aa_key_run_steps(ngx_http_agent_async_key(2), AA_KEY_MAX,
                            (char *) amcf->prefix.data, run) < 0
        || aa_key_agent_runs(ngx_http_agent_async_key(3), AA_KEY_MAX,
                             (char *) amcf->prefix.data,
                             (char *) agent->data) < 0
        || aa_key_tenant_runs(ngx_http_agent_async_key(4), AA_KEY_MAX,
                              (char *) amcf->prefix.data, tenant) < 0
        || aa_key_callbacks(ngx_http_agent_async_key(5), AA_KEY_MAX,
                            (char *) amcf->prefix.data) < 0
        || aa_key_tenant_active(ngx_http_agent_async_key(6), AA_KEY_MAX,
                                (char *) amcf->prefix.data, tenant) < 0)
    {
        ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
        return;
    }

    for (i = 0; i < 7; i++) {
        argv[i] = ngx_http_agent_async_key(i);
        lens[i] = ngx_strlen(argv[i]);
    }

#undef ngx_http_agent_async_key

    argv[7] = (char *) ctx->id.data;
    lens[7] = ctx->id.len;
    argv[8] = (char *) agent->data;
    lens[8] = agent->len;

    ngx_http_finalize_request(r,
        ngx_http_agent_async_query_script(r,
                                          ngx_http_agent_async_run_deleted,
                                          AA_SCRIPT_DELETE_RUN, 7, 9, argv,
                                          lens));
}


static void
ngx_http_agent_async_run_deleted(ngx_http_request_t *r, redisReply *reply)
{
    ngx_str_t                   *answer;
    ngx_http_agent_async_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    answer = ctx->data;

    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    if (reply->integer == 0) {
        /* deleted meanwhile by another request */
        ngx_http_finalize_request(r, ngx_http_agent_async_run_not_found(r));
        return;
    }

    ngx_http_finalize_request(r,
        ngx_http_agent_async_send_json(r, NGX_HTTP_OK, answer->data,
                                       answer->len));
}
