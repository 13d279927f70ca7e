/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_request: LettaAsyncRequest validation (spec 2.3 - 2.7) and the job,
 * request_config, callback_url and first_is_message it produces.
 *
 * Bodies are written with single quotes, turned into double quotes before
 * parsing (an apostrophe inside a JSON string is written \u0027).
 */

#include "aa_test.h"
#include "aa_request.h"


typedef struct {
    aa_async_request_t   req;
    yajl_val             job;
    yajl_val             cfg;
} ok_t;


static void
ok_raw(ok_t *ok, const char *body, size_t len)
{
    int  rc;

    aa_async_request_init(&ok->req);
    rc = aa_async_request_parse(&ok->req, body, len);

    if (rc != AA_OK) {
        yajl_val  doc = aa_t_errors(&ok->req.errors);
        aa_t_dump_errors(doc);
        yajl_tree_free(doc);
    }

    assert_int_equal(rc, AA_OK);
    assert_int_equal(ok->req.errors.count, 0);

    ok->job = aa_t_parse_buf(&ok->req.job);
    ok->cfg = aa_t_parse_buf(&ok->req.request_config);

    /* the decoded callback_url is a C string of its length */
    assert_int_equal(strlen(ok->req.callback_url), ok->req.callback_url_len);

    /* the job has exactly its six keys */
    assert_int_equal(aa_t_len(ok->job, ""), 6);
    assert_true(YAJL_IS_ARRAY(aa_t_get(ok->job, "messages")));
    assert_true(YAJL_IS_INTEGER(aa_t_get(ok->job, "max_steps")));
    assert_int_not_equal(aa_t_type(ok->job, "override_model"), -1);
    assert_int_not_equal(aa_t_type(ok->job, "override_system"), -1);
    assert_int_not_equal(aa_t_type(ok->job, "include_compaction_messages"),
                         -1);
    assert_int_not_equal(aa_t_type(ok->job, "include_return_message_types"),
                         -1);
    assert_int_equal(aa_t_len(ok->cfg, ""), 4);
}


static void
ok_parse(ok_t *ok, const char *body_sq)
{
    char  *body;

    body = aa_t_dq(body_sq);
    ok_raw(ok, body, strlen(body));
    free(body);
}


static void
ok_free(ok_t *ok)
{
    yajl_tree_free(ok->job);
    yajl_tree_free(ok->cfg);
    aa_async_request_free(&ok->req);
}


/* Parses a body that must be rejected; returns the rendered errors. */

static yajl_val
bad_raw(const char *body, size_t len, int *count)
{
    int                 rc;
    yajl_val            doc;
    aa_async_request_t  req;

    aa_async_request_init(&req);
    rc = aa_async_request_parse(&req, body, len);

    if (rc != AA_INVALID) {
        fprintf(stderr, "accepted: %.*s\njob: %.*s\n", (int) len, body,
                (int) req.job.len, req.job.data ? req.job.data : "");
    }

    assert_int_equal(rc, AA_INVALID);
    assert_true(req.errors.count > 0);
    assert_int_equal(req.job.len, 0);
    assert_int_equal(req.request_config.len, 0);
    assert_int_equal(req.callback_url_len, 0);
    assert_string_equal(req.callback_url, "");
    assert_false(req.first_is_message);

    doc = aa_t_errors(&req.errors);
    *count = req.errors.count;

    aa_async_request_free(&req);

    return doc;
}


static void
expect_raw(const char *body, size_t len, int only, const char *type,
    const char *loc, const char *msg)
{
    int       count;
    yajl_val  doc;

    doc = bad_raw(body, len, &count);

    if (aa_t_find_error(doc, type, loc, msg) == NULL
        || (only && count != 1))
    {
        fprintf(stderr, "body: %.*s\nwanted %s at %s: %s%s\n", (int) len,
                body, type, loc, msg ? msg : "(any msg)",
                only ? " (only error)" : "");
        aa_t_dump_errors(doc);
        fail();
    }

    yajl_tree_free(doc);
}


/* body_sq must be rejected with exactly this one error */

static void
expect_error(const char *body_sq, const char *type, const char *loc,
    const char *msg)
{
    char  *body;

    body = aa_t_dq(body_sq);
    expect_raw(body, strlen(body), 1, type, loc, msg);
    free(body);
}


/* body_sq must be rejected with this error among others */

static void
expect_error_among(const char *body_sq, const char *type, const char *loc,
    const char *msg)
{
    char  *body;

    body = aa_t_dq(body_sq);
    expect_raw(body, strlen(body), 0, type, loc, msg);
    free(body);
}


/* body_sq must be accepted */

static void
expect_ok(const char *body_sq)
{
    ok_t  ok;

    ok_parse(&ok, body_sq);
    ok_free(&ok);
}


/* the input of the only error, checked against a JSON text */

static void
expect_error_input(const char *body_sq, const char *input_sq)
{
    int       count;
    char     *body, *want;
    aa_buf_t  got, exp;
    yajl_val  doc, w;

    body = aa_t_dq(body_sq);
    want = aa_t_dq(input_sq);

    doc = bad_raw(body, strlen(body), &count);
    assert_int_equal(count, 1);

    w = aa_t_parse(want, strlen(want));

    aa_buf_init(&got);
    aa_buf_init(&exp);
    aa_json_encode(&got, aa_t_get(doc, "detail/0/input"));
    aa_json_encode(&exp, w);
    assert_int_equal(got.len, exp.len);
    assert_memory_equal(got.data, exp.data, got.len);

    aa_buf_free(&got);
    aa_buf_free(&exp);
    yajl_tree_free(w);
    yajl_tree_free(doc);
    free(body);
    free(want);
}


#define STR_TYPE   "Input should be a valid string"
#define BOOL_TYPE  "Input should be a valid boolean"
#define LIST_TYPE  "Input should be a valid list"
#define DICT_TYPE  "Input should be a valid dictionary"
#define MODEL_TYPE                                                            \
    "Input should be a valid dictionary or object to extract fields from"
#define REQUIRED   "Field required"
#define TAG_MISSING  "Unable to extract tag using discriminator 'type'"
#define CONTENT_TYPE                                                          \
    "Input should be a valid string or a list of content parts"
#define ROLE_MSG   "Input should be 'user', 'system' or 'assistant'"
#define TYPE_MSG   "Input should be 'message', 'approval' or 'tool_return'"

/* one user message with the given content */
#define MSG(content)  "{'messages':[{'role':'user','content':" content "}]}"
/* one message item */
#define ITEM(item)    "{'messages':[" item "]}"
/* one content part of a user message */
#define PART(part)    MSG("[" part "]")
#define PLOC          "body/messages/0/content/0"


/* body level */

static void
test_body_missing(void **state)
{
    expect_raw("", 0, 1, "missing", "body", REQUIRED);
    expect_raw("null", 4, 1, "missing", "body", REQUIRED);
    expect_raw(" null ", 6, 1, "missing", "body", REQUIRED);
}


static void
test_body_not_json(void **state)
{
    int       count;
    yajl_val  doc, item;

    doc = bad_raw("{\"input\":", 9, &count);
    assert_int_equal(count, 1);

    item = aa_t_find_error(doc, "json_invalid", "body", "JSON decode error");
    assert_non_null(item);
    assert_null(aa_t_get(item, "input"));
    assert_true(strlen(aa_t_str(item, "ctx/error")) > 0);
    assert_null(strchr(aa_t_str(item, "ctx/error"), '\n'));

    yajl_tree_free(doc);

    expect_raw(" ", 1, 1, "json_invalid", "body", "JSON decode error");
    expect_raw("{\"input\":\"\xff\"}", 12, 1, "json_invalid", "body",
               "JSON decode error");
    expect_raw("{\"input\":\"a\",\"input\":\"b\"}", 25, 1, "json_invalid",
               "body", NULL);
    expect_raw("{\"input\":\"x\"} /**/", 18, 1, "json_invalid", "body",
               NULL);
    expect_raw("{\"input\":\"x\"}\0", 14, 1, "json_invalid", "body", NULL);
}


static void
test_body_depth_bomb(void **state)
{
    int       count;
    char     *s;
    size_t    n;
    yajl_val  doc, item;

    n = 100000;
    s = malloc(n + 16);
    assert_non_null(s);
    memcpy(s, "{\"input\":", 9);
    memset(s + 9, '[', n);
    s[9 + n] = '\0';

    doc = bad_raw(s, 9 + n, &count);
    assert_int_equal(count, 1);
    item = aa_t_find_error(doc, "json_invalid", "body", "JSON decode error");
    assert_non_null(item);
    assert_string_equal(aa_t_str(item, "ctx/error"), "nesting too deep");

    yajl_tree_free(doc);
    free(s);
}


/* {"input":[{"type":"tool_call",...,"input":{"a":{"a":...}}}]}, depth d */

static char *
deep_input(int depth)
{
    int       i, k;
    aa_buf_t  b;

    k = depth - 3;

    aa_buf_init(&b);
    aa_buf_puts(&b, "{\"input\":[{\"type\":\"tool_call\",\"id\":\"i\","
                "\"name\":\"f\",\"input\":");

    for (i = 0; i < k; i++) {
        aa_buf_puts(&b, i < k - 1 ? "{\"a\":" : "{}");
    }

    for (i = 0; i < k - 1; i++) {
        aa_buf_putc(&b, '}');
    }

    aa_buf_puts(&b, "}]}");
    aa_buf_cstr(&b);
    assert_false(b.failed);

    return b.data;
}


