/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Where callbacks may connect to (src/worker/aw_ssrf.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "aw_ssrf.h"


/* NULL when allowed, else the reason */
static const char *
check(const char *ip, const aw_cidr_t *allow, size_t nallow)
{
    static char          why[128];
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;

    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));

    if (inet_pton(AF_INET, ip, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        return aw_ssrf_refused((struct sockaddr *) &sin, allow, nallow,
                               why, sizeof(why));
    }

    assert_int_equal(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
    sin6.sin6_family = AF_INET6;

    return aw_ssrf_refused((struct sockaddr *) &sin6, allow, nallow, why,
                           sizeof(why));
}


static void
test_refused_by_default(void **state)
{
    size_t       i;
    const char  *why;

    static const struct {
        const char  *ip;
        const char  *why;
    } refused[] = {
        { "127.0.0.1",        "127.0.0.1 is a loopback address" },
        { "127.255.0.9",      "127.255.0.9 is a loopback address" },
        { "0.0.0.0",          "0.0.0.0 is an unspecified (\"this network\") "
                              "address" },
        { "10.1.2.3",         "10.1.2.3 is a private address" },
        { "172.16.0.1",       "172.16.0.1 is a private address" },
        { "172.31.255.255",   "172.31.255.255 is a private address" },
        { "192.168.1.1",      "192.168.1.1 is a private address" },
        { "100.64.0.1",       "100.64.0.1 is a shared (carrier-grade NAT) "
                              "address" },
        { "169.254.169.254",  "169.254.169.254 is a link-local address" },
        { "192.0.0.8",        "192.0.0.8 is an IETF protocol assignment" },
        { "192.0.2.1",        "192.0.2.1 is a documentation address" },
        { "198.51.100.7",     "198.51.100.7 is a documentation address" },
        { "203.0.113.9",      "203.0.113.9 is a documentation address" },
        { "198.18.0.1",       "198.18.0.1 is a benchmarking address" },
        { "198.19.255.1",     "198.19.255.1 is a benchmarking address" },
        { "224.0.0.1",        "224.0.0.1 is a multicast address" },
        { "239.255.255.250",  "239.255.255.250 is a multicast address" },
        { "240.0.0.1",        "240.0.0.1 is a reserved address" },
        { "255.255.255.255",  "255.255.255.255 is the broadcast address" },
        { "::1",              "::1 is a loopback address" },
        { "::",               ":: is an unspecified address" },
        { "::ffff:127.0.0.1", "::ffff:127.0.0.1 is a loopback address" },
        { "::ffff:10.0.0.1",  "::ffff:10.0.0.1 is a private address" },
        { "::ffff:169.254.169.254",
          "::ffff:169.254.169.254 is a link-local address" },
        { "::127.0.0.1",      "::127.0.0.1 is a loopback address" },
        { "64:ff9b::a00:1",   "64:ff9b::a00:1 is a private address" },
        { "fc00::1",          "fc00::1 is a unique-local address" },
        { "fd12:3456::1",     "fd12:3456::1 is a unique-local address" },
        { "fe80::1",          "fe80::1 is a link-local address" },
        { "fec0::1",          "fec0::1 is a site-local address" },
        { "ff02::1",          "ff02::1 is a multicast address" },
        { "2001:db8::1",      "2001:db8::1 is a documentation address" },
        { "2001::1",          "2001::1 is an IETF protocol assignment" },
        { "2002:7f00:1::1",   "2002:7f00:1::1 is a 6to4 address" },
        { "3fff::1",          "3fff::1 is a documentation address" },
        { "64:ff9b:1::1",     "64:ff9b:1::1 is not a global unicast "
                              "address" },
        { "100::1",           "100::1 is not a global unicast address" },
    };

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        why = check(refused[i].ip, NULL, 0);
        if (why == NULL || strcmp(why, refused[i].why) != 0) {
            fail_msg("%s: %s", refused[i].ip, why ? why : "allowed");
        }
    }
}


static void
test_public_allowed(void **state)
{
    size_t  i;

    static const char  *ok[] = {
        "1.1.1.1", "8.8.8.8", "93.184.216.34", "172.15.255.255",
        "172.32.0.1", "100.63.255.255", "100.128.0.1", "192.169.0.1",
        "11.0.0.1", "223.255.255.255", "2606:4700:4700::1111",
        "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808",
    };

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (check(ok[i], NULL, 0) != NULL) {
            fail_msg("%s refused: %s", ok[i], check(ok[i], NULL, 0));
        }
    }
}


static void
test_allow_list(void **state)
{
    aw_cidr_t  allow[2];

    assert_int_equal(aw_cidr_parse("10.20.0.0/16", &allow[0]), 0);
    assert_int_equal(aw_cidr_parse("fd00::/8", &allow[1]), 0);

    /* exactly the named ranges */
    assert_null(check("10.20.1.2", allow, 2));
    assert_null(check("10.20.255.255", allow, 2));
    assert_non_null(check("10.21.0.1", allow, 2));
    assert_non_null(check("10.19.255.255", allow, 2));
    assert_null(check("fd00::5", allow, 2));
    assert_non_null(check("fc00::5", allow, 2));
    assert_non_null(check("127.0.0.1", allow, 2));

    /* an IPv4 range lets its mapped forms through too */
    assert_null(check("::ffff:10.20.3.4", allow, 2));
    assert_non_null(check("::ffff:10.21.3.4", allow, 2));

    /* one address */
    assert_int_equal(aw_cidr_parse("127.0.0.1", &allow[0]), 0);
    assert_int_equal(allow[0].bits, 32);
    assert_null(check("127.0.0.1", allow, 1));
    assert_non_null(check("127.0.0.2", allow, 1));
}


static void
test_cidr_parse(void **state)
{
    size_t     i;
    aw_cidr_t  c;

    static const char  *bad[] = {
        "", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x",
        "10.1.0.0/8", "::1/129", "fd00::1/8", "localhost", "10.0.0/8",
        "10.0.0.0 /8", "1.2.3.4.5", "10.0.0.0/+8",
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (aw_cidr_parse(bad[i], &c) == 0) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
    }

    assert_int_equal(aw_cidr_parse("0.0.0.0/0", &c), 0);
    assert_int_equal(c.bits, 0);
    assert_null(check("127.0.0.1", &c, 1));
    assert_int_equal(aw_cidr_parse("::/0", &c), 0);
    assert_int_equal(c.family, AF_INET6);
    assert_int_equal(aw_cidr_parse("100.64.0.0/10", &c), 0);
    assert_int_equal(aw_cidr_parse("100.96.0.0/11", &c), 0);
    assert_int_equal(aw_cidr_parse("100.65.0.0/10", &c), -1);
}


static void
test_not_ip(void **state)
{
    char             why[64];
    struct sockaddr  sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_family = AF_UNIX;

    assert_non_null(aw_ssrf_refused(&sa, NULL, 0, why, sizeof(why)));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_refused_by_default),
        cmocka_unit_test(test_public_allowed),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_cidr_parse),
        cmocka_unit_test(test_not_ip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
