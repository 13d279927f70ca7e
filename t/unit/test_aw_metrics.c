/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aw_metrics: the fields a worker publishes as Pmetrics:W, what each
 * observation adds to them, cumulative buckets, unknown stop reasons.
 */

#include "aa_test.h"
#include "aw_metrics.h"


/* the value of field name in the rendered fields, or NULL */
static const char *
field(const char *buf, int n, const char *name)
{
    const char  *p;
    int          i;

    p = buf;

    for (i = 0; i < n; i++) {
        const char  *value = p + strlen(p) + 1;

        if (strcmp(p, name) == 0) {
            return value;
        }

        p = value + strlen(value) + 1;
    }

    return NULL;
}


static int
render(char *buf, size_t size)
{
    int  n;

    n = aw_metrics_render(buf, size);
    assert_true(n > 0);

    return n;
}


static void
test_fields_and_counts(void **state)
{
    char  buf[8192];
    int   n;

    n = render(buf, sizeof(buf));
    assert_int_equal(n, 49);
    assert_string_equal(field(buf, n,
        "agent_async_worker_runs_total{status=\"completed\"}"), "0");

    aw_metrics_run("completed", "end_turn", 30000000, 700000000);
    aw_metrics_run("failed", "error", -1, 2000000000);
    aw_metrics_run("cancelled", "cancelled", -1, 1000);
    aw_metrics_run("completed", "something_new", 400000000000LL,
                   400000000000LL);

    n = render(buf, sizeof(buf));

    assert_string_equal(field(buf, n,
        "agent_async_worker_runs_total{status=\"completed\"}"), "2");
    assert_string_equal(field(buf, n,
        "agent_async_worker_runs_total{status=\"failed\"}"), "1");
    assert_string_equal(field(buf, n,
        "agent_async_worker_stop_reasons_total{stop_reason=\"end_turn\"}"),
        "1");
    assert_string_equal(field(buf, n,
        "agent_async_worker_stop_reasons_total{stop_reason=\"other\"}"),
        "1");

    /* 1 us, 0.7 s, 2 s, 400 s: cumulative */
    assert_string_equal(field(buf, n,
        "agent_async_worker_run_duration_seconds_bucket{le=\"0.05\"}"), "1");
    assert_string_equal(field(buf, n,
        "agent_async_worker_run_duration_seconds_bucket{le=\"1\"}"), "2");
    assert_string_equal(field(buf, n,
        "agent_async_worker_run_duration_seconds_bucket{le=\"2.5\"}"), "3");
    assert_string_equal(field(buf, n,
        "agent_async_worker_run_duration_seconds_bucket{le=\"300\"}"), "3");
    assert_string_equal(field(buf, n,
        "agent_async_worker_run_duration_seconds_bucket{le=\"+Inf\"}"),
        "4");
    assert_string_equal(field(buf, n,
        "agent_async_worker_run_duration_seconds_count"), "4");
    assert_string_equal(field(buf, n,
        "agent_async_worker_run_duration_seconds_sum"), "402.700001");

    /* runs without a first output have no ttft */
    assert_string_equal(field(buf, n, "agent_async_worker_ttft_seconds_count"),
                        "2");
    assert_string_equal(field(buf, n,
        "agent_async_worker_ttft_seconds_bucket{le=\"0.05\"}"), "1");
    assert_string_equal(field(buf, n, "agent_async_worker_ttft_seconds_sum"),
                        "400.030000");
}


static void
test_callbacks_and_redis(void **state)
{
    char  buf[8192];
    int   n;

    aw_metrics_callback(AW_CALLBACK_DELIVERED);
    aw_metrics_callback(AW_CALLBACK_RETRIED);
    aw_metrics_callback(AW_CALLBACK_RETRIED);
    aw_metrics_callback(AW_CALLBACK_N);     /* ignored */
    aw_metrics_redis_error();
    aw_metrics_redis_reconnect();
    aw_metrics_redis_reconnect();

    n = render(buf, sizeof(buf));

    assert_string_equal(field(buf, n,
        "agent_async_worker_callbacks_total{outcome=\"delivered\"}"), "1");
    assert_string_equal(field(buf, n,
        "agent_async_worker_callbacks_total{outcome=\"retried\"}"), "2");
    assert_string_equal(field(buf, n,
        "agent_async_worker_callbacks_total{outcome=\"given_up\"}"), "0");
    assert_string_equal(field(buf, n,
        "agent_async_worker_redis_errors_total"), "1");
    assert_string_equal(field(buf, n,
        "agent_async_worker_redis_reconnects_total"), "2");
}


static void
test_too_small(void **state)
{
    char  buf[512];

    assert_int_equal(aw_metrics_render(buf, sizeof(buf)), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_fields_and_counts),
        cmocka_unit_test(test_callbacks_and_redis),
        cmocka_unit_test(test_too_small),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
