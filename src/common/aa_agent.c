/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>

#include "aa_agent.h"
#include "aa_id.h"
#include "aa_json.h"
#include "aa_time.h"


#define AA_AGENT_TYPE  "letta_v1_agent"


/* Letta 0.16.8's AgentType */
static const char *const  aa_agent_types[] = {
    "memgpt_agent", "memgpt_v2_agent", "letta_v1_agent", "react_agent",
    "workflow_agent", "split_thread_agent", "sleeptime_agent",
    "voice_convo_agent", "voice_sleeptime_agent", NULL
};


typedef struct {
    yajl_val      name;
    yajl_val      description;
    yajl_val      system;
    yajl_val      metadata;
    yajl_val      tags;
    yajl_val      temperature;
    yajl_val      agent_type;
    yajl_val      memory_blocks;    /* checked: an array of blocks */

    /* model handle "provider/model" */
    const char   *handle;
    size_t        handle_len;
    const char   *provider;
    size_t        provider_len;
    const char   *model;
    size_t        model_len;

    /* llm_config, overriding what the handle says */
    yajl_val      llm_model;
    yajl_val      llm_type;
    yajl_val      llm_endpoint;

    int64_t       context_window;
    int64_t       max_tokens;
    int           has_context_window;
    int           has_max_tokens;
} aa_agent_fields_t;


static void aa_agent_temperature(aa_errors_t *e, yajl_val v);
static void aa_agent_llm_config(aa_errors_t *e, yajl_val cfg,
    aa_agent_fields_t *f);
static void aa_agent_model(aa_errors_t *e, yajl_val v,
    aa_agent_fields_t *f);
static void aa_agent_validate(aa_errors_t *e, yajl_val body,
    aa_agent_fields_t *f);
static void aa_agent_blocks_check(aa_errors_t *e, yajl_val blocks);
static void aa_agent_blocks(aa_buf_t *b, yajl_val blocks);
static void aa_agent_str(aa_buf_t *b, yajl_val v, const char *dflt,
    size_t dflt_len);
static void aa_agent_llm(aa_buf_t *b, aa_agent_fields_t *f);
static void aa_agent_handle(aa_buf_t *b, aa_agent_fields_t *f);
static int aa_agent_build(aa_agent_t *a, aa_agent_fields_t *f,
    const char *id, int64_t created_us, int64_t updated_us);
static void aa_agent_reset(aa_agent_t *a);


void
aa_agent_init(aa_agent_t *a)
{
    aa_buf_init(&a->state);
    aa_buf_init(&a->system);
    aa_buf_init(&a->llm);
    aa_buf_init(&a->name);
    aa_errors_init(&a->errors);
}


void
aa_agent_free(aa_agent_t *a)
{
    aa_buf_free(&a->state);
    aa_buf_free(&a->system);
    aa_buf_free(&a->llm);
    aa_buf_free(&a->name);
    aa_errors_free(&a->errors);
}


static void
aa_agent_reset(aa_agent_t *a)
{
    aa_buf_reset(&a->state);
    aa_buf_reset(&a->system);
    aa_buf_reset(&a->llm);
    aa_buf_reset(&a->name);
}


/* a JSON number, 0 <= t <= 2 */

static void
aa_agent_temperature(aa_errors_t *e, yajl_val v)
{
    const char  *loc;

    loc = "body/llm_config/temperature";

    if (!YAJL_IS_NUMBER(v)) {
        aa_errors_add(e, "float_type", loc, "Input should be a valid number",
                      v);
        return;
    }

    if (!YAJL_IS_DOUBLE(v)) {
        aa_errors_add(e, "finite_number", loc,
                      "Input should be a finite number", v);
        return;
    }

    if (YAJL_GET_DOUBLE(v) < 0.0) {
        aa_errors_add(e, "greater_than_equal", loc,
                      "Input should be greater than or equal to 0", v);

    } else if (YAJL_GET_DOUBLE(v) > 2.0) {
        aa_errors_add(e, "less_than_equal", loc,
                      "Input should be less than or equal to 2", v);
    }
}


