/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The callback retry schedule (src/worker/aw_delivery.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "aw_delivery.h"


static void
assert_within(long long v, long long lo, long long hi)
{
    if (v < lo || v > hi) {
        fail_msg("%lld not within %lld..%lld", v, lo, hi);
    }
}


static void
test_schedule(void **state)
{
    long       n;
    long long  step;

    /* 5 s doubling to an hour, each at 75% to 100% of its step */
    step = 5000;

    for (n = 1; n <= 20; n++) {
        assert_within(aw_delivery_delay(n, 5000, 3600000, -1),
                      step * 3 / 4, step);
        step = step * 2 > 3600000 ? 3600000 : step * 2;
    }

    assert_within(aw_delivery_delay(1000, 5000, 3600000, -1),
                  2700000, 3600000);
}


static void
test_retry_after(void **state)
{
    /* at least what the receiver asked for, within the cap */
    assert_int_equal(aw_delivery_delay(1, 1000, 60000, 30000), 30000);
    assert_int_equal(aw_delivery_delay(1, 1000, 60000, 3600000), 60000);
    assert_within(aw_delivery_delay(1, 1000, 60000, 10), 750, 1000);

    assert_int_equal(aw_delivery_retry_after("120", 0), 120000);
    assert_int_equal(aw_delivery_retry_after(" 7 ", 0), 7000);
    assert_int_equal(aw_delivery_retry_after("0", 0), 0);
    assert_int_equal(aw_delivery_retry_after("-5", 0), -1);
    assert_int_equal(aw_delivery_retry_after("12abc", 0), -1);
    assert_int_equal(aw_delivery_retry_after("soon", 0), -1);
    assert_int_equal(aw_delivery_retry_after("", 0), -1);
    assert_int_equal(aw_delivery_retry_after("99999999999999999999", 0), -1);

    /* an HTTP date: 784111777 is Sun, 06 Nov 1994 08:49:37 GMT */
    assert_int_equal(aw_delivery_retry_after(
                         "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 90),
                     90000);
    assert_int_equal(aw_delivery_retry_after(
                         "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 5),
                     0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_retry_after),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
