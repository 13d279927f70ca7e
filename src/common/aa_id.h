/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Letta ids: "<prefix>-<uuid4>", lower-case canonical UUID version 4.
 */

#ifndef AA_ID_H
#define AA_ID_H

#include <stddef.h>

#define AA_UUID_LEN      36
#define AA_ID_MAX        64      /* room for any prefix we use, NUL included */

/*
 * len random bytes from the kernel's CSPRNG (getrandom()), drawn from a
 * per-thread block refilled in bulk; never the same bytes twice, across
 * threads and fork() alike.  0 or -1.
 */
int aa_random(void *out, size_t len);

/* Writes a random lower-case UUID v4 and a NUL into out; 0 or -1. */
int aa_uuid4(char out[AA_UUID_LEN + 1]);

/* Writes "<prefix>-<uuid4>" and a NUL; returns its length or -1. */
int aa_id_new(const char *prefix, char *out, size_t size);

/* 1 when s (len bytes, no NUL needed) is "<prefix>-<uuid4>", else 0. */
int aa_id_valid(const char *prefix, const char *s, size_t len);

/* 1 when s is a lower-case canonical UUID v4. */
int aa_uuid4_valid(const char *s, size_t len);

#endif
