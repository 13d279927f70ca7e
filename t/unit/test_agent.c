/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_agent: CreateAgent and UpdateAgent validation, the AgentState stored
 * and served, the llm JSON, the PATCH merge.  Bodies use single quotes,
 * as in test_request.c.
 */

#include "aa_test.h"
#include "aa_agent.h"


#define ID       "agent-7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e90"
#define CREATED  1778752800123456LL
#define TS       "2026-05-14T10:00:00.123456Z"
#define UPDATED  1778752860000001LL
#define UTS      "2026-05-14T10:01:00.000001Z"

#define STR_TYPE  "Input should be a valid string"
#define MODEL_TYPE                                                            \
    "Input should be a valid dictionary or object to extract fields from"


typedef struct {
    aa_agent_t   a;
    yajl_val     state;
    yajl_val     llm;
} ok_t;


static void
ok_parse(ok_t *ok, const char *body_sq)
{
    int    rc;
    char  *body;

    body = aa_t_dq(body_sq);

    aa_agent_init(&ok->a);
    rc = aa_agent_parse(&ok->a, body, strlen(body), ID, CREATED);

    if (rc != AA_OK) {
        yajl_val  doc = aa_t_errors(&ok->a.errors);
        aa_t_dump_errors(doc);
        yajl_tree_free(doc);
    }

    assert_int_equal(rc, AA_OK);
    free(body);

    ok->state = aa_t_parse_buf(&ok->a.state);
    ok->llm = aa_t_parse_buf(&ok->a.llm);

    /* the system buffer is a C string */
    assert_non_null(ok->a.system.data);
    assert_int_equal(strlen(ok->a.system.data), ok->a.system.len);

    assert_int_equal(aa_t_len(ok->llm, ""), 6);
}


static void
ok_free(ok_t *ok)
{
    yajl_tree_free(ok->state);
    yajl_tree_free(ok->llm);
    aa_agent_free(&ok->a);
}


static void
expect_raw(const char *body, size_t len, int only, const char *type,
    const char *loc, const char *msg)
{
    int         rc;
    yajl_val    doc;
    aa_agent_t  a;

    aa_agent_init(&a);
    rc = aa_agent_parse(&a, body, len, ID, CREATED);
    assert_int_equal(rc, AA_INVALID);
    assert_int_equal(a.state.len, 0);
    assert_int_equal(a.llm.len, 0);

    doc = aa_t_errors(&a.errors);

    if (aa_t_find_error(doc, type, loc, msg) == NULL
        || (only && a.errors.count != 1))
    {
        fprintf(stderr, "body: %.*s\nwanted %s at %s\n", (int) len, body,
                type, loc);
        aa_t_dump_errors(doc);
        fail();
    }

    yajl_tree_free(doc);
    aa_agent_free(&a);
}


static void
expect_error(const char *body_sq, const char *type, const char *loc,
    const char *msg)
{
    char  *body;

    body = aa_t_dq(body_sq);
    expect_raw(body, strlen(body), 1, type, loc, msg);
    free(body);
}