static void
aa_agent_llm_config(aa_errors_t *e, yajl_val cfg, aa_agent_fields_t *f)
{
    const char  *parent, *msg, *type;
    yajl_val     v;

    parent = "body/llm_config";

    (void) aa_v_field(e, parent, cfg, "model", AA_V_STRING, AA_V_NULLABLE,
                      &f->llm_model);
    (void) aa_v_field(e, parent, cfg, "model_endpoint_type", AA_V_STRING,
                      AA_V_NULLABLE, &f->llm_type);

    if (aa_v_field(e, parent, cfg, "model_endpoint", AA_V_STRING,
                   AA_V_NULLABLE, &f->llm_endpoint)
        == 1)
    {
        msg = aa_v_url(f->llm_endpoint->u.string,
                       strlen(f->llm_endpoint->u.string), &type);

        if (msg != NULL) {
            aa_errors_add(e, type, "body/llm_config/model_endpoint", msg,
                          f->llm_endpoint);
        }
    }

    v = aa_json_get(cfg, "context_window");

    if (v != NULL && !YAJL_IS_NULL(v)) {
        f->has_context_window = aa_v_int(e, "body/llm_config/context_window",
                                         v, 1, INT64_MAX,
                                         &f->context_window);
    }

    v = aa_json_get(cfg, "max_tokens");

    if (v != NULL && !YAJL_IS_NULL(v)) {
        f->has_max_tokens = aa_v_int(e, "body/llm_config/max_tokens", v, 1,
                                     INT64_MAX, &f->max_tokens);
    }

    v = aa_json_get(cfg, "temperature");

    if (v != NULL && !YAJL_IS_NULL(v)) {
        aa_agent_temperature(e, v);
        f->temperature = v;
    }
}


/* "provider/model", both parts non-empty */

static void
aa_agent_model(aa_errors_t *e, yajl_val v, aa_agent_fields_t *f)
{
    const char  *s, *slash;

    s = v->u.string;
    slash = strchr(s, '/');

    if (slash == NULL || slash == s || slash[1] == '\0') {
        aa_errors_add(e, "value_error", "body/model",
                      "Value error, model must be a handle of the form "
                      "'provider/model'", v);
        return;
    }

    f->handle = s;
    f->handle_len = strlen(s);
    f->provider = s;
    f->provider_len = (size_t) (slash - s);
    f->model = slash + 1;
    f->model_len = strlen(slash + 1);
}


static void
aa_agent_validate(aa_errors_t *e, yajl_val body, aa_agent_fields_t *f)
{
    yajl_val  v;

    (void) aa_v_field(e, "body", body, "name", AA_V_STRING, AA_V_NULLABLE,
                      &f->name);
    (void) aa_v_field(e, "body", body, "description", AA_V_STRING,
                      AA_V_NULLABLE, &f->description);
    (void) aa_v_field(e, "body", body, "system", AA_V_STRING, AA_V_NULLABLE,
                      &f->system);
    (void) aa_v_field(e, "body", body, "metadata", AA_V_DICT, AA_V_NULLABLE,
                      &f->metadata);
    (void) aa_v_field(e, "body", body, "tags", AA_V_STRLIST, AA_V_NULLABLE,
                      &f->tags);

    if (aa_v_field(e, "body", body, "model", AA_V_STRING, AA_V_NULLABLE, &v)
        == 1)
    {
        aa_agent_model(e, v, f);
    }

    if (aa_v_field(e, "body", body, "llm_config", AA_V_MODEL, AA_V_NULLABLE,
                   &v)
        == 1)
    {
        aa_agent_llm_config(e, v, f);
    }

    if (aa_v_field(e, "body", body, "agent_type", AA_V_STRING,
                   AA_V_NULLABLE, &v)
        == 1
        && aa_v_literal(e, "body/agent_type", v, aa_agent_types,
                        "enum", "Input should be a valid AgentType"))
    {
        f->agent_type = v;
    }

    if (aa_v_field(e, "body", body, "memory_blocks", AA_V_LIST,
                   AA_V_NULLABLE, &v)
        == 1)
    {
        aa_agent_blocks_check(e, v);
        f->memory_blocks = v;
    }
}


/* CreateBlock: label and value required; limit, description, read_only */

