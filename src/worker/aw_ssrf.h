/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Where a callback may connect to (docs/callbacks.md, "Where callbacks
 * may go").  The check is made on the address the socket is about to be
 * opened for, after name resolution, so that a name resolving inward is
 * refused too.  Refused unless an allowed range (--callback-allow) holds
 * it: every address that is not global unicast (loopback, unspecified,
 * private, shared, link-local, unique-local, multicast, broadcast,
 * documentation, benchmarking and other reserved ranges), IPv4 and IPv6
 * alike; an IPv6 address that carries an IPv4 one (mapped, compatible,
 * NAT64) is judged by the IPv4 address it carries.
 */

#ifndef AW_SSRF_H
#define AW_SSRF_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct {
    int            family;      /* AF_INET or AF_INET6 */
    unsigned char  addr[16];    /* network order; 4 bytes for AF_INET */
    int            bits;        /* prefix length */
} aw_cidr_t;

/*
 * "10.0.0.0/8", "fd00::/8", or an address alone (a /32 or /128).  0, or -1
 * for anything else (host bits set below the prefix included: "10.1.0.0/8"
 * is refused, so that no range means what its writer did not).
 */
int aw_cidr_parse(const char *s, aw_cidr_t *out);

/*
 * NULL when the worker may connect to sa, else why not, e.g. "127.0.0.1 is
 * a loopback address" (written into why, size bytes).
 */
const char *aw_ssrf_refused(const struct sockaddr *sa,
    const aw_cidr_t *allow, size_t nallow, char *why, size_t size);

#endif