static void
test_empty_object(void **state)
{
    ok_t    ok;
    size_t  i;

    aa_buf_t  out;
    yajl_val  served;

    static const char  *keys[] = {
        "id", "name", "description", "system", "agent_type", "model",
        "llm_config", "embedding_config", "tags", "metadata", "tools",
        "tool_rules", "memory", "message_ids", "project_id", "created_at",
        "updated_at", "last_run_completion", "last_run_duration_ms",
        "last_stop_reason"
    };

    ok_parse(&ok, "{}");

    /* stored without the run metrics, served with them */
    assert_int_equal(ok.state->u.object.len,
                     sizeof(keys) / sizeof(keys[0]) - 3);

    aa_buf_init(&out);
    assert_int_equal(aa_agent_render(&out, ok.a.state.data, ok.a.state.len,
                                     NULL, 0, NULL, 0, NULL, 0), 0);
    served = aa_t_parse_buf(&out);
    aa_buf_free(&out);

    assert_int_equal(served->u.object.len, sizeof(keys) / sizeof(keys[0]));

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        assert_string_equal(served->u.object.keys[i], keys[i]);
    }

    assert_true(YAJL_IS_NULL(aa_t_get(served, "last_run_completion")));
    assert_true(YAJL_IS_NULL(aa_t_get(served, "last_run_duration_ms")));
    assert_true(YAJL_IS_NULL(aa_t_get(served, "last_stop_reason")));
    yajl_tree_free(served);

    /* the name, raw, for the hash and the name index */
    assert_string_equal(ok.a.name.data, "agent-7d3e3c54");

    assert_string_equal(aa_t_str(ok.state, "id"), ID);
    assert_string_equal(aa_t_str(ok.state, "name"), "agent-7d3e3c54");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.state, "description")));
    assert_string_equal(aa_t_str(ok.state, "system"), "");
    assert_string_equal(aa_t_str(ok.state, "agent_type"), "letta_v1_agent");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.state, "model")));
    assert_true(YAJL_IS_NULL(aa_t_get(ok.state, "llm_config/model")));
    assert_true(YAJL_IS_NULL(aa_t_get(ok.state, "llm_config/handle")));
    assert_int_equal(aa_t_len(ok.state, "llm_config"), 7);
    assert_true(YAJL_IS_NULL(aa_t_get(ok.state, "embedding_config")));
    assert_int_equal(aa_t_len(ok.state, "tags"), 0);
    assert_true(YAJL_IS_NULL(aa_t_get(ok.state, "metadata")));
    assert_int_equal(aa_t_len(ok.state, "tools"), 0);
    assert_int_equal(aa_t_len(ok.state, "tool_rules"), 0);
    assert_int_equal(aa_t_len(ok.state, "memory/blocks"), 0);
    assert_int_equal(aa_t_len(ok.state, "message_ids"), 0);
    assert_true(YAJL_IS_NULL(aa_t_get(ok.state, "project_id")));
    assert_string_equal(aa_t_str(ok.state, "created_at"), TS);
    assert_string_equal(aa_t_str(ok.state, "updated_at"), TS);

    for (i = 0; i < ok.llm->u.object.len; i++) {
        assert_true(YAJL_IS_NULL(ok.llm->u.object.values[i]));
    }

    assert_string_equal(ok.a.system.data, "");

    ok_free(&ok);
}


static void
test_full(void **state)
{
    ok_t  ok;

    ok_parse(&ok, "{'name':'support','description':'d','system':'Be "
             "brief.\\nAlways.','model':'openai/gpt-4o-mini',"
             "'llm_config':{'context_window':128000,'temperature':0.7,"
             "'max_tokens':1024,"
             "'model_endpoint':'http://127.0.0.1:8080/v1'},"
             "'metadata':{'team':'x','n':[1,2]},'tags':['a','b'],"
             "'embedding':'openai/text-embedding-3-small',"
             "'memory_blocks':[{'label':'human','value':'v'}],"
             "'tools':['send_message'],'agent_type':'memgpt_agent',"
             "'include_base_tools':false}");

    assert_string_equal(aa_t_str(ok.state, "name"), "support");
    assert_string_equal(aa_t_str(ok.state, "description"), "d");
    assert_string_equal(aa_t_str(ok.state, "system"), "Be brief.\nAlways.");
    assert_string_equal(ok.a.system.data, "Be brief.\nAlways.");
    assert_string_equal(aa_t_str(ok.state, "model"), "openai/gpt-4o-mini");
    /* the agent loop's: its type and memory (docs/agent-loop.md) */
    assert_string_equal(aa_t_str(ok.state, "agent_type"), "memgpt_agent");
    assert_int_equal(aa_t_len(ok.state, "memory/blocks"), 1);
    assert_string_equal(aa_t_str(ok.state, "memory/blocks/0/label"),
                        "human");
    assert_string_equal(aa_t_str(ok.state, "memory/blocks/0/value"), "v");
    assert_int_equal(aa_t_int(ok.state, "memory/blocks/0/limit"), 100000);
    assert_true(strncmp(aa_t_str(ok.state, "memory/blocks/0/id"), "block-",
                        6) == 0);
    /* ignored fields do not leak into the state */
    assert_int_equal(aa_t_len(ok.state, "tools"), 0);

    assert_string_equal(aa_t_str(ok.llm, "model"), "gpt-4o-mini");
    assert_string_equal(aa_t_str(ok.llm, "model_endpoint_type"), "openai");
    assert_string_equal(aa_t_str(ok.llm, "model_endpoint"),
                        "http://127.0.0.1:8080/v1");
    assert_int_equal(aa_t_int(ok.llm, "context_window"), 128000);
    assert_int_equal(aa_t_int(ok.llm, "max_tokens"), 1024);
    assert_true(YAJL_IS_DOUBLE(aa_t_get(ok.llm, "temperature")));
    assert_true(YAJL_GET_DOUBLE(aa_t_get(ok.llm, "temperature")) == 0.7);

    /* the state's llm_config is llm plus the handle */
    assert_string_equal(aa_t_str(ok.state, "llm_config/model"),
                        "gpt-4o-mini");
    assert_string_equal(aa_t_str(ok.state, "llm_config/handle"),
                        "openai/gpt-4o-mini");
    assert_int_equal(aa_t_int(ok.state, "llm_config/context_window"),
                     128000);

    assert_string_equal(aa_t_str(ok.state, "metadata/team"), "x");
    assert_int_equal(aa_t_len(ok.state, "metadata/n"), 2);
    assert_string_equal(aa_t_str(ok.state, "tags/1"), "b");

    ok_free(&ok);
}


