/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Callback signatures, the Standard Webhooks way (docs/callbacks.md):
 *
 *   webhook-signature: v1,<base64 of HMAC-SHA256(key, "<id>.<ts>.<body>")>
 *
 * where the secret is "whsec_<base64 of the key>".
 */

#ifndef AW_SIGN_H
#define AW_SIGN_H

#include <stddef.h>

#define AW_SIGN_KEY_MAX  256
#define AW_SIGN_LEN      48     /* "v1," + 44 base64 digits + NUL */

/*
 * Decodes a "whsec_<base64>" secret into key (AW_SIGN_KEY_MAX bytes).
 * 0 with *keylen set, or -1 when it is not one (no prefix, not base64,
 * empty, or too long).
 */
int aw_sign_secret(const char *secret, unsigned char *key, size_t *keylen);

/* Writes the webhook-signature value into out (AW_SIGN_LEN).  0 or -1. */
int aw_sign(const unsigned char *key, size_t keylen, const char *id,
    long long timestamp, const char *body, size_t len, char *out);

#endif
