/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_json: guarded parsing (depth, NUL, comments, \u0000, duplicate keys,
 * UTF-8) and object lookup.
 */

#include "aa_test.h"
#include "aa_json.h"


/* Parses a C string; returns the tree or NULL with err filled. */

static yajl_val
parse(const char *s, char *err, size_t errlen)
{
    return aa_json_parse(s, strlen(s), err, errlen);
}


static void
expect_reject(const char *s, size_t len, const char *err_prefix)
{
    char      err[128];
    yajl_val  v;

    memset(err, 'X', sizeof(err));

    v = aa_json_parse(s, len, err, sizeof(err));
    assert_null(v);
    assert_true(strlen(err) > 0);
    assert_null(strchr(err, '\n'));

    if (strncmp(err, err_prefix, strlen(err_prefix)) != 0) {
        fail_msg("err \"%s\" does not start with \"%s\"", err, err_prefix);
    }
}


/* n nested arrays: "[[[...]]]" */

static char *
nested(size_t n, char open, char close)
{
    char    *s;
    size_t   i;

    s = malloc(2 * n + 1);
    assert_non_null(s);

    for (i = 0; i < n; i++) {
        s[i] = open;
        s[2 * n - 1 - i] = close;
    }

    s[2 * n] = '\0';

    return s;
}


static void
test_parse_ok(void **state)
{
    char      err[64];
    yajl_val  v;

    v = parse("{\"a\":[1,2.5,\"x\",true,false,null],\"b\":{\"c\":\"d\"}}",
              err, sizeof(err));
    assert_non_null(v);
    assert_string_equal(err, "");

    assert_true(YAJL_IS_ARRAY(aa_json_get(v, "a")));
    assert_int_equal(aa_json_get(v, "a")->u.array.len, 6);
    assert_string_equal(aa_json_get(aa_json_get(v, "b"), "c")->u.string, "d");
    assert_null(aa_json_get(v, "c"));
    assert_null(aa_json_get(v, ""));
    assert_null(aa_json_get(aa_json_get(v, "a"), "0"));
    assert_null(aa_json_get(NULL, "a"));

    yajl_tree_free(v);

    /* scalars at the top */
    v = parse(" \"s\" ", err, sizeof(err));
    assert_true(YAJL_IS_STRING(v));
    assert_null(aa_json_get(v, "s"));
    yajl_tree_free(v);
}


static void
test_depth_limit(void **state)
{
    char      err[64];
    char     *s;
    yajl_val  v;

    s = nested(AA_JSON_MAX_DEPTH, '[', ']');
    v = parse(s, err, sizeof(err));
    assert_non_null(v);
    yajl_tree_free(v);
    free(s);

    s = nested(AA_JSON_MAX_DEPTH + 1, '[', ']');
    expect_reject(s, strlen(s), "nesting too deep");
    free(s);

    /* mixed objects and arrays count alike */
    s = malloc(8 * (AA_JSON_MAX_DEPTH + 1) + 1);
    assert_non_null(s);
    s[0] = '\0';
    for (int i = 0; i <= AA_JSON_MAX_DEPTH; i++) {
        strcat(s, i % 2 ? "[" : "{\"k\":");
    }
    expect_reject(s, strlen(s), "nesting too deep");
    free(s);

    /* sibling containers do not add up */
    s = malloc(4 * 1000 + 3);
    assert_non_null(s);
    strcpy(s, "[");
    for (int i = 0; i < 1000; i++) {
        strcat(s, i ? ",[1]" : "[1]");
    }
    strcat(s, "]");
    v = parse(s, err, sizeof(err));
    assert_non_null(v);
    assert_int_equal(v->u.array.len, 1000);
    yajl_tree_free(v);
    free(s);
}


static void
test_depth_param(void **state)
{
    char      err[64];
    char     *s;
    yajl_val  v;

    s = nested(10, '[', ']');

    v = aa_json_parse_depth(s, strlen(s), 10, err, sizeof(err));
    assert_non_null(v);
    yajl_tree_free(v);

    v = aa_json_parse_depth(s, strlen(s), 9, err, sizeof(err));
    assert_null(v);
    assert_string_equal(err, "nesting too deep");
    free(s);

    /* never above AA_JSON_MAX_DEPTH */
    s = nested(AA_JSON_MAX_DEPTH + 1, '[', ']');
    v = aa_json_parse_depth(s, strlen(s), 1000, err, sizeof(err));
    assert_null(v);
    assert_string_equal(err, "nesting too deep");
    free(s);
}


