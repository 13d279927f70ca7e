/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "aa_id.h"


int
aa_uuid4(char out[AA_UUID_LEN + 1])
{
    static const char  hex[] = "0123456789abcdef";
    unsigned char      r[16];
    size_t             got, i, o;
    ssize_t            n;

    /* getrandom() never blocks once the kernel pool is initialised. */
    for (got = 0; got < sizeof(r); got += (size_t) n) {
        n = getrandom(r + got, sizeof(r) - got, 0);
        if (n < 0) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }
            return -1;
        }
    }

    r[6] = (unsigned char) ((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char) ((r[8] & 0x3f) | 0x80);

    for (i = 0, o = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[o++] = '-';
        }
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 0x0f];
    }

    out[o] = '\0';

    return 0;
}


int
aa_id_new(const char *prefix, char *out, size_t size)
{
    size_t  plen;

    plen = strlen(prefix);

    if (plen + 1 + AA_UUID_LEN + 1 > size) {
        return -1;
    }

    memcpy(out, prefix, plen);
    out[plen] = '-';

    if (aa_uuid4(out + plen + 1) != 0) {
        return -1;
    }

    return (int) (plen + 1 + AA_UUID_LEN);
}


static int
aa_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}


int
aa_uuid4_valid(const char *s, size_t len)
{
    size_t  i;

    if (len != AA_UUID_LEN) {
        return 0;
    }

    for (i = 0; i < AA_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }
            continue;
        }

        if (!aa_is_hex(s[i])) {
            return 0;
        }
    }

    return s[14] == '4'
           && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}


int
aa_id_valid(const char *prefix, const char *s, size_t len)
{
    size_t  plen;

    plen = strlen(prefix);

    if (len != plen + 1 + AA_UUID_LEN
        || memcmp(s, prefix, plen) != 0
        || s[plen] != '-')
    {
        return 0;
    }

    return aa_uuid4_valid(s + plen + 1, AA_UUID_LEN);
}
