/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_buf: growth, printf, JSON string escaping.
 */

#include "aa_test.h"


/* aa_buf_json_string(s, n) must produce exactly want */

static void
expect_escape(const char *s, size_t n, const char *want)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    assert_int_equal(aa_buf_json_string(&b, s, n), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    aa_buf_free(&b);
}


static void
test_init_append(void **state)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.failed, 0);

    assert_int_equal(aa_buf_append(&b, "ab", 2), 0);
    assert_int_equal(aa_buf_puts(&b, "cd"), 0);
    assert_int_equal(aa_buf_putc(&b, 'e'), 0);
    assert_int_equal(aa_buf_append(&b, NULL, 0), 0);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "abcde", 5);

    assert_int_equal(aa_buf_cstr(&b), 0);
    assert_string_equal(b.data, "abcde");
    assert_int_equal(b.len, 5);

    aa_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}


static void
test_cstr_empty(void **state)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    assert_int_equal(aa_buf_cstr(&b), 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(b.len, 0);
    aa_buf_free(&b);
}


static void
test_growth(void **state)
{
    size_t    i;
    aa_buf_t  b;

    aa_buf_init(&b);

    /* 100000 bytes, one at a time and in chunks, across many reallocs */
    for (i = 0; i < 50000; i++) {
        assert_int_equal(aa_buf_putc(&b, (char) ('a' + i % 26)), 0);
    }

    for (i = 0; i < 5000; i++) {
        assert_int_equal(aa_buf_append(&b, "0123456789", 10), 0);
    }

    assert_int_equal(b.len, 100000);
    assert_true(b.cap > b.len);

    for (i = 0; i < 50000; i++) {
        assert_int_equal(b.data[i], 'a' + i % 26);
    }

    for (i = 50000; i < 100000; i++) {
        assert_int_equal(b.data[i], '0' + (i - 50000) % 10);
    }

    aa_buf_free(&b);
}


static void
test_reset(void **state)
{
    size_t    cap;
    aa_buf_t  b;

    aa_buf_init(&b);
    aa_buf_puts(&b, "hello");
    cap = b.cap;

    aa_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, cap);
    assert_int_equal(b.failed, 0);

    aa_buf_puts(&b, "x");
    assert_int_equal(b.len, 1);
    assert_int_equal(b.data[0], 'x');

    aa_buf_free(&b);
}


static void
test_failed_is_sticky(void **state)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    aa_buf_puts(&b, "ok");
    b.failed = 1;

    assert_int_equal(aa_buf_putc(&b, 'x'), -1);
    assert_int_equal(aa_buf_puts(&b, "yz"), -1);
    assert_int_equal(aa_buf_printf(&b, "%d", 5), -1);
    assert_int_equal(aa_buf_json_string(&b, "q", 1), -1);
    assert_int_equal(aa_buf_cstr(&b), -1);
    assert_int_equal(b.len, 2);

    aa_buf_reset(&b);
    assert_int_equal(aa_buf_puts(&b, "again"), 0);
    assert_int_equal(b.len, 5);

    aa_buf_free(&b);
}


static void
test_printf(void **state)
{
    char      big[1000];
    aa_buf_t  b;

    aa_buf_init(&b);

    assert_int_equal(aa_buf_printf(&b, "%d-%s-%lld", 42, "x",
                                   (long long) -9000000000LL), 0);
    assert_int_equal(b.len, strlen("42-x--9000000000"));
    assert_memory_equal(b.data, "42-x--9000000000", b.len);

    /* longer than the first allocation */
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';

    assert_int_equal(aa_buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, 16 + 1001);
    assert_int_equal(b.data[16], '[');
    assert_int_equal(b.data[17 + 998], 'z');
    assert_int_equal(b.data[b.len - 1], ']');

    /* empty output */
    assert_int_equal(aa_buf_printf(&b, "%s", ""), 0);
    assert_int_equal(b.len, 16 + 1001);

    aa_buf_free(&b);
}


