/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_conf.h"
#include "aa_keys.h"
#include "aw_backend.h"
#include "aw_config.h"
#include "aw_log.h"
#include "aw_provider.h"


typedef enum {
    AW_OPT_STRING = 0,
    AW_OPT_INT,
    AW_OPT_LEVEL,
    AW_OPT_FLAG,
    AW_OPT_LIST             /* a string of comma-separated values */
} aw_opt_kind_e;


/* where a value comes from, in order of precedence */
enum {
    AW_SRC_DEFAULT = 0,
    AW_SRC_FILE,
    AW_SRC_ENV,
    AW_SRC_ARGV
};


typedef struct {
    const char     *name;
    aw_opt_kind_e   kind;
    size_t          offset;
    int             min;
    int             max;
    const char     *deflt;
    const char     *help;
} aw_option_t;


#define AW_OFF(f)  offsetof(aw_config_t, f)

static const aw_option_t  aw_options[] = {
    { "redis", AW_OPT_STRING, AW_OFF(redis), 0, 0, "127.0.0.1:6379",
      "Redis address: host:port, host, or unix:/path/to/socket" },
    { "redis-password", AW_OPT_STRING, AW_OFF(redis_password), 0, 0, NULL,
      "password sent with AUTH after connecting" },
    { "redis-db", AW_OPT_INT, AW_OFF(redis_db), 0, INT_MAX, "0",
      "database number (SELECT), 0 to 1023" },
    { "prefix", AW_OPT_STRING, AW_OFF(prefix), 0, 0, AA_PREFIX_DEFAULT,
      "key prefix, as agent_async_redis_prefix in nginx: 1 to 64 "
      "printable characters, no space, { or }" },
    { "concurrency", AW_OPT_INT, AW_OFF(concurrency), 1, 1024, "8",
      "runs executed at once (one thread and connection each)" },
    { "backend", AW_OPT_STRING, AW_OFF(backend), 0, 0, "echo",
      "what executes a run: echo, openai or letta" },
    { "echo-delay-ms", AW_OPT_INT, AW_OFF(echo_delay_ms), 0, INT_MAX, "0",
      "echo backend: time a run takes before answering" },
    { "max-attempts", AW_OPT_INT, AW_OFF(max_attempts), 1, 1000, "3",
      "claims of one run before it is failed and dead-lettered" },
    { "heartbeat-ms", AW_OPT_INT, AW_OFF(heartbeat_ms), 10, 3600000, "1000",
      "heartbeat period" },
    { "lease-ttl-ms", AW_OPT_INT, AW_OFF(lease_ttl_ms), 20, 86400000, "5000",
      "heartbeat lifetime: a worker silent this long is reaped" },
    { "reap-interval-ms", AW_OPT_INT, AW_OFF(reap_interval_ms), 10,
      86400000, "2000", "period of the reaper" },
    { "retention-seconds", AW_OPT_INT, AW_OFF(retention), 0, INT_MAX,
      "604800", "a run ended expires this long after, its messages and "
      "steps too (604800: 7 days; 0: kept)" },
    { "history-max", AW_OPT_INT, AW_OFF(history_max), 0, INT_MAX, "1000",
      "entries an agent's history keeps, the oldest dropped (0: all)" },
    { "sweep-interval-ms", AW_OPT_INT, AW_OFF(sweep_interval_ms), 100,
      86400000, "60000", "period of the sweep of expired runs' index "
      "entries" },
    { "drain-ms", AW_OPT_INT, AW_OFF(drain_ms), 0, 86400000, "10000",
      "on SIGTERM/SIGINT: grace for in-flight runs before hand-back" },
    { "block-ms", AW_OPT_INT, AW_OFF(block_ms), 10, 60000, "1000",
      "BLMOVE block time (how soon an idle slot notices shutdown)" },
    { "callback-timeout-ms", AW_OPT_INT, AW_OFF(callback_timeout_ms), 100,
      600000, "5000", "timeout of one callback attempt, all included" },
    { "callback-backoff-ms", AW_OPT_INT, AW_OFF(callback_backoff_ms), 100,
      86400000, "5000", "delay before the first callback retry; doubles" },
    { "callback-backoff-max-ms", AW_OPT_INT, AW_OFF(callback_backoff_max_ms),
      100, 86400000, "3600000", "longest delay between callback retries" },
    { "callback-attempts", AW_OPT_INT, AW_OFF(callback_attempts), 1, 1000,
      "36", "callback attempts before giving up (36: about a day)" },
    { "callback-concurrency", AW_OPT_INT, AW_OFF(callback_concurrency), 1,
      10000, "64", "callback deliveries in flight at once" },
    { "callback-secret", AW_OPT_STRING, AW_OFF(callback_secret), 0, 0, NULL,
      "whsec_<base64>: sign callbacks (Standard Webhooks)" },
    { "callback-allow", AW_OPT_LIST, AW_OFF(callback_allow), 0, 0, NULL,
      "CIDR callbacks may reach although not public (repeatable)" },
    { "provider", AW_OPT_LIST, AW_OFF(provider), 0, 0, NULL,
      "NAME=URL: an OpenAI-compatible provider (repeatable); its key "
      "from NAME_API_KEY or --provider-key-file" },
    { "provider-key-file", AW_OPT_LIST, AW_OFF(provider_key_file), 0, 0,
      NULL, "NAME=PATH: the file holding a provider's API key "
      "(repeatable)" },
    { "allow-model-endpoint", AW_OPT_LIST, AW_OFF(allow_model_endpoint), 0,
      0, NULL, "URL prefix an agent's llm_config.model_endpoint may start "
      "with (repeatable)" },
    { "fallback-backend", AW_OPT_STRING, AW_OFF(fallback_backend), 0, 0,
      NULL, "openai backend: what serves agents of no configured provider "
      "(echo)" },
    { "model-stream", AW_OPT_INT, AW_OFF(model_stream), 0, 1, "1",
      "openai backend: ask for streamed answers (1) or not (0)" },
    { "model-connect-timeout-ms", AW_OPT_INT,
      AW_OFF(model_connect_timeout_ms), 1, 600000, "10000",
      "openai backend: connection timeout" },
    { "model-idle-timeout-ms", AW_OPT_INT, AW_OFF(model_idle_timeout_ms), 1,
      3600000, "120000", "openai backend: longest silence of the model "
      "server, to the first byte and between two" },
    { "model-timeout-ms", AW_OPT_INT, AW_OFF(model_timeout_ms), 1,
      86400000, "600000", "openai backend: timeout of one model call" },
    { "model-retries", AW_OPT_INT, AW_OFF(model_retries), 0, 20, "2",
      "openai backend: retries of a call that failed transiently" },
    { "model-backoff-ms", AW_OPT_INT, AW_OFF(model_backoff_ms), 0, 600000,
      "500", "openai backend: delay before the first retry; doubles" },
    { "letta-url", AW_OPT_STRING, AW_OFF(letta_url), 0, 0, NULL,
      "letta backend: the upstream Letta server, http(s)://host:port" },
    { "letta-token-file", AW_OPT_STRING, AW_OFF(letta_token_file), 0, 0,
      NULL, "letta backend: the file holding the upstream's token (else "
      "AGENT_ASYNC_WORKER_LETTA_TOKEN; never a flag)" },
    { "letta-connect-timeout-ms", AW_OPT_INT,
      AW_OFF(letta_connect_timeout_ms), 1, 600000, "10000",
      "letta backend: connection timeout" },
    { "letta-timeout-ms", AW_OPT_INT, AW_OFF(letta_timeout_ms), 1,
      86400000, "600000", "letta backend: timeout of one upstream call "
      "(the whole agent loop: it answers when done)" },
    { "letta-retries", AW_OPT_INT, AW_OFF(letta_retries), 0, 20, "2",
      "letta backend: retries of a call that failed transiently" },
    { "letta-backoff-ms", AW_OPT_INT, AW_OFF(letta_backoff_ms), 0, 600000,
      "500", "letta backend: delay before the first retry; doubles" },
    { "letta-ca-file", AW_OPT_STRING, AW_OFF(letta_ca_file), 0, 0, NULL,
      "letta backend: the CA certificates (PEM) an https upstream's "
      "certificate is checked against (else the system's)" },
    { "letta-cancel", AW_OPT_INT, AW_OFF(letta_cancel), 0, 1, "1",
      "letta backend: a cancelled run's upstream run is cancelled too "
      "(POST /v1/agents/{id}/messages/cancel)" },
    { "letta-cancel-timeout-ms", AW_OPT_INT, AW_OFF(letta_cancel_timeout_ms),
      1, 600000, "3000", "letta backend: timeout of that cancel (one try)" },
    { "runs-in-flight", AW_OPT_INT, AW_OFF(runs_in_flight), 0, 100000, "0",
      "runs executed at once on the run loop, a fiber each (0: none, "
      "each slot executes its own run)" },
    { "log-level", AW_OPT_LEVEL, AW_OFF(log_level), 0, 0, "info",
      "error, warn, info or debug" },
    { "config", AW_OPT_STRING, AW_OFF(config), 0, 0, NULL,
      "config file of \"key value\" lines (keys as the long flags)" },
    { "cancel", AW_OPT_STRING, AW_OFF(cancel), 0, 0, NULL,
      "cancel the run with this id (docs/redis-keys.md) and exit" },
    { "migrate-keys", AW_OPT_FLAG, AW_OFF(migrate_keys), 0, 0, NULL,
      "move the runs of 0.1's key layout to the current one and exit "
      "(docs/redis-keys.md, \"Upgrading from 0.1\")" },
    { "help", AW_OPT_FLAG, AW_OFF(help), 0, 0, NULL,
      "print this help and exit" },
};

