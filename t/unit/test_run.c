/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_run: the Run JSON rendered from the run hash (spec 3.1, 2.9).
 */

#include "aa_test.h"
#include "aa_run.h"


#define F(name, value)  { name, sizeof(name) - 1, value, sizeof(value) - 1 }


/* Letta's order, spec 2.9 */
static const char  *run_keys[] = {
    "id", "status", "created_at", "completed_at", "agent_id",
    "conversation_id", "base_template_id", "background", "metadata",
    "request_config", "stop_reason", "callback_url", "callback_sent_at",
    "callback_status_code", "callback_error", "ttft_ns", "total_duration_ns"
};

#define NKEYS  (sizeof(run_keys) / sizeof(run_keys[0]))


static yajl_val
render(const aa_field_t *fields, size_t n)
{
    aa_buf_t  b;
    yajl_val  v;

    aa_buf_init(&b);
    assert_int_equal(aa_run_render(&b, fields, n), 0);
    v = aa_t_parse_buf(&b);
    aa_buf_free(&b);

    assert_true(YAJL_IS_OBJECT(v));

    return v;
}


static void
test_empty_hash_all_null(void **state)
{
    size_t    i;
    yajl_val  v;

    v = render(NULL, 0);

    assert_int_equal(v->u.object.len, NKEYS);

    for (i = 0; i < NKEYS; i++) {
        assert_string_equal(v->u.object.keys[i], run_keys[i]);
        assert_true(YAJL_IS_NULL(v->u.object.values[i]));
    }

    yajl_tree_free(v);
}


static void
test_created_run(void **state)
{
    yajl_val  v;

    aa_field_t  f[] = {
        F("id", "run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21"),
        F("status", "created"),
        F("created_at", "2026-05-14T10:00:00.123456Z"),
        F("agent_id", "agent-7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e90"),
        F("background", "1"),
        F("metadata", "{\"run_type\":\"send_message_async\",\"lettuce\":null}"),
        F("request_config", "{\"use_assistant_message\":true}"),
        F("callback_url", "https://example.test/hooks/letta"),
        F("tenant", "acme"),
        F("request", "{\"messages\":[]}"),
    };

    v = render(f, sizeof(f) / sizeof(f[0]));

    /* internal fields never leak */
    assert_int_equal(v->u.object.len, NKEYS);
    assert_null(aa_t_get(v, "tenant"));
    assert_null(aa_t_get(v, "request"));

    assert_string_equal(aa_t_str(v, "id"),
                        "run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21");
    assert_string_equal(aa_t_str(v, "status"), "created");
    assert_string_equal(aa_t_str(v, "created_at"),
                        "2026-05-14T10:00:00.123456Z");
    assert_true(YAJL_IS_TRUE(aa_t_get(v, "background")));
    assert_string_equal(aa_t_str(v, "metadata/run_type"),
                        "send_message_async");
    assert_true(YAJL_IS_NULL(aa_t_get(v, "metadata/lettuce")));
    assert_true(YAJL_IS_TRUE(aa_t_get(v,
                                      "request_config/use_assistant_message")));
    assert_string_equal(aa_t_str(v, "callback_url"),
                        "https://example.test/hooks/letta");
    assert_true(YAJL_IS_NULL(aa_t_get(v, "completed_at")));
    assert_true(YAJL_IS_NULL(aa_t_get(v, "stop_reason")));
    assert_true(YAJL_IS_NULL(aa_t_get(v, "conversation_id")));
    assert_true(YAJL_IS_NULL(aa_t_get(v, "ttft_ns")));

    yajl_tree_free(v);
}


