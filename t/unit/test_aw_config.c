/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The worker's configuration (src/worker/aw_config.c): defaults, flags,
 * environment, config file, their precedence, and every refusal.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aw_config.h"
#include "aw_log.h"


extern char  **environ;


/* no AGENT_ASYNC_WORKER_* from the environment the tests run in */
static int
clean_env(void **state)
{
    char    name[256];
    char  **e;
    size_t  n;

    for (e = environ; *e != NULL; ) {
        if (strncmp(*e, "AGENT_ASYNC_WORKER_", 19) == 0) {
            n = strcspn(*e, "=");
            snprintf(name, sizeof(name), "%.*s", (int) n, *e);
            unsetenv(name);
            e = environ;
            continue;
        }
        e++;
    }

    return 0;
}


/* argv from a NULL-terminated list, argv[0] included */
static int
load(aw_config_t *cf, const char *const *args)
{
    int  argc;

    for (argc = 0; args[argc] != NULL; argc++) { /* void */ }

    return aw_config_load(cf, argc, (char **) args);
}


static char *
write_file(const char *text)
{
    static char  path[64];
    FILE        *f;
    int          fd;

    snprintf(path, sizeof(path), "/tmp/aw-config-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);

    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);

    return path;
}


static void
test_defaults(void **state)
{
    aw_config_t        cf;
    const char *const  args[] = { "w", NULL };

    assert_int_equal(load(&cf, args), 0);

    assert_string_equal(cf.redis, "127.0.0.1:6379");
    assert_string_equal(cf.redis_host, "127.0.0.1");
    assert_int_equal(cf.redis_port, 6379);
    assert_null(cf.redis_unix);
    assert_null(cf.redis_password);
    assert_int_equal(cf.redis_db, 0);
    assert_string_equal(cf.prefix, "aa:");
    assert_int_equal(cf.concurrency, 8);
    assert_string_equal(cf.backend, "echo");
    assert_int_equal(cf.max_attempts, 3);
    assert_int_equal(cf.heartbeat_ms, 1000);
    assert_int_equal(cf.lease_ttl_ms, 5000);
    assert_int_equal(cf.reap_interval_ms, 2000);
    assert_int_equal(cf.drain_ms, 10000);
    assert_int_equal(cf.block_ms, 1000);
    assert_int_equal(cf.callback_timeout_ms, 5000);
    assert_int_equal(cf.callback_backoff_ms, 5000);
    assert_int_equal(cf.callback_backoff_max_ms, 3600000);
    assert_int_equal(cf.callback_attempts, 36);
    assert_int_equal(cf.callback_concurrency, 64);
    assert_null(cf.callback_secret);
    assert_int_equal(cf.sign_keylen, 0);
    assert_int_equal(cf.nallow, 0);
    assert_int_equal(cf.log_level, AW_LOG_INFO);
    assert_null(cf.cancel);
    assert_int_equal(cf.help, 0);

    aw_config_free(&cf);
}


static void
test_flags(void **state)
{
    aw_config_t        cf;
    const char *const  args[] = {
        "w", "--concurrency", "4", "--max-attempts=7", "--redis",
        "redis.example:6380", "--log-level", "debug", "--redis-password",
        "s3cret", NULL
    };

    assert_int_equal(load(&cf, args), 0);

    assert_int_equal(cf.concurrency, 4);
    assert_int_equal(cf.max_attempts, 7);
    assert_string_equal(cf.redis_host, "redis.example");
    assert_int_equal(cf.redis_port, 6380);
    assert_int_equal(cf.log_level, AW_LOG_DEBUG);
    assert_string_equal(cf.redis_password, "s3cret");

    aw_config_free(&cf);
}


static void
test_redis_addresses(void **state)
{
    aw_config_t        cf;
    const char *const  unix_sock[] = { "w", "--redis", "unix:/run/r.sock",
                                       NULL };
    const char *const  host_only[] = { "w", "--redis", "db1", NULL };
    const char *const  no_port[] = { "w", "--redis", "db1:", NULL };
    const char *const  big_port[] = { "w", "--redis", "db1:65536", NULL };
    const char *const  no_host[] = { "w", "--redis", ":6379", NULL };
    const char *const  no_path[] = { "w", "--redis", "unix:", NULL };

    assert_int_equal(load(&cf, unix_sock), 0);
    assert_string_equal(cf.redis_unix, "/run/r.sock");
    assert_null(cf.redis_host);
    aw_config_free(&cf);

    assert_int_equal(load(&cf, host_only), 0);
    assert_string_equal(cf.redis_host, "db1");
    assert_int_equal(cf.redis_port, 6379);
    aw_config_free(&cf);

    assert_int_equal(load(&cf, no_port), -1);
    aw_config_free(&cf);
    assert_int_equal(load(&cf, big_port), -1);
    aw_config_free(&cf);
    assert_int_equal(load(&cf, no_host), -1);
    aw_config_free(&cf);
    assert_int_equal(load(&cf, no_path), -1);
    aw_config_free(&cf);
}


