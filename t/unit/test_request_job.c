/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_request_job: the job and request_config built from validated fields,
 * and the message types it infers, called directly (the same through the
 * whole request: test_request.c).  JSON is written with single quotes.
 */

#include "aa_test.h"
#include "aa_request_job.h"


/* the type infer() gives an item written with single quotes */

static const char *
type_of(const char *(*infer)(yajl_val item), const char *item_sq)
{
    yajl_val     v;
    const char  *type;

    v = aa_t_parse_sq(item_sq);
    type = infer(v);
    yajl_tree_free(v);

    return type;
}


#define message_type(sq)   type_of(aa_job_message_type, sq)
#define approval_type(sq)  type_of(aa_job_approval_type, sq)


static void
test_message_type(void **state)
{
    assert_string_equal(message_type("{'role':'user'}"), "message");
    assert_string_equal(message_type("{'type':null}"), "message");
    assert_string_equal(message_type("{'type':'message'}"), "message");
    assert_string_equal(message_type("{'approve':false}"), "approval");
    assert_string_equal(message_type("{'approval_request_id':null}"),
                        "approval");
    assert_string_equal(message_type("{'type':'approval'}"), "approval");
    assert_string_equal(message_type("{'type':'tool_return'}"),
                        "tool_return");

    /* an explicit type wins over what the keys suggest */
    assert_string_equal(message_type("{'type':'message','approve':true}"),
                        "message");

    assert_null(message_type("{'type':'Message'}"));
    assert_null(message_type("{'type':5}"));
}


static void
test_approval_type(void **state)
{
    assert_string_equal(approval_type("{'approve':true}"), "approval");
    assert_string_equal(approval_type("{'status':'success'}"), "tool");
    assert_string_equal(approval_type("{'tool_return':'x'}"), "tool");
    assert_string_equal(approval_type("{'type':'approval'}"), "approval");
    assert_string_equal(approval_type("{'type':'tool','approve':true}"),
                        "tool");

    assert_null(approval_type("{'tool_call_id':'c'}"));
    assert_null(approval_type("{'type':null}"));
    assert_string_equal(approval_type("{'type':'tool_return'}"), "");
}


static void
test_build_input(void **state)
{
    aa_buf_t         job, cfg;
    yajl_val         input, j, c;
    aa_job_fields_t  f;

    input = aa_t_parse_sq("[{'type':'text','text':'hi'}]");

    memset(&f, 0, sizeof(f));
    f.input = input;
    f.max_steps = 7;
    f.use_assistant_message = 1;

    aa_buf_init(&job);
    aa_buf_init(&cfg);
    assert_int_equal(aa_job_build(&job, &cfg, &f), AA_OK);

    j = aa_t_parse_buf(&job);
    c = aa_t_parse_buf(&cfg);

    assert_int_equal(aa_t_len(j, ""), 6);
    assert_int_equal(aa_t_len(j, "messages"), 1);
    assert_string_equal(aa_t_str(j, "messages/0/type"), "message");
    assert_string_equal(aa_t_str(j, "messages/0/role"), "user");
    assert_string_equal(aa_t_str(j, "messages/0/content/0/text"), "hi");
    assert_true(aa_t_is_uuid4(aa_t_str(j, "messages/0/otid")));
    assert_int_equal(aa_t_int(j, "max_steps"), 7);
    assert_true(YAJL_IS_NULL(aa_t_get(j, "override_model")));
    assert_true(YAJL_IS_NULL(aa_t_get(j, "override_system")));
    assert_true(YAJL_IS_FALSE(aa_t_get(j, "include_compaction_messages")));
    assert_true(YAJL_IS_NULL(aa_t_get(j, "include_return_message_types")));

    /* Letta's defaults */
    assert_true(YAJL_IS_TRUE(aa_t_get(c, "use_assistant_message")));
    assert_string_equal(aa_t_str(c, "assistant_message_tool_name"),
                        "send_message");
    assert_string_equal(aa_t_str(c, "assistant_message_tool_kwarg"),
                        "message");
    assert_true(YAJL_IS_NULL(aa_t_get(c, "include_return_message_types")));

    yajl_tree_free(j);
    yajl_tree_free(c);
    aa_buf_free(&job);
    aa_buf_free(&cfg);
    yajl_tree_free(input);
}


