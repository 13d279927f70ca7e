/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The worker's reconnect backoff (src/worker/aw_backoff.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "aw_backoff.h"


static void
assert_jittered(int wait, int step)
{
    assert_true(wait >= step * 3 / 4);
    assert_true(wait <= step);
}


static void
test_doubles_to_the_cap(void **state)
{
    aw_backoff_t  b;
    int           i, step;

    aw_backoff_init(&b, 100, 5000);

    /* never a success: no free retry, 100 ms doubling */
    step = 100;

    for (i = 0; i < 12; i++) {
        assert_jittered(aw_backoff_failure(&b), step);
        assert_int_equal(b.step_ms, step);
        step = step * 2 > 5000 ? 5000 : step * 2;
    }

    assert_int_equal(b.step_ms, 5000);
    assert_int_equal(b.failures, 12);
}


static void
test_first_failure_after_success_is_free(void **state)
{
    aw_backoff_t  b;

    aw_backoff_init(&b, 100, 5000);

    aw_backoff_failure(&b);
    aw_backoff_failure(&b);
    assert_int_equal(b.step_ms, 200);

    aw_backoff_success(&b);
    assert_int_equal(b.failures, 0);

    /* a restarted server: at once, then the ladder from the bottom */
    assert_int_equal(aw_backoff_failure(&b), 0);
    assert_jittered(aw_backoff_failure(&b), 100);
    assert_jittered(aw_backoff_failure(&b), 200);
    assert_int_equal(b.failures, 3);
}


static void
test_reconnect_alone_resets_nothing(void **state)
{
    aw_backoff_t  b;
    int           i;

    aw_backoff_init(&b, 100, 5000);
    aw_backoff_success(&b);

    /*
     * A server that accepts and drops at the first command: the connect
     * "works" each time, but only a reply counts, so the waits grow.
     */
    assert_int_equal(aw_backoff_failure(&b), 0);

    for (i = 0; i < 6; i++) {
        assert_true(aw_backoff_failure(&b) > 0);
    }

    assert_int_equal(b.step_ms, 3200);
}


static void
test_jitter_varies(void **state)
{
    aw_backoff_t  b;
    int           i, seen[2] = { 0, 0 }, w;

    srandom(1);

    for (i = 0; i < 200; i++) {
        aw_backoff_init(&b, 1000, 1000);
        w = aw_backoff_failure(&b);
        assert_jittered(w, 1000);
        seen[w < 875]++;
    }

    /* both halves of the 750..1000 range come up */
    assert_true(seen[0] > 20);
    assert_true(seen[1] > 20);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_doubles_to_the_cap),
        cmocka_unit_test(test_first_failure_after_success_is_free),
        cmocka_unit_test(test_reconnect_alone_resets_nothing),
        cmocka_unit_test(test_jitter_varies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
