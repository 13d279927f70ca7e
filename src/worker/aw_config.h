/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Worker configuration.  Each option can be given, from lowest to highest
 * precedence, in a config file ("key value" lines, --config or
 * AGENT_ASYNC_WORKER_CONFIG), in the environment (AGENT_ASYNC_WORKER_KEY,
 * upper case, '-' as '_') and as a flag (--key value or --key=value).  A
 * list (--callback-allow) takes several values, repeated or separated by
 * commas, from the one source with the highest precedence.
 */

#ifndef AW_CONFIG_H
#define AW_CONFIG_H

#include <stddef.h>

#include "aw_sign.h"
#include "aw_ssrf.h"

typedef struct {
    char  *redis;               /* "host:port", "host" or "unix:/path" */
    char  *redis_host;          /* parsed from redis */
    int    redis_port;
    char  *redis_unix;          /* socket path, or NULL */
    char  *redis_password;      /* NULL when none */
    int    redis_db;
    char  *prefix;
    int    concurrency;
    char  *backend;
    int    echo_delay_ms;
    int    max_attempts;
    int    heartbeat_ms;
    int    lease_ttl_ms;
    int    reap_interval_ms;
    int    retention;           /* seconds; 0: runs are kept */
    int    history_max;         /* 0: no bound */
    int    sweep_interval_ms;
    int    drain_ms;
    int    block_ms;            /* BLMOVE block time */
    int    callback_timeout_ms;
    int    callback_backoff_ms;     /* the first retry's delay */
    int    callback_backoff_max_ms;
    int    callback_attempts;
    int    callback_concurrency;    /* deliveries in flight per worker */
    char  *callback_secret;         /* "whsec_...", or NULL: no signature */
    char  *callback_allow;          /* CIDRs, comma-separated, or NULL */
    int    callback_allow_source;   /* which source set it: see .c */
    char  *provider;                /* NAME=URL, comma-separated */
    int    provider_source;
    char  *provider_key_file;       /* NAME=PATH, comma-separated */
    int    provider_key_file_source;
    char  *allow_model_endpoint;    /* URL prefixes, comma-separated */
    int    allow_model_endpoint_source;
    char  *fallback_backend;        /* serves agents of no provider */
    int    model_stream;
    int    model_connect_timeout_ms;
    int    model_idle_timeout_ms;
    int    model_timeout_ms;
    int    model_retries;
    int    model_backoff_ms;
    char  *letta_url;               /* the upstream Letta server */
    char  *letta_token_file;        /* its token; else the environment */
    int    letta_connect_timeout_ms;
    int    letta_timeout_ms;
    int    letta_retries;
    int    letta_backoff_ms;
    char  *letta_ca_file;           /* its CAs, PEM; NULL: the system's */
    int    letta_cancel;            /* cancel the upstream's run too */
    int    letta_cancel_timeout_ms;
    int    runs_in_flight;          /* the run loop's room; 0: no loop */
    int    log_level;
    char  *config;              /* the config file read, if any */
    char  *cancel;              /* --cancel RUN: one-shot command */
    int    migrate_keys;        /* --migrate-keys: one-shot command */
    int    help;

    /* derived by aw_config_load() */
    aw_cidr_t      *allow;          /* callback_allow, parsed */
    size_t          nallow;
    unsigned char   sign_key[AW_SIGN_KEY_MAX];
    size_t          sign_keylen;    /* 0: no signature */
} aw_config_t;

/*
 * Fills cf from defaults, the config file, the environment and argv.
 * Returns 0, or -1 after printing a message to stderr.
 */
int aw_config_load(aw_config_t *cf, int argc, char **argv);
void aw_config_free(aw_config_t *cf);
void aw_config_usage(const char *argv0);

#endif