static void
aa_agent_blocks_check(aa_errors_t *e, yajl_val blocks)
{
    size_t    i;
    yajl_val  b, v;
    int64_t   n;
    char      loc[AA_LOC_MAX], vloc[AA_LOC_MAX];

    for (i = 0; i < blocks->u.array.len; i++) {
        b = blocks->u.array.values[i];
        aa_v_loc_idx(loc, "body/memory_blocks", i);

        if (!aa_v_check(e, loc, b, AA_V_MODEL)) {
            continue;
        }

        (void) aa_v_field(e, loc, b, "label", AA_V_STRING, AA_V_REQUIRED,
                          NULL);
        (void) aa_v_field(e, loc, b, "value", AA_V_STRING, AA_V_REQUIRED,
                          NULL);
        (void) aa_v_field(e, loc, b, "description", AA_V_STRING,
                          AA_V_NULLABLE, NULL);
        (void) aa_v_field(e, loc, b, "read_only", AA_V_BOOL, AA_V_NULLABLE,
                          NULL);

        v = aa_json_get(b, "limit");

        if (v != NULL && !YAJL_IS_NULL(v)) {
            aa_v_loc(vloc, loc, "limit");
            (void) aa_v_int(e, vloc, v, 0, INT32_MAX, &n);
        }
    }
}


/*
 * The blocks of the state's memory: each with its id (kept from the
 * stored state, else a new one), label, value, limit, description and
 * read_only, as Letta's Block has them.
 */

static void
aa_agent_blocks(aa_buf_t *b, yajl_val blocks)
{
    size_t       i;
    yajl_val     k, v;
    char         id[AA_ID_MAX];
    int64_t      n;
    aa_errors_t  e;

    aa_buf_puts(b, "\"memory\":{\"blocks\":[");

    for (i = 0; blocks != NULL && i < blocks->u.array.len; i++) {
        k = blocks->u.array.values[i];

        aa_buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        v = aa_json_get(k, "id");

        if (v != NULL && YAJL_IS_STRING(v)
            && aa_id_valid("block", v->u.string, strlen(v->u.string)))
        {
            aa_buf_json_string(b, v->u.string, strlen(v->u.string));

        } else if (aa_id_new("block", id, sizeof(id)) < 0) {
            b->failed = 1;

        } else {
            aa_buf_json_string(b, id, strlen(id));
        }

        aa_buf_puts(b, ",\"label\":");
        aa_json_encode(b, aa_json_get(k, "label"));
        aa_buf_puts(b, ",\"value\":");
        aa_json_encode(b, aa_json_get(k, "value"));

        /* Letta's default limit of a block: CORE_MEMORY_BLOCK_CHAR_LIMIT */
        n = 100000;
        v = aa_json_get(k, "limit");
        if (v != NULL && !YAJL_IS_NULL(v)) {
            aa_errors_init(&e);
            (void) aa_v_int(&e, "limit", v, 0, INT32_MAX, &n);
            aa_errors_free(&e);
        }

        aa_buf_printf(b, ",\"limit\":%lld,\"description\":", (long long) n);
        v = aa_json_get(k, "description");
        if (v != NULL && YAJL_IS_STRING(v)) {
            aa_json_encode(b, v);
        } else {
            aa_buf_puts(b, "null");
        }

        v = aa_json_get(k, "read_only");
        aa_buf_puts(b, (v != NULL && YAJL_IS_TRUE(v))
                       ? ",\"read_only\":true}" : ",\"read_only\":false}");
    }

    aa_buf_puts(b, "]}");
}


/* a string value, else the default (NULL: null) */

static void
aa_agent_str(aa_buf_t *b, yajl_val v, const char *dflt, size_t dflt_len)
{
    if (YAJL_IS_STRING(v)) {
        aa_json_encode(b, v);
        return;
    }

    aa_buf_json_string_or_null(b, dflt, dflt_len);
}


/* the "llm" object, without its closing brace */

