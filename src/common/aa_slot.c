/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "aa_id.h"
#include "aa_slot.h"


static char            aa_slot_tags[AA_SLOTS][AA_SLOT_TAG_MAX];
static pthread_once_t  aa_slot_once = PTHREAD_ONCE_INIT;

static uint16_t        aa_crc16_table[256];
static pthread_once_t  aa_crc16_once = PTHREAD_ONCE_INIT;


/*
 * CRC-16/XMODEM (polynomial 0x1021, initial 0): Redis Cluster's hash, a
 * byte at a time from a table made on first use (a slot per run made).
 */
static void
aa_crc16_init(void)
{
    unsigned  i, b, crc;

    for (i = 0; i < 256; i++) {
        crc = i << 8;

        for (b = 0; b < 8; b++) {
            crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
        }

        aa_crc16_table[i] = (uint16_t) crc;
    }
}


static unsigned
aa_crc16(const char *s, size_t len)
{
    size_t    i;
    unsigned  crc;

    crc = 0;

    for (i = 0; i < len; i++) {
        crc = ((crc << 8) & 0xffff)
              ^ aa_crc16_table[((crc >> 8) ^ (unsigned char) s[i]) & 0xff];
    }

    return crc;
}


unsigned
aa_slot(const char *s, size_t len)
{
    (void) pthread_once(&aa_crc16_once, aa_crc16_init);

    return aa_crc16(s, len) & (AA_SLOTS - 1);
}


/*
 * Every slot has a tag of at most 3 characters (checked by the unit
 * test); the search goes on to 4 all the same, so that a slot is never
 * left without one.
 */
static void
aa_slot_tags_init(void)
{
    static const char  alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    char               s[AA_SLOT_TAG_MAX];
    size_t             len, i, n, left, digit[AA_SLOT_TAG_MAX];
    unsigned           slot;

    n = sizeof(alphabet) - 1;
    left = AA_SLOTS;

    for (len = 1; len < AA_SLOT_TAG_MAX && left > 0; len++) {
        memset(digit, 0, sizeof(digit));

        for ( ;; ) {
            for (i = 0; i < len; i++) {
                s[i] = alphabet[digit[i]];
            }
            s[len] = '\0';

            slot = aa_slot(s, len);

            if (aa_slot_tags[slot][0] == '\0') {
                memcpy(aa_slot_tags[slot], s, len + 1);
                if (--left == 0) {
                    break;
                }
            }

            /* the next string of this length: the last character first */
            for (i = len; i > 0 && ++digit[i - 1] == n; i--) {
                digit[i - 1] = 0;
            }

            if (i == 0) {
                break;
            }
        }
    }
}


const char *
aa_slot_tag(unsigned slot)
{
    if (slot >= AA_SLOTS
        || pthread_once(&aa_slot_once, aa_slot_tags_init) != 0
        || aa_slot_tags[slot][0] == '\0')
    {
        return NULL;
    }

    return aa_slot_tags[slot];
}


static int
aa_hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


int
aa_run_slot(const char *id, size_t len)
{
    int     v, d;
    size_t  i;

    if (len < 4) {
        return -1;
    }

    v = 0;

    for (i = len - 4; i < len; i++) {
        d = aa_hex_value(id[i]);
        if (d < 0) {
            return -1;
        }
        v = v << 4 | d;
    }

    return v & (AA_SLOTS - 1);
}


int
aa_run_id_new(unsigned slot, char *out, size_t size)
{
    static const char  hex[] = "0123456789abcdef";
    int                len, i, d;
    unsigned           v;

    if (slot >= AA_SLOTS) {
        return -1;
    }

    len = aa_id_new("run", out, size);
    if (len < 4) {
        return -1;
    }

    /* keeps the 2 random high bits of the last 4 digits */
    d = aa_hex_value(out[len - 4]);
    v = ((unsigned) d & 0xc) << 12 | slot;

    for (i = 1; i <= 4; i++) {
        out[len - i] = hex[v & 0xf];
        v >>= 4;
    }

    return len;
}
