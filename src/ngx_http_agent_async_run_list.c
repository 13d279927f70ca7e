
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * GET /v1/runs/ and GET /v1/runs/active: the caller's runs, newest first
 * by default, as a bare array (docs/api.md, "Listing runs").  Served from
 * an index (docs/redis-keys.md, "Listing"), never by scanning keys:
 *
 *   agent_id                 P{A}:runs           members R
 *   active, or statuses
 *   within created/running   Ptenant:T:active    members "A/R"
 *   anything else            Ptenant:T:runs      members "A/R"
 *
 * in slices (list_runs.lua), each read in one round trip (read_runs.lua)
 * and filtered here, until the page is full, the index ends, or
 * NGX_HTTP_AGENT_ASYNC_LIST_SCAN_MAX runs were read.  Entries whose run is
 * gone, and entries of the active index whose run has finished, are
 * removed on the way: the indexes repair themselves.
 *
 * Cursors have their documented meaning: "after X" is the page that
 * follows X in the order asked for, "before X" the one that precedes it;
 * an unknown cursor is ignored, as Letta does.
 */


#include "ngx_http_agent_async_module.h"

#include "aa_id.h"
#include "aa_json.h"
#include "aa_keys.h"
#include "aa_query.h"
#include "aa_validate.h"


#define NGX_HTTP_AGENT_ASYNC_LIST_MAX        1000  /* limit's bound */
#define NGX_HTTP_AGENT_ASYNC_LIST_SLICE_MIN  200   /* slice when filtering */
#define NGX_HTTP_AGENT_ASYNC_LIST_SCAN_MAX   50000 /* runs read per page */

#define NGX_HTTP_AGENT_ASYNC_MEMBER_MAX      (2 * AA_ID_MAX)

/* what read_runs.lua reads of each run: "tenant", then the Run's fields */
#define NGX_HTTP_AGENT_ASYNC_LIST_NFIELDS    (1 + AA_RUN_NKEYS)

#define NGX_HTTP_AGENT_ASYNC_STATUS_CREATED  0x01
#define NGX_HTTP_AGENT_ASYNC_STATUS_RUNNING  0x02
#define NGX_HTTP_AGENT_ASYNC_STATUS_ACTIVE   0x03


typedef struct {
    u_char                     member[NGX_HTTP_AGENT_ASYNC_MEMBER_MAX];
    size_t                     len;
    char                       key[AA_KEY_MAX];
} ngx_http_agent_async_slot_t;


typedef struct {
    /* the index and where the next slice starts */
    char                       index[AA_KEY_MAX];
    ngx_uint_t                 pairs;       /* members "A/R", not R */
    ngx_str_t                  agent;       /* of P{A}:runs, NUL-ended */
    ngx_uint_t                 active;      /* the index is the active one */
    ngx_uint_t                 up;          /* rank order of the scan */
    ngx_uint_t                 reverse;     /* answer in the other order */
    u_char                     from[NGX_HTTP_AGENT_ASYNC_MEMBER_MAX];
    u_char                     from_score[NGX_INT64_LEN + 32];
    u_char                     to[NGX_HTTP_AGENT_ASYNC_MEMBER_MAX];
    u_char                     count[NGX_INT_T_LEN + 1];
    ngx_str_t                  after;       /* user cursors, run ids */
    ngx_str_t                  before;
    ngx_uint_t                 slice;
    ngx_uint_t                 scanned;
    ngx_uint_t                 done;

    /* filters */
    ngx_uint_t                 statuses;    /* a bit per RunStatus; 0 any */
    yajl_val                   agents;      /* array of ids, or NULL */
    ngx_int_t                  background;  /* -1: any */
    const char                *stop_reason; /* NULL: any */

    /* the slice being read, and the entries to remove from the index */
    ngx_http_agent_async_slot_t  *slots;
    ngx_uint_t                 nslots;
    ngx_uint_t                *gone;
    ngx_uint_t                 ngone;
    const char               **argv;
    size_t                    *lens;

    /* the page: rendered runs, one after the other */
    aa_buf_t                   runs;
    ngx_array_t                found;       /* ngx_str_t: offset, length */
    ngx_uint_t                 limit;
} ngx_http_agent_async_run_list_t;


static ngx_int_t ngx_http_agent_async_runs_serve(ngx_http_request_t *r,
    ngx_uint_t only_active);
static ngx_int_t ngx_http_agent_async_run_list_parse(ngx_http_request_t *r,
    ngx_http_agent_async_run_list_t *ls, ngx_uint_t only_active,
    ngx_int_t *rc);
