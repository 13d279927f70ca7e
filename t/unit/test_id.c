/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_id: UUID v4 generation and the "<prefix>-<uuid4>" validator.
 */

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aa_test.h"
#include "aa_id.h"


#define GOOD_UUID  "7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e90"


static int
valid_uuid(const char *s)
{
    return aa_uuid4_valid(s, strlen(s));
}


static int
valid_agent(const char *s)
{
    return aa_id_valid("agent", s, strlen(s));
}


static void
test_uuid4_format(void **state)
{
    int   i;
    char  u[AA_UUID_LEN + 1];

    for (i = 0; i < 200; i++) {
        memset(u, 'X', sizeof(u));
        assert_int_equal(aa_uuid4(u), 0);
        assert_int_equal(strlen(u), AA_UUID_LEN);
        assert_true(aa_t_is_uuid4(u));
        assert_true(valid_uuid(u));
    }
}


static void
test_uuid4_unique(void **state)
{
    int   i, j;
    char  u[64][AA_UUID_LEN + 1];

    for (i = 0; i < 64; i++) {
        assert_int_equal(aa_uuid4(u[i]), 0);
        for (j = 0; j < i; j++) {
            assert_string_not_equal(u[i], u[j]);
        }
    }
}


/* past several refills of the per-thread block: still no repeat */
static void
test_uuid4_unique_refills(void **state)
{
    int          i, j, n;
    static char  u[2000][AA_UUID_LEN + 1];

    n = 2000;       /* 32,000 bytes: the 4,096-byte block refilled 7 times */

    for (i = 0; i < n; i++) {
        assert_int_equal(aa_uuid4(u[i]), 0);
    }

    for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++) {
            assert_string_not_equal(u[i], u[j]);
        }
    }
}


/* a forked child must not make the ids its parent makes next */
static void
test_uuid4_fork(void **state)
{
    int    fds[2], status;
    char   parent[AA_UUID_LEN + 1], child[AA_UUID_LEN + 1], warm[64];
    pid_t  pid;

    /* the parent's block is filled, with most of it left */
    assert_int_equal(aa_uuid4(warm), 0);
    assert_int_equal(pipe(fds), 0);

    pid = fork();
    assert_true(pid >= 0);

    if (pid == 0) {
        close(fds[0]);
        if (aa_uuid4(child) != 0
            || write(fds[1], child, sizeof(child)) != sizeof(child))
        {
            _exit(1);
        }
        _exit(0);
    }

    close(fds[1]);
    assert_int_equal(aa_uuid4(parent), 0);
    assert_int_equal(read(fds[0], child, sizeof(child)), sizeof(child));
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    assert_string_not_equal(parent, child);
}


static void *
uuid4_thread(void *arg)
{
    aa_uuid4(arg);
    return NULL;
}


/* threads draw from blocks of their own */
static void
test_uuid4_threads(void **state)
{
    int        i, j;
    char       u[8][AA_UUID_LEN + 1];
    pthread_t  t[8];

    for (i = 0; i < 8; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, uuid4_thread, u[i]), 0);
    }

    for (i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_true(aa_uuid4_valid(u[i], strlen(u[i])));
        for (j = 0; j < i; j++) {
            assert_string_not_equal(u[i], u[j]);
        }
    }
}


/* aa_random: any length, a long one past the block too */
static void
test_random_lengths(void **state)
{
    unsigned char  a[5000], b[5000], zero[5000];

    memset(zero, 0, sizeof(zero));
    assert_int_equal(aa_random(a, sizeof(a)), 0);
    assert_int_equal(aa_random(b, sizeof(b)), 0);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_int_equal(aa_random(a, 1), 0);
    assert_int_equal(aa_random(a, 0), 0);
}


static void
test_uuid4_bits(void **state)
{
    int   i, seen[16];
    char  u[AA_UUID_LEN + 1];

    /* every variant nibble 8..b shows up: the variant bits are masked */
    memset(seen, 0, sizeof(seen));

    for (i = 0; i < 400; i++) {
        aa_uuid4(u);
        seen[strchr("0123456789abcdef", u[19]) - "0123456789abcdef"] = 1;
    }

    for (i = 0; i < 16; i++) {
        assert_int_equal(seen[i], i >= 8 && i <= 11);
    }
}