static void
test_body_depth_limit(void **state)
{
    int       count;
    char     *s, err[64];
    ok_t      ok;
    yajl_val  v, doc;

    /* the deepest body accepted: its job must pass aa_json_parse() */
    s = deep_input(AA_REQUEST_MAX_DEPTH);
    ok_raw(&ok, s, strlen(s));
    assert_int_equal(aa_buf_cstr(&ok.req.job), 0);

    v = aa_json_parse(ok.req.job.data, ok.req.job.len, err, sizeof(err));
    if (v == NULL) {
        fail_msg("job rejected: %s", err);
    }
    yajl_tree_free(v);

    /* and it is two levels deeper than the body */
    v = aa_json_parse_depth(ok.req.job.data, ok.req.job.len,
                            AA_JSON_MAX_DEPTH - 1, err, sizeof(err));
    assert_null(v);

    ok_free(&ok);
    free(s);

    s = deep_input(AA_REQUEST_MAX_DEPTH + 1);
    doc = bad_raw(s, strlen(s), &count);
    assert_int_equal(count, 1);
    assert_string_equal(aa_t_str(doc, "detail/0/type"), "json_invalid");
    assert_string_equal(aa_t_str(doc, "detail/0/ctx/error"),
                        "nesting too deep");
    yajl_tree_free(doc);
    free(s);
}


static void
test_body_not_object(void **state)
{
    expect_error("[]", "model_attributes_type", "body", MODEL_TYPE);
    expect_error("'input'", "model_attributes_type", "body", MODEL_TYPE);
    expect_error("5", "model_attributes_type", "body", MODEL_TYPE);
    expect_error("true", "model_attributes_type", "body", MODEL_TYPE);
    expect_error_input("[1,2]", "[1,2]");
}


static void
test_exactly_one_of(void **state)
{
    expect_error("{}", "value_error", "body",
                 "Value error, Must specify either 'input' or 'messages'.");
    expect_error_input("{}", "{}");
    expect_error("{'messages':null,'input':null}", "value_error", "body",
                 "Value error, Must specify either 'input' or 'messages'.");
    expect_error("{'max_steps':5,'foo':1}", "value_error", "body", NULL);

    expect_error("{'input':'hi','messages':[{'role':'user','content':'x'}]}",
                 "value_error", "body",
                 "Value error, Cannot specify both 'input' and 'messages'. "
                 "Use one or the other.");
    /* even when either one is invalid on its own */
    expect_error("{'input':5,'messages':[]}", "value_error", "body",
                 "Value error, Cannot specify both 'input' and 'messages'. "
                 "Use one or the other.");

    /* null is absent */
    expect_ok("{'input':'hi','messages':null}");
    expect_ok("{'input':null,'messages':[{'role':'user','content':'x'}]}");
}


static void
test_other_errors_collected(void **state)
{
    int       count;
    char     *body;
    yajl_val  doc;

    body = aa_t_dq("{'max_steps':0,'callback_url':'ftp://x',"
              "'use_assistant_message':'no'}");
    doc = bad_raw(body, strlen(body), &count);

    assert_int_equal(count, 4);
    assert_non_null(aa_t_find_error(doc, "value_error", "body", NULL));
    assert_non_null(aa_t_find_error(doc, "greater_than_equal",
                                    "body/max_steps", NULL));
    assert_non_null(aa_t_find_error(doc, "url_scheme", "body/callback_url",
                                    NULL));
    assert_non_null(aa_t_find_error(doc, "bool_type",
                                    "body/use_assistant_message", NULL));

    yajl_tree_free(doc);
    free(body);
}


/* input */

static void
test_input_string(void **state)
{
    ok_t  ok;

    ok_parse(&ok, "{'input':'Summarise \\'it\\'\\n\\u00e9'}");

    assert_int_equal(aa_t_len(ok.job, "messages"), 1);
    assert_int_equal(aa_t_len(ok.job, "messages/0"), 4);
    assert_string_equal(aa_t_str(ok.job, "messages/0/type"), "message");
    assert_string_equal(aa_t_str(ok.job, "messages/0/role"), "user");
    assert_string_equal(aa_t_str(ok.job, "messages/0/content"),
                        "Summarise \"it\"\n\xc3\xa9");
    assert_true(aa_t_is_uuid4(aa_t_str(ok.job, "messages/0/otid")));

    /* defaults */
    assert_int_equal(aa_t_int(ok.job, "max_steps"), 50);
    assert_true(YAJL_IS_NULL(aa_t_get(ok.job, "override_model")));
    assert_true(YAJL_IS_NULL(aa_t_get(ok.job, "override_system")));
    assert_true(YAJL_IS_FALSE(aa_t_get(ok.job,
                                       "include_compaction_messages")));
    assert_true(YAJL_IS_NULL(aa_t_get(ok.job,
                                      "include_return_message_types")));

    assert_true(YAJL_IS_TRUE(aa_t_get(ok.cfg, "use_assistant_message")));
    assert_string_equal(aa_t_str(ok.cfg, "assistant_message_tool_name"),
                        "send_message");
    assert_string_equal(aa_t_str(ok.cfg, "assistant_message_tool_kwarg"),
                        "message");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.cfg,
                                      "include_return_message_types")));
    assert_int_equal(ok.req.callback_url_len, 0);

    ok_free(&ok);

    /* an empty string is a string */
    ok_parse(&ok, "{'input':''}");
    assert_string_equal(aa_t_str(ok.job, "messages/0/content"), "");
    ok_free(&ok);
}


static void
test_input_parts(void **state)
{
    ok_t  ok;

    ok_parse(&ok, "{'input':[{'type':'text','text':'a'},"
             "{'type':'image','source':{'type':'url',"
             "'url':'https://example.test/a.png'}}]}");

    assert_int_equal(aa_t_len(ok.job, "messages"), 1);
    assert_string_equal(aa_t_str(ok.job, "messages/0/role"), "user");
    assert_int_equal(aa_t_len(ok.job, "messages/0/content"), 2);
    assert_string_equal(aa_t_str(ok.job, "messages/0/content/0/text"), "a");
    assert_string_equal(aa_t_str(ok.job,
                                 "messages/0/content/1/source/url"),
                        "https://example.test/a.png");

    ok_free(&ok);
}


static void
test_input_bad(void **state)
{
    expect_error("{'input':[]}", "value_error", "body/input",
                 "Value error, input must not be empty");
    expect_error("{'input':5}", "string_type", "body/input", CONTENT_TYPE);
    expect_error("{'input':{}}", "string_type", "body/input", CONTENT_TYPE);
    expect_error("{'input':true}", "string_type", "body/input", CONTENT_TYPE);
    expect_error("{'input':[{'type':'text'}]}", "missing",
                 "body/input/0/text", REQUIRED);
    expect_error("{'input':['hi']}", "model_attributes_type", "body/input/0",
                 MODEL_TYPE);
    expect_error("{'input':[{'type':'text','text':'a'},{'text':'b'}]}",
                 "union_tag_not_found", "body/input/1", TAG_MISSING);
}


/* messages */

static void
test_messages_shape(void **state)
{
    expect_error("{'messages':{}}", "list_type", "body/messages", LIST_TYPE);
    expect_error("{'messages':'hi'}", "list_type", "body/messages",
                 LIST_TYPE);
    expect_error("{'messages':[]}", "value_error", "body/messages",
                 "Value error, messages must not be empty");
    expect_error("{'messages':[5]}", "model_attributes_type",
                 "body/messages/0", MODEL_TYPE);
    expect_error("{'messages':[[]]}", "model_attributes_type",
                 "body/messages/0", MODEL_TYPE);
    expect_error("{'messages':[null]}", "model_attributes_type",
                 "body/messages/0", MODEL_TYPE);
}


static void
test_message_type_injection(void **state)
{
    ok_t  ok;

    ok_parse(&ok, "{'messages':["
             "{'role':'user','content':'a'},"
             "{'type':null,'role':'system','content':'b'},"
             "{'approve':true,'approval_request_id':'m-1'},"
             "{'approval_request_id':'m-2','approvals':"
             "[{'type':'approval','tool_call_id':'c','approve':false}]},"
             "{'type':'tool_return','tool_returns':[{'tool_call_id':'t',"
             "'status':'success','tool_return':'ok'}]}]}");

    assert_int_equal(aa_t_len(ok.job, "messages"), 5);
    assert_string_equal(aa_t_str(ok.job, "messages/0/type"), "message");
    assert_string_equal(aa_t_str(ok.job, "messages/1/type"), "message");
    assert_string_equal(aa_t_str(ok.job, "messages/2/type"), "approval");
    assert_string_equal(aa_t_str(ok.job, "messages/3/type"), "approval");
    assert_string_equal(aa_t_str(ok.job, "messages/4/type"), "tool_return");

    assert_true(YAJL_IS_TRUE(aa_t_get(ok.job, "messages/2/approve")));
    assert_string_equal(aa_t_str(ok.job, "messages/2/approval_request_id"),
                        "m-1");
    assert_string_equal(aa_t_str(ok.job, "messages/4/tool_returns/0/type"),
                        "tool");

    ok_free(&ok);
}


