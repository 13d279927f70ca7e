/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "aw_sign.h"


int
aw_sign_secret(const char *secret, unsigned char *key, size_t *keylen)
{
    const char  *b64;
    size_t       len, i, pad;
    int          n;
    char         c;

    if (strncmp(secret, "whsec_", 6) != 0) {
        return -1;
    }

    b64 = secret + 6;
    len = strlen(b64);

    /* EVP_DecodeBlock() takes what it should refuse: check first */
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > AW_SIGN_KEY_MAX) {
        return -1;
    }

    pad = 0;

    for (i = 0; i < len; i++) {
        c = b64[i];

        if (c == '=') {
            pad++;
            continue;
        }

        if (pad
            || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                 || (c >= '0' && c <= '9') || c == '+' || c == '/'))
        {
            return -1;
        }
    }

    if (pad > 2) {
        return -1;
    }

    n = EVP_DecodeBlock(key, (const unsigned char *) b64, (int) len);
    if (n < 0 || (size_t) n < pad || (size_t) n - pad == 0) {
        return -1;
    }

    *keylen = (size_t) n - pad;

    return 0;
}


int
aw_sign(const unsigned char *key, size_t keylen, const char *id,
    long long timestamp, const char *body, size_t len, char *out)
{
    unsigned char  mac[32];
    size_t         maclen;
    char           head[256];
    int            n;
    EVP_MAC       *hmac;
    EVP_MAC_CTX   *ctx;
    OSSL_PARAM     params[2];
    int            ok;

    n = snprintf(head, sizeof(head), "%s.%lld.", id, timestamp);
    if (n < 0 || (size_t) n >= sizeof(head)) {
        return -1;
    }

    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (hmac == NULL) {
        return -1;
    }

    ctx = EVP_MAC_CTX_new(hmac);

    params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *) "SHA256",
                                                 0);
    params[1] = OSSL_PARAM_construct_end();

    ok = ctx != NULL
         && EVP_MAC_init(ctx, key, keylen, params)
         && EVP_MAC_update(ctx, (const unsigned char *) head, (size_t) n)
         && EVP_MAC_update(ctx, (const unsigned char *) body, len)
         && EVP_MAC_final(ctx, mac, &maclen, sizeof(mac))
         && maclen == sizeof(mac);

    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);

    if (!ok) {
        return -1;
    }

    memcpy(out, "v1,", 3);
    EVP_EncodeBlock((unsigned char *) out + 3, mac, sizeof(mac));

    return 0;
}