static void
test_model_handle(void **state)
{
    ok_t  ok;

    /* only the first slash splits */
    ok_parse(&ok, "{'model':'openrouter/meta/llama-3'}");
    assert_string_equal(aa_t_str(ok.llm, "model_endpoint_type"),
                        "openrouter");
    assert_string_equal(aa_t_str(ok.llm, "model"), "meta/llama-3");
    ok_free(&ok);

    /* llm_config overrides the handle's parts, the handle stays */
    ok_parse(&ok, "{'model':'openai/gpt-4o','llm_config':{'model':'gpt-x',"
             "'model_endpoint_type':'vllm'}}");
    assert_string_equal(aa_t_str(ok.llm, "model"), "gpt-x");
    assert_string_equal(aa_t_str(ok.llm, "model_endpoint_type"), "vllm");
    assert_string_equal(aa_t_str(ok.state, "model"), "openai/gpt-4o");
    assert_string_equal(aa_t_str(ok.state, "llm_config/handle"),
                        "openai/gpt-4o");
    ok_free(&ok);

    /* no handle: built from llm_config when it names both */
    ok_parse(&ok, "{'llm_config':{'model':'m',"
             "'model_endpoint_type':'ollama'}}");
    assert_string_equal(aa_t_str(ok.state, "model"), "ollama/m");
    assert_string_equal(aa_t_str(ok.state, "llm_config/handle"), "ollama/m");
    ok_free(&ok);

    ok_parse(&ok, "{'llm_config':{'model':'m'}}");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.state, "model")));
    assert_string_equal(aa_t_str(ok.llm, "model"), "m");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.llm, "model_endpoint_type")));
    ok_free(&ok);

    ok_parse(&ok, "{'model':null,'llm_config':null,'name':null,"
             "'tags':null,'metadata':null,'system':null}");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.state, "model")));
    assert_string_equal(aa_t_str(ok.state, "name"), "agent-7d3e3c54");
    assert_int_equal(aa_t_len(ok.state, "tags"), 0);
    ok_free(&ok);
}


static void
test_model_handle_bad(void **state)
{
#define HANDLE_MSG                                                            \
    "Value error, model must be a handle of the form 'provider/model'"

    expect_error("{'model':'gpt-4o'}", "value_error", "body/model",
                 HANDLE_MSG);
    expect_error("{'model':'/gpt-4o'}", "value_error", "body/model",
                 HANDLE_MSG);
    expect_error("{'model':'openai/'}", "value_error", "body/model",
                 HANDLE_MSG);
    expect_error("{'model':''}", "value_error", "body/model", HANDLE_MSG);
    expect_error("{'model':5}", "string_type", "body/model", STR_TYPE);
}