static void
test_message_type_bad(void **state)
{
    expect_error(ITEM("{'type':'user','role':'user','content':'x'}"),
                 "literal_error", "body/messages/0/type", TYPE_MSG);
    expect_error(ITEM("{'type':5,'role':'user','content':'x'}"),
                 "literal_error", "body/messages/0/type", TYPE_MSG);
    expect_error_input(ITEM("{'type':'Message'}"), "'Message'");
}


static void
test_message_role(void **state)
{
    expect_error(ITEM("{'content':'x'}"), "missing", "body/messages/0/role",
                 REQUIRED);
    expect_error_input(ITEM("{'content':'x'}"), "{'content':'x'}");
    expect_error(ITEM("{'role':'tool','content':'x'}"), "literal_error",
                 "body/messages/0/role", ROLE_MSG);
    expect_error(ITEM("{'role':'USER','content':'x'}"), "literal_error",
                 "body/messages/0/role", ROLE_MSG);
    expect_error(ITEM("{'role':null,'content':'x'}"), "literal_error",
                 "body/messages/0/role", ROLE_MSG);
    expect_error(ITEM("{'role':1,'content':'x'}"), "literal_error",
                 "body/messages/0/role", ROLE_MSG);

    expect_ok(ITEM("{'role':'system','content':'x'}"));
    expect_ok(ITEM("{'role':'assistant','content':'x'}"));
}


static void
test_message_content(void **state)
{
    expect_error(ITEM("{'role':'user'}"), "missing",
                 "body/messages/0/content", REQUIRED);
    expect_error(MSG("null"), "string_type", "body/messages/0/content",
                 CONTENT_TYPE);
    expect_error(MSG("5"), "string_type", "body/messages/0/content",
                 CONTENT_TYPE);
    expect_error(MSG("{'type':'text','text':'x'}"), "string_type",
                 "body/messages/0/content", CONTENT_TYPE);
    expect_error(MSG("[]"), "value_error", "body/messages/0/content",
                 "Value error, content must not be empty");
    expect_ok(MSG("''"));
}


/*
 * Plain messages are accepted in one pass over their keys; anything else
 * goes through every check, with the same errors in the same order.
 */
static void
test_message_plain(void **state)
{
    expect_ok(ITEM("{'type':'message','role':'user','content':'x',"
                   "'approve':true}"));
    expect_ok(ITEM("{'type':null,'role':'user','content':'x','otid':null,"
                   "'group_id':'g','name':'n','sender_id':null,"
                   "'batch_item_id':'b','other':[1,{}]}"));
    expect_ok(ITEM("{'role':'user','content':[{'type':'text','text':'a'}]}"));

    /* type null with approve: an approval, and what it misses */
    expect_error(ITEM("{'type':null,'role':'user','content':'x',"
                      "'approve':true}"),
                 "value_error", "body/messages/0",
                 "Value error, Either 'approvals' or both 'approve' and "
                 "'approval_request_id' must be provided.");

    /* the first plain, the second not: its own index */
    expect_error("{'messages':[{'role':'user','content':'x'},"
                 "{'role':'user','content':'x','name':1}]}",
                 "string_type", "body/messages/1/name", STR_TYPE);
    expect_error("{'messages':[{'role':'user','content':'x'},"
                 "{'role':'user','content':[]}]}",
                 "value_error", "body/messages/1/content",
                 "Value error, content must not be empty");
    expect_error("{'messages':[{'role':'user','content':'x'},"
                 "{'role':'user','content':'x','type':'tool'}]}",
                 "literal_error", "body/messages/1/type", TYPE_MSG);
    expect_error("{'messages':[{'role':'user','content':'x'},"
                 "{'role':'user'}]}",
                 "missing", "body/messages/1/content", REQUIRED);
}


static void
test_message_optional_strings(void **state)
{
    static const char  *keys[] = {
        "name", "sender_id", "batch_item_id", "otid", "group_id"
    };

    char    body[256], loc[64];
    size_t  i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        snprintf(body, sizeof(body),
                 ITEM("{'role':'user','content':'x','%s':5}"), keys[i]);
        snprintf(loc, sizeof(loc), "body/messages/0/%s", keys[i]);
        expect_error(body, "string_type", loc, STR_TYPE);

        snprintf(body, sizeof(body),
                 ITEM("{'role':'user','content':'x','%s':[]}"), keys[i]);
        expect_error(body, "string_type", loc, STR_TYPE);

        snprintf(body, sizeof(body),
                 ITEM("{'role':'user','content':'x','%s':null}"), keys[i]);
        expect_ok(body);

        snprintf(body, sizeof(body),
                 ITEM("{'role':'user','content':'x','%s':'v'}"), keys[i]);
        expect_ok(body);
    }

    /* otid and group_id belong to every message type */
    expect_error(ITEM("{'approve':true,'approval_request_id':'a',"
                      "'group_id':1}"),
                 "string_type", "body/messages/0/group_id", STR_TYPE);
    expect_error(ITEM("{'type':'tool_return','otid':false,'tool_returns':"
                      "[{'tool_call_id':'t','status':'error',"
                      "'tool_return':'x'}]}"),
                 "string_type", "body/messages/0/otid", STR_TYPE);
}


static void
test_otid(void **state)
{
    ok_t         ok;
    const char  *a, *b;

    ok_parse(&ok, "{'messages':[{'role':'user','content':'a','otid':'mine'},"
             "{'role':'user','content':'b'},"
             "{'role':'user','content':'c','otid':null}]}");

    assert_string_equal(aa_t_str(ok.job, "messages/0/otid"), "mine");

    a = aa_t_str(ok.job, "messages/1/otid");
    b = aa_t_str(ok.job, "messages/2/otid");
    assert_true(aa_t_is_uuid4(a));
    assert_true(aa_t_is_uuid4(b));
    assert_string_not_equal(a, b);

    /* one otid key each, no leftover null */
    assert_int_equal(aa_t_len(ok.job, "messages/2"), 4);

    ok_free(&ok);

    /* a fresh otid per parse */
    ok_parse(&ok, "{'input':'x'}");
    a = aa_t_str(ok.job, "messages/0/otid");
    {
        ok_t  ok2;

        ok_parse(&ok2, "{'input':'x'}");
        assert_string_not_equal(a, aa_t_str(ok2.job, "messages/0/otid"));
        ok_free(&ok2);
    }
    ok_free(&ok);
}


static void
test_message_kept_as_sent(void **state)
{
    ok_t  ok;

    ok_parse(&ok, "{'messages':[{'role':'assistant','name':'n',"
             "'sender_id':null,'x-extra':{'k':[1.50e3]},"
             "'content':[{'type':'tool_call','id':'i','name':'f',"
             "'input':{'n':1.0e2,'deep':{'s':'\\u00e9'}}}]}]}");

    assert_string_equal(aa_t_str(ok.job, "messages/0/role"), "assistant");
    assert_string_equal(aa_t_str(ok.job, "messages/0/name"), "n");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.job, "messages/0/sender_id")));
    assert_int_equal(aa_t_len(ok.job, "messages/0/x-extra/k"), 1);
    assert_string_equal(aa_t_str(ok.job,
                                 "messages/0/content/0/input/deep/s"),
                        "\xc3\xa9");

    /* numbers keep their text */
    assert_non_null(memmem(ok.req.job.data, ok.req.job.len, "1.50e3", 6));
    assert_non_null(memmem(ok.req.job.data, ok.req.job.len, "1.0e2", 5));

    ok_free(&ok);
}


static void
test_errors_indexed(void **state)
{
    int       count;
    char     *body;
    yajl_val  doc;

    body = aa_t_dq("{'messages':[{'role':'user','content':'ok'},"
              "{'role':'bot','content':'x'},"
              "{'role':'user','content':[{'type':'text','text':'a'},"
              "{'type':'text','text':7}]}]}");
    doc = bad_raw(body, strlen(body), &count);

    assert_int_equal(count, 2);
    assert_non_null(aa_t_find_error(doc, "literal_error",
                                    "body/messages/1/role", ROLE_MSG));
    assert_non_null(aa_t_find_error(doc, "string_type",
                                    "body/messages/2/content/1/text",
                                    STR_TYPE));
    /* the input is the offending value */
    assert_int_equal(aa_t_int(doc, "detail/1/input"), 7);

    yajl_tree_free(doc);
    free(body);
}


/* indexes of many digits in a loc: 9, 10, 99, 100, 1000, 1234 */
static void
test_errors_indexed_many(void **state)
{
    int           count;
    size_t        i, k;
    aa_buf_t      b;
    yajl_val      doc;
    char          loc[64];
    const size_t  bad[] = { 9, 10, 99, 100, 1000, 1234 };

    aa_buf_init(&b);
    aa_buf_puts(&b, "{\"messages\":[");

    for (i = 0; i < 1235; i++) {
        for (k = 0; k < 6 && bad[k] != i; k++) { /* void */ }

        aa_buf_puts(&b, i ? "," : "");
        aa_buf_puts(&b, k < 6 ? "{\"role\":\"bot\",\"content\":\"x\"}"
                              : "{\"role\":\"user\",\"content\":\"x\"}");
    }

    aa_buf_puts(&b, "]}");
    aa_buf_cstr(&b);

    doc = bad_raw(b.data, b.len, &count);
    assert_int_equal(count, 6);

    for (k = 0; k < 6; k++) {
        snprintf(loc, sizeof(loc), "body/messages/%zu/role", bad[k]);
        assert_non_null(aa_t_find_error(doc, "literal_error", loc, ROLE_MSG));
    }

    yajl_tree_free(doc);
    aa_buf_free(&b);
}


