/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "aa_scripts.h"
#include "aa_time.h"
#include "aw_log.h"
#include "aw_metrics.h"
#include "aw_redis.h"
#include "aw_worker.h"


#define AW_CONNECT_TIMEOUT_MS  2000
#define AW_BACKOFF_MIN_MS      100
#define AW_BACKOFF_MAX_MS      5000
#define AW_ARGV_SMALL          32


static int64_t
aw_mono_ms(void)
{
    return aa_mono_ns() / 1000000;
}


void
aw_redis_init(aw_redis_t *r)
{
    memset(r, 0, sizeof(aw_redis_t));
    aw_backoff_init(&r->backoff, AW_BACKOFF_MIN_MS, AW_BACKOFF_MAX_MS);
}


void
aw_redis_close(aw_redis_t *r)
{
    if (r->ctx != NULL) {
        redisFree(r->ctx);
        r->ctx = NULL;
    }
}


const char *
aw_redis_what(redisReply *reply)
{
    if (reply == NULL) {
        return "connection error";
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        return reply->str;
    }

    return "unexpected reply";
}


/*
 * A connection failed (connect, handshake, or a command got no reply):
 * closes it and schedules the next connect (aw_backoff.h: only a reply
 * resets the backoff, so no caller can reconnect in a tight loop,
 * whatever its loop looks like).
 */
static void
aw_redis_failed(aw_redis_t *r)
{
    aw_metrics_redis_error();
    aw_redis_close(r);

    r->next_try_ms = aw_mono_ms() + aw_backoff_failure(&r->backoff);
}


/* A command on a fresh connection, during the handshake. */
static int
aw_redis_setup_cmd(redisContext *c, const char *what, int argc,
    const char **argv, const size_t *lens, const char *sha)
{
    redisReply  *reply;
    int          ok;

    reply = redisCommandArgv(c, argc, argv, lens);

    if (reply == NULL) {
        aw_log_warn(NULL, NULL, "redis %s failed: %s", what, c->errstr);
        return -1;
    }

    ok = reply->type != REDIS_REPLY_ERROR;

    if (!ok) {
        aw_log_error(NULL, NULL, "redis %s failed: %s", what, reply->str);

    } else if (sha != NULL) {
        /* Redis hashes the text as scripts/gen-scripts did, or it is not
           the text the registry was generated from */
        if (reply->type != REDIS_REPLY_STRING || reply->len != 40
            || memcmp(reply->str, sha, 40) != 0)
        {
            aw_log_error(NULL, NULL, "redis %s: unexpected reply", what);
            ok = 0;
        }
    }

    freeReplyObject(reply);

    return ok ? 0 : -1;
}


static int
aw_redis_load_script(aw_redis_t *r, int i)
{
    const char  *argv[3];
    size_t       lens[3];
    char         what[64];

    argv[0] = "SCRIPT";
    argv[1] = "LOAD";
    argv[2] = aa_scripts[i].text;

    lens[0] = 6;
    lens[1] = 4;
    lens[2] = aa_scripts[i].len;

    snprintf(what, sizeof(what), "SCRIPT LOAD %s", aa_scripts[i].name);

    return aw_redis_setup_cmd(r->ctx, what, 3, argv, lens,
                              aa_scripts[i].sha1);
}