static void
test_field_types(void **state)
{
    expect_error("{'name':5}", "string_type", "body/name", STR_TYPE);
    expect_error("{'description':[]}", "string_type", "body/description",
                 STR_TYPE);
    expect_error("{'system':true}", "string_type", "body/system", STR_TYPE);
    expect_error("{'metadata':[]}", "dict_type", "body/metadata",
                 "Input should be a valid dictionary");
    expect_error("{'metadata':'x'}", "dict_type", "body/metadata", NULL);
    expect_error("{'tags':'a'}", "list_type", "body/tags",
                 "Input should be a valid list");
    expect_error("{'tags':['a',null]}", "string_type", "body/tags/1",
                 STR_TYPE);
    expect_error("{'llm_config':'openai'}", "model_attributes_type",
                 "body/llm_config", MODEL_TYPE);
    expect_error("{'llm_config':[]}", "model_attributes_type",
                 "body/llm_config", MODEL_TYPE);
}


static void
test_memory_blocks_bad(void **state)
{
    expect_error("{'memory_blocks':{}}", "list_type", "body/memory_blocks",
                 NULL);
    expect_error("{'memory_blocks':[1]}", "model_attributes_type",
                 "body/memory_blocks/0", MODEL_TYPE);
    expect_error("{'memory_blocks':[{'value':'v'}]}", "missing",
                 "body/memory_blocks/0/label", NULL);
    expect_error("{'memory_blocks':[{'label':'l','value':'v'},"
                 "{'label':'l'}]}", "missing", "body/memory_blocks/1/value",
                 NULL);
    expect_error("{'memory_blocks':[{'label':'l','value':'v','limit':-1}]}",
                 "greater_than_equal", "body/memory_blocks/0/limit", NULL);
    expect_error("{'memory_blocks':[{'label':'l','value':'v',"
                 "'read_only':'yes'}]}", "bool_type",
                 "body/memory_blocks/0/read_only", NULL);
    expect_error("{'agent_type':'x'}", "enum", "body/agent_type", NULL);
    expect_error("{'agent_type':1}", "string_type", "body/agent_type",
                 STR_TYPE);
}


static void
test_llm_config_bad(void **state)
{
    expect_error("{'llm_config':{'model':1}}", "string_type",
                 "body/llm_config/model", STR_TYPE);
    expect_error("{'llm_config':{'model_endpoint_type':{}}}", "string_type",
                 "body/llm_config/model_endpoint_type", STR_TYPE);
    expect_error("{'llm_config':{'model_endpoint':'ftp://x'}}", "url_scheme",
                 "body/llm_config/model_endpoint", NULL);
    expect_error("{'llm_config':{'model_endpoint':'localhost:8080'}}",
                 "url_scheme", "body/llm_config/model_endpoint", NULL);
    expect_error("{'llm_config':{'model_endpoint':'http://'}}",
                 "url_parsing", "body/llm_config/model_endpoint", NULL);
    expect_error("{'llm_config':{'context_window':0}}",
                 "greater_than_equal", "body/llm_config/context_window",
                 "Input should be greater than or equal to 1");
    expect_error("{'llm_config':{'context_window':'big'}}", "int_parsing",
                 "body/llm_config/context_window", NULL);
    expect_error("{'llm_config':{'context_window':true}}", "int_type",
                 "body/llm_config/context_window", NULL);
    expect_error("{'llm_config':{'max_tokens':-1}}", "greater_than_equal",
                 "body/llm_config/max_tokens", NULL);
    expect_error("{'llm_config':{'max_tokens':1.5}}", "int_from_float",
                 "body/llm_config/max_tokens", NULL);
    expect_error("{'llm_config':{'temperature':2.01}}", "less_than_equal",
                 "body/llm_config/temperature",
                 "Input should be less than or equal to 2");
    expect_error("{'llm_config':{'temperature':-0.1}}", "greater_than_equal",
                 "body/llm_config/temperature",
                 "Input should be greater than or equal to 0");
    expect_error("{'llm_config':{'temperature':'0.5'}}", "float_type",
                 "body/llm_config/temperature",
                 "Input should be a valid number");
    expect_error("{'llm_config':{'temperature':1e999}}", "finite_number",
                 "body/llm_config/temperature", NULL);
}