static void
test_errors_capped(void **state)
{
    int       count;
    aa_buf_t  b;
    yajl_val  doc;

    aa_buf_init(&b);
    aa_buf_puts(&b, "{\"messages\":[");

    for (int i = 0; i < 100; i++) {
        aa_buf_puts(&b, i ? ",5" : "5");
    }

    aa_buf_puts(&b, "]}");
    aa_buf_cstr(&b);

    doc = bad_raw(b.data, b.len, &count);
    assert_int_equal(count, 100);
    assert_int_equal(aa_t_len(doc, "detail"), AA_ERRORS_MAX);

    yajl_tree_free(doc);
    aa_buf_free(&b);
}


/* content parts, spec 2.5 */

static void
test_part_generic(void **state)
{
    expect_error(PART("'text'"), "model_attributes_type", PLOC, MODEL_TYPE);
    expect_error(PART("{'text':'x'}"), "union_tag_not_found", PLOC,
                 TAG_MISSING);
    expect_error(PART("{'type':null,'text':'x'}"), "union_tag_not_found",
                 PLOC, TAG_MISSING);
    expect_error(PART("{'type':'video'}"), "union_tag_invalid", PLOC,
                 "Input tag 'video' found using 'type' does not match any "
                 "of the expected tags: 'text', 'image', 'tool_call', "
                 "'tool_return', 'reasoning', 'redacted_reasoning', "
                 "'omitted_reasoning', 'summarized_reasoning'");
    expect_error(PART("{'type':3}"), "union_tag_invalid", PLOC, NULL);
    expect_error(PART("{'type':'Text','text':'x'}"), "union_tag_invalid",
                 PLOC, NULL);
}


static void
test_part_text(void **state)
{
    expect_ok(PART("{'type':'text','text':''}"));
    expect_ok(PART("{'type':'text','text':'x','signature':null}"));
    expect_ok(PART("{'type':'text','text':'x','signature':'s'}"));
    expect_error(PART("{'type':'text'}"), "missing", PLOC "/text", REQUIRED);
    expect_error(PART("{'type':'text','text':null}"), "string_type",
                 PLOC "/text", STR_TYPE);
    expect_error(PART("{'type':'text','text':['x']}"), "string_type",
                 PLOC "/text", STR_TYPE);
    expect_error(PART("{'type':'text','text':'x','signature':1}"),
                 "string_type", PLOC "/signature", STR_TYPE);
}


static void
test_part_image(void **state)
{
#define SRC  PLOC "/source"

    expect_ok(PART("{'type':'image','source':{'type':'url',"
                   "'url':'https://x.test/a.png'}}"));
    expect_ok(PART("{'type':'image','source':{'type':'base64',"
                   "'media_type':'image/png','data':'AAAA','detail':null}}"));
    expect_ok(PART("{'type':'image','source':{'type':'letta',"
                   "'file_id':'file-1','media_type':'image/png'}}"));

    expect_error(PART("{'type':'image'}"), "missing", SRC, REQUIRED);
    expect_error(PART("{'type':'image','source':'https://x'}"),
                 "model_attributes_type", SRC, MODEL_TYPE);
    expect_error(PART("{'type':'image','source':null}"),
                 "model_attributes_type", SRC, MODEL_TYPE);
    expect_error(PART("{'type':'image','source':{'url':'https://x'}}"),
                 "union_tag_not_found", SRC, TAG_MISSING);
    expect_error(PART("{'type':'image','source':{'type':'file'}}"),
                 "union_tag_invalid", SRC,
                 "Input tag 'file' found using 'type' does not match any "
                 "of the expected tags: 'url', 'base64', 'letta'");

    expect_error(PART("{'type':'image','source':{'type':'url'}}"),
                 "missing", SRC "/url", REQUIRED);
    expect_error(PART("{'type':'image','source':{'type':'url','url':1}}"),
                 "string_type", SRC "/url", STR_TYPE);
    expect_error(PART("{'type':'image','source':{'type':'url',"
                      "'url':'file:///etc/passwd'}}"),
                 "value_error", SRC "/url",
                 "Value error, file:// URLs are not allowed");
    expect_error(PART("{'type':'image','source':{'type':'url',"
                      "'url':'FILE://host/x'}}"),
                 "value_error", SRC "/url", NULL);

    expect_error_among(PART("{'type':'image','source':{'type':'base64'}}"),
                       "missing", SRC "/media_type", REQUIRED);
    expect_error_among(PART("{'type':'image','source':{'type':'base64'}}"),
                       "missing", SRC "/data", REQUIRED);
    expect_error(PART("{'type':'image','source':{'type':'base64',"
                      "'media_type':'image/png','data':'A','detail':3}}"),
                 "string_type", SRC "/detail", STR_TYPE);

    expect_error(PART("{'type':'image','source':{'type':'letta'}}"),
                 "missing", SRC "/file_id", REQUIRED);
    expect_error(PART("{'type':'image','source':{'type':'letta',"
                      "'file_id':'f','data':5}}"),
                 "string_type", SRC "/data", STR_TYPE);

#undef SRC
}


static void
test_part_tool_call(void **state)
{
    expect_ok(PART("{'type':'tool_call','id':'i','name':'f','input':{}}"));
    expect_error_among(PART("{'type':'tool_call'}"), "missing", PLOC "/id",
                       REQUIRED);
    expect_error_among(PART("{'type':'tool_call'}"), "missing",
                       PLOC "/name", REQUIRED);
    expect_error_among(PART("{'type':'tool_call'}"), "missing",
                       PLOC "/input", REQUIRED);
    expect_error(PART("{'type':'tool_call','id':'i','name':'f',"
                      "'input':[1]}"),
                 "dict_type", PLOC "/input", DICT_TYPE);
    expect_error(PART("{'type':'tool_call','id':'i','name':'f',"
                      "'input':'{}'}"),
                 "dict_type", PLOC "/input", DICT_TYPE);
    expect_error(PART("{'type':'tool_call','id':1,'name':'f','input':{}}"),
                 "string_type", PLOC "/id", STR_TYPE);
}


static void
test_part_tool_return(void **state)
{
    expect_ok(PART("{'type':'tool_return','tool_call_id':'c',"
                   "'content':'out','is_error':false}"));
    expect_error(PART("{'type':'tool_return','tool_call_id':'c',"
                      "'content':'out','is_error':'no'}"),
                 "bool_type", PLOC "/is_error", BOOL_TYPE);
    expect_error(PART("{'type':'tool_return','tool_call_id':'c',"
                      "'content':'out','is_error':0}"),
                 "bool_type", PLOC "/is_error", BOOL_TYPE);
    expect_error(PART("{'type':'tool_return','tool_call_id':'c',"
                      "'content':['out'],'is_error':true}"),
                 "string_type", PLOC "/content", STR_TYPE);
    expect_error(PART("{'type':'tool_return','content':'o','is_error':true}"),
                 "missing", PLOC "/tool_call_id", REQUIRED);
    expect_error(PART("{'type':'tool_return','tool_call_id':'c',"
                      "'content':'out'}"),
                 "missing", PLOC "/is_error", REQUIRED);
}


static void
test_part_reasoning(void **state)
{
    expect_ok(PART("{'type':'reasoning','is_native':true,'reasoning':'r',"
                   "'signature':null}"));
    expect_error(PART("{'type':'reasoning','reasoning':'r'}"), "missing",
                 PLOC "/is_native", REQUIRED);
    expect_error(PART("{'type':'reasoning','is_native':null,"
                      "'reasoning':'r'}"),
                 "bool_type", PLOC "/is_native", BOOL_TYPE);
    expect_error(PART("{'type':'reasoning','is_native':true}"), "missing",
                 PLOC "/reasoning", REQUIRED);

    expect_ok(PART("{'type':'redacted_reasoning','data':'d'}"));
    expect_error(PART("{'type':'redacted_reasoning'}"), "missing",
                 PLOC "/data", REQUIRED);
    expect_error(PART("{'type':'redacted_reasoning','data':{}}"),
                 "string_type", PLOC "/data", STR_TYPE);

    expect_ok(PART("{'type':'omitted_reasoning'}"));
    expect_ok(PART("{'type':'omitted_reasoning','signature':'s'}"));
    expect_error(PART("{'type':'omitted_reasoning','signature':true}"),
                 "string_type", PLOC "/signature", STR_TYPE);
}


