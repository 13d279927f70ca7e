/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_errors: FastAPI list-form 422 bodies, and aa_json_encode.
 */

#include "aa_test.h"
#include "aa_json.h"


static yajl_val
tree(const char *s)
{
    char      err[128];
    yajl_val  v;

    v = aa_json_parse(s, strlen(s), err, sizeof(err));
    assert_non_null(v);

    return v;
}


static void
test_render_empty(void **state)
{
    aa_buf_t     out;
    aa_errors_t  e;

    aa_errors_init(&e);
    aa_buf_init(&out);

    assert_int_equal(aa_errors_render(&e, &out, NULL), 0);
    assert_int_equal(out.len, strlen("{\"detail\":[]}"));
    assert_memory_equal(out.data, "{\"detail\":[]}", out.len);

    aa_buf_free(&out);
    aa_errors_free(&e);
}


static void
test_item_shape(void **state)
{
    yajl_val     doc, input, item;
    aa_errors_t  e;

    input = tree("{\"messages\":[{\"content\":\"x\"}]}");

    aa_errors_init(&e);
    aa_errors_add(&e, "missing", "body/messages/0/role", "Field required",
                  aa_t_get(input, "messages/0"));
    aa_errors_add(&e, "value_error", "body", "Value error, \"quoted\"", NULL);
    assert_int_equal(e.count, 2);

    doc = aa_t_errors(&e);
    assert_int_equal(aa_t_len(doc, "detail"), 2);
    assert_int_equal(aa_t_len(doc, ""), 1);

    item = aa_t_get(doc, "detail/0");
    assert_int_equal(aa_t_len(item, ""), 4);
    assert_string_equal(aa_t_str(item, "type"), "missing");
    assert_true(aa_t_loc_is(aa_t_get(item, "loc"), "body/messages/0/role"));
    assert_true(YAJL_IS_INTEGER(aa_t_get(item, "loc/2")));
    assert_string_equal(aa_t_str(item, "msg"), "Field required");
    assert_string_equal(aa_t_str(item, "input/content"), "x");

    /* input omitted when NULL */
    item = aa_t_get(doc, "detail/1");
    assert_int_equal(aa_t_len(item, ""), 3);
    assert_null(aa_t_get(item, "input"));
    assert_string_equal(aa_t_str(item, "msg"), "Value error, \"quoted\"");
    assert_true(aa_t_loc_is(aa_t_get(item, "loc"), "body"));

    yajl_tree_free(doc);
    yajl_tree_free(input);
    aa_errors_free(&e);
}


static void
test_loc_segments(void **state)
{
    yajl_val     doc;
    aa_errors_t  e;

    aa_errors_init(&e);
    aa_errors_add(&e, "t", "path/agent_id", "m", NULL);
    aa_errors_add(&e, "t", "a/01x/7/x7", "m", NULL);
    aa_errors_add(&e, "t", "a/12345678901234567890123", "m", NULL);
    aa_errors_add(&e, "t", "a//b", "m", NULL);
    aa_errors_add(&e, "t", "", "m", NULL);

    doc = aa_t_errors(&e);

    assert_true(aa_t_loc_is(aa_t_get(doc, "detail/0/loc"), "path/agent_id"));

    assert_string_equal(aa_t_str(doc, "detail/1/loc/1"), "01x");
    assert_int_equal(aa_t_int(doc, "detail/1/loc/2"), 7);
    assert_string_equal(aa_t_str(doc, "detail/1/loc/3"), "x7");

    /* too many digits for an integer: kept as a string */
    assert_string_equal(aa_t_str(doc, "detail/2/loc/1"),
                        "12345678901234567890123");

    assert_int_equal(aa_t_len(doc, "detail/3/loc"), 3);
    assert_string_equal(aa_t_str(doc, "detail/3/loc/1"), "");

    assert_int_equal(aa_t_len(doc, "detail/4/loc"), 1);
    assert_string_equal(aa_t_str(doc, "detail/4/loc/0"), "");

    yajl_tree_free(doc);
    aa_errors_free(&e);
}


static void
test_add_str_and_ctx(void **state)
{
    yajl_val     doc;
    aa_errors_t  e;

    aa_errors_init(&e);
    aa_errors_add_str(&e, "string_pattern_mismatch", "path/agent_id",
                      "String should match pattern 'agent-{uuid4}'",
                      "agent-\"1\n", 9);
    aa_errors_add_str(&e, "x", "path", "m", NULL, 0);
    aa_errors_add_ctx(&e, "json_invalid", "body", "JSON decode error", NULL,
                      "parse error: premature EOF");

    doc = aa_t_errors(&e);

    assert_string_equal(aa_t_str(doc, "detail/0/input"), "agent-\"1\n");
    assert_true(YAJL_IS_NULL(aa_t_get(doc, "detail/1/input")));
    assert_null(aa_t_get(doc, "detail/2/input"));
    assert_string_equal(aa_t_str(doc, "detail/2/ctx/error"),
                        "parse error: premature EOF");
    assert_null(aa_t_get(doc, "detail/0/ctx"));

    yajl_tree_free(doc);
    aa_errors_free(&e);
}