#define AW_NOPTIONS  (sizeof(aw_options) / sizeof(aw_options[0]))


static const aw_option_t *
aw_option_find(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < AW_NOPTIONS; i++) {
        if (strlen(aw_options[i].name) == len
            && strncmp(aw_options[i].name, name, len) == 0)
        {
            return &aw_options[i];
        }
    }

    return NULL;
}


/* which source set a list: values of one source add up */
static int *
aw_list_source(aw_config_t *cf, size_t offset)
{
    if (offset == AW_OFF(provider)) {
        return &cf->provider_source;
    }

    if (offset == AW_OFF(provider_key_file)) {
        return &cf->provider_key_file_source;
    }

    if (offset == AW_OFF(allow_model_endpoint)) {
        return &cf->allow_model_endpoint_source;
    }

    return &cf->callback_allow_source;
}


static int
aw_option_set(aw_config_t *cf, const aw_option_t *o, const char *value,
    int source, const char *origin)
{
    char   **sp, *end, *joined;
    int     *ip, level;
    long     n;

    switch (o->kind) {

    case AW_OPT_LIST:
        /* values of one source add up; a higher source starts afresh */
        sp = (char **) ((char *) cf + o->offset);

        ip = aw_list_source(cf, o->offset);

        if (*sp != NULL && *ip == source) {
            joined = malloc(strlen(*sp) + strlen(value) + 2);
            if (joined != NULL) {
                sprintf(joined, "%s,%s", *sp, value);
            }

        } else {
            joined = strdup(value);
        }

        if (joined == NULL) {
            fprintf(stderr, "agent-async-worker: out of memory\n");
            return -1;
        }

        free(*sp);
        *sp = joined;
        *ip = source;
        return 0;

    case AW_OPT_STRING:
        sp = (char **) ((char *) cf + o->offset);
        free(*sp);
        *sp = strdup(value);
        if (*sp == NULL) {
            fprintf(stderr, "agent-async-worker: out of memory\n");
            return -1;
        }
        return 0;

    case AW_OPT_INT:
        ip = (int *) ((char *) cf + o->offset);
        errno = 0;
        n = strtol(value, &end, 10);
        if (errno || end == value || *end != '\0' || n < o->min
            || n > o->max)
        {
            fprintf(stderr, "agent-async-worker: %s: %s must be an integer "
                    "from %d to %d, not \"%s\"\n",
                    origin, o->name, o->min, o->max, value);
            return -1;
        }
        *ip = (int) n;
        return 0;

    case AW_OPT_LEVEL:
        level = aw_log_parse_level(value);
        if (level < 0) {
            fprintf(stderr, "agent-async-worker: %s: log-level must be "
                    "error, warn, info or debug, not \"%s\"\n",
                    origin, value);
            return -1;
        }
        *(int *) ((char *) cf + o->offset) = level;
        return 0;

    case AW_OPT_FLAG:
        *(int *) ((char *) cf + o->offset) = 1;
        return 0;
    }

    return -1;
}