static int
aw_redis_connect(aw_redis_t *r)
{
    const aw_config_t  *cf;
    struct timeval      tv;
    const char         *argv[2];
    char                db[16];
    int                 i, ms;

    cf = &aw_worker.cf;

    if (r->backoff.failures > 0) {
        aw_metrics_redis_reconnect();
    }

    tv.tv_sec = AW_CONNECT_TIMEOUT_MS / 1000;
    tv.tv_usec = (AW_CONNECT_TIMEOUT_MS % 1000) * 1000;

    if (cf->redis_unix != NULL) {
        r->ctx = redisConnectUnixWithTimeout(cf->redis_unix, tv);
    } else {
        r->ctx = redisConnectWithTimeout(cf->redis_host, cf->redis_port, tv);
    }

    if (r->ctx == NULL || r->ctx->err) {
        if (r->backoff.failures % 10 == 0) {
            aw_log_warn(NULL, NULL, "redis %s unreachable: %s (retrying, "
                        "backoff up to %d ms)", cf->redis,
                        r->ctx ? r->ctx->errstr : "out of memory",
                        AW_BACKOFF_MAX_MS);
        }
        goto failed;
    }

    /*
     * The socket timeout of a slot must exceed the BLMOVE block time, or
     * every idle block would end in a false I/O error.
     */
    ms = r->timeout_ms ? r->timeout_ms : cf->block_ms + 5000;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;

    if (redisSetTimeout(r->ctx, tv) != REDIS_OK) {
        aw_log_warn(NULL, NULL, "redis: cannot set the socket timeout");
        goto failed;
    }

    if (cf->redis_password != NULL) {
        argv[0] = "AUTH";
        argv[1] = cf->redis_password;
        if (aw_redis_setup_cmd(r->ctx, "AUTH", 2, argv, NULL, NULL) != 0) {
            goto failed;
        }
    }

    if (cf->redis_db != 0) {
        snprintf(db, sizeof(db), "%d", cf->redis_db);
        argv[0] = "SELECT";
        argv[1] = db;
        if (aw_redis_setup_cmd(r->ctx, "SELECT", 2, argv, NULL, NULL) != 0) {
            goto failed;
        }
    }

    for (i = 0; i < AA_SCRIPT_N; i++) {
        if (aw_redis_load_script(r, i) != 0) {
            goto failed;
        }
    }

    if (r->backoff.failures) {
        aw_log_info(NULL, NULL, "redis %s connected again", cf->redis);
    } else {
        aw_log_debug(NULL, NULL, "redis %s connected", cf->redis);
    }

    /*
     * The backoff is not reset here but by the first command that gets a
     * reply: a server that accepts connections and drops them at the
     * next command (a request it refuses to read, a proxy, a client
     * limit) must not be reconnected to in a tight loop.
     */

    return 0;

failed:

    aw_redis_failed(r);

    return -1;
}


int
aw_redis_ensure(aw_redis_t *r, int until)
{
    int64_t  wait;

    while (r->ctx == NULL) {
        if (aw_stage() >= until) {
            return -1;
        }

        wait = r->next_try_ms - aw_mono_ms();

        if (wait > 0) {
            aw_sleep_ms(wait > 100 ? 100 : (int) wait, until);
            continue;
        }

        aw_redis_connect(r);
    }

    return 0;
}


redisReply *
aw_redis_argv(aw_redis_t *r, int argc, const char **argv,
    const size_t *lens)
{
    redisReply  *reply;

    if (r->ctx == NULL) {
        if (aw_mono_ms() < r->next_try_ms || aw_redis_connect(r) != 0) {
            return NULL;
        }
    }

    reply = redisCommandArgv(r->ctx, argc, argv, lens);

    if (reply == NULL) {
        aw_log_warn(NULL, NULL, "redis: %s", r->ctx->errstr);
        aw_redis_failed(r);
        return NULL;
    }

    /* the connection works: the next failure is retried at once */
    aw_backoff_success(&r->backoff);

    return reply;
}


redisReply *
aw_redis_eval(aw_redis_t *r, int script, int nkeys, int argc,
    const char **argv, const size_t *lens)
{
    const char  *small_argv[AW_ARGV_SMALL + 3], **av;
    size_t       small_lens[AW_ARGV_SMALL + 3], *lv;
    char         nk[16];
    int          i, n;
    redisReply  *reply;

    n = argc + 3;

    if (argc <= AW_ARGV_SMALL) {
        av = small_argv;
        lv = small_lens;
    } else {
        av = malloc(n * sizeof(char *));
        lv = malloc(n * sizeof(size_t));
        if (av == NULL || lv == NULL) {
            free(av);
            free(lv);
            return NULL;
        }
    }

    snprintf(nk, sizeof(nk), "%d", nkeys);

    av[0] = "EVALSHA";
    av[2] = nk;

    for (i = 0; i < argc; i++) {
        av[i + 3] = argv[i];
        lv[i + 3] = lens ? lens[i] : strlen(argv[i]);
    }

    for (i = 0; i < 2; i++) {
        av[1] = aa_scripts[script].sha1;
        lv[0] = 7;
        lv[1] = 40;
        lv[2] = strlen(nk);

        reply = aw_redis_argv(r, n, av, lv);

        /* a restarted or flushed server forgot the script */
        if (i == 0 && reply != NULL && reply->type == REDIS_REPLY_ERROR
            && strncmp(reply->str, "NOSCRIPT", 8) == 0)
        {
            freeReplyObject(reply);
            reply = NULL;

            if (aw_redis_load_script(r, script) != 0) {
                aw_redis_failed(r);
                break;
            }
            continue;
        }

        break;
    }

    if (av != small_argv) {
        free(av);
        free(lv);
    }

    return reply;
}
