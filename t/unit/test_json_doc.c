/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_json_doc: the arena tree is aa_json_parse()'s tree, value for value
 * (numbers' i, d, text and flags included), and refuses what it refuses
 * with the same reason.
 */

#include <math.h>
#include <stdio.h>

#include "aa_test.h"
#include "aa_json.h"
#include "aa_json_doc.h"


static void
same_tree(yajl_val a, yajl_val b, const char *where)
{
    size_t  i;

    if (a == NULL || b == NULL) {
        assert_ptr_equal(a, b);
        return;
    }

    if (a->type != b->type) {
        fail_msg("%s: types %d and %d", where, a->type, b->type);
    }

    switch (a->type) {

    case yajl_t_string:
        assert_string_equal(a->u.string, b->u.string);
        break;

    case yajl_t_number:
        assert_string_equal(a->u.number.r, b->u.number.r);
        if (a->u.number.flags != b->u.number.flags) {
            fail_msg("%s: %s: flags %u and %u", where, a->u.number.r,
                     a->u.number.flags, b->u.number.flags);
        }
        if (a->u.number.flags & YAJL_NUMBER_INT_VALID) {
            assert_true(a->u.number.i == b->u.number.i);
        }
        if (a->u.number.flags & YAJL_NUMBER_DOUBLE_VALID) {
            /* bit for bit: -0 and 0 differ */
            assert_memory_equal(&a->u.number.d, &b->u.number.d,
                                sizeof(double));
        }
        break;

    case yajl_t_object:
        assert_int_equal(a->u.object.len, b->u.object.len);
        for (i = 0; i < a->u.object.len; i++) {
            assert_string_equal(a->u.object.keys[i], b->u.object.keys[i]);
            same_tree(a->u.object.values[i], b->u.object.values[i], where);
        }
        break;

    case yajl_t_array:
        assert_int_equal(a->u.array.len, b->u.array.len);
        for (i = 0; i < a->u.array.len; i++) {
            same_tree(a->u.array.values[i], b->u.array.values[i], where);
        }
        break;

    default:
        break;
    }
}


/* both parsers on s: the same tree, or the same refusal */
static void
both(const char *s, size_t len)
{
    char            e1[128], e2[128];
    yajl_val        t;
    aa_json_doc_t  *d;

    t = aa_json_parse_depth(s, len, AA_JSON_MAX_DEPTH, e1, sizeof(e1));
    d = aa_json_doc_parse(s, len, AA_JSON_MAX_DEPTH, e2, sizeof(e2));

    if (t == NULL || d == NULL) {
        if ((t == NULL) != (d == NULL)) {
            fail_msg("%.60s: one parser refused it (%s / %s)", s,
                     t ? "" : e1, d ? "" : e2);
        }
        assert_string_equal(e1, e2);

    } else {
        same_tree(t, aa_json_doc_root(d), s);
    }

    yajl_tree_free(t);
    aa_json_doc_free(d);
}


static void
both_str(const char *s)
{
    both(s, strlen(s));
}


static void
test_values(void **state)
{
    both_str("{}");
    both_str("[]");
    both_str("null");
    both_str("true");
    both_str("\"s\"");
    both_str("{\"a\":[1,2,{\"b\":null,\"c\":[true,false]}],\"d\":\"\\u00e9\"}");
    both_str("[[[[[]]]],{},[{}],\"\"]");
    both_str("{\"k\\n\\\"\":\"v\\t\\\\\",\"\\ud83d\\ude00\":1}");
    both_str("  {\"a\" : 1 , \"b\" : [ ] }  ");
}


static void
test_numbers(void **state)
{
    both_str("[0,-0,1,-1,7,10,123456789,-123456789]");
    both_str("[9223372036854775807,-9223372036854775807]");
    both_str("[9223372036854775808,-9223372036854775808]");
    both_str("[18446744073709551615,18446744073709551616,"
             "99999999999999999999999]");
    both_str("[0.0,-0.0,1.5,-1.5,1e3,1E3,1e-3,-2.5e+10,0.1,3.14159]");
    both_str("[1e400,-1e400,1e-400,9007199254740993,9007199254740993.0]");
    both_str("[123456789012345678901234567890e-10]");
}


static void
test_refusals(void **state)
{
    both_str("");
    both_str("{");
    both_str("[1,]");
    both_str("{\"a\":1,\"a\":2}");
    both_str("{\"a\":{\"b\":1,\"b\":1}}");
    both_str("[01]");
    both_str("[1.]");
    both_str("{\"a\" 1}");
    both_str("/* c */ {}");
    both_str("[\"\\u0000\"]");
    both_str("[\"\xc0\x80\"]");
    both_str("{} {}");
    both_str("[1] x");
    both("[1\0]", 4);
}


static void
test_depth(void **state)
{
    char  deep[300];
    int   i;

    for (i = 0; i < 64; i++) {
        deep[i] = '[';
        deep[127 - i] = ']';
    }
    deep[128] = '\0';
    both_str(deep);

    for (i = 0; i < 65; i++) {
        deep[i] = '[';
        deep[129 - i] = ']';
    }
    deep[130] = '\0';
    both_str(deep);
}


/* past the arena's first block, and an object with many keys */
static void
test_large(void **state)
{
    char    *s, *p;
    size_t   i;

    s = malloc(2 * 1024 * 1024);
    assert_non_null(s);

    p = s;
    p += sprintf(p, "{\"a\":[");
    for (i = 0; i < 100000; i++) {
        p += sprintf(p, "%s%zu", i ? "," : "", i * 7919 % 100003);
    }
    p += sprintf(p, "],\"o\":{");
    for (i = 0; i < 5000; i++) {
        p += sprintf(p, "%s\"k%zu\":[\"v%zu\",%zu.5]", i ? "," : "", i, i, i);
    }
    p += sprintf(p, "},\"s\":\"");
    for (i = 0; i < 300000; i++) {
        *p++ = 'x';
    }
    p += sprintf(p, "\"}");

    both(s, (size_t) (p - s));

    /* the same many keys, one twice: refused alike */
    p = s;
    p += sprintf(p, "{");
    for (i = 0; i < 5000; i++) {
        p += sprintf(p, "\"k%zu\":1,", i);
    }
    p += sprintf(p, "\"k4321\":2}");
    both(s, (size_t) (p - s));

    free(s);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_large),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
