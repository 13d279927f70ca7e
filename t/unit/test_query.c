/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Query strings as JSON objects (src/common/aa_query.c).
 */

#include "aa_test.h"

#include "aa_query.h"


static const char *const  lists[] = { "statuses", "agent_ids", NULL };


static void
expect(const char *args, const char *json)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    assert_int_equal(aa_query_json(args, strlen(args), lists, &b), 0);
    aa_buf_cstr(&b);
    assert_string_equal(b.data, json);
    aa_buf_free(&b);
}


static void
test_pairs(void **state)
{
    expect("", "{}");
    expect("limit=10", "{\"limit\":\"10\"}");
    expect("a=1&b=2", "{\"a\":\"1\",\"b\":\"2\"}");
    expect("a=1&&b=2&", "{\"a\":\"1\",\"b\":\"2\"}");
    expect("flag", "{\"flag\":\"\"}");
    expect("a=", "{\"a\":\"\"}");
    expect("a=x=y", "{\"a\":\"x=y\"}");

    /* a scalar takes its last value, in the place of its first */
    expect("order=asc&limit=5&order=desc", "{\"order\":\"desc\","
           "\"limit\":\"5\"}");
}


static void
test_lists(void **state)
{
    expect("statuses=created&statuses=running",
           "{\"statuses\":[\"created\",\"running\"]}");
    expect("statuses=created", "{\"statuses\":[\"created\"]}");
    expect("statuses=a&limit=1&statuses=b",
           "{\"statuses\":[\"a\",\"b\"],\"limit\":\"1\"}");
    expect("statuses", "{\"statuses\":[\"\"]}");

    /* the name may be encoded */
    expect("status%65s=x&statuses=y", "{\"statuses\":[\"x\",\"y\"]}");
}


static void
test_decoding(void **state)
{
    aa_buf_t  b;

    expect("q=a%20b+c", "{\"q\":\"a b c\"}");
    expect("q=%2B%26%3D", "{\"q\":\"+&=\"}");
    expect("q=%22quoted%22%5C", "{\"q\":\"\\\"quoted\\\"\\\\\"}");
    expect("q=%e2%9c%93", "{\"q\":\"\xe2\x9c\x93\"}");

    /* not hex, cut short: kept as they are */
    expect("q=%zz", "{\"q\":\"%zz\"}");
    expect("q=%4", "{\"q\":\"%4\"}");
    expect("q=%", "{\"q\":\"%\"}");

    /* not UTF-8: U+FFFD */
    expect("q=%ff", "{\"q\":\"\\ufffd\"}");

    /* NUL, encoded or not, cannot be a string here */
    aa_buf_init(&b);
    assert_int_equal(aa_query_json("q=a%00b", 7, lists, &b), -1);
    aa_buf_free(&b);

    aa_buf_init(&b);
    assert_int_equal(aa_query_json("q=a\0b", 5, lists, &b), -1);
    aa_buf_free(&b);

    aa_buf_init(&b);
    assert_int_equal(aa_query_json("statuses=%00", 12, lists, &b), -1);
    aa_buf_free(&b);
}


static void
test_bounded(void **state)
{
    char      args[64 * 4 + 16];
    size_t    i, n;
    aa_buf_t  b;

    for (i = 0, n = 0; i < AA_QUERY_MAX_PAIRS; i++) {
        n += sprintf(args + n, "a=%zu&", i % 10);
    }

    aa_buf_init(&b);
    assert_int_equal(aa_query_json(args, n, lists, &b), 0);
    aa_buf_free(&b);

    strcpy(args + n, "b=1");
    aa_buf_init(&b);
    assert_int_equal(aa_query_json(args, n + 3, lists, &b), -1);
    aa_buf_free(&b);

    /* many separators are too many pairs, empty or not */
    aa_buf_init(&b);
    memset(args, '&', 200);
    assert_int_equal(aa_query_json(args, 200, lists, &b), -1);
    aa_buf_free(&b);
}


static void
test_parses_back(void **state)
{
    aa_buf_t  b;
    yajl_val  v;

    aa_buf_init(&b);
    assert_int_equal(aa_query_json("limit=10&statuses=a&statuses=b&x=%7B",
                                   36, lists, &b), 0);
    v = aa_t_parse_buf(&b);
    assert_string_equal(aa_t_str(v, "limit"), "10");
    assert_int_equal(aa_t_len(v, "statuses"), 2);
    assert_string_equal(aa_t_str(v, "statuses/1"), "b");
    assert_string_equal(aa_t_str(v, "x"), "{");
    yajl_tree_free(v);
    aa_buf_free(&b);
}


static void
test_bool(void **state)
{
    size_t       i;
    int          v;
    const char  *yes[] = { "true", "True", "TRUE", "t", "yes", "y", "on",
                           "1" };
    const char  *no[] = { "false", "f", "no", "n", "off", "0", "OFF" };
    const char  *bad[] = { "", "2", "truthy", "nope", " true", "-1" };

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        v = -1;
        assert_int_equal(aa_query_bool(yes[i], &v), 0);
        assert_int_equal(v, 1);
    }

    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        v = -1;
        assert_int_equal(aa_query_bool(no[i], &v), 0);
        assert_int_equal(v, 0);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(aa_query_bool(bad[i], &v), -1);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_decoding),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_parses_back),
        cmocka_unit_test(test_bool),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
