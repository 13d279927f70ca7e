/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_keys: the Redis key names of docs/redis-keys.md.
 */

#include "aa_test.h"
#include "aa_keys.h"


#define A  "agent-7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e90"
#define R  "run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21"
#define P  AA_PREFIX_DEFAULT


static void
expect_key(int n, const char *out, const char *want)
{
    assert_int_equal(n, (int) strlen(want));
    assert_string_equal(out, want);
}


static void
test_agent_keys(void **state)
{
    char  k[AA_KEY_MAX];

    assert_string_equal(P, "aa:");

    expect_key(aa_key_agent(k, sizeof(k), P, A), k, "aa:{" A "}:agent");
    expect_key(aa_key_queue(k, sizeof(k), P, A), k, "aa:{" A "}:queue");
    expect_key(aa_key_agent_runs(k, sizeof(k), P, A), k, "aa:{" A "}:runs");
    /* R carries slot 0x1d21 = 7457, whose tag is "6yA" (test_slot.c) */
    expect_key(aa_key_run(k, sizeof(k), P, R), k, "aa:{6yA}:run:" R);
    expect_key(aa_key_run_messages(k, sizeof(k), P, R), k,
               "aa:{6yA}:run:" R ":messages");
    expect_key(aa_key_run_steps(k, sizeof(k), P, R), k,
               "aa:{6yA}:run:" R ":steps");
    assert_int_equal(aa_key_run(k, sizeof(k), P, "run-x"), -1);
    assert_string_equal(k, "");
    expect_key(aa_key_history(k, sizeof(k), P, A), k,
               "aa:{" A "}:history");
}


static void
test_global_keys(void **state)
{
    char  k[AA_KEY_MAX];

    expect_key(aa_key_tenant_agents(k, sizeof(k), P, "acme"), k,
               "aa:tenant:acme:agents");
    expect_key(aa_key_tenant_agent_names(k, sizeof(k), P, "acme"), k,
               "aa:tenant:acme:agent_names");
    expect_key(aa_key_tenant_runs(k, sizeof(k), P, "acme"), k,
               "aa:tenant:acme:runs");
    expect_key(aa_key_tenant_active(k, sizeof(k), P, "acme"), k,
               "aa:tenant:acme:active");
    expect_key(aa_key_idempotency(k, sizeof(k), P, "acme", "00ff"), k,
               "aa:idem:acme:00ff");
    expect_key(aa_key_otids(k, sizeof(k), P, "agent-x", "00ff"), k,
               "aa:{agent-x}:otids:00ff");
    expect_key(aa_key_deleting(k, sizeof(k), P), k, "aa:deleting");
    expect_key(aa_key_ready(k, sizeof(k), P), k, "aa:ready");
    expect_key(aa_key_processing(k, sizeof(k), P, "h:1:x"), k,
               "aa:processing:h:1:x");
    expect_key(aa_key_workers(k, sizeof(k), P), k, "aa:workers");
    expect_key(aa_key_worker(k, sizeof(k), P, "h:1:x"), k,
               "aa:worker:h:1:x");
    expect_key(aa_key_dead(k, sizeof(k), P), k, "aa:dead");
    expect_key(aa_key_callbacks(k, sizeof(k), P), k, "aa:callbacks");
}


static void
test_other_prefix(void **state)
{
    char  k[AA_KEY_MAX];

    expect_key(aa_key_queue(k, sizeof(k), "", A), k, "{" A "}:queue");
    expect_key(aa_key_ready(k, sizeof(k), "prod:aa:"), k, "prod:aa:ready");
}


static void
test_all_agent_keys_share_hash_tag(void **state)
{
    int          i;
    char         k[AA_KEY_MAX];
    const char  *open, *close;

    for (i = 0; i < 4; i++) {
        switch (i) {
        case 0: aa_key_agent(k, sizeof(k), P, A); break;
        case 1: aa_key_queue(k, sizeof(k), P, A); break;
        case 2: aa_key_agent_runs(k, sizeof(k), P, A); break;
        default: aa_key_history(k, sizeof(k), P, A); break;
        }

        /* Redis hashes the text between the first { and the next } */
        open = strchr(k, '{');
        assert_non_null(open);
        close = strchr(open, '}');
        assert_non_null(close);
        assert_int_equal(close - open - 1, (int) strlen(A));
        assert_memory_equal(open + 1, A, strlen(A));
    }
}


static void
test_truncation(void **state)
{
    char  k[AA_KEY_MAX];
    int   len;

    len = (int) strlen("aa:ready");

    /* exactly enough room for the NUL, then one byte short */
    assert_int_equal(aa_key_ready(k, (size_t) len + 1, P), len);
    assert_int_equal(aa_key_ready(k, (size_t) len, P), -1);
    assert_int_equal(aa_key_run(k, 20, P, R), -1);
    assert_int_equal(aa_key_dead(k, 1, P), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_agent_keys),
        cmocka_unit_test(test_global_keys),
        cmocka_unit_test(test_other_prefix),
        cmocka_unit_test(test_all_agent_keys_share_hash_tag),
        cmocka_unit_test(test_truncation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
