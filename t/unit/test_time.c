/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_time: run and message timestamp formats.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aa_test.h"
#include "aa_time.h"


static void
expect_run(int64_t us, const char *want)
{
    char    out[32];
    size_t  n;

    memset(out, 'X', sizeof(out));
    n = aa_time_run(us, out);
    assert_int_equal(n, AA_TIME_RUN_LEN);
    assert_string_equal(out, want);
}


static void
expect_msg(int64_t us, const char *want)
{
    char    out[32];
    size_t  n;

    memset(out, 'X', sizeof(out));
    n = aa_time_msg(us, out);
    assert_int_equal(n, AA_TIME_MSG_LEN);
    assert_string_equal(out, want);
}


static void
test_epoch(void **state)
{
    expect_run(0, "1970-01-01T00:00:00.000000Z");
    expect_msg(0, "1970-01-01T00:00:00+00:00");
    expect_run(1, "1970-01-01T00:00:00.000001Z");
}


static void
test_known_instants(void **state)
{
    expect_run(1778752800123456LL, "2026-05-14T10:00:00.123456Z");
    expect_msg(1778752800123456LL, "2026-05-14T10:00:00+00:00");

    /* leap days, end of day: the fraction is truncated, never rounded */
    expect_run(1709251199999999LL, "2024-02-29T23:59:59.999999Z");
    expect_msg(1709251199999999LL, "2024-02-29T23:59:59+00:00");
    expect_run(951825600000000LL, "2000-02-29T12:00:00.000000Z");
    expect_run(4102444799000000LL, "2099-12-31T23:59:59.000000Z");
}


/* against gmtime_r() and printf, over every day from 1970 to 2400 */
static void
test_against_libc(void **state)
{
    char       want[64], got[32];
    int64_t    day, us;
    time_t     sec;
    struct tm  tm;

    srandom(42);

    /* 157,054 days: 1970-01-01 to 2400-01-01 */
    for (day = 0; day < 157054; day++) {
        /* a random moment of the day, a random fraction */
        us = (day * 86400 + random() % 86400) * 1000000 + random() % 1000000;
        sec = (time_t) (us / 1000000);
        gmtime_r(&sec, &tm);

        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (int) (us % 1000000));
        aa_time_run(us, got);
        if (strcmp(got, want) != 0) {
            fail_msg("%lld: %s, not %s", (long long) us, got, want);
        }

        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d+00:00",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
        aa_time_msg(us, got);
        if (strcmp(got, want) != 0) {
            fail_msg("%lld: %s, not %s", (long long) us, got, want);
        }
    }
}


static void
test_negative_clamps(void **state)
{
    expect_run(-1, "1970-01-01T00:00:00.000000Z");
    expect_msg(-5000000, "1970-01-01T00:00:00+00:00");
}


static void
test_clocks(void **state)
{
    int64_t  a, b, now;

    now = aa_now_us();
    /* after 2025-01-01 and before 2200 */
    assert_true(now > 1735689600000000LL);
    assert_true(now < 7258118400000000LL);

    a = aa_mono_ns();
    b = aa_mono_ns();
    assert_true(a > 0);
    assert_true(b >= a);
}


static void
test_parse_run(void **state)
{
    size_t       i;
    int64_t      us, t;
    char         out[32];

    static const char  *bad[] = {
        "", "2026-05-14T10:00:00.123456", "2026-05-14 10:00:00.123456Z",
        "2026-13-14T10:00:00.123456Z", "2026-02-30T10:00:00.123456Z",
        "2026-05-14T24:00:00.123456Z", "2026-05-14T10:60:00.123456Z",
        "2026-05-14T10:00:00.12345xZ", "20x6-05-14T10:00:00.123456Z",
        "2026-05-14T10:00:00.123456Z ",
    };

    /* every instant written is read back */
    for (t = 0; t < 4102444800LL * 1000000; t += 86399876543LL) {
        aa_time_run(t, out);
        assert_int_equal(aa_time_parse_run(out, strlen(out), &us), 0);
        assert_true(us == t);
    }

    assert_int_equal(aa_time_parse_run("2026-05-14T10:00:00.123456Z", 27,
                                       &us), 0);
    assert_true(us == 1778752800123456LL);
    assert_int_equal(aa_time_parse_run("2024-02-29T00:00:00.000000Z", 27,
                                       &us), 0);
    assert_true(us == 1709164800000000LL);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (aa_time_parse_run(bad[i], strlen(bad[i]), &us) == 0) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_epoch),
        cmocka_unit_test(test_known_instants),
        cmocka_unit_test(test_against_libc),
        cmocka_unit_test(test_negative_clamps),
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_parse_run),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
