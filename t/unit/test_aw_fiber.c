/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Fibers (src/worker/aw_fiber.c): run until they yield, resumed where
 * they yielded, interleaved, their stacks their own.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aw_fiber.h"


static char  trace[64];


static void
count(void *arg)
{
    char   name, local[1024];
    int    i;

    name = *(char *) arg;

    /* a deep-ish frame, its bytes kept across yields */
    memset(local, name, sizeof(local));

    for (i = 0; i < 3; i++) {
        strncat(trace, &name, 1);
        assert_ptr_equal(aw_fiber_current()->arg, arg);
        aw_fiber_yield();
        assert_int_equal(local[i * 100], name);
    }
}


static void
test_interleave(void **state)
{
    aw_fiber_t  a, b;
    char        na, nb;

    na = 'a';
    nb = 'b';
    trace[0] = '\0';

    assert_int_equal(aw_fiber_init(&a, count, &na), 0);
    assert_int_equal(aw_fiber_init(&b, count, &nb), 0);
    assert_null(aw_fiber_current());

    while (!a.done || !b.done) {
        if (!a.done) {
            aw_fiber_resume(&a);
        }
        if (!b.done) {
            aw_fiber_resume(&b);
        }
        assert_null(aw_fiber_current());
    }

    assert_string_equal(trace, "ababab");

    aw_fiber_free(&a);
    aw_fiber_free(&b);
}


static void
once(void *arg)
{
    (*(int *) arg)++;
}


static void
test_run_to_end(void **state)
{
    aw_fiber_t  f;
    int         n, i;

    /* many fibers, one after the other: nothing leaks */
    for (i = 0; i < 100; i++) {
        n = 0;
        assert_int_equal(aw_fiber_init(&f, once, &n), 0);
        aw_fiber_resume(&f);
        assert_true(f.done);
        assert_int_equal(n, 1);
        aw_fiber_free(&f);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_interleave),
        cmocka_unit_test(test_run_to_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