static void
test_build_messages(void **state)
{
    aa_buf_t         job, cfg;
    yajl_val         body, j, c;
    aa_job_fields_t  f;

    body = aa_t_parse_sq("{'messages':["
                         "{'role':'user','content':'a','otid':'o-1','x':1},"
                         "{'approval_request_id':'r','approvals':["
                         "{'approve':true,'tool_call_id':'c'},"
                         "{'status':'error','tool_return':'t'}]},"
                         "{'type':'tool_return','tool_returns':["
                         "{'type':null,'status':'success'}]}],"
                         "'m':'openai/x','s':'S',"
                         "'types':['assistant_message'],"
                         "'name':'reply','kwarg':'text'}");

    memset(&f, 0, sizeof(f));
    f.messages = aa_t_get(body, "messages");
    f.override_model = aa_t_get(body, "m");
    f.override_system = aa_t_get(body, "s");
    f.include_types = aa_t_get(body, "types");
    f.tool_name = aa_t_get(body, "name");
    f.tool_kwarg = aa_t_get(body, "kwarg");
    f.max_steps = 50;
    f.include_compaction = 1;

    aa_buf_init(&job);
    aa_buf_init(&cfg);
    assert_int_equal(aa_job_build(&job, &cfg, &f), AA_OK);

    j = aa_t_parse_buf(&job);
    c = aa_t_parse_buf(&cfg);

    assert_int_equal(aa_t_len(j, "messages"), 3);

    /* kept as sent, type first, otid last */
    assert_string_equal(j->u.object.keys[0], "messages");
    assert_int_equal(aa_t_len(j, "messages/0"), 5);
    assert_string_equal(aa_t_get(j, "messages/0")->u.object.keys[0],
                        "type");
    assert_string_equal(aa_t_get(j, "messages/0")->u.object.keys[4],
                        "otid");
    assert_string_equal(aa_t_str(j, "messages/0/otid"), "o-1");
    assert_int_equal(aa_t_int(j, "messages/0/x"), 1);

    /* inferred types, written into the job */
    assert_string_equal(aa_t_str(j, "messages/1/type"), "approval");
    assert_string_equal(aa_t_str(j, "messages/1/approvals/0/type"),
                        "approval");
    assert_string_equal(aa_t_str(j, "messages/1/approvals/1/type"), "tool");
    assert_true(aa_t_is_uuid4(aa_t_str(j, "messages/1/otid")));
    assert_string_equal(aa_t_str(j, "messages/2/tool_returns/0/type"),
                        "tool");
    assert_int_equal(aa_t_len(j, "messages/2/tool_returns/0"), 2);

    assert_string_equal(aa_t_str(j, "override_model"), "openai/x");
    assert_string_equal(aa_t_str(j, "override_system"), "S");
    assert_true(YAJL_IS_TRUE(aa_t_get(j, "include_compaction_messages")));
    assert_string_equal(aa_t_str(j, "include_return_message_types/0"),
                        "assistant_message");

    assert_true(YAJL_IS_FALSE(aa_t_get(c, "use_assistant_message")));
    assert_string_equal(aa_t_str(c, "assistant_message_tool_name"), "reply");
    assert_string_equal(aa_t_str(c, "assistant_message_tool_kwarg"),
                        "text");
    assert_string_equal(aa_t_str(c, "include_return_message_types/0"),
                        "assistant_message");

    yajl_tree_free(j);
    yajl_tree_free(c);
    aa_buf_free(&job);
    aa_buf_free(&cfg);
    yajl_tree_free(body);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_message_type),
        cmocka_unit_test(test_approval_type),
        cmocka_unit_test(test_build_input),
        cmocka_unit_test(test_build_messages),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