static void
test_depth_bomb(void **state)
{
    char    *s;
    size_t   n;

    /* 100000 '[' and nothing else: rejected before yajl recurses */
    n = 100000;
    s = malloc(n + 1);
    assert_non_null(s);
    memset(s, '[', n);
    s[n] = '\0';

    expect_reject(s, n, "nesting too deep");

    /* the same with objects */
    for (size_t i = 0; i + 5 <= n; i += 5) {
        memcpy(s + i, "{\"a\":", 5);
    }
    expect_reject(s, n, "nesting too deep");

    free(s);
}


static void
test_brackets_in_strings(void **state)
{
    char      err[64], *s;
    size_t    n;
    yajl_val  v;

    /* 1000 '[' inside a string are not nesting */
    n = 1000;
    s = malloc(n + 5);
    assert_non_null(s);
    s[0] = '[';
    s[1] = '"';
    memset(s + 2, '[', n);
    memcpy(s + 2 + n, "\"]", 3);

    v = parse(s, err, sizeof(err));
    assert_non_null(v);
    assert_int_equal(strlen(v->u.array.values[0]->u.string), n);
    yajl_tree_free(v);

    /* an escaped quote does not end the string */
    s[2] = '\\';
    s[3] = '"';
    v = parse(s, err, sizeof(err));
    assert_non_null(v);
    yajl_tree_free(v);

    /* an escaped backslash does: the quote after it closes the string */
    memcpy(s + 2, "\\\\\"", 3);
    expect_reject(s, strlen(s), "nesting too deep");

    free(s);
}


static void
test_invalid_utf8(void **state)
{
    char      err[64];
    yajl_val  v;

    expect_reject("{\"a\":\"\xff\"}", 9, "invalid UTF-8");
    expect_reject("[\"\xc3\"]", 5, "invalid UTF-8");
    expect_reject("[\"\xe2\x82\"]", 6, "invalid UTF-8");
    expect_reject("[\"\x80\"]", 5, "invalid UTF-8");

    /* what yajl alone lets through */
    expect_reject("[\"\xc0\x80\"]", 6, "invalid UTF-8");
    expect_reject("[\"\xe0\x80\x80\"]", 7, "invalid UTF-8");
    expect_reject("[\"\xed\xa0\x80\"]", 7, "invalid UTF-8");
    expect_reject("[\"\xf4\x90\x80\x80\"]", 8, "invalid UTF-8");
    expect_reject("[\"\xf8\x88\x80\x80\x80\"]", 9, "invalid UTF-8");

    /* outside strings too */
    expect_reject("[1]\xc3\xa9", 5, "parse error");
    expect_reject("[1]\xff", 4, "invalid UTF-8");

    /* the extremes of each length pass */
    v = parse("[\"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
              "\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"]",
              err, sizeof(err));
    assert_non_null(v);
    assert_int_equal(strlen(v->u.array.values[0]->u.string), 1 + 4 + 12 + 8);
    yajl_tree_free(v);
}


static void
test_syntax_errors(void **state)
{
    expect_reject("", 0, "parse error");
    expect_reject("{", 1, "parse error");
    expect_reject("[1,]", 4, "parse error");
    expect_reject("[1] x", 5, "parse error: trailing garbage");
    expect_reject("{'a':1}", 7, "lexical error");
    expect_reject("[\"a\nb\"]", 6, "lexical error");
    expect_reject("[01]", 4, "");
    expect_reject("[NaN]", 5, "");
}


static void
test_nul_and_comments(void **state)
{
    char      err[64];
    yajl_val  v;

    /* a NUL byte would hide the rest from yajl */
    expect_reject("{\"a\":1}\0garbage", 15, "invalid NUL byte");
    expect_reject("[\"a\0b\"]", 7, "invalid NUL byte");

    expect_reject("[1 /* c */]", 11, "comments are not allowed");
    expect_reject("// c\n[1]", 8, "comments are not allowed");

    /* a slash inside a string is fine */
    v = parse("[\"a/b//c/*d*/\"]", err, sizeof(err));
    assert_non_null(v);
    assert_string_equal(v->u.array.values[0]->u.string, "a/b//c/*d*/");
    yajl_tree_free(v);
}