static ngx_int_t ngx_http_agent_async_run_list_statuses(ngx_http_request_t *r,
    ngx_http_agent_async_run_list_t *ls, yajl_val q, ngx_int_t *rc);
static ngx_int_t ngx_http_agent_async_run_list_start(ngx_http_request_t *r,
    ngx_http_agent_async_run_list_t *ls);
static void ngx_http_agent_async_run_list_located(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_agent_async_run_list_direct(
    ngx_http_agent_async_run_list_t *ls, ngx_http_agent_async_page_t *page);
static ngx_int_t ngx_http_agent_async_run_list_next(ngx_http_request_t *r);
static void ngx_http_agent_async_run_list_sliced(ngx_http_request_t *r,
    redisReply *reply);
static void ngx_http_agent_async_run_list_read(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_run_list_take(ngx_http_request_t *r,
    ngx_http_agent_async_run_list_t *ls, redisReply *run);
static ngx_int_t ngx_http_agent_async_run_list_prune(ngx_http_request_t *r);
static void ngx_http_agent_async_run_list_pruned(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_agent_async_run_list_answer(ngx_http_request_t *r);
static ngx_int_t ngx_http_agent_async_run_list_slot(
    ngx_http_agent_async_run_list_t *ls, const char *prefix,
    ngx_http_agent_async_slot_t *slot, const char *member, size_t len);
static redisReply *ngx_http_agent_async_run_list_field(redisReply *run,
    const char *name);
static ngx_uint_t ngx_http_agent_async_run_list_is(redisReply *v,
    const char *s);
static void ngx_http_agent_async_run_list_cleanup(void *data);


ngx_int_t
ngx_http_agent_async_runs_list(ngx_http_request_t *r)
{
    return ngx_http_agent_async_runs_serve(r, 0);
}


/* GET /v1/runs/active: Letta's deprecated route */

ngx_int_t
ngx_http_agent_async_runs_active(ngx_http_request_t *r)
{
    return ngx_http_agent_async_runs_serve(r, 1);
}


static ngx_int_t
ngx_http_agent_async_runs_serve(ngx_http_request_t *r,
    ngx_uint_t only_active)
{
    ngx_int_t                         rc;
    ngx_pool_cleanup_t               *cln;
    ngx_http_agent_async_ctx_t       *ctx;
    ngx_http_agent_async_run_list_t  *ls;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ls = ngx_pcalloc(r->pool, sizeof(ngx_http_agent_async_run_list_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ls == NULL || cln == NULL
        || ngx_array_init(&ls->found, r->pool, 16, sizeof(ngx_str_t))
           != NGX_OK)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    ngx_http_agent_async_buf_init(r, &ls->runs);
    cln->handler = ngx_http_agent_async_run_list_cleanup;
    cln->data = ls;

    ctx->data = ls;

    if (ngx_http_agent_async_run_list_parse(r, ls, only_active, &rc)
        != NGX_OK)
    {
        return rc;
    }

    return ngx_http_agent_async_run_list_start(r, ls);
}


static void
ngx_http_agent_async_run_list_cleanup(void *data)
{
    ngx_http_agent_async_run_list_t  *ls = data;

    aa_buf_free(&ls->runs);
}


/*
 * The query, checked as Letta checks it: 422 for a parameter of the wrong
 * shape, 400 for an unknown status.  NGX_OK, or NGX_ERROR once answered
 * (*rc: that answer's status).
 */

static ngx_int_t
ngx_http_agent_async_run_list_parse(ngx_http_request_t *r,
    ngx_http_agent_async_run_list_t *ls, ngx_uint_t only_active,
    ngx_int_t *rc)
{
    int                          b;
    yajl_val                     q, v;
    ngx_uint_t                   i;
    aa_errors_t                  e;
    ngx_http_agent_async_ctx_t  *ctx;

    static const char *const  lists[] = { "agent_ids", "statuses", NULL };

    static const char *const  stop_reasons[] = {
        "end_turn", "error", "llm_api_error", "invalid_llm_response",
        "invalid_tool_call", "max_steps", "max_tokens_exceeded",
        "no_tool_call", "tool_rule", "cancelled", "insufficient_credits",
        "requires_approval", "context_window_overflow_in_system_prompt",
        NULL
    };

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    q = ngx_http_agent_async_args(r, lists, rc);
    if (q == NULL) {
        return NGX_ERROR;
    }

    aa_errors_init(&e);

    ls->background = -1;

    if (only_active) {
        /* Letta's route takes agent_id and background, and lists 100 */
        ngx_http_agent_async_page(&e, NULL, &ctx->page, 100, 100, 1);
        ls->statuses = NGX_HTTP_AGENT_ASYNC_STATUS_ACTIVE;

    } else {
        ngx_http_agent_async_page(&e, q, &ctx->page, 100,
                                  NGX_HTTP_AGENT_ASYNC_LIST_MAX, 1);

        if (ngx_http_agent_async_arg_bool(&e, q, "ascending", &b) == 1
            && b)
        {
            ctx->page.desc = 0;
        }

        if (ngx_http_agent_async_arg_bool(&e, q, "active", &b) == 1 && b) {
            ls->statuses = NGX_HTTP_AGENT_ASYNC_STATUS_ACTIVE;
        }

        v = aa_json_get(q, "stop_reason");
        if (v != NULL
            && aa_v_literal(&e, "query/stop_reason", v, stop_reasons, "enum",
                   "Input should be 'end_turn', 'error', 'llm_api_error', "
                   "'invalid_llm_response', 'invalid_tool_call', "
                   "'max_steps', 'max_tokens_exceeded', 'no_tool_call', "
                   "'tool_rule', 'cancelled', 'insufficient_credits', "
                   "'requires_approval' or "
                   "'context_window_overflow_in_system_prompt'") == 1)
        {
            ls->stop_reason = v->u.string;
        }

        v = aa_json_get(q, "agent_ids");
        if (v != NULL && YAJL_IS_ARRAY(v) && v->u.array.len) {
            ls->agents = v;
        }
    }

    if (ngx_http_agent_async_arg_bool(&e, q, "background", &b) == 1) {
        ls->background = b;
    }

    /* agent_id wins over agent_ids; empty, it is no filter (as Letta) */

    v = aa_json_get(q, "agent_id");
    if (v != NULL && YAJL_IS_STRING(v) && v->u.string[0] != '\0') {
        ls->agents = NULL;
        ls->agent.data = (u_char *) v->u.string;
        ls->agent.len = ngx_strlen(v->u.string);

    } else if (ls->agents != NULL && ls->agents->u.array.len == 1) {
        v = ls->agents->u.array.values[0];
        ls->agents = NULL;
        ls->agent.data = (u_char *) v->u.string;
        ls->agent.len = ngx_strlen(v->u.string);
    }

    if (e.items.failed) {
        aa_errors_free(&e);
        *rc = ngx_http_agent_async_send_oom(r);
        return NGX_ERROR;
    }

    if (e.count) {
        *rc = ngx_http_agent_async_send_invalid(r, &e);
        aa_errors_free(&e);
        return NGX_ERROR;
    }

    aa_errors_free(&e);

    if (!only_active
        && ngx_http_agent_async_run_list_statuses(r, ls, q, rc) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ls->limit = (ngx_uint_t) ctx->page.limit;

    /* conversation-scoped runs are not made here: none can match */

    v = aa_json_get(q, "conversation_id");
    if (v != NULL && YAJL_IS_STRING(v)) {
        ls->done = 1;
    }

    /* ids that cannot be an agent's have no runs */

    if (ls->agent.len
        && !aa_id_valid("agent", (char *) ls->agent.data, ls->agent.len))
    {
        ls->done = 1;
    }

    if (ls->agents != NULL) {
        for (i = 0; i < ls->agents->u.array.len; i++) {
            v = ls->agents->u.array.values[i];
            if (!YAJL_IS_STRING(v)) {
                ls->done = 1;
            }
        }
    }

    return NGX_OK;
}


/*
 * statuses=..., repeated; Letta answers 400 for one it does not know.
 * NGX_OK, or NGX_ERROR once answered (*rc).
 */

static ngx_int_t
ngx_http_agent_async_run_list_statuses(ngx_http_request_t *r,
    ngx_http_agent_async_run_list_t *ls, yajl_val q, ngx_int_t *rc)
{
    size_t      len;
    aa_buf_t    b;
    yajl_val    v, s;
    ngx_uint_t  i, k;

    static const char *const  names[] = {
        "created", "running", "completed", "failed", "cancelled", NULL
    };

    v = aa_json_get(q, "statuses");
    if (v == NULL || !YAJL_IS_ARRAY(v) || v->u.array.len == 0) {
        return NGX_OK;
    }

    ls->statuses = 0;

    for (i = 0; i < v->u.array.len; i++) {
        s = v->u.array.values[i];

        for (k = 0; names[k] != NULL; k++) {
            if (aa_v_is(s, names[k])) {
                ls->statuses |= (ngx_uint_t) 1 << k;
                break;
            }
        }

        if (names[k] == NULL) {
            len = YAJL_IS_STRING(s) ? ngx_strlen(s->u.string) : 0;

            ngx_http_agent_async_buf_init(r, &b);
            aa_buf_puts(&b, "{\"detail\":\"'");
            ngx_http_agent_async_json_escape(&b,
                (u_char *) (YAJL_IS_STRING(s) ? s->u.string : ""), len);
            aa_buf_puts(&b, "' is not a valid RunStatus\"}");

            *rc = ngx_http_agent_async_send_buf(r, NGX_HTTP_BAD_REQUEST, &b);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the index, the slice buffers, then the user's cursors as members */

static ngx_int_t
ngx_http_agent_async_run_list_start(ngx_http_request_t *r,
    ngx_http_agent_async_run_list_t *ls)
{
    int                                n;
    char                               tenant[AA_CONF_TENANT_MAX + 1];
    char                              *keys, agent[AA_ID_MAX];
    size_t                            *lens;
    ngx_uint_t                         k;
    const char                        *p, **argv;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_page_t       *page;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);

    if (ls->done) {
        return ngx_http_agent_async_run_list_answer(r);
    }

    page = &ctx->page;
    p = (char *) amcf->prefix.data;

    ngx_cpystrn((u_char *) tenant, ctx->tenant.data, ctx->tenant.len + 1);

    /* the only statuses asked for are active ones: the small index */

    if (ls->statuses
        && (ls->statuses & ~NGX_HTTP_AGENT_ASYNC_STATUS_ACTIVE) == 0)
    {
        ls->active = 1;
        ls->pairs = 1;
        n = aa_key_tenant_active(ls->index, AA_KEY_MAX, p, tenant);

    } else if (ls->agent.len) {
        ngx_cpystrn((u_char *) agent, ls->agent.data, ls->agent.len + 1);
        n = aa_key_agent_runs(ls->index, AA_KEY_MAX, p, agent);

    } else {
        ls->pairs = 1;
        n = aa_key_tenant_runs(ls->index, AA_KEY_MAX, p, tenant);
    }

    if (n < 0) {
        return ngx_http_agent_async_send_oom(r);
    }

    /* an unfiltered page is one slice; filtering reads more at a time */

    ls->slice = ls->limit;

    if (ls->statuses || ls->agents || ls->background != -1
        || ls->stop_reason || (ls->active && ls->agent.len))
    {
        ls->slice = ngx_max(ls->slice, NGX_HTTP_AGENT_ASYNC_LIST_SLICE_MIN);
    }

    ls->slots = ngx_palloc(r->pool,
                           ls->slice * sizeof(ngx_http_agent_async_slot_t));
    ls->gone = ngx_palloc(r->pool, ls->slice * sizeof(ngx_uint_t));
    /* room for read_runs.lua's keys and fields, or ZREM of a slice */
    n = (int) (ls->slice + NGX_HTTP_AGENT_ASYNC_LIST_NFIELDS + 2);

    ls->argv = ngx_palloc(r->pool, n * sizeof(char *));
    ls->lens = ngx_palloc(r->pool, n * sizeof(size_t));

    if (ls->slots == NULL || ls->gone == NULL || ls->argv == NULL
        || ls->lens == NULL)
    {
        return ngx_http_agent_async_send_oom(r);
    }

    if (page->after != NULL) {
        ls->after.data = (u_char *) page->after;
        ls->after.len = ngx_strlen(page->after);
    }

    if (page->before != NULL) {
        ls->before.data = (u_char *) page->before;
        ls->before.len = ngx_strlen(page->before);
    }

    /* a cursor that cannot be a run id is unknown: ignored */

    if (ls->after.len && !aa_id_valid("run", page->after, ls->after.len)) {
        ls->after.len = 0;
    }

    if (ls->before.len && !aa_id_valid("run", page->before, ls->before.len))
    {
        ls->before.len = 0;
    }

    if (!ls->pairs || (ls->after.len == 0 && ls->before.len == 0)) {

        /* members of P{A}:runs are run ids: the cursors are members */

        if (ls->after.len) {
            ngx_cpystrn(ls->from, ls->after.data, ls->after.len + 1);
        }

        if (ls->before.len) {
            ngx_cpystrn(ls->to, ls->before.data, ls->before.len + 1);
        }

        ngx_http_agent_async_run_list_direct(ls, page);

        return ngx_http_agent_async_run_list_next(r);
    }

    /* members "A/R": the agent of each cursor, from its run's hash */

    keys = ngx_pnalloc(r->pool, 2 * AA_KEY_MAX);
    argv = ngx_palloc(r->pool, 3 * sizeof(char *));
    lens = ngx_palloc(r->pool, 3 * sizeof(size_t));

    if (keys == NULL || argv == NULL || lens == NULL) {
        return ngx_http_agent_async_send_oom(r);
    }

    k = 0;

    if (ls->after.len) {
        if (aa_key_run(keys, AA_KEY_MAX, p, page->after) < 0) {
            return ngx_http_agent_async_send_oom(r);
        }

        argv[k] = keys;
        lens[k++] = ngx_strlen(keys);
    }

    if (ls->before.len) {
        if (aa_key_run(keys + AA_KEY_MAX, AA_KEY_MAX, p, page->before) < 0) {
            return ngx_http_agent_async_send_oom(r);
        }

        argv[k] = keys + AA_KEY_MAX;
        lens[k++] = ngx_strlen(keys + AA_KEY_MAX);
    }

    argv[k] = "agent_id";
    lens[k] = 8;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async runs list: locating cursors \"%V\" \"%V\"",
                   &ls->after, &ls->before);

    return ngx_http_agent_async_query_script(r,
               ngx_http_agent_async_run_list_located, AA_SCRIPT_READ_RUNS,
               (int) k, (int) k + 1, argv, lens);
}


static void
ngx_http_agent_async_run_list_located(ngx_http_request_t *r,
    redisReply *reply)
{
    size_t                            i;
    u_char                           *dst;
    ngx_str_t                        *run;
    redisReply                       *v;
    ngx_http_agent_async_ctx_t       *ctx;
    ngx_http_agent_async_run_list_t  *ls;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    ls = ctx->data;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != (size_t) (ls->after.len != 0)
                              + (ls->before.len != 0))
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        v = reply->element[i];
        v = (v->type == REDIS_REPLY_ARRAY && v->elements == 1)
            ? v->element[0] : NULL;

        if (i == 0 && ls->after.len) {
            run = &ls->after;
            dst = ls->from;

        } else {
            run = &ls->before;
            dst = ls->to;
        }

        /* a run unknown, or whose agent_id is not an agent id: ignored */

        if (v == NULL || v->type != REDIS_REPLY_STRING
            || !aa_id_valid("agent", v->str, v->len))
        {
            run->len = 0;
            continue;
        }

        ngx_snprintf(dst, NGX_HTTP_AGENT_ASYNC_MEMBER_MAX, "%*s/%V%Z",
                     v->len, v->str, run);
    }

    ngx_http_agent_async_run_list_direct(ls, &ctx->page);

    ngx_http_finalize_request(r, ngx_http_agent_async_run_list_next(r));
}


/*
 * The scan's direction from the cursors.  "after X" (with or without
 * "before Y"): from X in the order asked for, up to Y.  "before Y" alone:
 * from Y backwards, the page then turned round.
 */

static void
ngx_http_agent_async_run_list_direct(ngx_http_agent_async_run_list_t *ls,
    ngx_http_agent_async_page_t *page)
{
    ls->up = !page->desc;

    if (ls->to[0] != '\0' && ls->from[0] == '\0') {
        ngx_memcpy(ls->from, ls->to, sizeof(ls->from));
        ls->to[0] = '\0';
        ls->up = !ls->up;
        ls->reverse = 1;
    }
}


/* the next slice of the index, from just past ls->from */

static ngx_int_t
ngx_http_agent_async_run_list_next(ngx_http_request_t *r)
{
    ngx_uint_t                        i;
    ngx_http_agent_async_ctx_t       *ctx;
    ngx_http_agent_async_run_list_t  *ls;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    ls = ctx->data;

    if (ls->done || ls->found.nelts >= ls->limit
        || ls->scanned >= NGX_HTTP_AGENT_ASYNC_LIST_SCAN_MAX)
    {
        return ngx_http_agent_async_run_list_answer(r);
    }

    *ngx_sprintf(ls->count, "%ui", ls->slice) = '\0';

    /* KEYS and ARGV of src/lua/list_runs.lua */

    ls->argv[0] = ls->index;
    ls->argv[1] = ls->up ? "up" : "down";
    ls->argv[2] = (char *) ls->count;
    ls->argv[3] = (char *) ls->from;
    ls->argv[4] = (char *) ls->from_score;
    ls->argv[5] = (char *) ls->to;

    for (i = 0; i < 6; i++) {
        ls->lens[i] = ngx_strlen(ls->argv[i]);
    }

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async runs list: %s %s from \"%s\" to \"%s\", "
                   "%ui found", ls->index, ls->argv[1], ls->from, ls->to,
                   ls->found.nelts);

    return ngx_http_agent_async_query_script(r,
               ngx_http_agent_async_run_list_sliced, AA_SCRIPT_LIST_RUNS, 1,
               6, ls->argv, ls->lens);
}


/* a slice: the runs of its members, read in one round trip */

static void
ngx_http_agent_async_run_list_sliced(ngx_http_request_t *r,
    redisReply *reply)
{
    size_t                             i, n;
    redisReply                        *m, *score;
    ngx_http_agent_async_ctx_t        *ctx;
    ngx_http_agent_async_slot_t       *slot;
    ngx_http_agent_async_run_list_t   *ls;
    ngx_http_agent_async_main_conf_t  *amcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_agent_async_module);
    ls = ctx->data;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements % 2 || reply->elements / 2 > ls->slice)
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    n = reply->elements / 2;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async runs list: slice of %uz", n);

    /* a short slice is the index's end */

    if (n < ls->slice) {
        ls->done = 1;
    }

    if (n == 0) {
        ngx_http_finalize_request(r, ngx_http_agent_async_run_list_answer(r));
        return;
    }

    ls->scanned += n;
    ls->nslots = 0;

    for (i = 0; i < n; i++) {
        m = reply->element[2 * i];
        score = reply->element[2 * i + 1];

        if (m->type != REDIS_REPLY_STRING || score->type != REDIS_REPLY_STRING
            || m->len >= NGX_HTTP_AGENT_ASYNC_MEMBER_MAX
            || score->len >= sizeof(ls->from_score))
        {
            ngx_http_finalize_request(r,
                ngx_http_agent_async_send_storage_error(r, NULL));
            return;
        }

        /* the next slice starts past the last member, wherever it went */

        if (i == n - 1) {
            ngx_memcpy(ls->from, m->str, m->len);
            ls->from[m->len] = '\0';
            ngx_memcpy(ls->from_score, score->str, score->len);
            ls->from_score[score->len] = '\0';
        }

        slot = &ls->slots[ls->nslots];

        if (ngx_http_agent_async_run_list_slot(ls, (char *) amcf->prefix.data,
                                               slot, m->str, m->len)
            == NGX_OK)
        {
            ls->nslots++;
        }
    }

    if (ls->nslots == 0) {
        ngx_http_finalize_request(r, ngx_http_agent_async_run_list_next(r));
        return;
    }

    /* KEYS and ARGV of src/lua/read_runs.lua */

    for (i = 0; i < ls->nslots; i++) {
        ls->argv[i] = ls->slots[i].key;
        ls->lens[i] = ngx_strlen(ls->slots[i].key);
    }

    ls->argv[i] = "tenant";
    ls->lens[i++] = 6;

    for (n = 0; n < AA_RUN_NKEYS; n++, i++) {
        ls->argv[i] = aa_run_key(n);
        ls->lens[i] = ngx_strlen(ls->argv[i]);
    }

    ngx_http_finalize_request(r,
        ngx_http_agent_async_query_script(r,
            ngx_http_agent_async_run_list_read, AA_SCRIPT_READ_RUNS,
            (int) ls->nslots, (int) i, ls->argv, ls->lens));
}


/*
 * The run key of an index member ("A/R", or R of ls->agent): NGX_OK, or
 * NGX_DECLINED for a member that names no run: skipped, and left alone.
 */

static ngx_int_t
ngx_http_agent_async_run_list_slot(ngx_http_agent_async_run_list_t *ls,
    const char *prefix, ngx_http_agent_async_slot_t *slot, const char *member,
    size_t len)
{
    char         run[AA_ID_MAX];
    size_t       alen, rlen;
    const char  *a, *id, *slash;

    if (ls->pairs) {
        slash = memchr(member, '/', len);
        if (slash == NULL) {
            return NGX_DECLINED;
        }

        a = member;
        alen = slash - member;
        id = slash + 1;
        rlen = len - alen - 1;

    } else {
        a = (char *) ls->agent.data;
        alen = ls->agent.len;
        id = member;
        rlen = len;
    }

    if (alen >= AA_ID_MAX || rlen >= AA_ID_MAX
        || !aa_id_valid("agent", a, alen) || !aa_id_valid("run", id, rlen))
    {
        return NGX_DECLINED;
    }

    ngx_memcpy(run, id, rlen);
    run[rlen] = '\0';

    if (aa_key_run(slot->key, AA_KEY_MAX, prefix, run) < 0) {
        return NGX_DECLINED;
    }

    ngx_memcpy(slot->member, member, len);
    slot->len = len;

    return NGX_OK;
}


static void
ngx_http_agent_async_run_list_read(ngx_http_request_t *r, redisReply *reply)
{
    size_t                            i;
    redisReply                       *run;
    ngx_http_agent_async_ctx_t       *ctx;
    ngx_http_agent_async_run_list_t  *ls;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    ls = ctx->data;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != ls->nslots)
    {
        ngx_http_finalize_request(r,
            ngx_http_agent_async_send_storage_error(r, reply));
        return;
    }

    ls->ngone = 0;

    for (i = 0; i < ls->nslots; i++) {
        run = reply->element[i];

        if (run->type != REDIS_REPLY_ARRAY
            || run->elements != NGX_HTTP_AGENT_ASYNC_LIST_NFIELDS)
        {
            ngx_http_finalize_request(r,
                ngx_http_agent_async_send_storage_error(r, NULL));
            return;
        }

        switch (ngx_http_agent_async_run_list_take(r, ls, run)) {

        case NGX_ERROR:
            ngx_http_finalize_request(r, ngx_http_agent_async_send_oom(r));
            return;

        case NGX_DECLINED:
            ls->gone[ls->ngone++] = i;
            break;

        default:
            break;
        }
    }

    if (ls->ngone) {
        ngx_http_finalize_request(r, ngx_http_agent_async_run_list_prune(r));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_agent_async_run_list_next(r));
}


