/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_ssrf.h"


typedef struct {
    const char  *cidr;
    const char  *what;
} aw_range_t;


/*
 * IPv4 ranges that are not the public internet (IANA's special-purpose
 * address registry), most specific first.
 */
static const aw_range_t  aw_v4_refused[] = {
    { "255.255.255.255/32", "the broadcast address" },
    { "0.0.0.0/8",          "an unspecified (\"this network\") address" },
    { "10.0.0.0/8",         "a private address" },
    { "100.64.0.0/10",      "a shared (carrier-grade NAT) address" },
    { "127.0.0.0/8",        "a loopback address" },
    { "169.254.0.0/16",     "a link-local address" },
    { "172.16.0.0/12",      "a private address" },
    { "192.0.0.0/24",       "an IETF protocol assignment" },
    { "192.0.2.0/24",       "a documentation address" },
    { "192.88.99.0/24",     "a 6to4 relay address" },
    { "192.168.0.0/16",     "a private address" },
    { "198.18.0.0/15",      "a benchmarking address" },
    { "198.51.100.0/24",    "a documentation address" },
    { "203.0.113.0/24",     "a documentation address" },
    { "224.0.0.0/4",        "a multicast address" },
    { "240.0.0.0/4",        "a reserved address" },
};

/* IPv6: only global unicast (2000::/3) is let through, less these */
static const aw_range_t  aw_v6_refused[] = {
    { "::1/128",            "a loopback address" },
    { "::/128",             "an unspecified address" },
    { "2001::/23",          "an IETF protocol assignment" },
    { "2001:db8::/32",      "a documentation address" },
    { "2002::/16",          "a 6to4 address" },
    { "3fff::/20",          "a documentation address" },
    { "fc00::/7",           "a unique-local address" },
    { "fe80::/10",          "a link-local address" },
    { "fec0::/10",          "a site-local address" },
    { "ff00::/8",           "a multicast address" },
};


int
aw_cidr_parse(const char *s, aw_cidr_t *out)
{
    char           host[INET6_ADDRSTRLEN + 1], *end;
    const char    *slash;
    size_t         len, i;
    long           bits;
    int            max, byte;
    unsigned char  mask;

    memset(out, 0, sizeof(aw_cidr_t));

    slash = strchr(s, '/');
    len = slash ? (size_t) (slash - s) : strlen(s);

    if (len == 0 || len >= sizeof(host)) {
        return -1;
    }

    memcpy(host, s, len);
    host[len] = '\0';

    if (inet_pton(AF_INET, host, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;

    } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;

    } else {
        return -1;
    }

    bits = max;

    if (slash) {
        if (slash[1] < '0' || slash[1] > '9') {
            return -1;
        }

        bits = strtol(slash + 1, &end, 10);
        if (*end != '\0' || bits < 0 || bits > max) {
            return -1;
        }
    }

    out->bits = (int) bits;

    /* no bits set past the prefix */
    for (i = 0; i < (size_t) max / 8; i++) {
        byte = (int) i * 8;
        mask = byte >= bits ? 0xff
               : byte + 8 <= bits ? 0
               : (unsigned char) (0xff >> (bits - byte));

        if (out->addr[i] & mask) {
            return -1;
        }
    }

    return 0;
}


static int
aw_cidr_holds(const aw_cidr_t *c, int family, const unsigned char *addr)
{
    int            full, rest;
    unsigned char  mask;

    if (c->family != family) {
        return 0;
    }

    full = c->bits / 8;
    rest = c->bits % 8;

    if (memcmp(c->addr, addr, full) != 0) {
        return 0;
    }

    if (rest == 0) {
        return 1;
    }

    mask = (unsigned char) (0xff << (8 - rest));

    return (c->addr[full] & mask) == (addr[full] & mask);
}


static const char *
aw_range_find(const aw_range_t *ranges, size_t n, int family,
    const unsigned char *addr)
{
    size_t     i;
    aw_cidr_t  c;

    for (i = 0; i < n; i++) {
        /* the tables are ours: they parse */
        if (aw_cidr_parse(ranges[i].cidr, &c) == 0
            && aw_cidr_holds(&c, family, addr))
        {
            return ranges[i].what;
        }
    }

    return NULL;
}


static int
aw_allowed(const aw_cidr_t *allow, size_t nallow, int family,
    const unsigned char *addr)
{
    size_t  i;

    for (i = 0; i < nallow; i++) {
        if (aw_cidr_holds(&allow[i], family, addr)) {
            return 1;
        }
    }

    return 0;
}


/* The IPv4 address an IPv6 one carries: mapped, compatible, NAT64. */
static const unsigned char *
aw_v6_carries_v4(const unsigned char *a)
{
    static const unsigned char  mapped[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
    };
    static const unsigned char  nat64[12] = {
        0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0
    };
    static const unsigned char  zero[12];

    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) {
        return a + 12;
    }

    /* compatible (::a.b.c.d, deprecated), but not :: and ::1 themselves */
    if (memcmp(a, zero, 12) == 0
        && (a[12] | a[13] | a[14] | (a[15] > 1 ? 1 : 0)))
    {
        return a + 12;
    }

    return NULL;
}


const char *
aw_ssrf_refused(const struct sockaddr *sa, const aw_cidr_t *allow,
    size_t nallow, char *why, size_t size)
{
    char                 text[INET6_ADDRSTRLEN];
    const char          *what;
    const unsigned char *a, *v4;
    int                  family;

    if (sa->sa_family == AF_INET) {
        family = AF_INET;
        a = (const unsigned char *)
            &((const struct sockaddr_in *) sa)->sin_addr;

    } else if (sa->sa_family == AF_INET6) {
        family = AF_INET6;
        a = ((const struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;

    } else {
        snprintf(why, size, "address family %d is not IP",
                 (int) sa->sa_family);
        return why;
    }

    inet_ntop(family, a, text, sizeof(text));

    if (aw_allowed(allow, nallow, family, a)) {
        return NULL;
    }

    what = NULL;

    if (family == AF_INET) {
        what = aw_range_find(aw_v4_refused, sizeof(aw_v4_refused)
                             / sizeof(aw_v4_refused[0]), AF_INET, a);

    } else if ((v4 = aw_v6_carries_v4(a)) != NULL) {
        if (aw_allowed(allow, nallow, AF_INET, v4)) {
            return NULL;
        }

        what = aw_range_find(aw_v4_refused, sizeof(aw_v4_refused)
                             / sizeof(aw_v4_refused[0]), AF_INET, v4);
        if (what == NULL) {
            /* a public IPv4 address written the IPv6 way: fine */
            return NULL;
        }

    } else {
        what = aw_range_find(aw_v6_refused, sizeof(aw_v6_refused)
                             / sizeof(aw_v6_refused[0]), AF_INET6, a);

        if (what == NULL && (a[0] & 0xe0) != 0x20) {
            what = "not a global unicast address";
        }
    }

    if (what == NULL) {
        return NULL;
    }

    snprintf(why, size, "%s is %s", text, what);

    return why;
}