static void
test_u0000(void **state)
{
    char      err[64];
    yajl_val  v;

    expect_reject("[\"a\\u0000b\"]", 12, "\\u0000 is not supported");
    expect_reject("{\"k\\u0000\":1}", 13, "\\u0000 is not supported");

    /* an escaped backslash followed by u0000 is plain text */
    v = parse("[\"\\\\u0000\"]", err, sizeof(err));
    assert_non_null(v);
    assert_string_equal(v->u.array.values[0]->u.string, "\\u0000");
    yajl_tree_free(v);

    /* other escapes are decoded */
    v = parse("[\"\\u0041\\u00e9\\n\"]", err, sizeof(err));
    assert_non_null(v);
    assert_string_equal(v->u.array.values[0]->u.string, "A\xc3\xa9\n");
    yajl_tree_free(v);
}


static void
test_surrogates(void **state)
{
    char      err[128];
    yajl_val  v;

    expect_reject("[\"\\ud800\"]", 10, "lone surrogate escape");
    expect_reject("[\"\\udfff x\"]", 12, "lone surrogate escape");
    expect_reject("[\"\\ud800\\u0041\"]", 16, "lone surrogate escape");
    expect_reject("[\"\\uD800\\uD800\"]", 16, "lone surrogate escape");
    expect_reject("[\"\\ud800\\", 9, "lone surrogate escape");

    /* a pair is one character, in either case of hex digits */
    v = parse("[\"\\ud83d\\ude00\",\"\\uD83D\\uDE00\"]", err, sizeof(err));
    assert_non_null(v);
    assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(v)->values[0]),
                        "\xf0\x9f\x98\x80");
    assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(v)->values[1]),
                        "\xf0\x9f\x98\x80");
    yajl_tree_free(v);
}


static void
test_duplicate_keys(void **state)
{
    char      err[64], *s;
    yajl_val  v;

    expect_reject("{\"a\":1,\"a\":2}", 13, "duplicate key in object");
    s = "{\"x\":[{\"r\":\"user\",\"r\":\"system\"}]}";
    expect_reject(s, strlen(s), "duplicate key in object");

    /* a large object (sorted path) with the duplicate far apart */
    s = malloc(64 * 12 + 16);
    assert_non_null(s);
    strcpy(s, "{");
    for (int i = 0; i < 64; i++) {
        sprintf(s + strlen(s), "%s\"k%d\":%d", i ? "," : "", i, i);
    }
    strcat(s, "}");

    v = parse(s, err, sizeof(err));
    assert_non_null(v);
    assert_int_equal(v->u.object.len, 64);
    assert_int_equal(aa_json_get(v, "k63")->u.number.i, 63);
    yajl_tree_free(v);

    strcpy(s + strlen(s) - 1, ",\"k5\":0}");
    expect_reject(s, strlen(s), "duplicate key in object");
    free(s);

    /* the same key in different objects is fine */
    v = parse("[{\"a\":1},{\"a\":2,\"b\":{\"a\":3}}]", err, sizeof(err));
    assert_non_null(v);
    yajl_tree_free(v);
}


static void
test_err_buffer(void **state)
{
    char      err[8];
    yajl_val  v;

    /* err may be NULL */
    v = aa_json_parse("[", 1, NULL, 0);
    assert_null(v);

    /* a short buffer is cut and still NUL-terminated */
    memset(err, 'X', sizeof(err));
    v = aa_json_parse("[", 1, err, sizeof(err));
    assert_null(v);
    assert_int_equal(strlen(err), sizeof(err) - 1);

    memset(err, 'X', sizeof(err));
    v = aa_json_parse("[1 //", 5, err, sizeof(err));
    assert_null(v);
    assert_string_equal(err, "comment");
}


static void
test_numbers_keep_text(void **state)
{
    char      err[64];
    yajl_val  v;

    v = parse("[1.50e3, 18446744073709551616, -0, 1e999]", err, sizeof(err));
    assert_non_null(v);
    assert_string_equal(YAJL_GET_NUMBER(v->u.array.values[0]), "1.50e3");
    assert_false(YAJL_IS_INTEGER(v->u.array.values[1]));
    assert_string_equal(YAJL_GET_NUMBER(v->u.array.values[1]),
                        "18446744073709551616");
    assert_true(YAJL_IS_INTEGER(v->u.array.values[2]));
    assert_false(YAJL_IS_DOUBLE(v->u.array.values[3]));
    yajl_tree_free(v);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_depth_param),
        cmocka_unit_test(test_depth_bomb),
        cmocka_unit_test(test_brackets_in_strings),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_nul_and_comments),
        cmocka_unit_test(test_u0000),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_err_buffer),
        cmocka_unit_test(test_numbers_keep_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