static void
test_part_summarized(void **state)
{
    expect_ok(PART("{'type':'summarized_reasoning','id':'s',"
                   "'summary':[{'index':0,'text':'a'},{'index':'1',"
                   "'text':'b'},{'index':2.0,'text':'c'}],"
                   "'encrypted_content':null}"));
    expect_ok(PART("{'type':'summarized_reasoning','id':'s','summary':[]}"));

    expect_error(PART("{'type':'summarized_reasoning','summary':[]}"),
                 "missing", PLOC "/id", REQUIRED);
    expect_error(PART("{'type':'summarized_reasoning','id':'s'}"),
                 "missing", PLOC "/summary", REQUIRED);
    expect_error(PART("{'type':'summarized_reasoning','id':'s',"
                      "'summary':'x'}"),
                 "list_type", PLOC "/summary", LIST_TYPE);
    expect_error(PART("{'type':'summarized_reasoning','id':'s',"
                      "'summary':['x']}"),
                 "model_attributes_type", PLOC "/summary/0", MODEL_TYPE);
    expect_error(PART("{'type':'summarized_reasoning','id':'s',"
                      "'summary':[{'index':'one','text':'a'}]}"),
                 "int_parsing", PLOC "/summary/0/index", NULL);
    expect_error(PART("{'type':'summarized_reasoning','id':'s',"
                      "'summary':[{'index':1.5,'text':'a'}]}"),
                 "int_from_float", PLOC "/summary/0/index", NULL);
    expect_error(PART("{'type':'summarized_reasoning','id':'s',"
                      "'summary':[{'index':true,'text':'a'}]}"),
                 "int_type", PLOC "/summary/0/index", NULL);
    expect_error(PART("{'type':'summarized_reasoning','id':'s',"
                      "'summary':[{'index':1}]}"),
                 "missing", PLOC "/summary/0/text", REQUIRED);
    expect_error(PART("{'type':'summarized_reasoning','id':'s',"
                      "'summary':[],'encrypted_content':1}"),
                 "string_type", PLOC "/encrypted_content", STR_TYPE);
}


/* approvals */

#define A0  "body/messages/0/approvals/0"
#define APPROVAL_NEEDED                                                       \
    "Value error, Either 'approvals' or both 'approve' and "                  \
    "'approval_request_id' must be provided."

static void
test_approval_ok(void **state)
{
    ok_t  ok;

    ok_parse(&ok, ITEM("{'type':'approval','approvals':["
             "{'type':'approval','tool_call_id':'c1','approve':true},"
             "{'tool_call_id':'c2','approve':false,'reason':'no'},"
             "{'tool_call_id':'c3','status':'success','tool_return':'42',"
             "'stdout':['a'],'stderr':null},"
             "{'type':'tool','tool_call_id':'c4','status':'error',"
             "'tool_return':[{'type':'text','text':'boom'}]}]}"));

    assert_string_equal(aa_t_str(ok.job, "messages/0/type"), "approval");
    assert_int_equal(aa_t_len(ok.job, "messages/0/approvals"), 4);
    assert_string_equal(aa_t_str(ok.job, "messages/0/approvals/0/type"),
                        "approval");
    /* inferred types are written into the job */
    assert_string_equal(aa_t_str(ok.job, "messages/0/approvals/1/type"),
                        "approval");
    assert_string_equal(aa_t_str(ok.job, "messages/0/approvals/2/type"),
                        "tool");
    assert_string_equal(aa_t_str(ok.job, "messages/0/approvals/1/reason"),
                        "no");
    assert_true(YAJL_IS_FALSE(aa_t_get(ok.job,
                                       "messages/0/approvals/1/approve")));
    assert_string_equal(aa_t_str(ok.job,
                                 "messages/0/approvals/3/tool_return/0/text"),
                        "boom");
    assert_true(aa_t_is_uuid4(aa_t_str(ok.job, "messages/0/otid")));

    ok_free(&ok);

    /* the deprecated form */
    ok_parse(&ok, ITEM("{'approve':false,'approval_request_id':'m',"
                       "'reason':'r','approvals':null}"));
    assert_string_equal(aa_t_str(ok.job, "messages/0/type"), "approval");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.job, "messages/0/approvals")));
    ok_free(&ok);

    ok_parse(&ok, ITEM("{'type':'approval','approve':true,"
                       "'approval_request_id':'m','approvals':[]}"));
    assert_int_equal(aa_t_len(ok.job, "messages/0/approvals"), 0);
    ok_free(&ok);
}


static void
test_approval_needs_something(void **state)
{
    expect_error(ITEM("{'type':'approval'}"), "value_error",
                 "body/messages/0", APPROVAL_NEEDED);
    expect_error(ITEM("{'type':'approval','approvals':[]}"), "value_error",
                 "body/messages/0", APPROVAL_NEEDED);
    expect_error(ITEM("{'approve':true}"), "value_error", "body/messages/0",
                 APPROVAL_NEEDED);
    expect_error(ITEM("{'approval_request_id':'m'}"), "value_error",
                 "body/messages/0", APPROVAL_NEEDED);
    expect_error(ITEM("{'approval_request_id':'m','approve':null}"),
                 "value_error", "body/messages/0", APPROVAL_NEEDED);
}


static void
test_approval_fields(void **state)
{
    expect_error(ITEM("{'approve':'yes','approval_request_id':'m'}"),
                 "bool_type", "body/messages/0/approve", BOOL_TYPE);
    expect_error(ITEM("{'approve':true,'approval_request_id':5}"),
                 "string_type", "body/messages/0/approval_request_id",
                 STR_TYPE);
    expect_error(ITEM("{'approve':true,'approval_request_id':'m',"
                      "'reason':1}"),
                 "string_type", "body/messages/0/reason", STR_TYPE);
    expect_error_among(ITEM("{'type':'approval','approvals':{}}"),
                       "list_type", "body/messages/0/approvals", LIST_TYPE);
    expect_error(ITEM("{'type':'approval','approvals':[1]}"),
                 "model_attributes_type", A0, MODEL_TYPE);
}


static void
test_approval_items(void **state)
{
    expect_error(ITEM("{'type':'approval','approvals':"
                      "[{'tool_call_id':'c'}]}"),
                 "union_tag_not_found", A0, TAG_MISSING);
    expect_error(ITEM("{'type':'approval','approvals':"
                      "[{'type':'bogus','tool_call_id':'c'}]}"),
                 "union_tag_invalid", A0, NULL);

    /* approval returns */
    expect_error(ITEM("{'type':'approval','approvals':"
                      "[{'type':'approval','approve':true}]}"),
                 "missing", A0 "/tool_call_id", REQUIRED);
    expect_error(ITEM("{'type':'approval','approvals':"
                      "[{'type':'approval','tool_call_id':'c'}]}"),
                 "missing", A0 "/approve", REQUIRED);
    expect_error(ITEM("{'type':'approval','approvals':"
                      "[{'tool_call_id':'c','approve':'true'}]}"),
                 "bool_type", A0 "/approve", BOOL_TYPE);
    expect_error(ITEM("{'type':'approval','approvals':"
                      "[{'tool_call_id':'c','approve':true,'reason':[]}]}"),
                 "string_type", A0 "/reason", STR_TYPE);

    /* tool returns */
    expect_error(ITEM("{'type':'approval','approvals':[{'type':'tool',"
                      "'tool_call_id':'c','tool_return':'x'}]}"),
                 "missing", A0 "/status", REQUIRED);
    expect_error(ITEM("{'type':'approval','approvals':[{'type':'tool',"
                      "'tool_call_id':'c','status':'ok','tool_return':'x'}]}"),
                 "literal_error", A0 "/status",
                 "Input should be 'success' or 'error'");
    expect_error(ITEM("{'type':'approval','approvals':[{'type':'tool',"
                      "'tool_call_id':'c','status':'success'}]}"),
                 "missing", A0 "/tool_return", REQUIRED);
    expect_error(ITEM("{'type':'approval','approvals':[{'type':'tool',"
                      "'tool_call_id':'c','status':'success',"
                      "'tool_return':5}]}"),
                 "string_type", A0 "/tool_return", CONTENT_TYPE);
    expect_error(ITEM("{'type':'approval','approvals':[{'type':'tool',"
                      "'tool_call_id':'c','status':'success',"
                      "'tool_return':[{'text':'x'}]}]}"),
                 "union_tag_not_found", A0 "/tool_return/0", TAG_MISSING);
    expect_error(ITEM("{'type':'approval','approvals':[{'type':'tool',"
                      "'status':'success','tool_return':'x'}]}"),
                 "missing", A0 "/tool_call_id", REQUIRED);
    expect_error(ITEM("{'type':'approval','approvals':[{'type':'tool',"
                      "'tool_call_id':'c','status':'success',"
                      "'tool_return':'x','stdout':['a',1]}]}"),
                 "string_type", A0 "/stdout/1", STR_TYPE);
    expect_error(ITEM("{'type':'approval','approvals':[{'type':'tool',"
                      "'tool_call_id':'c','status':'success',"
                      "'tool_return':'x','stderr':'oops'}]}"),
                 "list_type", A0 "/stderr", LIST_TYPE);

    /* an empty tool_return list is allowed */
    expect_ok(ITEM("{'type':'approval','approvals':[{'type':'tool',"
                   "'tool_call_id':'c','status':'success',"
                   "'tool_return':[]}]}"));
}


/* tool_return messages */

#define T0  "body/messages/0/tool_returns/0"