static void
test_llm_config_edges(void **state)
{
    ok_t  ok;

    ok_parse(&ok, "{'llm_config':{'temperature':0,'context_window':'4096',"
             "'max_tokens':null,'model_endpoint':null,'extra':1}}");
    assert_int_equal(aa_t_int(ok.llm, "temperature"), 0);
    assert_int_equal(aa_t_int(ok.llm, "context_window"), 4096);
    assert_true(YAJL_IS_NULL(aa_t_get(ok.llm, "max_tokens")));
    assert_true(YAJL_IS_NULL(aa_t_get(ok.llm, "model_endpoint")));
    assert_null(aa_t_get(ok.llm, "extra"));
    ok_free(&ok);

    ok_parse(&ok, "{'llm_config':{'temperature':2.0,'context_window':8e3}}");
    assert_true(YAJL_GET_DOUBLE(aa_t_get(ok.llm, "temperature")) == 2.0);
    assert_int_equal(aa_t_int(ok.llm, "context_window"), 8000);
    ok_free(&ok);
}


static void
test_errors_collected(void **state)
{
    int         rc;
    char       *body;
    yajl_val    doc;
    aa_agent_t  a;

    body = aa_t_dq("{'name':1,'model':'x','llm_config':{'temperature':9,"
              "'context_window':-1},'tags':[1]}");

    aa_agent_init(&a);
    rc = aa_agent_parse(&a, body, strlen(body), ID, CREATED);
    assert_int_equal(rc, AA_INVALID);
    assert_int_equal(a.errors.count, 5);

    doc = aa_t_errors(&a.errors);
    assert_non_null(aa_t_find_error(doc, "string_type", "body/name", NULL));
    assert_non_null(aa_t_find_error(doc, "value_error", "body/model", NULL));
    assert_non_null(aa_t_find_error(doc, "less_than_equal",
                                    "body/llm_config/temperature", NULL));
    assert_non_null(aa_t_find_error(doc, "greater_than_equal",
                                    "body/llm_config/context_window", NULL));
    assert_non_null(aa_t_find_error(doc, "string_type", "body/tags/0",
                                    NULL));

    yajl_tree_free(doc);
    aa_agent_free(&a);
    free(body);
}


static void
test_body_level(void **state)
{
    expect_raw("", 0, 1, "missing", "body", "Field required");
    expect_raw("null", 4, 1, "missing", "body", "Field required");
    expect_raw("{", 1, 1, "json_invalid", "body", "JSON decode error");
    expect_raw("[]", 2, 1, "model_attributes_type", "body", MODEL_TYPE);
    expect_raw("{\"name\":\"a\",\"name\":\"b\"}", 23, 1, "json_invalid",
               "body", NULL);
    /* a lone surrogate escape is no character: refused, not replaced */
    expect_raw("{\"name\":\"a\\udc00\"}", 17, 1, "json_invalid", "body",
               NULL);
    expect_raw("{\"name\":\"a\\ud800b\"}", 18, 1, "json_invalid", "body",
               NULL);
}


static void
test_escaping_and_reuse(void **state)
{
    int         rc;
    char       *body;
    yajl_val    v;
    aa_agent_t  a;

    aa_agent_init(&a);

    body = aa_t_dq("{'name':'q\\'\\\\\\u0001\\ud83d\\ude00','system':'line1\\nline2'}");
    rc = aa_agent_parse(&a, body, strlen(body), ID, CREATED);
    assert_int_equal(rc, AA_OK);
    free(body);

    v = aa_t_parse_buf(&a.state);
    assert_string_equal(aa_t_str(v, "name"),
                        "q\"\\\x01\xf0\x9f\x98\x80");
    assert_string_equal(aa_t_str(v, "system"), "line1\nline2");
    yajl_tree_free(v);

    assert_string_equal(a.system.data, "line1\nline2");

    /* a second parse replaces everything */
    body = aa_t_dq("{'model':1}");
    rc = aa_agent_parse(&a, body, strlen(body), ID, CREATED);
    assert_int_equal(rc, AA_INVALID);
    assert_int_equal(a.state.len, 0);
    assert_int_equal(a.system.len, 0);
    assert_int_equal(a.errors.count, 1);
    free(body);

    body = aa_t_dq("{}");
    rc = aa_agent_parse(&a, body, strlen(body), ID, CREATED);
    assert_int_equal(rc, AA_OK);
    assert_int_equal(a.errors.count, 0);
    assert_int_equal(a.system.len, 0);
    free(body);

    aa_agent_free(&a);
}