static void
test_precedence(void **state)
{
    aw_config_t        cf;
    char              *path, flag[128];
    const char        *args[4];

    path = write_file("# a comment\n\n"
                      "concurrency 3\n"
                      "max-attempts   5\n"
                      "  echo-delay-ms 250  \n"
                      "block-ms 300\n");

    setenv("AGENT_ASYNC_WORKER_MAX_ATTEMPTS", "6", 1);
    setenv("AGENT_ASYNC_WORKER_BLOCK_MS", "400", 1);

    snprintf(flag, sizeof(flag), "--config=%s", path);
    args[0] = "w";
    args[1] = flag;
    args[2] = "--block-ms=500";
    args[3] = NULL;

    assert_int_equal(load(&cf, args), 0);

    assert_int_equal(cf.concurrency, 3);        /* file */
    assert_int_equal(cf.echo_delay_ms, 250);    /* file, trimmed */
    assert_int_equal(cf.max_attempts, 6);       /* env over file */
    assert_int_equal(cf.block_ms, 500);         /* flag over env */
    assert_string_equal(cf.config, path);
    aw_config_free(&cf);

    /* the file may be named by the environment too */
    unsetenv("AGENT_ASYNC_WORKER_MAX_ATTEMPTS");
    unsetenv("AGENT_ASYNC_WORKER_BLOCK_MS");
    setenv("AGENT_ASYNC_WORKER_CONFIG", path, 1);
    args[1] = NULL;

    assert_int_equal(load(&cf, args), 0);
    assert_int_equal(cf.max_attempts, 5);
    assert_string_equal(cf.config, path);
    aw_config_free(&cf);

    unsetenv("AGENT_ASYNC_WORKER_CONFIG");
    unlink(path);
}


static void
test_refusals(void **state)
{
    size_t             i;
    aw_config_t        cf;
    const char *const  bad[][5] = {
        { "w", "--no-such-flag", "1", NULL },
        { "w", "stray", NULL, NULL },
        { "w", "--concurrency", NULL, NULL },         /* no value */
        { "w", "--concurrency", "0", NULL },          /* below 1 */
        { "w", "--concurrency", "1025", NULL },       /* above 1024 */
        { "w", "--concurrency", "8x", NULL },
        { "w", "--concurrency", "", NULL },
        { "w", "--max-attempts", "99999999999", NULL },
        { "w", "--log-level", "loud", NULL },
        { "w", "--backend", "gpt", NULL },
        { "w", "--help=yes", NULL, NULL },
        { "w", "--heartbeat-ms", "3000", NULL },      /* lease 5000 < 2x */
        { "w", "--prefix", "", NULL },
        { "w", "--prefix", "aa{x}:", NULL },          /* hash tags */
        { "w", "--redis-db", "1024", NULL },          /* as nginx */
        { "w", "--callback-allow", "10.0.0.1/8", NULL },  /* host bits */
        { "w", "--callback-allow", "internal", NULL },
        { "w", "--callback-allow", ",", NULL },
        { "w", "--callback-secret", "hunter22", NULL },
        { "w", "--callback-secret", "whsec_not base64", NULL },
        { "w", "--callback-backoff-ms", "9000",
          "--callback-backoff-max-ms=8000", NULL },
        { "w", "--callback-attempts", "0", NULL },
        { "w", "--callback-concurrency", "0", NULL },
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (load(&cf, bad[i]) != -1) {
            fail_msg("accepted: %s %s %s", bad[i][1],
                     bad[i][2] ? bad[i][2] : "", bad[i][3] ? bad[i][3] : "");
        }
        aw_config_free(&cf);
    }
}