static void
test_tool_return_message(void **state)
{
    ok_t  ok;

    ok_parse(&ok, ITEM("{'type':'tool_return','tool_returns':["
             "{'tool_call_id':'c','status':'success','tool_return':'ok'},"
             "{'type':'tool','tool_call_id':'d','status':'error',"
             "'tool_return':'bad','stderr':['e']}],'group_id':'g'}"));

    assert_int_equal(aa_t_len(ok.job, "messages/0/tool_returns"), 2);
    assert_string_equal(aa_t_str(ok.job, "messages/0/tool_returns/0/type"),
                        "tool");
    assert_string_equal(aa_t_str(ok.job,
                                 "messages/0/tool_returns/1/stderr/0"), "e");
    assert_string_equal(aa_t_str(ok.job, "messages/0/group_id"), "g");

    ok_free(&ok);

    expect_error(ITEM("{'type':'tool_return'}"), "missing",
                 "body/messages/0/tool_returns", REQUIRED);
    expect_error(ITEM("{'type':'tool_return','tool_returns':null}"),
                 "list_type", "body/messages/0/tool_returns", LIST_TYPE);
    expect_error(ITEM("{'type':'tool_return','tool_returns':[]}"),
                 "value_error", "body/messages/0/tool_returns",
                 "Value error, tool_returns must not be empty");
    expect_error(ITEM("{'type':'tool_return','tool_returns':[{'type':"
                      "'approval','tool_call_id':'c','approve':true}]}"),
                 "literal_error", T0 "/type", "Input should be 'tool'");
    expect_error(ITEM("{'type':'tool_return','tool_returns':['x']}"),
                 "model_attributes_type", T0, MODEL_TYPE);
    expect_error(ITEM("{'type':'tool_return','tool_returns':[{"
                      "'tool_call_id':'c','status':'fine',"
                      "'tool_return':'x'}]}"),
                 "literal_error", T0 "/status", NULL);
}


/* max_steps */

static void
expect_steps(const char *value, long long want)
{
    char  body[128];
    ok_t  ok;

    snprintf(body, sizeof(body), "{'input':'x','max_steps':%s}", value);
    ok_parse(&ok, body);
    assert_int_equal(aa_t_int(ok.job, "max_steps"), want);
    ok_free(&ok);
}


static void
expect_steps_error(const char *value, const char *type, const char *msg)
{
    char  body[128];

    snprintf(body, sizeof(body), "{'input':'x','max_steps':%s}", value);
    expect_error(body, type, "body/max_steps", msg);
}


static void
test_max_steps(void **state)
{
    expect_steps("10", 10);
    expect_steps("1", 1);
    expect_steps("10000", 10000);
    expect_steps("50.0", 50);
    expect_steps("1e2", 100);
    expect_steps("9999.0", 9999);
}


static void
test_max_steps_strings(void **state)
{
    /* lax, as pydantic: the grammar itself is in test_validate.c */
    expect_steps("'50'", 50);
    expect_steps("' 7 '", 7);
}


/* the lax integer grammar itself: test_validate.c */

static void
test_max_steps_bad(void **state)
{
#define INT_PARSING                                                           \
    "Input should be a valid integer, unable to parse string as an integer"
#define INT_TYPE  "Input should be a valid integer"
#define GE1       "Input should be greater than or equal to 1"
#define LE10000   "Input should be less than or equal to 10000"

    expect_steps_error("true", "int_type", INT_TYPE);
    expect_steps_error("null", "int_type", INT_TYPE);
    expect_steps_error("'abc'", "int_parsing", INT_PARSING);
    expect_steps_error("1.5", "int_from_float",
                       "Input should be a valid integer, got a number with "
                       "a fractional part");
    expect_steps_error("0", "greater_than_equal", GE1);
    expect_steps_error("-5", "greater_than_equal", GE1);
    expect_steps_error("'0'", "greater_than_equal", GE1);
    expect_steps_error("10001", "less_than_equal", LE10000);
    expect_steps_error("10000.0000001", "int_from_float", NULL);
    expect_steps_error("'10001'", "less_than_equal", LE10000);
    expect_steps_error("99999999999999999999", "less_than_equal", LE10000);
}


/* include_return_message_types, spec 2.7 */

static void
test_return_types(void **state)
{
    ok_t    ok;
    size_t  i;

    static const char  *all[] = {
        "system_message", "user_message", "assistant_message",
        "reasoning_message", "hidden_reasoning_message", "tool_call_message",
        "tool_return_message", "approval_request_message",
        "approval_response_message", "summary_message", "event_message"
    };

    ok_parse(&ok, "{'input':'x','include_return_message_types':["
             "'system_message','user_message','assistant_message',"
             "'reasoning_message','hidden_reasoning_message',"
             "'tool_call_message','tool_return_message',"
             "'approval_request_message','approval_response_message',"
             "'summary_message','event_message']}");

    assert_int_equal(aa_t_len(ok.job, "include_return_message_types"), 11);
    assert_int_equal(aa_t_len(ok.cfg, "include_return_message_types"), 11);

    for (i = 0; i < 11; i++) {
        char  path[64];

        snprintf(path, sizeof(path), "include_return_message_types/%zu", i);
        assert_string_equal(aa_t_str(ok.job, path), all[i]);
        assert_string_equal(aa_t_str(ok.cfg, path), all[i]);
    }

    ok_free(&ok);

    ok_parse(&ok, "{'input':'x','include_return_message_types':[]}");
    assert_int_equal(aa_t_len(ok.cfg, "include_return_message_types"), 0);
    ok_free(&ok);

    ok_parse(&ok, "{'input':'x','include_return_message_types':null}");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.cfg,
                                      "include_return_message_types")));
    ok_free(&ok);
}


static void
test_return_types_bad(void **state)
{
#define ENUM_MSG                                                              \
    "Input should be 'system_message', 'user_message', "                      \
    "'assistant_message', 'reasoning_message', 'hidden_reasoning_message', "  \
    "'tool_call_message', 'tool_return_message', "                            \
    "'approval_request_message', 'approval_response_message', "               \
    "'summary_message' or 'event_message'"

    expect_error("{'input':'x','include_return_message_types':"
                 "['assistant_message','function_call']}",
                 "enum", "body/include_return_message_types/1", ENUM_MSG);
    expect_error("{'input':'x','include_return_message_types':[5]}",
                 "enum", "body/include_return_message_types/0", ENUM_MSG);
    expect_error("{'input':'x','include_return_message_types':[null]}",
                 "enum", "body/include_return_message_types/0", ENUM_MSG);
    expect_error("{'input':'x','include_return_message_types':"
                 "'assistant_message'}",
                 "list_type", "body/include_return_message_types",
                 LIST_TYPE);
    expect_error("{'input':'x','include_return_message_types':"
                 "['Assistant_message']}",
                 "enum", "body/include_return_message_types/0", NULL);
}


/* callback_url */

static void
expect_url_ok(const char *url)
{
    char  body[512];
    ok_t  ok;

    snprintf(body, sizeof(body), "{'input':'x','callback_url':'%s'}", url);
    ok_parse(&ok, body);
    assert_string_equal(ok.req.callback_url, url);
    ok_free(&ok);
}


static void
expect_url_bad(const char *url, const char *type, const char *msg)
{
    char  body[512];

    snprintf(body, sizeof(body), "{'input':'x','callback_url':'%s'}", url);
    expect_error(body, type, "body/callback_url", msg);
}


/* the URL grammar itself: test_validate.c */

static void
test_callback_ok(void **state)
{
    ok_t  ok;

    expect_url_ok("http://a");
    expect_url_ok("https://x.test:8443/p?q=1&r=2#frag");
    expect_url_ok("http://[::1]:8080/cb");
    expect_url_ok("http://b\xc3\xbc" "cher.test/");

    /* decoded: escapes are the characters they stand for */
    ok_parse(&ok, "{'input':'x','callback_url':"
             "'http:\\/\\/h.test\\/a\\u0026b?c=\\u00e9'}");
    assert_string_equal(ok.req.callback_url, "http://h.test/a&b?c=\xc3\xa9");
    assert_int_equal(ok.req.callback_url_len, 22);
    ok_free(&ok);

    /* none: null or absent */
    ok_parse(&ok, "{'input':'x','callback_url':null}");
    assert_int_equal(ok.req.callback_url_len, 0);
    assert_string_equal(ok.req.callback_url, "");
    ok_free(&ok);

    ok_parse(&ok, "{'input':'x'}");
    assert_int_equal(ok.req.callback_url_len, 0);
    assert_string_equal(ok.req.callback_url, "");
    ok_free(&ok);
}


static void
test_callback_bad(void **state)
{
    char  *long_url;

    expect_url_bad("ftp://x.test/", "url_scheme",
                   "URL scheme should be 'http' or 'https'");
    expect_url_bad("file:///etc/passwd", "url_scheme", NULL);
    expect_url_bad("/hook", "url_parsing",
                   "Input should be a valid URL, relative URL without a "
                   "base");
    expect_url_bad("http://a/\\u007f", "url_parsing",
                   "Input should be a valid URL, invalid character");

    expect_error("{'input':'x','callback_url':5}", "string_type",
                 "body/callback_url", STR_TYPE);
    expect_error("{'input':'x','callback_url':{}}", "string_type",
                 "body/callback_url", STR_TYPE);

    /* 2048 bytes pass, 2049 do not */
    long_url = malloc(2050);
    assert_non_null(long_url);
    memcpy(long_url, "http://a/", 9);
    memset(long_url + 9, 'p', 2048 - 9);
    long_url[2048] = '\0';
    {
        char  *body;
        ok_t   ok;

        body = malloc(2200);
        assert_non_null(body);
        snprintf(body, 2200, "{'input':'x','callback_url':'%s'}", long_url);
        ok_parse(&ok, body);
        assert_int_equal(ok.req.callback_url_len, 2048);
        assert_string_equal(ok.req.callback_url, long_url);
        ok_free(&ok);

        strcat(long_url, "p");
        snprintf(body, 2200, "{'input':'x','callback_url':'%s'}", long_url);
        expect_error(body, "url_too_long", "body/callback_url",
                     "URL should have at most 2048 characters");
        free(body);
    }
    free(long_url);
}