static void
test_finished_run(void **state)
{
    yajl_val  v;

    aa_field_t  f[] = {
        F("status", "completed"),
        F("stop_reason", "end_turn"),
        F("completed_at", "2026-05-14T10:00:07.654321Z"),
        F("callback_status_code", "200"),
        F("callback_sent_at", "2026-05-14T10:00:08.000000Z"),
        F("callback_error", "said \"no\"\nthen \\ left"),
        F("ttft_ns", "123456789"),
        F("total_duration_ns", "-1"),
        F("background", "0"),
    };

    v = render(f, sizeof(f) / sizeof(f[0]));

    assert_string_equal(aa_t_str(v, "stop_reason"), "end_turn");
    assert_int_equal(aa_t_int(v, "callback_status_code"), 200);
    assert_int_equal(aa_t_int(v, "ttft_ns"), 123456789);
    assert_int_equal(aa_t_int(v, "total_duration_ns"), -1);
    assert_string_equal(aa_t_str(v, "callback_error"),
                        "said \"no\"\nthen \\ left");
    assert_true(YAJL_IS_FALSE(aa_t_get(v, "background")));

    yajl_tree_free(v);
}


static void
test_corrupt_integer_is_null(void **state)
{
    size_t      i;
    yajl_val    v;
    aa_field_t  f;

    static const char  *bad[] = {
        "", "-", "12a", "1.5", " 1", "1e3", "0x10", "--1", "200 ",
        "123456789012345678901", "99999999999999999999",
        "9223372036854775808", "-9223372036854775809"
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f.name = "callback_status_code";
        f.name_len = strlen(f.name);
        f.value = bad[i];
        f.value_len = strlen(bad[i]);

        v = render(&f, 1);
        assert_true(YAJL_IS_NULL(aa_t_get(v, "callback_status_code")));
        yajl_tree_free(v);
    }

    /* the int64 range, both ends included, renders as an integer */
    static const char  *good[] = {
        "-1234567890123456789", "9223372036854775807",
        "0", "-0"
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        f.value = good[i];
        f.value_len = strlen(good[i]);
        v = render(&f, 1);
        assert_true(YAJL_IS_INTEGER(aa_t_get(v, "callback_status_code")));
        yajl_tree_free(v);
    }
}


static void
test_empty_json_field_is_null(void **state)
{
    yajl_val  v;

    aa_field_t  f[] = {
        F("metadata", ""),
        F("request_config", ""),
        F("status", ""),
    };

    v = render(f, 3);
    assert_true(YAJL_IS_NULL(aa_t_get(v, "metadata")));
    assert_true(YAJL_IS_NULL(aa_t_get(v, "request_config")));
    /* an empty string is still a string */
    assert_string_equal(aa_t_str(v, "status"), "");
    yajl_tree_free(v);
}


static void
test_field_find(void **state)
{
    aa_field_t  f[] = {
        F("idx", "1"),
        F("id", "2"),
        F("id", "3"),
    };

    assert_ptr_equal(aa_field_find(f, 3, "id"), &f[1]);
    assert_ptr_equal(aa_field_find(f, 3, "idx"), &f[0]);
    assert_null(aa_field_find(f, 3, "i"));
    assert_null(aa_field_find(f, 3, "status"));
    assert_null(aa_field_find(f, 0, "id"));
}


static void
test_terminal_statuses(void **state)
{
    assert_true(aa_run_status_terminal("completed", 9));
    assert_true(aa_run_status_terminal("failed", 6));
    assert_true(aa_run_status_terminal("cancelled", 9));

    assert_false(aa_run_status_terminal("created", 7));
    assert_false(aa_run_status_terminal("running", 7));
    assert_false(aa_run_status_terminal("expired", 7));
    assert_false(aa_run_status_terminal("complete", 8));
    assert_false(aa_run_status_terminal("Completed", 9));
    assert_false(aa_run_status_terminal("", 0));
    assert_false(aa_run_status_terminal("failedX", 7));

    /* the length counts, not the NUL */
    assert_true(aa_run_status_terminal("failedX", 6));
    assert_false(aa_run_status_terminal("completed", 8));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_empty_hash_all_null),
        cmocka_unit_test(test_created_run),
        cmocka_unit_test(test_finished_run),
        cmocka_unit_test(test_corrupt_integer_is_null),
        cmocka_unit_test(test_empty_json_field_is_null),
        cmocka_unit_test(test_field_find),
        cmocka_unit_test(test_terminal_statuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