static void
test_bad_environment_and_file(void **state)
{
    aw_config_t        cf;
    char              *path, flag[128];
    const char        *args[3];

    args[0] = "w";
    args[1] = NULL;

    setenv("AGENT_ASYNC_WORKER_CONCURRENCY", "many", 1);
    assert_int_equal(load(&cf, args), -1);
    aw_config_free(&cf);
    unsetenv("AGENT_ASYNC_WORKER_CONCURRENCY");

    args[1] = flag;
    args[2] = NULL;

    /* flags and one-shot commands have no place in a file */
    path = write_file("cancel run-1\n");
    snprintf(flag, sizeof(flag), "--config=%s", path);
    assert_int_equal(load(&cf, args), -1);
    aw_config_free(&cf);
    unlink(path);

    path = write_file("help\n");
    snprintf(flag, sizeof(flag), "--config=%s", path);
    assert_int_equal(load(&cf, args), -1);
    aw_config_free(&cf);
    unlink(path);

    path = write_file("no-such-key 1\n");
    snprintf(flag, sizeof(flag), "--config=%s", path);
    assert_int_equal(load(&cf, args), -1);
    aw_config_free(&cf);
    unlink(path);

    snprintf(flag, sizeof(flag), "--config=/nonexistent/aw.conf");
    assert_int_equal(load(&cf, args), -1);
    aw_config_free(&cf);
}


static void
test_callback_allow(void **state)
{
    aw_config_t        cf;
    char              *path, flag[128];
    const char *const  flags[] = {
        "w", "--callback-allow", "10.0.0.0/8", "--callback-allow=fd00::/8, "
        "127.0.0.1", NULL
    };
    const char        *args[4];

    assert_int_equal(load(&cf, flags), 0);
    assert_int_equal(cf.nallow, 3);
    assert_int_equal(cf.allow[0].bits, 8);
    assert_int_equal(cf.allow[1].bits, 8);
    assert_int_equal(cf.allow[2].bits, 32);
    aw_config_free(&cf);

    /* a list from the file adds up; one on the command line replaces it */
    path = write_file("callback-allow 10.0.0.0/8\n"
                      "callback-allow 192.168.0.0/16\n");
    snprintf(flag, sizeof(flag), "--config=%s", path);
    args[0] = "w";
    args[1] = flag;
    args[2] = NULL;

    assert_int_equal(load(&cf, args), 0);
    assert_int_equal(cf.nallow, 2);
    aw_config_free(&cf);

    setenv("AGENT_ASYNC_WORKER_CALLBACK_ALLOW", "172.16.0.0/12", 1);
    assert_int_equal(load(&cf, args), 0);
    assert_int_equal(cf.nallow, 1);
    assert_int_equal(cf.allow[0].bits, 12);
    aw_config_free(&cf);
    unsetenv("AGENT_ASYNC_WORKER_CALLBACK_ALLOW");

    args[2] = "--callback-allow=100.64.0.0/10";
    args[3] = NULL;
    assert_int_equal(load(&cf, args), 0);
    assert_int_equal(cf.nallow, 1);
    assert_int_equal(cf.allow[0].bits, 10);
    aw_config_free(&cf);

    unlink(path);
}


static void
test_callback_secret(void **state)
{
    aw_config_t        cf;
    const char *const  ok[] = { "w", "--callback-secret",
                                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                NULL };

    assert_int_equal(load(&cf, ok), 0);
    assert_int_equal(cf.sign_keylen, 24);
    aw_config_free(&cf);

    setenv("AGENT_ASYNC_WORKER_CALLBACK_SECRET", "whsec_YQ==", 1);
    assert_int_equal(load(&cf, (const char *const []) { "w", NULL }), 0);
    assert_int_equal(cf.sign_keylen, 1);
    aw_config_free(&cf);
    unsetenv("AGENT_ASYNC_WORKER_CALLBACK_SECRET");
}


static void
test_help_skips_checks(void **state)
{
    aw_config_t        cf;
    const char *const  args[] = { "w", "--backend", "gpt", "-h", NULL };

    assert_int_equal(load(&cf, args), 0);
    assert_int_equal(cf.help, 1);
    aw_config_free(&cf);
}


static void
test_cancel(void **state)
{
    aw_config_t        cf;
    const char *const  args[] = { "w", "--cancel",
        "run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21", NULL };

    assert_int_equal(load(&cf, args), 0);
    assert_string_equal(cf.cancel, "run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21");
    aw_config_free(&cf);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup(test_defaults, clean_env),
        cmocka_unit_test_setup(test_flags, clean_env),
        cmocka_unit_test_setup(test_redis_addresses, clean_env),
        cmocka_unit_test_setup(test_precedence, clean_env),
        cmocka_unit_test_setup(test_refusals, clean_env),
        cmocka_unit_test_setup(test_bad_environment_and_file, clean_env),
        cmocka_unit_test_setup(test_callback_allow, clean_env),
        cmocka_unit_test_setup(test_callback_secret, clean_env),
        cmocka_unit_test_setup(test_help_skips_checks, clean_env),
        cmocka_unit_test_setup(test_cancel, clean_env),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
