/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_json_doc: the arena tree is aa_json_parse()'s tree, value for value
 * (numbers' i, d, text and flags included), and refuses what it refuses
 * with the same reason.
 */

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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


/*
 * both parsers on s: the same tree, or the same refusal; which path built
 * the document (1 fast, 0 yajl), -1 when refused
 */
static int
both(const char *s, size_t len)
{
    int             fast;
    char            e1[128], e2[128];
    yajl_val        t;
    aa_json_doc_t  *d;

    t = aa_json_parse_depth(s, len, AA_JSON_MAX_DEPTH, e1, sizeof(e1));
    d = aa_json_doc_parse(s, len, AA_JSON_MAX_DEPTH, e2, sizeof(e2));

    fast = -1;

    if (t == NULL || d == NULL) {
        if ((t == NULL) != (d == NULL)) {
            fail_msg("%.60s: one parser refused it (%s / %s)", s,
                     t ? "" : e1, d ? "" : e2);
        }
        assert_string_equal(e1, e2);

    } else {
        same_tree(t, aa_json_doc_root(d), s);
        fast = aa_json_doc_fast(d);
    }

    yajl_tree_free(t);
    aa_json_doc_free(d);

    return fast;
}


static int
both_str(const char *s)
{
    return both(s, strlen(s));
}


/*
 * both() on s followed by pad spaces: past AA_DOC_CACHE_MIN, the text has
 * the tables of shared scalars; the same result as without
 */
static int
both_padded(const char *s, size_t len, size_t pad)
{
    int    fast;
    char  *t;

    t = malloc(len + pad + 1);
    assert_non_null(t);
    memcpy(t, s, len);
    memset(t + len, ' ', pad);
    t[len + pad] = '\0';

    fast = both(t, len + pad);
    free(t);

    return fast;
}


/* the same tree, built by the fast path, padded or not */
static void
fast_str(const char *s)
{
    if (both_str(s) != 1 || both_padded(s, strlen(s), 5000) != 1) {
        fail_msg("%.60s: not taken by the fast path", s);
    }
}


/* the same tree or refusal, and not by the fast path, padded or not */
static void
slow_str(const char *s)
{
    if (both_str(s) == 1 || both_padded(s, strlen(s), 5000) == 1) {
        fail_msg("%.60s: taken by the fast path", s);
    }
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


/* the fast path: what it takes, and the same tree as yajl's */
static void
test_fast(void **state)
{
    fast_str("{}");
    fast_str("[]");
    fast_str(" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \"a\" : null } ] \n");
    fast_str("{\"a\":[1,2,{\"b\":null,\"c\":[true,false]}],\"d\":\"e\"}");
    fast_str("[[[[[]]]],{},[{}],\"\"]");
    fast_str("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
             "\"max_steps\":5}");

    /* escapes, decoded as yajl decodes them, in strings and keys */
    fast_str("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]");
    fast_str("[\"\\u0001\\u001f\\u007f\\u0080\\u07ff\\u0800\\uffff\"]");
    fast_str("[\"\\u00e9\\u00E9\\u20AC x \\ud83d\\ude00\\uD800\\uDC00"
             "\\udbff\\udfff\"]");
    fast_str("{\"k\\n\\\"\":\"v\\t\\\\\",\"\\ud83d\\ude00\":1,\"\\u0041\":2}");
    fast_str("[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"\x7f\"]");

    /* shared short values: the same text of another kind stays apart */
    fast_str("[1,1,\"1\",\"1\",{\"1\":1},-1,1.0,1e0,\"\",\"\",true,true]");
    fast_str("{\"a\":\"a\",\"b\":[\"a\",\"a\"],\"c\":{\"a\":\"b\"}}");
    fast_str("[1234567,1234567,12345678,12345678,\"1234567\",\"12345678\"]");

    /* what the fast path leaves to yajl, accepted or refused alike */
    slow_str("null");
    slow_str("\"s\"");
    slow_str("12");
    slow_str("[1,\f2]");
    slow_str("[1,\v2]");
    slow_str("[\"a\tb\"]");
    slow_str("[\"\\x\"]");
    slow_str("[\"\\u12\"]");
    slow_str("[\"\\u12g4\"]");
    slow_str("[\"\\\xc3\xa9\"]");
    slow_str("[tru]");
    slow_str("[nul]");
    slow_str("[fals]");
    slow_str("[truex]");
    slow_str("[1x]");
    slow_str("[-]");
    slow_str("[-a]");
    slow_str("[1e]");
    slow_str("[1e+]");
    slow_str("[.5]");
    slow_str("[+1]");
    slow_str("[1.e3]");
    slow_str("[0x10]");
    slow_str("[00]");
    slow_str("{\"a\"}");
    slow_str("{\"a\":}");
    slow_str("{\"a\":1,}");
    slow_str("{,}");
    slow_str("{1:2}");
    slow_str("[1 2]");
    slow_str("[1}");
    slow_str("{\"a\":1]");
    slow_str("[\"unterminated");
    slow_str("[1,");
    slow_str("[] []");
    slow_str("[]x");

    /* a duplicate, and a syntax error after it: yajl's reason first */
    slow_str("{\"a\":1,\"a\":2}");
    slow_str("{\"a\":{\"b\":1,\"b\":2},\"c\":[1,}");
    slow_str("[{\"long key\":1,\"long key\":2}]");
    slow_str("[{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,"
             "\"k7\":7,\"k8\":8,\"k9\":9,\"k3\":10}]");
    fast_str("[{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,"
             "\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10},{\"k1\":1}]");
}


/*
 * Random documents, and random damage to them: whatever the fast path
 * takes must be yajl's tree, whatever it refuses yajl's reason.
 */

#define AA_T_RANDOM_DOCS  20000

static uint64_t  rnd_state = 0x2545f4914f6cdd1dULL;

static unsigned
rnd(unsigned n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;

    return (unsigned) (rnd_state % n);
}


static void
rnd_value(char **p, int depth)
{
    static const char *const  atoms[] = {
        "0", "-0", "7", "42", "-13", "1.5", "-0.25", "1e3", "2E-2", "6.02e+23",
        "9223372036854775807", "9223372036854775808", "1e400", "true",
        "false", "null", "\"\"", "\"a\"", "\"user\"", "\"\\n\\t\\\"\"",
        "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"caf\xc3\xa9\"",
        "\"a somewhat longer string\"", " 1 ", "\"\\/\""
    };
    static const char *const  keys[] = {
        "a", "b", "role", "content", "k\\n", "\\u0041", "longer key", "x"
    };
    unsigned  i, n;

    if (depth > 4 || rnd(3) == 0) {
        *p += sprintf(*p, "%s", atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))]);
        return;
    }

    n = rnd(5);

    if (rnd(2)) {
        *(*p)++ = '[';
        for (i = 0; i < n; i++) {
            if (i) {
                *(*p)++ = ',';
            }
            rnd_value(p, depth + 1);
        }
        *(*p)++ = ']';
        return;
    }

    *(*p)++ = '{';
    for (i = 0; i < n; i++) {
        *p += sprintf(*p, "%s\"%s\":", i ? "," : "",
                      keys[rnd(sizeof(keys) / sizeof(keys[0]))]);
        rnd_value(p, depth + 1);
    }
    *(*p)++ = '}';
}


