/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Letta message and usage encoding (src/common/aa_message.c), as the
 * worker stores them.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <yajl/yajl_tree.h>

#include "aa_message.h"


static void
test_render_assistant(void **state)
{
    aa_buf_t      b;
    aa_message_t  m;

    m.id = "message-77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b";
    m.date_us = 1778752806901234LL;         /* 2026-05-14T10:00:06Z */
    m.message_type = "assistant_message";
    m.otid = "77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a00";
    m.step_id = "step-9c1e0000-0000-4000-8000-000000000000";
    m.run_id = "run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21";
    m.content = "\"Yesterday\"";
    m.content_len = strlen(m.content);
    m.fields = NULL;
    m.fields_len = 0;

    aa_buf_init(&b);
    assert_int_equal(aa_message_render(&b, &m), 0);
    aa_buf_cstr(&b);

    assert_string_equal(b.data,
        "{\"id\":\"message-77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b\","
        "\"date\":\"2026-05-14T10:00:06+00:00\",\"name\":null,"
        "\"message_type\":\"assistant_message\","
        "\"otid\":\"77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a00\","
        "\"sender_id\":null,"
        "\"step_id\":\"step-9c1e0000-0000-4000-8000-000000000000\","
        "\"is_err\":null,\"seq_id\":null,"
        "\"run_id\":\"run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21\","
        "\"content\":\"Yesterday\"}");

    aa_buf_free(&b);
}


static void
test_render_nulls(void **state)
{
    aa_buf_t      b;
    aa_message_t  m;

    memset(&m, 0, sizeof(m));
    m.id = "message-x";
    m.message_type = "user_message";
    m.content = "[{\"type\":\"text\",\"text\":\"a\\\"b\"}]";
    m.content_len = strlen(m.content);
    m.fields = NULL;
    m.fields_len = 0;

    aa_buf_init(&b);
    aa_message_render(&b, &m);
    aa_buf_cstr(&b);

    assert_non_null(strstr(b.data, "\"otid\":null,"));
    assert_non_null(strstr(b.data, "\"step_id\":null,"));
    assert_non_null(strstr(b.data, "\"run_id\":null,"));
    assert_non_null(strstr(b.data,
        ",\"content\":[{\"type\":\"text\",\"text\":\"a\\\"b\"}]}"));
    assert_non_null(strstr(b.data, "\"date\":\"1970-01-01T00:00:00+00:00\""));

    aa_buf_free(&b);
}


static void
test_part_otid(void **state)
{
    char  otid[AA_UUID_LEN + 1];

    /* spec 4.2: ...4a5b -> ...4a00 */
    assert_int_equal(aa_message_part_otid(
        "message-77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b", 0, otid), 0);
    assert_string_equal(otid, "77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a00");

    /* the high bit of the last byte stays */
    assert_int_equal(aa_message_part_otid(
        "message-77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4aff", 3, otid), 0);
    assert_string_equal(otid, "77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a83");

    assert_int_equal(aa_message_part_otid(
        "message-77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a7f", 127, otid), 0);
    assert_string_equal(otid, "77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a7f");

    assert_int_equal(aa_message_part_otid("message-nope", 0, otid), -1);
    assert_int_equal(aa_message_part_otid(
        "run-77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b", 0, otid), -1);
}


static void
test_usage(void **state)
{
    aa_buf_t    b;
    aa_usage_t  u;

    u.completion_tokens = 212;
    u.prompt_tokens = 5120;
    u.step_count = 1;

    aa_buf_init(&b);
    aa_usage_render(&b, &u);
    aa_buf_cstr(&b);

    assert_string_equal(b.data,
        "{\"message_type\":\"usage_statistics\",\"completion_tokens\":212,"
        "\"prompt_tokens\":5120,\"total_tokens\":5332,\"step_count\":1,"
        "\"run_ids\":null,\"cached_input_tokens\":null,"
        "\"cache_write_tokens\":null,\"reasoning_tokens\":null,"
        "\"context_tokens\":null}");

    aa_buf_free(&b);
}


static void
test_count_words(void **state)
{
    assert_int_equal(aa_count_words("", 0), 0);
    assert_int_equal(aa_count_words("   \t\n", 5), 0);
    assert_int_equal(aa_count_words("hello", 5), 1);
    assert_int_equal(aa_count_words(" hello  big\tworld\n", 18), 3);
    assert_int_equal(aa_count_words("caf\xc3\xa9 ok", 8), 2);
    /* only len bytes count */
    assert_int_equal(aa_count_words("one two three", 7), 2);
}


static void
test_step(void **state)
{
    aa_buf_t   b;
    aa_step_t  st;
    char       err[128];
    yajl_val   v, k;
    size_t     i;

    static const char  *keys[] = {
        "id", "origin", "organization_id", "provider_id", "run_id",
        "agent_id", "provider_name", "provider_category", "model",
        "model_handle", "model_endpoint", "context_window_limit",
        "completion_tokens", "prompt_tokens", "total_tokens",
        "cached_input_tokens", "cache_write_tokens", "reasoning_tokens",
        "completion_tokens_details", "prompt_tokens_details", "stop_reason",
        "tags", "tid", "trace_id", "request_id", "messages", "feedback",
        "project_id", "error_type", "error_data", "status",
    };

    st.id = "step-9c1e0000-0000-4000-8000-000000000000";
    st.run_id = "run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21";
    st.agent_id = "agent-77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b";
    st.model = NULL;
    st.stop_reason = "end_turn";
    st.status = "success";
    st.completion_tokens = 3;
    st.prompt_tokens = 4;

    aa_buf_init(&b);
    assert_int_equal(aa_step_render(&b, &st), 0);
    aa_buf_cstr(&b);

    v = yajl_tree_parse(b.data, err, sizeof(err));
    assert_non_null(v);
    assert_true(YAJL_IS_OBJECT(v));
    assert_int_equal(v->u.object.len, sizeof(keys) / sizeof(keys[0]));

    /* Letta's keys, in Letta's order */
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        assert_string_equal(v->u.object.keys[i], keys[i]);
    }

    k = v->u.object.values[14];
    assert_true(YAJL_IS_INTEGER(k) && YAJL_GET_INTEGER(k) == 7);
    assert_true(YAJL_IS_NULL(v->u.object.values[8]));
    assert_true(YAJL_IS_ARRAY(v->u.object.values[21]));
    assert_string_equal(v->u.object.values[20]->u.string, "end_turn");
    assert_string_equal(v->u.object.values[30]->u.string, "success");

    yajl_tree_free(v);
    aa_buf_free(&b);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_render_assistant),
        cmocka_unit_test(test_render_nulls),
        cmocka_unit_test(test_part_otid),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_count_words),
        cmocka_unit_test(test_step),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