static void
test_render(void **state)
{
    aa_buf_t  out;
    yajl_val  v;

    aa_buf_init(&out);

    /* the metrics appended, digits only for the duration */
    aa_agent_render(&out, "{\"id\":\"x\"}", 10, TS, strlen(TS), "1500", 4,
                    "end_turn", 8);
    aa_buf_cstr(&out);
    assert_string_equal(out.data,
                        "{\"id\":\"x\",\"last_run_completion\":\"" TS "\","
                        "\"last_run_duration_ms\":1500,"
                        "\"last_stop_reason\":\"end_turn\"}");

    aa_buf_reset(&out);
    aa_agent_render(&out, "{ }", 3, NULL, 0, "15x", 3, "a\"b", 3);
    aa_buf_cstr(&out);
    assert_string_equal(out.data, "{ \"last_run_completion\":null,"
                        "\"last_run_duration_ms\":null,"
                        "\"last_stop_reason\":\"a\\\"b\"}");

    aa_buf_reset(&out);
    aa_agent_render(&out, "{\"a\":1} \n", 9, NULL, 0, "", 0, NULL, 0);
    v = aa_t_parse_buf(&out);
    assert_int_equal(aa_t_int(v, "a"), 1);
    assert_true(YAJL_IS_NULL(aa_t_get(v, "last_run_duration_ms")));
    yajl_tree_free(v);

    /* not an object: an object still */
    aa_buf_reset(&out);
    aa_agent_render(&out, "}", 1, NULL, 0, "12345678901234567890", 20, NULL,
                    0);
    v = aa_t_parse_buf(&out);
    assert_true(YAJL_IS_NULL(aa_t_get(v, "last_run_duration_ms")));
    yajl_tree_free(v);

    aa_buf_reset(&out);
    aa_agent_render(&out, "", 0, NULL, 0, NULL, 0, NULL, 0);
    v = aa_t_parse_buf(&out);
    assert_int_equal(v->u.object.len, 3);
    yajl_tree_free(v);

    aa_buf_free(&out);
}


static void
test_check(void **state)
{
    char       *body;
    yajl_val    doc;
    aa_agent_t  a;

    aa_agent_init(&a);

    body = aa_t_dq("{'name':'n','llm_config':{'temperature':3},"
                   "'tags':[1],'tool_ids':['x'],'whatever':{}}");
    assert_int_equal(aa_agent_check(&a, body, strlen(body)), AA_INVALID);
    doc = aa_t_errors(&a.errors);
    assert_non_null(aa_t_find_error(doc, "less_than_equal",
                                    "body/llm_config/temperature", NULL));
    assert_non_null(aa_t_find_error(doc, "string_type", "body/tags/0",
                                    NULL));
    assert_int_equal(a.errors.count, 2);
    assert_int_equal(a.state.len, 0);
    yajl_tree_free(doc);
    free(body);

    body = aa_t_dq("{'name':'n','tool_ids':['x']}");
    assert_int_equal(aa_agent_check(&a, body, strlen(body)), AA_OK);
    assert_int_equal(a.errors.count, 0);
    assert_int_equal(a.state.len, 0);
    free(body);

    assert_int_equal(aa_agent_check(&a, "", 0), AA_INVALID);
    assert_int_equal(aa_agent_check(&a, "[]", 2), AA_INVALID);

    aa_agent_free(&a);
}


/* the stored state of a created agent, then the patch applied */

static yajl_val
patched(aa_agent_t *a, const char *create_sq, const char *patch_sq)
{
    int         rc;
    char       *body;
    aa_agent_t  c;

    aa_agent_init(&c);
    body = aa_t_dq(create_sq);
    assert_int_equal(aa_agent_parse(&c, body, strlen(body), ID, CREATED),
                     AA_OK);
    free(body);
    aa_buf_cstr(&c.state);

    body = aa_t_dq(patch_sq);
    rc = aa_agent_update(a, c.state.data, c.state.len, body, strlen(body),
                         ID, CREATED, UPDATED);
    free(body);
    aa_agent_free(&c);

    assert_int_equal(rc, AA_OK);

    return aa_t_parse_buf(&a->state);
}