static void
test_id_new(void **state)
{
    char  out[AA_ID_MAX];

    assert_int_equal(aa_id_new("run", out, sizeof(out)), 40);
    assert_int_equal(strlen(out), 40);
    assert_memory_equal(out, "run-", 4);
    assert_true(aa_t_is_uuid4(out + 4));
    assert_true(aa_id_valid("run", out, 40));
    assert_false(aa_id_valid("agent", out, 40));

    assert_int_equal(aa_id_new("agent", out, sizeof(out)), 42);
    assert_true(valid_agent(out));

    /* exactly enough room, and one byte less */
    assert_int_equal(aa_id_new("run", out, 41), 40);
    assert_int_equal(aa_id_new("run", out, 40), -1);
    assert_int_equal(aa_id_new("", out, 38), 37);
    assert_int_equal(out[0], '-');
}


static void
test_uuid_valid_edges(void **state)
{
    assert_true(valid_uuid(GOOD_UUID));
    assert_true(valid_uuid("00000000-0000-4000-8000-000000000000"));
    assert_true(valid_uuid("ffffffff-ffff-4fff-bfff-ffffffffffff"));

    /* upper case is not canonical */
    assert_false(valid_uuid("7D3E3C54-8A35-4F53-B1A4-5F1F7C0D8E90"));
    assert_false(valid_uuid("7d3e3c54-8a35-4f53-B1a4-5f1f7c0d8e90"));

    /* version nibble */
    assert_false(valid_uuid("7d3e3c54-8a35-1f53-b1a4-5f1f7c0d8e90"));
    assert_false(valid_uuid("7d3e3c54-8a35-5f53-b1a4-5f1f7c0d8e90"));

    /* variant nibble: 8, 9, a, b only */
    assert_true(valid_uuid("7d3e3c54-8a35-4f53-81a4-5f1f7c0d8e90"));
    assert_true(valid_uuid("7d3e3c54-8a35-4f53-91a4-5f1f7c0d8e90"));
    assert_true(valid_uuid("7d3e3c54-8a35-4f53-a1a4-5f1f7c0d8e90"));
    assert_false(valid_uuid("7d3e3c54-8a35-4f53-71a4-5f1f7c0d8e90"));
    assert_false(valid_uuid("7d3e3c54-8a35-4f53-c1a4-5f1f7c0d8e90"));
    assert_false(valid_uuid("7d3e3c54-8a35-4f53-01a4-5f1f7c0d8e90"));

    /* shape */
    assert_false(valid_uuid("7d3e3c548a354f53b1a45f1f7c0d8e90"));
    assert_false(valid_uuid("7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e9"));
    assert_false(valid_uuid("7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e900"));
    assert_false(valid_uuid("7d3e3c5-48a35-4f53-b1a4-5f1f7c0d8e90"));
    assert_false(valid_uuid("7d3e3c54_8a35-4f53-b1a4-5f1f7c0d8e90"));
    assert_false(valid_uuid("7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e9g"));
    assert_false(valid_uuid("{7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e9}"));
    assert_false(valid_uuid(""));
}


static void
test_id_valid_edges(void **state)
{
    assert_true(valid_agent("agent-" GOOD_UUID));
    assert_false(valid_agent("agent-" "7D3E3C54-8A35-4F53-B1A4-5F1F7C0D8E90"));
    assert_false(valid_agent("agent-123"));
    assert_false(valid_agent("agent_" GOOD_UUID));
    assert_false(valid_agent("agents" GOOD_UUID));
    assert_false(valid_agent("run-" GOOD_UUID));
    assert_false(valid_agent("Agent-" GOOD_UUID));
    assert_false(valid_agent("agent-" GOOD_UUID "0"));
    assert_false(valid_agent(GOOD_UUID));
    assert_false(valid_agent(""));

    /* the length given counts, not the NUL */
    assert_true(aa_id_valid("agent", "agent-" GOOD_UUID "trailing", 42));
    assert_false(aa_id_valid("agent", "agent-" GOOD_UUID, 41));

    assert_true(aa_id_valid("run", "run-" GOOD_UUID, 40));
    assert_true(aa_id_valid("user", "user-" GOOD_UUID, 41));
    assert_false(aa_id_valid("run", "run-7d3e3c54-8a35-3f53-b1a4-5f1f7c0d8e90",
                             40));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_uuid4_format),
        cmocka_unit_test(test_uuid4_unique),
        cmocka_unit_test(test_uuid4_unique_refills),
        cmocka_unit_test(test_uuid4_fork),
        cmocka_unit_test(test_uuid4_threads),
        cmocka_unit_test(test_random_lengths),
        cmocka_unit_test(test_uuid4_bits),
        cmocka_unit_test(test_id_new),
        cmocka_unit_test(test_uuid_valid_edges),
        cmocka_unit_test(test_id_valid_edges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