static redisReply *
ngx_http_agent_async_run_list_field(redisReply *run, const char *name)
{
    size_t       i;
    redisReply  *v;

    for (i = 0; i < AA_RUN_NKEYS; i++) {
        if (ngx_strcmp(aa_run_key(i), name) == 0) {
            v = run->element[1 + i];
            return v->type == REDIS_REPLY_STRING ? v : NULL;
        }
    }

    return NULL;
}


static ngx_uint_t
ngx_http_agent_async_run_list_is(redisReply *v, const char *s)
{
    return v != NULL && v->len == ngx_strlen(s)
           && ngx_strncmp(v->str, s, v->len) == 0;
}


/*
 * One run of a slice, through the filters: NGX_OK (taken or not),
 * NGX_DECLINED when its entry should leave the index (the run is gone;
 * or finished, in the active index), NGX_ERROR when out of memory.
 */

static ngx_int_t
ngx_http_agent_async_run_list_take(ngx_http_request_t *r,
    ngx_http_agent_async_run_list_t *ls, redisReply *run)
{
    size_t                       i, n, before;
    ngx_str_t                   *item;
    yajl_val                     a;
    redisReply                  *tenant, *status, *v;
    ngx_uint_t                   k, bit, match;
    aa_field_t                   fields[AA_RUN_NKEYS];
    ngx_http_agent_async_ctx_t  *ctx;

    static const char *const  names[] = {
        "created", "running", "completed", "failed", "cancelled", NULL
    };

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);

    tenant = run->element[0];
    status = ngx_http_agent_async_run_list_field(run, "status");

    if (tenant->type != REDIS_REPLY_STRING || status == NULL) {
        return NGX_DECLINED;
    }

    if ((size_t) tenant->len != ctx->tenant.len
        || ngx_strncmp(tenant->str, ctx->tenant.data, ctx->tenant.len) != 0)
    {
        /* P{A}:runs of another tenant's agent: none of them is ours */
        if (!ls->pairs) {
            ls->done = 1;
        }

        return NGX_OK;
    }

    bit = 0;

    for (k = 0; names[k] != NULL; k++) {
        if (ngx_http_agent_async_run_list_is(status, names[k])) {
            bit = (ngx_uint_t) 1 << k;
            break;
        }
    }

    if (ls->active && !(bit & NGX_HTTP_AGENT_ASYNC_STATUS_ACTIVE)) {
        return NGX_DECLINED;
    }

    if (ls->found.nelts >= ls->limit
        || (ls->statuses && !(bit & ls->statuses)))
    {
        return NGX_OK;
    }

    if (ls->agent.len) {
        v = ngx_http_agent_async_run_list_field(run, "agent_id");

        if (v == NULL || v->len != ls->agent.len
            || ngx_strncmp(v->str, ls->agent.data, v->len) != 0)
        {
            return NGX_OK;
        }
    }

    if (ls->agents != NULL) {
        v = ngx_http_agent_async_run_list_field(run, "agent_id");
        match = 0;

        for (k = 0; v != NULL && k < ls->agents->u.array.len; k++) {
            a = ls->agents->u.array.values[k];
            match |= ngx_http_agent_async_run_list_is(v, a->u.string);
        }

        if (!match) {
            return NGX_OK;
        }
    }

    if (ls->background != -1) {
        v = ngx_http_agent_async_run_list_field(run, "background");

        if (ngx_http_agent_async_run_list_is(v, "1")
            != (ngx_uint_t) ls->background)
        {
            return NGX_OK;
        }
    }

    if (ls->stop_reason != NULL) {
        v = ngx_http_agent_async_run_list_field(run, "stop_reason");

        if (!ngx_http_agent_async_run_list_is(v, ls->stop_reason)) {
            return NGX_OK;
        }
    }

    /* taken: rendered after the runs before it */

    for (n = 0, i = 0; i < AA_RUN_NKEYS; i++) {
        v = run->element[1 + i];

        if (v->type == REDIS_REPLY_STRING) {
            fields[n].name = aa_run_key(i);
            fields[n].name_len = ngx_strlen(fields[n].name);
            fields[n].value = v->str;
            fields[n].value_len = v->len;
            n++;
        }
    }

    before = ls->runs.len;

    if (aa_run_render(&ls->runs, fields, n) != 0) {
        return NGX_ERROR;
    }

    item = ngx_array_push(&ls->found);
    if (item == NULL) {
        return NGX_ERROR;
    }

    item->data = (u_char *) before;     /* an offset into ls->runs */
    item->len = ls->runs.len - before;

    return NGX_OK;
}