static void
test_update_fields(void **state)
{
    yajl_val    v;
    aa_agent_t  a;

    aa_agent_init(&a);

    /* each field on its own; null and absent keep; unknown ignored */
    v = patched(&a, "{'name':'ada','description':'d','system':'s',"
                "'metadata':{'k':1},'tags':['x'],'model':'openai/gpt-4o'}",
                "{'name':'bob','description':null,'tool_ids':['t'],"
                "'last_stop_reason':'error','whatever':1}");
    assert_string_equal(aa_t_str(v, "name"), "bob");
    assert_string_equal(a.name.data, "bob");
    assert_string_equal(aa_t_str(v, "description"), "d");
    assert_string_equal(aa_t_str(v, "system"), "s");
    assert_string_equal(a.system.data, "s");
    assert_int_equal(aa_t_int(v, "metadata/k"), 1);
    assert_string_equal(aa_t_str(v, "tags/0"), "x");
    assert_string_equal(aa_t_str(v, "model"), "openai/gpt-4o");
    assert_string_equal(aa_t_str(v, "id"), ID);
    assert_string_equal(aa_t_str(v, "created_at"), TS);
    assert_string_equal(aa_t_str(v, "updated_at"), UTS);
    assert_true(aa_t_get(v, "last_stop_reason") == NULL);
    yajl_tree_free(v);

    v = patched(&a, "{'name':'ada','description':'d','metadata':{'k':1},"
                "'tags':['x','y']}",
                "{'description':'','system':'new','metadata':{},"
                "'tags':[]}");
    assert_string_equal(aa_t_str(v, "name"), "ada");
    assert_string_equal(aa_t_str(v, "description"), "");
    assert_string_equal(aa_t_str(v, "system"), "new");
    assert_int_equal(aa_t_len(v, "metadata"), 0);
    assert_int_equal(aa_t_len(v, "tags"), 0);
    yajl_tree_free(v);

    /* {} changes nothing but updated_at; the default name stays */
    v = patched(&a, "{}", "{}");
    assert_string_equal(aa_t_str(v, "name"), "agent-7d3e3c54");
    assert_string_equal(a.name.data, "agent-7d3e3c54");
    assert_string_equal(aa_t_str(v, "updated_at"), UTS);
    yajl_tree_free(v);

    aa_agent_free(&a);
}


static void
test_update_model(void **state)
{
    yajl_val    v, llm;
    aa_agent_t  a;

    aa_agent_init(&a);

    /* model alone: the llm settings rebuilt from the handle */
    v = patched(&a, "{'model':'openai/gpt-4o','llm_config':{'temperature':"
                "0.5,'context_window':1000}}",
                "{'model':'anthropic/claude-x'}");
    assert_string_equal(aa_t_str(v, "model"), "anthropic/claude-x");
    assert_string_equal(aa_t_str(v, "llm_config/model"), "claude-x");
    assert_true(YAJL_IS_NULL(aa_t_get(v, "llm_config/temperature")));
    llm = aa_t_parse_buf(&a.llm);
    assert_string_equal(aa_t_str(llm, "model"), "claude-x");
    assert_string_equal(aa_t_str(llm, "model_endpoint_type"), "anthropic");
    assert_true(YAJL_IS_NULL(aa_t_get(llm, "context_window")));
    yajl_tree_free(llm);
    yajl_tree_free(v);

    /* llm_config: replaces the settings, with the model given or none */
    v = patched(&a, "{'model':'openai/gpt-4o'}",
                "{'llm_config':{'model':'llama3','model_endpoint_type':"
                "'ollama','temperature':1}}");
    assert_string_equal(aa_t_str(v, "model"), "ollama/llama3");
    assert_string_equal(aa_t_str(v, "llm_config/model"), "llama3");
    yajl_tree_free(v);

    v = patched(&a, "{}", "{'model':'openai/gpt-4o','llm_config':"
                "{'model':'gpt-x'}}");
    assert_string_equal(aa_t_str(v, "model"), "openai/gpt-4o");
    assert_string_equal(aa_t_str(v, "llm_config/model"), "gpt-x");
    assert_string_equal(aa_t_str(v, "llm_config/model_endpoint_type"),
                        "openai");
    yajl_tree_free(v);

    /* neither: the settings kept whole, the name changed */
    v = patched(&a, "{'model':'openai/gpt-4o','llm_config':{'temperature':"
                "0.5,'model_endpoint':'http://h:1/v1','max_tokens':9}}",
                "{'name':'n','model':null,'llm_config':null}");
    assert_string_equal(aa_t_str(v, "model"), "openai/gpt-4o");
    assert_true(YAJL_GET_DOUBLE(aa_t_get(v, "llm_config/temperature"))
                == 0.5);
    assert_string_equal(aa_t_str(v, "llm_config/model_endpoint"),
                        "http://h:1/v1");
    assert_int_equal(aa_t_int(v, "llm_config/max_tokens"), 9);
    llm = aa_t_parse_buf(&a.llm);
    assert_int_equal(aa_t_int(llm, "max_tokens"), 9);
    yajl_tree_free(llm);
    yajl_tree_free(v);

    aa_agent_free(&a);
}


