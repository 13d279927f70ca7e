/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Callback signatures (src/worker/aw_sign.c), against the test vector of
 * the Standard Webhooks specification.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "aw_sign.h"


#define SECRET   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define MSG_ID   "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define PAYLOAD  "{\"test\": 2432232314}"


static void
test_vector(void **state)
{
    unsigned char  key[AW_SIGN_KEY_MAX];
    size_t         keylen;
    char           sig[AW_SIGN_LEN];

    assert_int_equal(aw_sign_secret(SECRET, key, &keylen), 0);
    assert_int_equal(keylen, 24);

    assert_int_equal(aw_sign(key, keylen, MSG_ID, 1614265330LL, PAYLOAD,
                             strlen(PAYLOAD), sig), 0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

    /* any change of id, time or body changes it */
    assert_int_equal(aw_sign(key, keylen, MSG_ID, 1614265331LL, PAYLOAD,
                             strlen(PAYLOAD), sig), 0);
    assert_string_not_equal(sig,
                            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}


static void
test_secrets(void **state)
{
    size_t         i, keylen;
    unsigned char  key[AW_SIGN_KEY_MAX];
    char           long_secret[400];

    static const char  *bad[] = {
        "", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_abc",
        "whsec_ab=c", "whsec_a===", "whsec_ab!d", "whsec_ab d",
        "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_====",
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (aw_sign_secret(bad[i], key, &keylen) == 0) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
    }

    /* padding: 1 and 2 bytes */
    assert_int_equal(aw_sign_secret("whsec_YQ==", key, &keylen), 0);
    assert_int_equal(keylen, 1);
    assert_int_equal(key[0], 'a');
    assert_int_equal(aw_sign_secret("whsec_YWI=", key, &keylen), 0);
    assert_int_equal(keylen, 2);

    /* too long for the key buffer */
    memcpy(long_secret, "whsec_", 6);
    memset(long_secret + 6, 'A', 348);
    long_secret[354] = '\0';
    assert_int_equal(aw_sign_secret(long_secret, key, &keylen), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_secrets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