/* entries of runs gone (or finished, in the active index) leave it */

static ngx_int_t
ngx_http_agent_async_run_list_prune(ngx_http_request_t *r)
{
    ngx_uint_t                        i;
    ngx_http_agent_async_ctx_t       *ctx;
    ngx_http_agent_async_slot_t      *slot;
    ngx_http_agent_async_run_list_t  *ls;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    ls = ctx->data;

    ls->argv[0] = "ZREM";
    ls->lens[0] = 4;
    ls->argv[1] = ls->index;
    ls->lens[1] = ngx_strlen(ls->index);

    for (i = 0; i < ls->ngone; i++) {
        slot = &ls->slots[ls->gone[i]];
        ls->argv[2 + i] = (char *) slot->member;
        ls->lens[2 + i] = slot->len;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async runs list: %ui entries leave %s",
                   ls->ngone, ls->index);

    return ngx_http_agent_async_query(r, ngx_http_agent_async_run_list_pruned,
                                      (int) (2 + ls->ngone), ls->argv,
                                      ls->lens);
}


/* a repair that failed is done by the next listing: the page goes on */

static void
ngx_http_agent_async_run_list_pruned(ngx_http_request_t *r,
    redisReply *reply)
{
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "agent_async: index repair failed: %*s",
                      (size_t) reply->len, reply->str);
    }

    ngx_http_finalize_request(r, ngx_http_agent_async_run_list_next(r));
}


static ngx_int_t
ngx_http_agent_async_run_list_answer(ngx_http_request_t *r)
{
    aa_buf_t                          out;
    ngx_str_t                        *item;
    ngx_uint_t                        i, k;
    ngx_http_agent_async_ctx_t       *ctx;
    ngx_http_agent_async_run_list_t  *ls;

    ctx = ngx_http_get_module_ctx(r, ngx_http_agent_async_module);
    ls = ctx->data;

    item = ls->found.elts;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async runs list: %ui runs of %ui read",
                   ls->found.nelts, ls->scanned);

    ngx_http_agent_async_buf_init(r, &out);
    aa_buf_putc(&out, '[');

    for (i = 0; i < ls->found.nelts; i++) {
        k = ls->reverse ? ls->found.nelts - 1 - i : i;

        if (i) {
            aa_buf_putc(&out, ',');
        }

        aa_buf_append(&out, ls->runs.data + (size_t) item[k].data,
                      item[k].len);
    }

    aa_buf_putc(&out, ']');

    return ngx_http_agent_async_send_buf(r, NGX_HTTP_OK, &out);
}