static void
test_update_memory(void **state)
{
    yajl_val    v;
    aa_agent_t  a;

    aa_agent_init(&a);

    /* a PATCH keeps the agent's type and memory, block ids included */
    v = patched(&a, "{'agent_type':'memgpt_v2_agent','memory_blocks':"
                "[{'label':'human','value':'Ann','limit':9,"
                "'description':'d','read_only':true}]}",
                "{'name':'n'}");
    assert_string_equal(aa_t_str(v, "agent_type"), "memgpt_v2_agent");
    assert_string_equal(aa_t_str(v, "memory/blocks/0/value"), "Ann");
    assert_int_equal(aa_t_int(v, "memory/blocks/0/limit"), 9);
    assert_string_equal(aa_t_str(v, "memory/blocks/0/description"), "d");
    assert_true(YAJL_IS_TRUE(aa_t_get(v, "memory/blocks/0/read_only")));
    assert_true(strncmp(aa_t_str(v, "memory/blocks/0/id"), "block-", 6)
                == 0);
    yajl_tree_free(v);
    aa_agent_free(&a);
}


static void
test_update_bad(void **state)
{
    char       *body;
    yajl_val    doc;
    aa_agent_t  a;

    static const char  ok[] = "{\"name\":\"n\"}";

    aa_agent_init(&a);

    /* an invalid patch: its 422s, nothing built */
    body = aa_t_dq("{'name':1,'model':'nohandle'}");
    assert_int_equal(aa_agent_update(&a, ok, sizeof(ok) - 1, body,
                                     strlen(body), ID, CREATED, UPDATED),
                     AA_INVALID);
    doc = aa_t_errors(&a.errors);
    assert_non_null(aa_t_find_error(doc, "string_type", "body/name", NULL));
    assert_non_null(aa_t_find_error(doc, "value_error", "body/model", NULL));
    assert_int_equal(a.state.len, 0);
    yajl_tree_free(doc);
    free(body);

    assert_int_equal(aa_agent_update(&a, ok, sizeof(ok) - 1, "", 0, ID,
                                     CREATED, UPDATED), AA_INVALID);

    /* a stored state that is no object, or that fails: AA_BAD_STATE */
    body = aa_t_dq("{'name':'x'}");
    assert_int_equal(aa_agent_update(&a, "[1]", 3, body, strlen(body), ID,
                                     CREATED, UPDATED), AA_BAD_STATE);
    assert_int_equal(aa_agent_update(&a, "{\"tags\":5}", 10, body,
                                     strlen(body), ID, CREATED, UPDATED),
                     AA_BAD_STATE);
    assert_int_equal(a.errors.count, 0);
    assert_int_equal(aa_agent_update(&a, "{nope", 5, body, strlen(body), ID,
                                     CREATED, UPDATED), AA_BAD_STATE);
    free(body);

    aa_agent_free(&a);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_empty_object),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_model_handle),
        cmocka_unit_test(test_model_handle_bad),
        cmocka_unit_test(test_field_types),
        cmocka_unit_test(test_llm_config_bad),
        cmocka_unit_test(test_llm_config_edges),
        cmocka_unit_test(test_errors_collected),
        cmocka_unit_test(test_body_level),
        cmocka_unit_test(test_escaping_and_reuse),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_update_fields),
        cmocka_unit_test(test_update_model),
        cmocka_unit_test(test_update_bad),
        cmocka_unit_test(test_update_memory),
        cmocka_unit_test(test_memory_blocks_bad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