static void
test_examples(void **state)
{
    aa_buf_t     out;
    yajl_val     doc;
    aa_errors_t  e;

    aa_errors_init(&e);
    aa_buf_init(&out);

    aa_errors_add_str(&e, "string_pattern_mismatch", "path/agent_id", "m",
                      "agent-123", 9);
    assert_int_equal(aa_errors_render(&e, &out, "[\"agent-123e4567-e89b-"
                                      "42d3-8456-426614174000\"]"), 0);

    doc = aa_t_parse_buf(&out);
    assert_int_equal(aa_t_len(doc, ""), 2);
    assert_string_equal(aa_t_str(doc, "examples/0"),
                        "agent-123e4567-e89b-42d3-8456-426614174000");
    assert_int_equal(aa_t_len(doc, "detail"), 1);

    yajl_tree_free(doc);
    aa_buf_free(&out);
    aa_errors_free(&e);
}


static void
test_max_listed(void **state)
{
    int          i;
    char         loc[32];
    yajl_val     doc;
    aa_errors_t  e;

    aa_errors_init(&e);

    for (i = 0; i < AA_ERRORS_MAX + 10; i++) {
        snprintf(loc, sizeof(loc), "body/x/%d", i);
        aa_errors_add(&e, "t", loc, "m", NULL);
        aa_errors_add_str(&e, "t", loc, "m", "s", 1);
        aa_errors_add_ctx(&e, "t", loc, "m", NULL, "c");
    }

    assert_int_equal(e.count, 3 * (AA_ERRORS_MAX + 10));

    doc = aa_t_errors(&e);
    assert_int_equal(aa_t_len(doc, "detail"), AA_ERRORS_MAX);
    /* the first ones are kept, in order */
    assert_int_equal(aa_t_int(doc, "detail/0/loc/2"), 0);
    assert_int_equal(aa_t_int(doc, "detail/3/loc/2"), 1);

    yajl_tree_free(doc);
    aa_errors_free(&e);
}


static void
test_render_failed(void **state)
{
    aa_buf_t     out;
    aa_errors_t  e;

    aa_errors_init(&e);
    aa_buf_init(&out);
    aa_errors_add(&e, "t", "body", "m", NULL);
    e.items.failed = 1;

    assert_int_equal(aa_errors_render(&e, &out, NULL), -1);
    assert_true(out.failed);

    aa_buf_free(&out);
    aa_errors_free(&e);
}


static void
test_encode_roundtrip(void **state)
{
    aa_buf_t     b;
    yajl_val     v, w;
    const char  *src;

    src = "{\"s\":\"q\\\"\\\\\\n\\t\\u0001\\u00e9/\",\"n\":[1.50e3,-0,"
          "18446744073709551616,1E+2,0.1],\"o\":{},\"a\":[],\"t\":true,"
          "\"f\":false,\"z\":null,\"k\\\"ey\":{\"deep\":[[{\"x\":1}]]}}";

    v = tree(src);

    aa_buf_init(&b);
    assert_int_equal(aa_json_encode(&b, v), 0);

    /* numbers keep the text they were sent with */
    assert_non_null(memmem(b.data, b.len, "[1.50e3,-0,18446744073709551616,"
                           "1E+2,0.1]", 37));

    w = aa_t_parse_buf(&b);
    assert_string_equal(aa_t_str(w, "s"), "q\"\\\n\t\x01\xc3\xa9/");
    assert_int_equal(aa_t_len(w, "n"), 5);
    assert_int_equal(aa_t_len(w, "o"), 0);
    assert_true(YAJL_IS_OBJECT(aa_t_get(w, "o")));
    assert_true(YAJL_IS_ARRAY(aa_t_get(w, "a")));
    assert_true(YAJL_IS_TRUE(aa_t_get(w, "t")));
    assert_true(YAJL_IS_FALSE(aa_t_get(w, "f")));
    assert_true(YAJL_IS_NULL(aa_t_get(w, "z")));
    assert_int_equal(aa_t_int(w, "k\"ey/deep/0/0/x"), 1);
    /* key order is kept */
    assert_string_equal(w->u.object.keys[0], "s");
    assert_string_equal(w->u.object.keys[7], "k\"ey");

    yajl_tree_free(w);
    yajl_tree_free(v);

    /* NULL is null */
    aa_buf_reset(&b);
    assert_int_equal(aa_json_encode(&b, NULL), 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "null", 4);

    aa_buf_free(&b);
}


static void
test_encode_lone_surrogate(void **state)
{
    aa_buf_t  b;
    yajl_val  v, w;

    /*
     * yajl decodes a lone low surrogate into bytes that are not UTF-8;
     * aa_json_parse refuses such text, but the encoder must stay safe for
     * any tree yajl can build.
     */
    v = yajl_tree_parse("[\"a\\udc00b\",\"\\ud83d\\ude00\"]", NULL, 0);
    assert_non_null(v);

    aa_buf_init(&b);
    assert_int_equal(aa_json_encode(&b, v), 0);

    w = aa_t_parse_buf(&b);
    assert_string_equal(aa_t_str(w, "0"), "a\xef\xbf\xbd\xef\xbf\xbd"
                        "\xef\xbf\xbd" "b");
    /* a proper pair survives */
    assert_string_equal(aa_t_str(w, "1"), "\xf0\x9f\x98\x80");

    yajl_tree_free(w);
    yajl_tree_free(v);
    aa_buf_free(&b);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_render_empty),
        cmocka_unit_test(test_item_shape),
        cmocka_unit_test(test_loc_segments),
        cmocka_unit_test(test_add_str_and_ctx),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_max_listed),
        cmocka_unit_test(test_render_failed),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_encode_lone_surrogate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