static void
test_random(void **state)
{
    static const char  damage[] = "{}[]\",:\\ \tu0e.-+x\x80\xc3";
    char               buf[65536], *p;
    size_t             len;
    unsigned           i, k, fast;

    fast = 0;

    for (i = 0; i < AA_T_RANDOM_DOCS; i++) {
        p = buf;
        *p++ = rnd(2) ? '[' : '{';
        if (buf[0] == '{') {
            p += sprintf(p, "\"v\":");
        }
        rnd_value(&p, 0);
        *p++ = buf[0] == '[' ? ']' : '}';
        *p = '\0';
        len = (size_t) (p - buf);

        /* every other one damaged: a byte changed, dropped or added */
        if (i % 2) {
            k = rnd((unsigned) len);

            switch (rnd(3)) {
            case 0:
                buf[k] = damage[rnd(sizeof(damage) - 1)];
                break;
            case 1:
                memmove(buf + k, buf + k + 1, len - k);
                len--;
                break;
            default:
                memmove(buf + k + 1, buf + k, len - k + 1);
                buf[k] = damage[rnd(sizeof(damage) - 1)];
                len++;
            }
        }

        /* every third one long enough to share its short scalars */
        if ((i % 3 == 0 ? both_padded(buf, len, 4096) : both(buf, len))
            == 1)
        {
            fast++;
        }
    }

    /* the undamaged ones, about half, are the fast path's */
    assert_true(fast > AA_T_RANDOM_DOCS * 2 / 5);
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

    /*
     * as many values as a text can hold, on the stack at once: the bound
     * the mapped stack is sized for, by the fast path.  Checked without
     * yajl_tree, whose arrays grow by realloc() one value at a time
     * (quadratic under ASan).
     */
    for (i = 0; i < 3; i++) {
        size_t          n;
        yajl_val        a;
        aa_json_doc_t  *d;

        p = s;
        p += sprintf(p, "%s", i == 0 ? "[" : i == 1 ? "[[" : "{\"a\":[");
        for (n = 0; p - s < 1100000; n++) {
            p += sprintf(p, "%d,", (int) (n % 10));
        }
        p += sprintf(p, "%s", i == 0 ? "0]" : i == 1 ? "0],[]]" : "0]}");

        d = aa_json_doc_parse(s, (size_t) (p - s), AA_JSON_MAX_DEPTH, NULL,
                              0);
        assert_non_null(d);
        assert_int_equal(aa_json_doc_fast(d), 1);

        a = aa_json_doc_root(d);
        a = i == 0 ? a : i == 1 ? a->u.array.values[0] : a->u.object.values[0];
        assert_true(YAJL_IS_ARRAY(a));
        assert_int_equal(a->u.array.len, n + 1);
        assert_int_equal(YAJL_GET_INTEGER(a->u.array.values[n - 1]),
                         (n - 1) % 10);
        assert_int_equal(YAJL_GET_INTEGER(a->u.array.values[n]), 0);

        aa_json_doc_free(d);
    }

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
        cmocka_unit_test(test_fast),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_large),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
