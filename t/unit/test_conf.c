/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_conf: the prefix, tenant and database rules that the module's
 * directives and the worker's options share.
 */

#include "aa_test.h"
#include "aa_conf.h"


#define LENGTH     "must be 1 to 64 characters long"
#define PRINTABLE  "must be printable ASCII characters without spaces"
#define BRACES                                                                \
    "must not contain \"{\" or \"}\", they delimit the keys' hash tags"
#define TENANT_CHARS                                                          \
    "may only contain letters, digits, \"-\", \"_\" and \".\""


static const char *
prefix(const char *s)
{
    return aa_conf_prefix_check(s, strlen(s));
}


static const char *
tenant(const char *s)
{
    return aa_conf_tenant_check(s, strlen(s));
}


/* "" and max + 1 bytes are refused, max bytes accepted */

static void
expect_lengths(const char *(*check)(const char *s, size_t len), size_t max)
{
    char  s[128];

    assert_true(max + 1 < sizeof(s));
    memset(s, 'x', sizeof(s));

    assert_string_equal(check("", 0), LENGTH);
    assert_null(check(s, 1));
    assert_null(check(s, max));
    assert_string_equal(check(s, max + 1), LENGTH);
}


static void
test_prefix_ok(void **state)
{
    expect_lengths(aa_conf_prefix_check, AA_CONF_PREFIX_MAX);

    assert_null(prefix("aa:"));
    assert_null(prefix("x"));
    assert_null(prefix("my-app/v2:runs|"));
    assert_null(prefix("!~"));

    /* len counts, not the NUL */
    assert_null(aa_conf_prefix_check("aa:{x}", 3));
}


static void
test_prefix_bad(void **state)
{
    assert_string_equal(prefix("my app:"), PRINTABLE);
    assert_string_equal(prefix("a\tb"), PRINTABLE);
    assert_string_equal(prefix("a\nb"), PRINTABLE);
    assert_string_equal(prefix("a\x7f"), PRINTABLE);
    assert_string_equal(prefix("caf\xc3\xa9:"), PRINTABLE);
    assert_string_equal(aa_conf_prefix_check("a\0b", 3), PRINTABLE);

    assert_string_equal(prefix("aa{x:"), BRACES);
    assert_string_equal(prefix("aa}:"), BRACES);
    assert_string_equal(prefix("{"), BRACES);
}


static void
test_tenant_ok(void **state)
{
    expect_lengths(aa_conf_tenant_check, AA_CONF_TENANT_MAX);

    assert_null(tenant("default"));
    assert_null(tenant("Ab-9_x.y"));
    assert_null(tenant("0"));

    assert_null(aa_conf_tenant_check("ab:c", 2));
}


static void
test_tenant_bad(void **state)
{
    /* the key separator, hash tags, paths, spaces, non-ASCII */
    assert_string_equal(tenant("a:b"), TENANT_CHARS);
    assert_string_equal(tenant("te{n}"), TENANT_CHARS);
    assert_string_equal(tenant("ten/ant"), TENANT_CHARS);
    assert_string_equal(tenant("a b"), TENANT_CHARS);
    assert_string_equal(tenant("caf\xc3\xa9"), TENANT_CHARS);
    assert_string_equal(tenant("a*"), TENANT_CHARS);
    assert_string_equal(aa_conf_tenant_check("a\0", 2), TENANT_CHARS);
}


static void
test_db(void **state)
{
    assert_null(aa_conf_db_check(0));
    assert_null(aa_conf_db_check(15));
    assert_null(aa_conf_db_check(AA_CONF_DB_MAX));
    assert_int_equal(AA_CONF_DB_MAX, 1023);
    assert_int_equal(AA_CONF_PREFIX_MAX, 64);
    assert_int_equal(AA_CONF_TENANT_MAX, 64);

    assert_string_equal(aa_conf_db_check(1024), "must be between 0 and 1023");
    assert_string_equal(aa_conf_db_check(-1), "must be between 0 and 1023");
    assert_string_equal(aa_conf_db_check(65535),
                        "must be between 0 and 1023");
    assert_non_null(aa_conf_db_check(INT64_MAX));
    assert_non_null(aa_conf_db_check(INT64_MIN));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_prefix_ok),
        cmocka_unit_test(test_prefix_bad),
        cmocka_unit_test(test_tenant_ok),
        cmocka_unit_test(test_tenant_bad),
        cmocka_unit_test(test_db),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