static void
aa_agent_llm(aa_buf_t *b, aa_agent_fields_t *f)
{
    aa_buf_puts(b, "{\"model\":");
    aa_agent_str(b, f->llm_model, f->model, f->model_len);
    aa_buf_puts(b, ",\"model_endpoint_type\":");
    aa_agent_str(b, f->llm_type, f->provider, f->provider_len);
    aa_buf_puts(b, ",\"model_endpoint\":");
    aa_agent_str(b, f->llm_endpoint, NULL, 0);

    aa_buf_puts(b, ",\"context_window\":");

    if (f->has_context_window) {
        aa_buf_printf(b, "%lld", (long long) f->context_window);

    } else {
        aa_buf_puts(b, "null");
    }

    aa_buf_puts(b, ",\"temperature\":");
    aa_json_encode(b, f->temperature);

    aa_buf_puts(b, ",\"max_tokens\":");

    if (f->has_max_tokens) {
        aa_buf_printf(b, "%lld", (long long) f->max_tokens);

    } else {
        aa_buf_puts(b, "null");
    }
}


/* "model", else "<model_endpoint_type>/<model>" from llm_config, else null */

static void
aa_agent_handle(aa_buf_t *b, aa_agent_fields_t *f)
{
    aa_buf_t  h;

    if (f->handle != NULL) {
        aa_buf_json_string(b, f->handle, f->handle_len);
        return;
    }

    if (!YAJL_IS_STRING(f->llm_type) || !YAJL_IS_STRING(f->llm_model)
        || f->llm_type->u.string[0] == '\0'
        || f->llm_model->u.string[0] == '\0')
    {
        aa_buf_puts(b, "null");
        return;
    }

    aa_buf_init(&h);
    aa_buf_puts(&h, f->llm_type->u.string);
    aa_buf_putc(&h, '/');
    aa_buf_puts(&h, f->llm_model->u.string);

    if (h.failed) {
        b->failed = 1;

    } else {
        aa_buf_json_string(b, h.data, h.len);
    }

    aa_buf_free(&h);
}


static int
aa_agent_build(aa_agent_t *a, aa_agent_fields_t *f, const char *id,
    int64_t created_us, int64_t updated_us)
{
    char       ts[32], uts[32], name[32];
    size_t     n, un, name_len;
    aa_buf_t  *b;

    /* system */

    if (YAJL_IS_STRING(f->system)) {
        aa_buf_puts(&a->system, f->system->u.string);
    }

    aa_buf_cstr(&a->system);

    /* llm */

    aa_agent_llm(&a->llm, f);
    aa_buf_putc(&a->llm, '}');

    /* state */

    n = aa_time_run(created_us, ts);
    un = aa_time_run(updated_us, uts);

    /* default name: "agent-" and the first 8 hex digits of the id */
    if (strlen(id) >= 14 && strncmp(id, "agent-", 6) == 0) {
        memcpy(name, id, 14);
        name_len = 14;

    } else {
        name_len = strlen(id) < sizeof(name) ? strlen(id) : sizeof(name) - 1;
        memcpy(name, id, name_len);
    }

    if (YAJL_IS_STRING(f->name)) {
        aa_buf_puts(&a->name, f->name->u.string);

    } else {
        aa_buf_append(&a->name, name, name_len);
    }

    aa_buf_cstr(&a->name);

    b = &a->state;

    aa_buf_puts(b, "{\"id\":");
    aa_buf_json_string(b, id, strlen(id));
    aa_buf_puts(b, ",\"name\":");
    aa_agent_str(b, f->name, name, name_len);
    aa_buf_puts(b, ",\"description\":");
    aa_agent_str(b, f->description, NULL, 0);
    aa_buf_puts(b, ",\"system\":");
    aa_agent_str(b, f->system, "", 0);
    aa_buf_puts(b, ",\"agent_type\":");
    aa_agent_str(b, f->agent_type, AA_AGENT_TYPE, sizeof(AA_AGENT_TYPE) - 1);
    aa_buf_puts(b, ",\"model\":");
    aa_agent_handle(b, f);
    aa_buf_puts(b, ",\"llm_config\":");
    aa_agent_llm(b, f);
    aa_buf_puts(b, ",\"handle\":");
    aa_agent_handle(b, f);
    aa_buf_puts(b, "},\"embedding_config\":null,\"tags\":");

    if (f->tags != NULL) {
        aa_json_encode(b, f->tags);

    } else {
        aa_buf_puts(b, "[]");
    }

    aa_buf_puts(b, ",\"metadata\":");
    aa_json_encode(b, f->metadata);
    aa_buf_puts(b, ",\"tools\":[],\"tool_rules\":[],");
    aa_agent_blocks(b, f->memory_blocks);
    aa_buf_puts(b, ",\"message_ids\":[],\"project_id\":null,"
                "\"created_at\":");
    aa_buf_json_string(b, ts, n);
    aa_buf_puts(b, ",\"updated_at\":");
    aa_buf_json_string(b, uts, un);
    aa_buf_putc(b, '}');

    if (a->state.failed || a->system.failed || a->llm.failed
        || a->name.failed)
    {
        return AA_NOMEM;
    }

    return AA_OK;
}