static char *
aw_trim(char *s)
{
    char  *e;

    while (isspace((unsigned char) *s)) {
        s++;
    }

    e = s + strlen(s);

    while (e > s && isspace((unsigned char) e[-1])) {
        *--e = '\0';
    }

    return s;
}


static int
aw_config_file(aw_config_t *cf, const char *path)
{
    FILE               *f;
    char                line[4096], origin[512], *key, *value;
    size_t              klen;
    int                 lineno, rc;
    const aw_option_t  *o;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "agent-async-worker: cannot open config file "
                "\"%s\": %s\n", path, strerror(errno));
        return -1;
    }

    rc = 0;
    lineno = 0;

    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        snprintf(origin, sizeof(origin), "%s:%d", path, lineno);

        key = aw_trim(line);
        if (*key == '\0' || *key == '#') {
            continue;
        }

        klen = strcspn(key, " \t");
        value = aw_trim(key + klen);

        o = aw_option_find(key, klen);
        if (o == NULL || o->kind == AW_OPT_FLAG
            || strcmp(o->name, "config") == 0
            || strcmp(o->name, "cancel") == 0)
        {
            fprintf(stderr, "agent-async-worker: %s: unknown key \"%.*s\"\n",
                    origin, (int) klen, key);
            rc = -1;
            break;
        }

        if (aw_option_set(cf, o, value, AW_SRC_FILE, origin) != 0) {
            rc = -1;
            break;
        }
    }

    fclose(f);

    return rc;
}


