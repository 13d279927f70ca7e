/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "aa_id.h"


/*
 * Random bytes come from getrandom() in blocks of AA_RANDOM_BLOCK, one
 * block per thread: a syscall per 256 ids, not per id.  A child of fork()
 * must not hand out the bytes its parent will (nginx forks its workers
 * after the master may have made ids), so a fork empties the block.
 */
#define AA_RANDOM_BLOCK  4096

static __thread unsigned char  aa_random_block[AA_RANDOM_BLOCK];
static __thread size_t         aa_random_left;
static pthread_once_t          aa_random_once = PTHREAD_ONCE_INIT;


static void
aa_random_forked(void)
{
    /* runs in the child, in the thread that forked: the only one left */
    aa_random_left = 0;
}


static void
aa_random_init(void)
{
    (void) pthread_atfork(NULL, NULL, aa_random_forked);
}


static int
aa_random_fill(unsigned char *buf, size_t len)
{
    size_t   got;
    ssize_t  n;

    /* getrandom() never blocks once the kernel pool is initialised. */
    for (got = 0; got < len; got += (size_t) n) {
        n = getrandom(buf + got, len - got, 0);
        if (n < 0) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }
            return -1;
        }
    }

    return 0;
}


int
aa_random(void *out, size_t len)
{
    unsigned char  *p;

    if (pthread_once(&aa_random_once, aa_random_init) != 0) {
        return -1;
    }

    if (len > AA_RANDOM_BLOCK / 4) {
        return aa_random_fill(out, len);
    }

    if (aa_random_left < len) {
        if (aa_random_fill(aa_random_block, AA_RANDOM_BLOCK) != 0) {
            aa_random_left = 0;
            return -1;
        }
        aa_random_left = AA_RANDOM_BLOCK;
    }

    /* from the end, and wiped: a byte is given out once */
    p = aa_random_block + aa_random_left - len;
    memcpy(out, p, len);
    memset(p, 0, len);
    aa_random_left -= len;

    return 0;
}


int
aa_uuid4(char out[AA_UUID_LEN + 1])
{
    static const char  hex[] = "0123456789abcdef";
    unsigned char      r[16];
    size_t             i, o;

    if (aa_random(r, sizeof(r)) != 0) {
        return -1;
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