int
aa_agent_parse(aa_agent_t *a, const char *body, size_t len, const char *id,
    int64_t created_us)
{
    return aa_agent_parse_at(a, body, len, id, created_us, created_us);
}


int
aa_agent_parse_at(aa_agent_t *a, const char *body, size_t len,
    const char *id, int64_t created_us, int64_t updated_us)
{
    int                rc;
    yajl_val           root;
    aa_agent_fields_t  f;

    aa_agent_reset(a);
    aa_errors_free(&a->errors);

    root = aa_v_body(&a->errors, body, len, AA_JSON_MAX_DEPTH);

    if (root == NULL) {
        return a->errors.items.failed ? AA_NOMEM : AA_INVALID;
    }

    memset(&f, 0, sizeof(f));

    aa_agent_validate(&a->errors, root, &f);

    if (a->errors.items.failed) {
        rc = AA_NOMEM;

    } else if (a->errors.count) {
        rc = AA_INVALID;

    } else {
        rc = aa_agent_build(a, &f, id, created_us, updated_us);

        if (rc != AA_OK) {
            aa_agent_reset(a);
        }
    }

    yajl_tree_free(root);

    return rc;
}


int
aa_agent_check(aa_agent_t *a, const char *body, size_t len)
{
    yajl_val           root;
    aa_agent_fields_t  f;

    aa_agent_reset(a);
    aa_errors_free(&a->errors);

    root = aa_v_body(&a->errors, body, len, AA_JSON_MAX_DEPTH);

    if (root != NULL) {
        memset(&f, 0, sizeof(f));
        aa_agent_validate(&a->errors, root, &f);
        yajl_tree_free(root);
    }

    if (a->errors.items.failed) {
        return AA_NOMEM;
    }

    return a->errors.count ? AA_INVALID : AA_OK;
}


/* an integer of the agent hash, as JSON: digits only, else null */

static void
aa_agent_put_int(aa_buf_t *b, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; s != NULL && i < len && i < 19; i++) {
        if (s[i] < '0' || s[i] > '9') {
            break;
        }
    }

    if (s == NULL || len == 0 || i != len) {
        aa_buf_puts(b, "null");
        return;
    }

    aa_buf_append(b, s, len);
}


int
aa_agent_render(aa_buf_t *out, const char *state, size_t len,
    const char *completion, size_t completion_len, const char *duration,
    size_t duration_len, const char *stop, size_t stop_len)
{
    size_t  close, p;

    /* the stored object without its closing brace */
    close = len;

    while (close > 0 && state[close - 1] != '}') {
        close--;
    }

    if (close == 0) {
        aa_buf_putc(out, '{');

    } else {
        aa_buf_append(out, state, close - 1);

        p = close - 1;

        while (p > 0 && (state[p - 1] == ' ' || state[p - 1] == '\n'
                         || state[p - 1] == '\t' || state[p - 1] == '\r'))
        {
            p--;
        }

        /* "{}" takes no comma; a lone "}" is no object */
        if (p == 0) {
            aa_buf_putc(out, '{');

        } else if (state[p - 1] != '{') {
            aa_buf_putc(out, ',');
        }
    }

    aa_buf_puts(out, "\"last_run_completion\":");
    aa_buf_json_string_or_null(out, completion, completion_len);
    aa_buf_puts(out, ",\"last_run_duration_ms\":");
    aa_agent_put_int(out, duration, duration_len);
    aa_buf_puts(out, ",\"last_stop_reason\":");
    aa_buf_json_string_or_null(out, stop, stop_len);

    return aa_buf_putc(out, '}');
}