static int
aw_config_env(aw_config_t *cf)
{
    char         name[128], *p;
    const char  *value;
    size_t       i;

    for (i = 0; i < AW_NOPTIONS; i++) {
        if (aw_options[i].kind == AW_OPT_FLAG
            || strcmp(aw_options[i].name, "cancel") == 0)
        {
            continue;
        }

        snprintf(name, sizeof(name), "AGENT_ASYNC_WORKER_%s",
                 aw_options[i].name);

        for (p = name; *p; p++) {
            *p = (*p == '-') ? '_' : (char) toupper((unsigned char) *p);
        }

        value = getenv(name);
        if (value == NULL) {
            continue;
        }

        if (aw_option_set(cf, &aw_options[i], value, AW_SRC_ENV, name)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


/* Flags.  pass 0 only looks for --config and --help. */
static int
aw_config_argv(aw_config_t *cf, int argc, char **argv, int pass)
{
    int                 i;
    size_t              len;
    const char         *arg, *value, *eq;
    const aw_option_t  *o;

    for (i = 1; i < argc; i++) {
        arg = argv[i];

        if (strcmp(arg, "-h") == 0) {
            cf->help = 1;
            continue;
        }

        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "agent-async-worker: unexpected argument \"%s\" "
                    "(try --help)\n", arg);
            return -1;
        }

        arg += 2;
        eq = strchr(arg, '=');
        len = eq ? (size_t) (eq - arg) : strlen(arg);

        o = aw_option_find(arg, len);
        if (o == NULL) {
            fprintf(stderr, "agent-async-worker: unknown flag \"%s\" "
                    "(try --help)\n", argv[i]);
            return -1;
        }

        if (o->kind == AW_OPT_FLAG) {
            if (eq) {
                fprintf(stderr, "agent-async-worker: --%s takes no value\n",
                        o->name);
                return -1;
            }
            *(int *) ((char *) cf + o->offset) = 1;
            continue;
        }

        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "agent-async-worker: --%s needs a value\n",
                    o->name);
            return -1;
        }

        if ((pass == 0) != (strcmp(o->name, "config") == 0)) {
            continue;
        }

        if (aw_option_set(cf, o, value, AW_SRC_ARGV, "command line") != 0) {
            return -1;
        }
    }

    return 0;
}


