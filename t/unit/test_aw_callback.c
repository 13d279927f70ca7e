/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The body of a run's callback (src/worker/aw_callback_payload.c).
 */

#include "aa_test.h"

#include "aa_run.h"
#include "aw_callback_payload.h"


#define RUN  "run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21"
#define NOW  "2026-05-14T10:00:07.000001Z"

#define USER_MSG                                                              \
    "{\"id\":\"message-1\",\"message_type\":\"user_message\","                \
    "\"content\":\"hi\"}"
#define ASSISTANT_MSG                                                         \
    "{\"id\":\"message-2\",\"message_type\":\"assistant_message\","           \
    "\"content\":\"hi\"}"


static const char *const  msgs[] = { USER_MSG, ASSISTANT_MSG };
static const size_t       lens[] = { sizeof(USER_MSG) - 1,
                                     sizeof(ASSISTANT_MSG) - 1 };


static void
field(aa_field_t *f, const char *name, const char *value)
{
    f->name = name;
    f->name_len = strlen(name);
    f->value = value;
    f->value_len = strlen(value);
}


static yajl_val
payload(aa_field_t *f, size_t nf, size_t nmsgs)
{
    aa_buf_t  b;
    yajl_val  v;

    aa_buf_init(&b);
    aw_callback_payload(&b, RUN, f, nf, msgs, lens, nmsgs, NOW);
    v = aa_t_parse_buf(&b);
    aa_buf_free(&b);

    return v;
}


static void
test_completed(void **state)
{
    aa_field_t  f[5];
    yajl_val    v;

    field(&f[0], "status", "completed");
    field(&f[1], "stop_reason", "end_turn");
    field(&f[2], "usage", "{\"completion_tokens\":1,\"prompt_tokens\":1,"
                          "\"total_tokens\":2,\"step_count\":1}");
    field(&f[3], "metadata", "{\"run_type\":\"send_message_async\","
                             "\"lettuce\":null}");
    field(&f[4], "request_config", "{\"use_assistant_message\":true,"
                                   "\"include_return_message_types\":null}");

    v = payload(f, 5, 2);

    assert_string_equal(aa_t_str(v, "run_id"), RUN);
    assert_string_equal(aa_t_str(v, "status"), "completed");
    assert_string_equal(aa_t_str(v, "completed_at"), NOW);

    /* the stored metadata, kept, with the result added */
    assert_string_equal(aa_t_str(v, "metadata/run_type"),
                        "send_message_async");
    assert_int_equal(aa_t_type(v, "metadata/lettuce"), yajl_t_null);

    assert_int_equal(aa_t_len(v, "metadata/result/messages"), 2);
    assert_string_equal(aa_t_str(v, "metadata/result/messages/0/id"),
                        "message-1");
    assert_string_equal(aa_t_str(v, "metadata/result/messages/1/id"),
                        "message-2");
    assert_string_equal(aa_t_str(v, "metadata/result/stop_reason/"
                                    "message_type"), "stop_reason");
    assert_string_equal(aa_t_str(v, "metadata/result/stop_reason/"
                                    "stop_reason"), "end_turn");
    assert_int_equal(aa_t_int(v, "metadata/result/usage/total_tokens"), 2);
    assert_int_equal(aa_t_type(v, "metadata/result/logprobs"), yajl_t_null);
    assert_int_equal(aa_t_type(v, "metadata/result/turns"), yajl_t_null);

    yajl_tree_free(v);
}


static void
test_filtered_by_type(void **state)
{
    aa_field_t  f[2];
    yajl_val    v;

    field(&f[0], "status", "completed");
    field(&f[1], "request_config", "{\"include_return_message_types\":"
                                   "[\"assistant_message\"]}");

    v = payload(f, 2, 2);
    assert_int_equal(aa_t_len(v, "metadata/result/messages"), 1);
    assert_string_equal(aa_t_str(v, "metadata/result/messages/0/id"),
                        "message-2");
    yajl_tree_free(v);

    /* an empty list lets nothing through */
    field(&f[1], "request_config", "{\"include_return_message_types\":[]}");

    v = payload(f, 2, 2);
    assert_int_equal(aa_t_len(v, "metadata/result/messages"), 0);
    yajl_tree_free(v);
}


static void
test_cancelled_without_output(void **state)
{
    size_t       i;
    aa_field_t   f[2];
    yajl_val     v;
    const char  *metadata[] = { "{}", "not json", "[1,2]", "" };

    field(&f[0], "status", "cancelled");

    for (i = 0; i < sizeof(metadata) / sizeof(metadata[0]); i++) {
        field(&f[1], "metadata", metadata[i]);

        v = payload(f, 2, 0);

        /* whatever was stored, metadata is an object with the result */
        assert_int_equal(aa_t_type(v, "metadata"), yajl_t_object);
        assert_int_equal(aa_t_get(v, "metadata")->u.object.len, 1);
        assert_string_equal(aa_t_str(v, "status"), "cancelled");
        assert_int_equal(aa_t_len(v, "metadata/result/messages"), 0);
        assert_int_equal(aa_t_type(v, "metadata/result/stop_reason/"
                                      "stop_reason"), yajl_t_null);

        /* no usage stored: zeros */
        assert_int_equal(aa_t_int(v, "metadata/result/usage/"
                                     "completion_tokens"), 0);
        assert_int_equal(aa_t_int(v, "metadata/result/usage/step_count"),
                         0);
        yajl_tree_free(v);
    }

    /* no metadata at all */
    v = payload(f, 1, 0);
    assert_int_equal(aa_t_get(v, "metadata")->u.object.len, 1);
    yajl_tree_free(v);
}


static void
test_failed_keeps_error(void **state)
{
    aa_field_t  f[3];
    yajl_val    v;

    field(&f[0], "status", "failed");
    field(&f[1], "stop_reason", "error");
    field(&f[2], "metadata", "{\"run_type\":\"send_message_async\","
                             "\"error\":\"the echo backend failed\"}");

    v = payload(f, 3, 0);
    assert_string_equal(aa_t_str(v, "metadata/error"),
                        "the echo backend failed");
    assert_string_equal(aa_t_str(v, "metadata/result/stop_reason/"
                                    "stop_reason"), "error");
    yajl_tree_free(v);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_completed),
        cmocka_unit_test(test_filtered_by_type),
        cmocka_unit_test(test_cancelled_without_output),
        cmocka_unit_test(test_failed_keeps_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
