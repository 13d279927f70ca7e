/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_slot: Redis Cluster slots, slot tags, and run ids that carry their
 * agent's slot.  The expected slots are those CLUSTER KEYSLOT answers.
 */

#include "aa_test.h"
#include "aa_id.h"
#include "aa_keys.h"
#include "aa_slot.h"


#define A  "agent-77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b"


static void
test_slot_is_redis_keyslot(void **state)
{
    /* CLUSTER KEYSLOT of each, from a redis-server 7.0 in cluster mode */
    assert_int_equal(aa_slot("123456789", 9), 12739);
    assert_int_equal(aa_slot("foo", 3), 12182);
    assert_int_equal(aa_slot("bar", 3), 5061);
    assert_int_equal(aa_slot("0", 1), 13907);
    assert_int_equal(aa_slot("zz", 2), 14415);
    assert_int_equal(aa_slot(A, strlen(A)), 15726);
    assert_int_equal(aa_slot("", 0), 0);
}


static void
test_every_slot_has_a_short_tag(void **state)
{
    unsigned     slot;
    const char  *tag;

    for (slot = 0; slot < AA_SLOTS; slot++) {
        tag = aa_slot_tag(slot);
        assert_non_null(tag);
        assert_true(strlen(tag) >= 1 && strlen(tag) <= 3);
        assert_null(strpbrk(tag, "{}"));
        assert_int_equal(aa_slot(tag, strlen(tag)), slot);
    }

    /* CLUSTER KEYSLOT "{6yA}" is 7457, and so on */
    assert_string_equal(aa_slot_tag(7457), "6yA");
    assert_string_equal(aa_slot_tag(0), "06S");
    assert_string_equal(aa_slot_tag(16383), "6ZJ");
    assert_string_equal(aa_slot_tag(15726), "87n");

    assert_null(aa_slot_tag(AA_SLOTS));
}


static void
test_run_slot(void **state)
{
    assert_int_equal(aa_run_slot("run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21",
                                 40), 0x1d21);
    assert_int_equal(aa_run_slot("xffff", 5), 0x3fff);
    assert_int_equal(aa_run_slot("0000", 4), 0);
    assert_int_equal(aa_run_slot("abc", 3), -1);
    assert_int_equal(aa_run_slot("run-00G0", 8), -1);
    assert_int_equal(aa_run_slot("run-00A0", 8), -1);
}


static void
test_run_id_carries_slot(void **state)
{
    int       i, len, high[4];
    char      id[AA_ID_MAX];
    unsigned  slot;

    memset(high, 0, sizeof(high));

    for (i = 0; i < 4000; i++) {
        slot = (unsigned) (i * 4099) % AA_SLOTS;

        len = aa_run_id_new(slot, id, sizeof(id));
        assert_int_equal(len, 40);
        assert_true(aa_id_valid("run", id, (size_t) len));
        assert_int_equal(aa_run_slot(id, (size_t) len), (int) slot);

        /* the two bits above the slot stay random */
        high[(id[len - 4] >= 'a' ? id[len - 4] - 'a' + 10
                                 : id[len - 4] - '0') >> 2]++;
    }

    for (i = 0; i < 4; i++) {
        assert_true(high[i] > 800);
    }

    assert_int_equal(aa_run_id_new(AA_SLOTS, id, sizeof(id)), -1);
    assert_int_equal(aa_run_id_new(1, id, 40), -1);
}


static void
test_run_keys_in_agent_slot(void **state)
{
    int          i;
    char         id[AA_ID_MAX], k[AA_KEY_MAX], agent[AA_ID_MAX];
    const char  *open, *close;

    for (i = 0; i < 1000; i++) {
        assert_true(aa_id_new("agent", agent, sizeof(agent)) > 0);
        assert_true(aa_run_id_new(aa_slot(agent, strlen(agent)), id,
                                  sizeof(id)) > 0);

        assert_true(aa_key_run(k, sizeof(k), "aa:", id) > 0);

        /* Redis hashes the text between the first { and the next } */
        open = strchr(k, '{');
        close = strchr(open, '}');
        assert_int_equal(aa_slot(open + 1, (size_t) (close - open - 1)),
                         aa_slot(agent, strlen(agent)));
    }
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_is_redis_keyslot),
        cmocka_unit_test(test_every_slot_has_a_short_tag),
        cmocka_unit_test(test_run_slot),
        cmocka_unit_test(test_run_id_carries_slot),
        cmocka_unit_test(test_run_keys_in_agent_slot),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