static int
aw_config_redis(aw_config_t *cf)
{
    char   *colon, *end;
    long    port;

    free(cf->redis_host);
    free(cf->redis_unix);
    cf->redis_host = NULL;
    cf->redis_unix = NULL;

    if (strncmp(cf->redis, "unix:", 5) == 0) {
        if (cf->redis[5] == '\0') {
            fprintf(stderr, "agent-async-worker: redis: empty socket path\n");
            return -1;
        }
        cf->redis_unix = strdup(cf->redis + 5);
        return cf->redis_unix ? 0 : -1;
    }

    cf->redis_host = strdup(cf->redis);
    if (cf->redis_host == NULL) {
        return -1;
    }

    cf->redis_port = 6379;
    colon = strrchr(cf->redis_host, ':');

    if (colon != NULL) {
        errno = 0;
        port = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end != '\0' || port < 1
            || port > 65535)
        {
            fprintf(stderr, "agent-async-worker: redis: bad port in \"%s\" "
                    "(want host:port or unix:/path)\n", cf->redis);
            return -1;
        }
        cf->redis_port = (int) port;
        *colon = '\0';
    }

    if (cf->redis_host[0] == '\0') {
        fprintf(stderr, "agent-async-worker: redis: empty host in \"%s\"\n",
                cf->redis);
        return -1;
    }

    return 0;
}


/* the rules the module applies to the same settings: aa_conf.h */

/* --callback-allow into cf->allow */
static int
aw_config_allow(aw_config_t *cf)
{
    char    *list, *item, *save, *p, *e;
    size_t   n;

    free(cf->allow);
    cf->allow = NULL;
    cf->nallow = 0;

    if (cf->callback_allow == NULL) {
        return 0;
    }

    for (n = 1, p = cf->callback_allow; *p; p++) {
        n += *p == ',';
    }

    list = strdup(cf->callback_allow);
    cf->allow = calloc(n, sizeof(aw_cidr_t));

    if (list == NULL || cf->allow == NULL) {
        free(list);
        fprintf(stderr, "agent-async-worker: out of memory\n");
        return -1;
    }

    for (item = strtok_r(list, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save))
    {
        while (isspace((unsigned char) *item)) {
            item++;
        }

        e = item + strlen(item);
        while (e > item && isspace((unsigned char) e[-1])) {
            *--e = '\0';
        }

        if (aw_cidr_parse(item, &cf->allow[cf->nallow]) != 0) {
            fprintf(stderr, "agent-async-worker: callback-allow: \"%s\" is "
                    "not an address range such as 10.0.0.0/8 or fd00::/8\n",
                    item);
            free(list);
            return -1;
        }

        cf->nallow++;
    }

    free(list);

    if (cf->nallow == 0) {
        fprintf(stderr, "agent-async-worker: callback-allow: no range "
                "given\n");
        return -1;
    }

    return 0;
}