/* the other fields */

static void
test_request_config(void **state)
{
    ok_t  ok;

    ok_parse(&ok, "{'input':'x','use_assistant_message':false,"
             "'assistant_message_tool_name':'reply',"
             "'assistant_message_tool_kwarg':'text\\u00e9',"
             "'include_return_message_types':['assistant_message']}");

    assert_true(YAJL_IS_FALSE(aa_t_get(ok.cfg, "use_assistant_message")));
    assert_string_equal(aa_t_str(ok.cfg, "assistant_message_tool_name"),
                        "reply");
    assert_string_equal(aa_t_str(ok.cfg, "assistant_message_tool_kwarg"),
                        "text\xc3\xa9");
    assert_string_equal(aa_t_str(ok.cfg, "include_return_message_types/0"),
                        "assistant_message");
    /* key order of LettaRequestConfig */
    assert_string_equal(ok.cfg->u.object.keys[0], "use_assistant_message");
    assert_string_equal(ok.cfg->u.object.keys[3],
                        "include_return_message_types");

    ok_free(&ok);

    expect_error("{'input':'x','use_assistant_message':'false'}", "bool_type",
                 "body/use_assistant_message", BOOL_TYPE);
    expect_error("{'input':'x','use_assistant_message':null}", "bool_type",
                 "body/use_assistant_message", BOOL_TYPE);
    expect_error("{'input':'x','use_assistant_message':1}", "bool_type",
                 "body/use_assistant_message", BOOL_TYPE);
    expect_error("{'input':'x','assistant_message_tool_name':null}",
                 "string_type", "body/assistant_message_tool_name", STR_TYPE);
    expect_error("{'input':'x','assistant_message_tool_kwarg':7}",
                 "string_type", "body/assistant_message_tool_kwarg",
                 STR_TYPE);
}


static void
test_overrides(void **state)
{
    ok_t  ok;

    ok_parse(&ok, "{'input':'x','override_model':'openai/gpt-4o-mini',"
             "'override_system':'You are terse.',"
             "'include_compaction_messages':true}");
    assert_string_equal(aa_t_str(ok.job, "override_model"),
                        "openai/gpt-4o-mini");
    assert_string_equal(aa_t_str(ok.job, "override_system"),
                        "You are terse.");
    assert_true(YAJL_IS_TRUE(aa_t_get(ok.job,
                                      "include_compaction_messages")));
    ok_free(&ok);

    /* the alias "system" */
    ok_parse(&ok, "{'input':'x','system':'S'}");
    assert_string_equal(aa_t_str(ok.job, "override_system"), "S");
    ok_free(&ok);

    /* override_system wins over the alias */
    ok_parse(&ok, "{'input':'x','system':'S','override_system':'O'}");
    assert_string_equal(aa_t_str(ok.job, "override_system"), "O");
    ok_free(&ok);

    ok_parse(&ok, "{'input':'x','override_system':null,'system':5}");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.job, "override_system")));
    ok_free(&ok);

    ok_parse(&ok, "{'input':'x','override_model':null}");
    assert_true(YAJL_IS_NULL(aa_t_get(ok.job, "override_model")));
    ok_free(&ok);

    expect_error("{'input':'x','override_model':5}", "string_type",
                 "body/override_model", STR_TYPE);
    expect_error("{'input':'x','override_system':['a']}", "string_type",
                 "body/override_system", STR_TYPE);
    expect_error("{'input':'x','system':{}}", "string_type", "body/system",
                 STR_TYPE);
    expect_error("{'input':'x','include_compaction_messages':'yes'}",
                 "bool_type", "body/include_compaction_messages", BOOL_TYPE);
    expect_error("{'input':'x','include_compaction_messages':null}",
                 "bool_type", "body/include_compaction_messages", BOOL_TYPE);
}


static void
test_ignored_fields(void **state)
{
    expect_ok("{'input':'x','enable_thinking':true}");
    expect_ok("{'input':'x','enable_thinking':'true'}");
    expect_ok("{'input':'x','enable_thinking':null}");
    expect_error("{'input':'x','enable_thinking':1}", "string_type",
                 "body/enable_thinking", STR_TYPE);
    expect_error("{'input':'x','enable_thinking':{}}", "string_type",
                 "body/enable_thinking", STR_TYPE);

    expect_ok("{'input':'x','return_logprobs':true,'return_token_ids':false,"
              "'top_logprobs':5}");
    expect_ok("{'input':'x','top_logprobs':null}");
    expect_ok("{'input':'x','top_logprobs':'3'}");
    expect_error("{'input':'x','return_logprobs':1}", "bool_type",
                 "body/return_logprobs", BOOL_TYPE);
    expect_error("{'input':'x','return_token_ids':'x'}", "bool_type",
                 "body/return_token_ids", BOOL_TYPE);
    expect_error("{'input':'x','top_logprobs':'x'}", "int_parsing",
                 "body/top_logprobs", NULL);
    expect_error("{'input':'x','top_logprobs':true}", "int_type",
                 "body/top_logprobs", NULL);

    /* unknown keys */
    expect_ok("{'input':'x','foo':{'bar':[1,{}]},'agent_id':5}");
}


static void
test_client_tools(void **state)
{
    static const char  *keys[] = { "client_tools", "client_skills" };

    char    body[256], loc[64];
    size_t  i;

    for (i = 0; i < 2; i++) {
        snprintf(body, sizeof(body), "{'input':'x','%s':null}", keys[i]);
        expect_ok(body);
        snprintf(body, sizeof(body), "{'input':'x','%s':[]}", keys[i]);
        expect_ok(body);
        snprintf(body, sizeof(body), "{'input':'x','%s':[{'name':'f',"
                 "'description':'d','parameters':{},'location':'l'}]}",
                 keys[i]);
        expect_ok(body);

        snprintf(body, sizeof(body), "{'input':'x','%s':{}}", keys[i]);
        snprintf(loc, sizeof(loc), "body/%s", keys[i]);
        expect_error(body, "list_type", loc, LIST_TYPE);

        snprintf(body, sizeof(body), "{'input':'x','%s':[{'name':'a'},5]}",
                 keys[i]);
        snprintf(loc, sizeof(loc), "body/%s/1", keys[i]);
        expect_error(body, "model_attributes_type", loc, MODEL_TYPE);

        snprintf(body, sizeof(body), "{'input':'x','%s':[{}]}", keys[i]);
        snprintf(loc, sizeof(loc), "body/%s/0/name", keys[i]);
        expect_error(body, "missing", loc, REQUIRED);

        snprintf(body, sizeof(body), "{'input':'x','%s':[{'name':5}]}",
                 keys[i]);
        expect_error(body, "string_type", loc, STR_TYPE);
    }
}


/* first_is_message: metadata.lettuce needs it without the job parsed */

static void
expect_first(const char *body_sq, int want)
{
    ok_t  ok;

    ok_parse(&ok, body_sq);

    if (ok.req.first_is_message != want) {
        fail_msg("first_is_message %d, wanted %d: %s",
                 (int) ok.req.first_is_message, want, body_sq);
    }

    /* it says what the job says */
    assert_int_equal(strcmp(aa_t_str(ok.job, "messages/0/type"), "message")
                     == 0, want);

    ok_free(&ok);
}


static void
test_first_is_message(void **state)
{
    expect_first("{'input':'x'}", 1);
    expect_first("{'input':[{'type':'text','text':'x'}]}", 1);
    expect_first(ITEM("{'role':'user','content':'x'}"), 1);
    expect_first(ITEM("{'type':'message','role':'user','content':'x'}"), 1);
    expect_first(ITEM("{'type':null,'role':'user','content':'x'}"), 1);
    expect_first("{'messages':[{'role':'user','content':'x'},"
                 "{'approve':true,'approval_request_id':'m'}]}", 1);

    expect_first(ITEM("{'approve':true,'approval_request_id':'m'}"), 0);
    expect_first(ITEM("{'type':'approval','approvals':[{'type':'approval',"
                      "'tool_call_id':'c','approve':true}]}"), 0);
    expect_first(ITEM("{'type':'tool_return','tool_returns':["
                      "{'tool_call_id':'t','status':'success',"
                      "'tool_return':'ok'}]}"), 0);
    expect_first("{'messages':[{'approve':true,'approval_request_id':'m'},"
                 "{'role':'user','content':'x'}]}", 0);
}


/* otids: the client's own, only when every message carried one */

static void
expect_otids(const char *body_sq, const char *want)
{
    ok_t  ok;

    ok_parse(&ok, body_sq);

    if (ok.req.otids.len != strlen(want)
        || (ok.req.otids.len
            && memcmp(ok.req.otids.data, want, ok.req.otids.len) != 0))
    {
        fail_msg("otids \"%.*s\", wanted \"%s\": %s",
                 (int) ok.req.otids.len,
                 ok.req.otids.data ? ok.req.otids.data : "", want, body_sq);
    }

    ok_free(&ok);
}


