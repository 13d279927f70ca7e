/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_url: URLs without user-info, query and fragment, for logs.
 */

#include "aa_test.h"
#include "aa_url.h"


static void
expect(const char *url, const char *want)
{
    char    out[256];
    size_t  n;

    memset(out, 'X', sizeof(out));
    n = aa_url_redact(out, sizeof(out), url, strlen(url));
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}


static void
test_user_info(void **state)
{
    expect("https://user:secret@host/path", "https://host/path");
    expect("http://user@host/x", "http://host/x");
    expect("http://:secret@host/x", "http://host/x");
    expect("http://@host/", "http://host/");
    expect("http://u:p@host", "http://host");
    expect("http://u:p@host:8080", "http://host:8080");
    expect("http://u:p@[::1]:8080/x", "http://[::1]:8080/x");
    expect("HTTPS://U:P@H/", "HTTPS://H/");

    /* user-info ends at the last "@" of the authority */
    expect("http://u:p@ss@host/x", "http://host/x");
    expect("http://u@a:p@b@host/x", "http://host/x");
}


static void
test_query_fragment(void **state)
{
    expect("https://host/hook?token=secret", "https://host/hook");
    expect("https://host/hook#secret", "https://host/hook");
    expect("https://host/hook?a=1#f", "https://host/hook");
    expect("https://host?token=secret", "https://host");
    expect("https://host#secret", "https://host");
    expect("https://host/?", "https://host/");
    expect("https://u:p@host:8443/a/b?x=1#f", "https://host:8443/a/b");
}


static void
test_at_outside_the_authority(void **state)
{
    /* an "@" in the path, the query or the fragment is not user-info */
    expect("http://host/users/@me", "http://host/users/@me");
    expect("http://host/a@b/c?d@e", "http://host/a@b/c");
    expect("http://host?to=a@b", "http://host");
    expect("http://host#a@b", "http://host");
}


static void
test_unchanged(void **state)
{
    expect("http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook");
    expect("https://example.test/a/b/c", "https://example.test/a/b/c");
    expect("ftp://host/x", "ftp://host/x");
    expect("", "");
}


static void
test_no_scheme(void **state)
{
    /* curl reads "u:p@host/x" as http with user-info: so do we */
    expect("u:p@host/x", "host/x");
    expect("host/x?y", "host/x");
    expect("host", "host");
}


static void
test_control_characters(void **state)
{
    expect("http://host/a\nb", "http://host/a?b");
    expect("http://host/a\r\n\tb\x7f", "http://host/a???b?");
}


static void
test_truncation(void **state)
{
    char        out[10];
    const char  *url = "https://u:p@host/path?q";

    memset(out, 'X', sizeof(out));
    assert_int_equal(aa_url_redact(out, sizeof(out), url, strlen(url)),
                     strlen("https://host/path"));
    assert_string_equal(out, "https://h");

    memset(out, 'X', sizeof(out));
    assert_int_equal(aa_url_redact(out, 1, url, strlen(url)),
                     strlen("https://host/path"));
    assert_string_equal(out, "");
    assert_int_equal(out[1], 'X');

    /* exactly fits */
    memset(out, 'X', sizeof(out));
    assert_int_equal(aa_url_redact(out, 10, "http://h/x", 10), 10);
    assert_string_equal(out, "http://h/");
    assert_int_equal(aa_url_redact(out, 10, "http://h/", 9), 9);
    assert_string_equal(out, "http://h/");
}


static void
test_length_counts(void **state)
{
    char  out[64];

    /* len bytes are read, not up to a NUL */
    assert_int_equal(aa_url_redact(out, sizeof(out),
                                   "http://u:p@host/x?secret", 17), 13);
    assert_string_equal(out, "http://host/x");

    assert_int_equal(aa_url_redact(out, sizeof(out), "http://host/x", 11),
                     11);
    assert_string_equal(out, "http://host");

    /* a NUL inside is a control character */
    assert_int_equal(aa_url_redact(out, sizeof(out), "http://h/a\0b", 12),
                     12);
    assert_memory_equal(out, "http://h/a?b", 13);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_user_info),
        cmocka_unit_test(test_query_fragment),
        cmocka_unit_test(test_at_outside_the_authority),
        cmocka_unit_test(test_unchanged),
        cmocka_unit_test(test_no_scheme),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_length_counts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