static int
aw_config_check(aw_config_t *cf)
{
    const char  *msg;

    if (aw_backend_find(cf->backend) == NULL) {
        fprintf(stderr, "agent-async-worker: backend \"%s\" is unknown "
                "(available: echo, openai, letta)\n", cf->backend);
        return -1;
    }

    if (strcmp(cf->backend, "letta") == 0 && cf->letta_url == NULL) {
        fprintf(stderr, "agent-async-worker: backend letta needs letta-url, "
                "the upstream Letta server\n");
        return -1;
    }

    if (cf->letta_url != NULL
        && ((strncmp(cf->letta_url, "http://", 7) != 0
             && strncmp(cf->letta_url, "https://", 8) != 0)
            || strpbrk(cf->letta_url, " \t\r\n@#?\\") != NULL))
    {
        fprintf(stderr, "agent-async-worker: letta-url \"%s\" must be "
                "http(s)://host[:port][/path], without user, query or "
                "fragment\n", cf->letta_url);
        return -1;
    }

    if (cf->fallback_backend != NULL
        && strcmp(cf->fallback_backend, "echo") != 0)
    {
        fprintf(stderr, "agent-async-worker: fallback-backend \"%s\" is "
                "unknown (available: echo)\n", cf->fallback_backend);
        return -1;
    }

    if (aw_provider_load(cf) != 0) {
        return -1;
    }

    msg = aa_conf_prefix_check(cf->prefix, strlen(cf->prefix));

    if (msg != NULL) {
        fprintf(stderr, "agent-async-worker: prefix \"%s\" %s\n",
                cf->prefix, msg);
        return -1;
    }

    msg = aa_conf_db_check(cf->redis_db);

    if (msg != NULL) {
        fprintf(stderr, "agent-async-worker: redis-db %s, not %d\n", msg,
                cf->redis_db);
        return -1;
    }

    if (cf->callback_backoff_max_ms < cf->callback_backoff_ms) {
        fprintf(stderr, "agent-async-worker: callback-backoff-max-ms (%d) "
                "must be at least callback-backoff-ms (%d)\n",
                cf->callback_backoff_max_ms, cf->callback_backoff_ms);
        return -1;
    }

    /* the secret itself is never printed */
    if (cf->callback_secret != NULL
        && aw_sign_secret(cf->callback_secret, cf->sign_key,
                          &cf->sign_keylen) != 0)
    {
        fprintf(stderr, "agent-async-worker: callback-secret must be "
                "\"whsec_\" and a base64 key of 1 to %d bytes\n",
                AW_SIGN_KEY_MAX);
        return -1;
    }

    if (aw_config_allow(cf) != 0) {
        return -1;
    }

    if (cf->lease_ttl_ms < 2 * cf->heartbeat_ms) {
        fprintf(stderr, "agent-async-worker: lease-ttl-ms (%d) must be at "
                "least twice heartbeat-ms (%d)\n",
                cf->lease_ttl_ms, cf->heartbeat_ms);
        return -1;
    }

    return aw_config_redis(cf);
}


int
aw_config_load(aw_config_t *cf, int argc, char **argv)
{
    size_t       i;
    const char  *path;

    memset(cf, 0, sizeof(aw_config_t));

    for (i = 0; i < AW_NOPTIONS; i++) {
        if (aw_options[i].deflt != NULL
            && aw_option_set(cf, &aw_options[i], aw_options[i].deflt,
                             AW_SRC_DEFAULT,
                             "default") != 0)
        {
            return -1;
        }
    }

    /* the config file is named by a flag or by the environment */
    if (aw_config_argv(cf, argc, argv, 0) != 0) {
        return -1;
    }

    if (cf->help) {
        return 0;
    }

    path = cf->config ? cf->config : getenv("AGENT_ASYNC_WORKER_CONFIG");

    if (path != NULL && *path != '\0') {
        if (cf->config == NULL) {
            cf->config = strdup(path);
        }
        if (aw_config_file(cf, path) != 0) {
            return -1;
        }
    }

    if (aw_config_env(cf) != 0 || aw_config_argv(cf, argc, argv, 1) != 0) {
        return -1;
    }

    if (cf->help) {
        return 0;
    }

    return aw_config_check(cf);
}


void
aw_config_free(aw_config_t *cf)
{
    size_t  i;

    for (i = 0; i < AW_NOPTIONS; i++) {
        if (aw_options[i].kind == AW_OPT_STRING
            || aw_options[i].kind == AW_OPT_LIST)
        {
            free(*(char **) ((char *) cf + aw_options[i].offset));
        }
    }

    free(cf->allow);
    free(cf->redis_host);
    free(cf->redis_unix);
    memset(cf, 0, sizeof(aw_config_t));
}


void
aw_config_usage(const char *argv0)
{
    size_t  i;

    printf("usage: %s [--flag value]...\n\n"
           "Executes the runs queued in Redis by ngx_http_agent_async_module"
           "\n(docs/worker.md, docs/redis-keys.md).\n\n", argv0);

    for (i = 0; i < AW_NOPTIONS; i++) {
        printf("  --%-24s %s", aw_options[i].name, aw_options[i].help);
        if (aw_options[i].deflt) {
            printf(" [%s]", aw_options[i].deflt);
        }
        printf("\n");
    }

    printf("\nEvery option but help and cancel may also be set in the "
           "environment\n(AGENT_ASYNC_WORKER_REDIS, "
           "AGENT_ASYNC_WORKER_ECHO_DELAY_MS, ...) or in the\nconfig file "
           "(\"echo-delay-ms 250\").  Flags override the environment, "
           "which\noverrides the file.\n");
}