static void
test_otids(void **state)
{
    expect_otids("{'messages':[{'role':'user','content':'x','otid':'o1'},"
                 "{'role':'user','content':'y','otid':'o2'}]}", "o1\no2\n");
    expect_otids(ITEM("{'role':'user','content':'x','otid':'only'}"),
                 "only\n");
    expect_otids(ITEM("{'type':'approval','otid':'ap','approvals':[{'type':"
                      "'approval','tool_call_id':'c','approve':true}]}"),
                 "ap\n");

    /* one missing, null, empty or holding a newline: none */
    expect_otids("{'messages':[{'role':'user','content':'x','otid':'o1'},"
                 "{'role':'user','content':'y'}]}", "");
    expect_otids("{'messages':[{'role':'user','content':'x','otid':null}]}",
                 "");
    expect_otids(ITEM("{'role':'user','content':'x','otid':''}"), "");
    expect_otids("{\"messages\":[{\"role\":\"user\",\"content\":\"x\","
                 "\"otid\":\"a\\nb\"}]}", "");
    expect_otids("{'input':'x'}", "");
}


/* output encoding */

static void
test_job_is_valid_json_for_odd_strings(void **state)
{
    ok_t         ok;
    const char  *body;

    /* control characters and quotes survive; a surrogate pair is one */
    body = "{\"input\":\"a\\ud83d\\ude00b\\u001f\\\"\","
           "\"override_system\":\"\\u00e9\"}";
    ok_raw(&ok, body, strlen(body));

    assert_string_equal(aa_t_str(ok.job, "messages/0/content"),
                        "a\xf0\x9f\x98\x80" "b\x1f\"");
    assert_string_equal(aa_t_str(ok.job, "override_system"), "\xc3\xa9");
    ok_free(&ok);
}


/*
 * Keys and strings of a message are written into the job as
 * aa_buf_json_string() writes them, byte for byte, whether they are short
 * and plain (one append) or not: long, quoted, control characters, UTF-8.
 */
static void
test_job_strings_exact(void **state)
{
    ok_t         ok;
    size_t       i;
    aa_buf_t     body, want;
    char         s64[65], s65[66];
    const char  *texts[9];

    memset(s64, 'a', 64);
    s64[64] = '\0';
    memset(s65, 'b', 65);
    s65[65] = '\0';

    texts[0] = s64;
    texts[1] = s65;
    texts[2] = "q\"uote";
    texts[3] = "back\\slash";
    texts[4] = "tab\tnl\n\x01";
    texts[5] = "caf\xc3\xa9";
    texts[6] = "";
    texts[7] = "/";
    texts[8] = "\x7f";

    aa_buf_init(&body);
    aa_buf_puts(&body, "{\"messages\":[{\"role\":\"user\",\"content\":\"c\"");

    for (i = 0; i < 9; i++) {
        /* each text once as a key, once as the value of key "v<i>" */
        aa_buf_putc(&body, ',');
        aa_buf_json_string(&body, texts[i], strlen(texts[i]));
        aa_buf_printf(&body, ":%zu,\"v%zu\":", i, i);
        aa_buf_json_string(&body, texts[i], strlen(texts[i]));
    }

    aa_buf_puts(&body, "}]}");
    aa_buf_cstr(&body);

    ok_raw(&ok, body.data, body.len);

    for (i = 0; i < 9; i++) {
        aa_buf_init(&want);
        aa_buf_putc(&want, ',');
        aa_buf_json_string(&want, texts[i], strlen(texts[i]));
        aa_buf_printf(&want, ":%zu,\"v%zu\":", i, i);
        aa_buf_json_string(&want, texts[i], strlen(texts[i]));

        if (memmem(ok.req.job.data, ok.req.job.len, want.data, want.len)
            == NULL)
        {
            fail_msg("text %zu: %.*s not in the job %.*s", i,
                     (int) want.len, want.data, (int) ok.req.job.len,
                     ok.req.job.data);
        }

        aa_buf_free(&want);
    }

    ok_free(&ok);
    aa_buf_free(&body);
}


static void
test_reuse(void **state)
{
    int                 rc;
    char               *body;
    yajl_val            v;
    aa_async_request_t  req;

    aa_async_request_init(&req);

    body = aa_t_dq("{'messages':[]}");
    rc = aa_async_request_parse(&req, body, strlen(body));
    assert_int_equal(rc, AA_INVALID);
    assert_int_equal(req.errors.count, 1);
    free(body);

    body = aa_t_dq("{'input':'again','callback_url':'http://h/'}");
    rc = aa_async_request_parse(&req, body, strlen(body));
    assert_int_equal(rc, AA_OK);
    assert_int_equal(req.errors.count, 0);
    assert_int_equal(req.errors.items.len, 0);
    free(body);

    v = aa_t_parse_buf(&req.job);
    assert_string_equal(aa_t_str(v, "messages/0/content"), "again");
    yajl_tree_free(v);
    assert_string_equal(req.callback_url, "http://h/");
    assert_true(req.first_is_message);

    /* a valid request without them clears what the last one had */
    body = aa_t_dq("{'messages':[{'approve':true,"
                   "'approval_request_id':'m'}]}");
    rc = aa_async_request_parse(&req, body, strlen(body));
    assert_int_equal(rc, AA_OK);
    assert_int_equal(req.callback_url_len, 0);
    assert_string_equal(req.callback_url, "");
    assert_false(req.first_is_message);
    free(body);

    body = aa_t_dq("{'input':'x','callback_url':'http://h/'}");
    rc = aa_async_request_parse(&req, body, strlen(body));
    assert_int_equal(rc, AA_OK);
    free(body);

    body = aa_t_dq("{}");
    rc = aa_async_request_parse(&req, body, strlen(body));
    assert_int_equal(rc, AA_INVALID);
    assert_int_equal(req.job.len, 0);
    assert_int_equal(req.callback_url_len, 0);
    assert_string_equal(req.callback_url, "");
    assert_false(req.first_is_message);
    free(body);

    aa_async_request_free(&req);
}


static void
test_spec_examples(void **state)
{
    ok_t  ok;

    /* spec 2.6 */
    ok_parse(&ok, "{ 'input': 'Summarise yesterday\\u0027s tickets', "
             "'callback_url': 'https://example.test/hooks/letta' }");
    assert_string_equal(aa_t_str(ok.job, "messages/0/content"),
                        "Summarise yesterday's tickets");
    assert_string_equal(ok.req.callback_url,
                        "https://example.test/hooks/letta");
    ok_free(&ok);

    ok_parse(&ok, "{'messages': [{ 'role': 'user', 'content': ["
             "{ 'type': 'text', 'text': 'What is in this picture?' },"
             "{ 'type': 'image', 'source': { 'type': 'url', "
             "'url': 'https://example.test/a.png' } } ],"
             "'otid': '6f1c1a2e-4f4b-4c39-9d7e-0c3a3f8e2b11' }],"
             "'max_steps': 10,"
             "'include_return_message_types': ['assistant_message', "
             "'tool_call_message', 'tool_return_message']}");
    assert_int_equal(aa_t_int(ok.job, "max_steps"), 10);
    assert_string_equal(aa_t_str(ok.job, "messages/0/otid"),
                        "6f1c1a2e-4f4b-4c39-9d7e-0c3a3f8e2b11");
    assert_int_equal(aa_t_len(ok.job, "messages/0/content"), 2);
    assert_int_equal(aa_t_len(ok.cfg, "include_return_message_types"), 3);
    ok_free(&ok);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_body_missing),
        cmocka_unit_test(test_body_not_json),
        cmocka_unit_test(test_body_depth_bomb),
        cmocka_unit_test(test_body_depth_limit),
        cmocka_unit_test(test_body_not_object),
        cmocka_unit_test(test_exactly_one_of),
        cmocka_unit_test(test_other_errors_collected),
        cmocka_unit_test(test_input_string),
        cmocka_unit_test(test_input_parts),
        cmocka_unit_test(test_input_bad),
        cmocka_unit_test(test_messages_shape),
        cmocka_unit_test(test_message_type_injection),
        cmocka_unit_test(test_message_type_bad),
        cmocka_unit_test(test_message_role),
        cmocka_unit_test(test_message_content),
        cmocka_unit_test(test_message_plain),
        cmocka_unit_test(test_message_optional_strings),
        cmocka_unit_test(test_otid),
        cmocka_unit_test(test_message_kept_as_sent),
        cmocka_unit_test(test_errors_indexed),
        cmocka_unit_test(test_errors_indexed_many),
        cmocka_unit_test(test_errors_capped),
        cmocka_unit_test(test_part_generic),
        cmocka_unit_test(test_part_text),
        cmocka_unit_test(test_part_image),
        cmocka_unit_test(test_part_tool_call),
        cmocka_unit_test(test_part_tool_return),
        cmocka_unit_test(test_part_reasoning),
        cmocka_unit_test(test_part_summarized),
        cmocka_unit_test(test_approval_ok),
        cmocka_unit_test(test_approval_needs_something),
        cmocka_unit_test(test_approval_fields),
        cmocka_unit_test(test_approval_items),
        cmocka_unit_test(test_tool_return_message),
        cmocka_unit_test(test_max_steps),
        cmocka_unit_test(test_max_steps_strings),
        cmocka_unit_test(test_max_steps_bad),
        cmocka_unit_test(test_return_types),
        cmocka_unit_test(test_return_types_bad),
        cmocka_unit_test(test_callback_ok),
        cmocka_unit_test(test_callback_bad),
        cmocka_unit_test(test_request_config),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_ignored_fields),
        cmocka_unit_test(test_client_tools),
        cmocka_unit_test(test_first_is_message),
        cmocka_unit_test(test_otids),
        cmocka_unit_test(test_job_is_valid_json_for_odd_strings),
        cmocka_unit_test(test_job_strings_exact),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_spec_examples),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