static void
test_escape_ascii(void **state)
{
    expect_escape("", 0, "\"\"");
    expect_escape("plain text", 10, "\"plain text\"");
    expect_escape("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    expect_escape("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    expect_escape("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    expect_escape("a\0b", 3, "\"a\\u0000b\"");
    expect_escape("\x7f/", 2, "\"\x7f/\"");
    /* only n bytes are read */
    expect_escape("abcdef", 3, "\"abc\"");
}


static void
test_escape_utf8(void **state)
{
    /* valid UTF-8 passes through: e-acute, euro, U+1F600, U+10FFFF */
    expect_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
                  13,
                  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");

    /* invalid bytes become U+FFFD, one per byte not part of a sequence */
    expect_escape("\xff", 1, "\"\\ufffd\"");
    expect_escape("a\x80z", 3, "\"a\\ufffdz\"");
    /* overlong NUL */
    expect_escape("\xc0\x80", 2, "\"\\ufffd\\ufffd\"");
    /* encoded surrogate U+DC00, as yajl decodes a lone \udc00 */
    expect_escape("\xed\xb0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
    /* above U+10FFFF */
    expect_escape("\xf4\x90\x80\x80", 4,
                  "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    /* truncated at the end of the input */
    expect_escape("x\xe2\x82", 3, "\"x\\ufffd\\ufffd\"");
    /* a truncated sequence followed by ASCII */
    expect_escape("\xe2\x82q", 3, "\"\\ufffd\\ufffdq\"");
}


static void
test_escape_roundtrip(void **state)
{
    char      s[256];
    size_t    i;
    aa_buf_t  b;
    yajl_val  v;

    /* every byte value: the output must be valid JSON */
    for (i = 0; i < 256; i++) {
        s[i] = (char) i;
    }

    aa_buf_init(&b);
    aa_buf_putc(&b, '[');
    aa_buf_json_string(&b, s + 1, 255);
    aa_buf_putc(&b, ']');

    v = aa_t_parse_buf(&b);
    assert_true(YAJL_IS_STRING(aa_t_get(v, "0")));
    /* the ASCII part survives unchanged */
    assert_memory_equal(aa_t_str(v, "0"), s + 1, 127);

    yajl_tree_free(v);
    aa_buf_free(&b);
}


static void
test_utf8_len(void **state)
{
    assert_int_equal(aa_buf_utf8_len("a", 1), 1);
    assert_int_equal(aa_buf_utf8_len("", 0), 0);
    assert_int_equal(aa_buf_utf8_len("\xc3\xa9", 2), 2);
    assert_int_equal(aa_buf_utf8_len("\xc3\xa9", 1), 0);
    assert_int_equal(aa_buf_utf8_len("\xe2\x82\xac", 3), 3);
    assert_int_equal(aa_buf_utf8_len("\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(aa_buf_utf8_len("\xc1\xbf", 2), 0);
    assert_int_equal(aa_buf_utf8_len("\xe0\x9f\xbf", 3), 0);
    assert_int_equal(aa_buf_utf8_len("\xed\xa0\x80", 3), 0);
    assert_int_equal(aa_buf_utf8_len("\xf0\x8f\xbf\xbf", 4), 0);
    assert_int_equal(aa_buf_utf8_len("\xf4\x90\x80\x80", 4), 0);
    assert_int_equal(aa_buf_utf8_len("\xf5\x80\x80\x80", 4), 0);
    assert_int_equal(aa_buf_utf8_len("\xe2\x28\xa1", 3), 0);
    assert_int_equal(aa_buf_utf8_len("\x80", 1), 0);
}


static void
test_string_or_null(void **state)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    aa_buf_json_string_or_null(&b, NULL, 5);
    aa_buf_putc(&b, ',');
    aa_buf_json_string_or_null(&b, "x", 1);
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "null,\"x\"", 8);
    aa_buf_free(&b);
}


static void
test_int(void **state)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    aa_buf_int(&b, 0);
    aa_buf_putc(&b, ' ');
    aa_buf_int(&b, 7);
    aa_buf_putc(&b, ' ');
    aa_buf_int(&b, -42);
    aa_buf_putc(&b, ' ');
    aa_buf_int(&b, INT64_MAX);
    aa_buf_putc(&b, ' ');
    aa_buf_int(&b, INT64_MIN);
    aa_buf_cstr(&b);
    assert_false(b.failed);
    assert_string_equal(b.data, "0 7 -42 9223372036854775807 "
                        "-9223372036854775808");
    aa_buf_free(&b);
}


/* an arena of the test's: what the module does with its request pool */
typedef struct {
    char    mem[8192];
    size_t  used;
    int     calls;
} arena_t;


static void *
arena_alloc(void *ctx, size_t size)
{
    arena_t  *a = ctx;
    void     *p;

    a->calls++;

    if (size > sizeof(a->mem) - a->used) {
        return NULL;
    }

    p = a->mem + a->used;
    a->used += size;

    return p;
}


static void
test_alloc(void **state)
{
    int       i;
    arena_t   a;
    aa_buf_t  b;

    memset(&a, 0, sizeof(a));
    aa_buf_init_alloc(&b, arena_alloc, &a);

    /* 256, then 512, 1024, 2048: each grow a new block, the text copied */
    for (i = 0; i < 150; i++) {
        assert_int_equal(aa_buf_puts(&b, "0123456789"), 0);
    }

    assert_int_equal(b.len, 1500);
    assert_int_equal(a.calls, 4);
    assert_true(b.data >= a.mem && b.data < a.mem + sizeof(a.mem));
    assert_memory_equal(b.data + 1490, "0123456789", 10);
    assert_memory_equal(b.data, "0123456789", 10);

    /* free forgets the memory and keeps the allocator */
    aa_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.ctx, &a);

    /* the arena running out fails the buffer, stickily */
    for (i = 0; i < 1000 && !b.failed; i++) {
        aa_buf_puts(&b, "0123456789");
    }

    assert_true(b.failed);
    assert_int_equal(aa_buf_putc(&b, 'x'), -1);
    aa_buf_free(&b);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_init_append),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_cstr_empty),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_failed_is_sticky),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_escape_ascii),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_escape_roundtrip),
        cmocka_unit_test(test_utf8_len),
        cmocka_unit_test(test_string_or_null),
        cmocka_unit_test(test_alloc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
