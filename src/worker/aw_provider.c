/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aa_json.h"
#include "aw_provider.h"


#define AW_KEY_MAX  4096


static aw_provider_t   aw_providers[AW_PROVIDERS_MAX];
static size_t          aw_nproviders;
static char           *aw_allowed[AW_PROVIDERS_MAX];
static size_t          aw_nallowed;


/* http(s)://host..., with nothing that could take a request elsewhere */
static int
aw_url_clean(const char *url)
{
    const char  *p, *host;

    if (strncmp(url, "http://", 7) == 0) {
        host = url + 7;

    } else if (strncmp(url, "https://", 8) == 0) {
        host = url + 8;

    } else {
        return 0;
    }

    if (*host == '\0' || *host == '/') {
        return 0;
    }

    for (p = url; *p; p++) {
        if ((unsigned char) *p <= 0x20 || *p == 0x7f || *p == '@'
            || *p == '\\' || *p == '#')
        {
            return 0;
        }
    }

    return strstr(url, "..") == NULL && strstr(url, "%2e") == NULL
           && strstr(url, "%2E") == NULL;
}


int
aw_url_under(const char *url, const char *prefix)
{
    size_t  n;
    char    next;

    n = strlen(prefix);

    if (n == 0 || !aw_url_clean(url) || strncmp(url, prefix, n) != 0) {
        return 0;
    }

    next = url[n];

    return prefix[n - 1] == '/' || next == '\0' || next == '/'
           || next == '?';
}


static char *
aw_provider_trim(char *s)
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


static aw_provider_t *
aw_provider_find(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < aw_nproviders; i++) {
        if (strlen(aw_providers[i].name) == len
            && strncasecmp(aw_providers[i].name, name, len) == 0)
        {
            return &aw_providers[i];
        }
    }

    return NULL;
}


/*
 * Splits a comma-separated list and calls one() on each item; the copy
 * it works on is freed here.
 */
static int
aw_provider_each(const char *list, const char *what,
    int (*one)(char *item, const char *what))
{
    char  *copy, *item, *save;
    int    rc;

    if (list == NULL) {
        return 0;
    }

    copy = strdup(list);
    if (copy == NULL) {
        fprintf(stderr, "agent-async-worker: out of memory\n");
        return -1;
    }

    rc = 0;

    for (item = strtok_r(copy, ",", &save); item != NULL && rc == 0;
         item = strtok_r(NULL, ",", &save))
    {
        rc = one(aw_provider_trim(item), what);
    }

    free(copy);

    return rc;
}


static int
aw_provider_one(char *item, const char *what)
{
    char           *eq, *url, *p, env[128];
    const char     *key;
    size_t          n;
    aw_provider_t  *pr;

    eq = strchr(item, '=');
    url = eq != NULL ? aw_provider_trim(eq + 1) : NULL;
    n = eq != NULL ? (size_t) (eq - item) : 0;

    while (n > 0 && isspace((unsigned char) item[n - 1])) {
        n--;
    }

    for (p = item; p < item + n; p++) {
        if (!isalnum((unsigned char) *p) && *p != '-' && *p != '_') {
            break;
        }
    }

    if (n == 0 || n > 64 || p != item + n || url == NULL
        || !aw_url_clean(url))
    {
        fprintf(stderr, "agent-async-worker: %s: \"%s\" is not NAME=URL "
                "with an http:// or https:// URL (no user-info, \"..\" or "
                "fragment)\n", what, item);
        return -1;
    }

    if (aw_provider_find(item, n) != NULL) {
        fprintf(stderr, "agent-async-worker: %s: provider \"%.*s\" given "
                "twice\n", what, (int) n, item);
        return -1;
    }

    if (aw_nproviders == AW_PROVIDERS_MAX) {
        fprintf(stderr, "agent-async-worker: %s: more than %d providers\n",
                what, AW_PROVIDERS_MAX);
        return -1;
    }

    pr = &aw_providers[aw_nproviders];
    pr->name = strndup(item, n);
    pr->url = strdup(url);

    if (pr->name == NULL || pr->url == NULL) {
        fprintf(stderr, "agent-async-worker: out of memory\n");
        return -1;
    }

    for (p = pr->name; *p; p++) {
        *p = (char) tolower((unsigned char) *p);
    }

    n = strlen(pr->url);
    while (n > 0 && pr->url[n - 1] == '/') {
        pr->url[--n] = '\0';
    }

    /* NAME_API_KEY: OPENAI_API_KEY for "openai" */
    snprintf(env, sizeof(env), "%s_API_KEY", pr->name);
    for (p = env; *p; p++) {
        *p = (*p == '-') ? '_' : (char) toupper((unsigned char) *p);
    }

    key = getenv(env);
    if (key != NULL && key[0] != '\0') {
        pr->key = strdup(key);
        if (pr->key == NULL) {
            fprintf(stderr, "agent-async-worker: out of memory\n");
            return -1;
        }
    }

    aw_nproviders++;

    return 0;
}


static int
aw_provider_key_file(char *item, const char *what)
{
    char           *eq, *path, buf[AW_KEY_MAX + 2], *key;
    size_t          n, len;
    FILE           *f;
    aw_provider_t  *pr;

    eq = strchr(item, '=');
    n = eq != NULL ? (size_t) (eq - item) : 0;
    pr = n > 0 ? aw_provider_find(item, n) : NULL;

    if (pr == NULL) {
        fprintf(stderr, "agent-async-worker: %s: \"%s\" is not NAME=PATH "
                "of a provider given with --provider\n", what, item);
        return -1;
    }

    path = aw_provider_trim(eq + 1);
    f = fopen(path, "r");

    if (f == NULL) {
        fprintf(stderr, "agent-async-worker: %s: cannot open \"%s\": %s\n",
                what, path, strerror(errno));
        return -1;
    }

    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';

    key = aw_provider_trim(buf);

    if (len > AW_KEY_MAX || key[0] == '\0' || strchr(key, '\n') != NULL) {
        fprintf(stderr, "agent-async-worker: %s: \"%s\" must hold one key "
                "of at most %d bytes\n", what, path, AW_KEY_MAX);
        memset(buf, 0, sizeof(buf));
        return -1;
    }

    free(pr->key);
    pr->key = strdup(key);
    memset(buf, 0, sizeof(buf));

    if (pr->key == NULL) {
        fprintf(stderr, "agent-async-worker: out of memory\n");
        return -1;
    }

    return 0;
}


static int
aw_provider_allow(char *item, const char *what)
{
    if (!aw_url_clean(item)) {
        fprintf(stderr, "agent-async-worker: %s: \"%s\" is not an http:// "
                "or https:// URL prefix (no user-info, \"..\" or "
                "fragment)\n", what, item);
        return -1;
    }

    if (aw_nallowed == AW_PROVIDERS_MAX) {
        fprintf(stderr, "agent-async-worker: %s: more than %d prefixes\n",
                what, AW_PROVIDERS_MAX);
        return -1;
    }

    aw_allowed[aw_nallowed] = strdup(item);

    if (aw_allowed[aw_nallowed] == NULL) {
        fprintf(stderr, "agent-async-worker: out of memory\n");
        return -1;
    }

    aw_nallowed++;

    return 0;
}


int
aw_provider_load(const aw_config_t *cf)
{
    size_t  i;

    /* loaded once; a second load (unit tests) starts afresh */
    for (i = 0; i < aw_nproviders; i++) {
        free(aw_providers[i].name);
        free(aw_providers[i].url);
        free(aw_providers[i].key);
    }

    for (i = 0; i < aw_nallowed; i++) {
        free(aw_allowed[i]);
    }

    memset(aw_providers, 0, sizeof(aw_providers));
    aw_nproviders = 0;
    aw_nallowed = 0;

    if (aw_provider_each(cf->provider, "provider", aw_provider_one) != 0
        || aw_provider_each(cf->provider_key_file, "provider-key-file",
                            aw_provider_key_file) != 0
        || aw_provider_each(cf->allow_model_endpoint,
                            "allow-model-endpoint", aw_provider_allow) != 0)
    {
        return -1;
    }

    return 0;
}


size_t
aw_provider_count(void)
{
    return aw_nproviders;
}


int
aw_provider_route_name(const char *name, size_t len, aw_route_t *rt,
    char *err, size_t size)
{
    aw_provider_t  *pr;

    memset(rt, 0, sizeof(aw_route_t));
    pr = aw_provider_find(name, len);

    if (pr == NULL) {
        snprintf(err, size, "no provider \"%.*s\" is configured "
                 "(--provider)", (int) (len < 64 ? len : 64), name);
        return AW_ROUTE_NONE;
    }

    rt->base = pr->url;
    rt->base_len = strlen(pr->url);
    rt->key = pr->key;
    rt->provider = pr->name;

    return AW_ROUTE_OK;
}


int
aw_provider_route(yajl_val llm, aw_route_t *rt, char *err, size_t size)
{
    yajl_val        type, endpoint;
    const char     *t, *e;
    size_t          i;

    memset(rt, 0, sizeof(aw_route_t));
    err[0] = '\0';

    type = aa_json_get(llm, "model_endpoint_type");
    endpoint = aa_json_get(llm, "model_endpoint");

    t = (type != NULL && YAJL_IS_STRING(type)) ? type->u.string : "";
    e = (endpoint != NULL && YAJL_IS_STRING(endpoint)) ? endpoint->u.string
                                                       : "";

    if (e[0] != '\0') {
        /* a provider's own URL gets its key; an allowed prefix none */
        for (i = 0; i < aw_nproviders; i++) {
            if (aw_url_under(e, aw_providers[i].url)) {
                rt->base = e;
                rt->key = aw_providers[i].key;
                rt->provider = aw_providers[i].name;
                break;
            }
        }

        for (i = 0; rt->base == NULL && i < aw_nallowed; i++) {
            if (aw_url_under(e, aw_allowed[i])) {
                rt->base = e;
            }
        }

        if (rt->base == NULL) {
            snprintf(err, size, "llm_config.model_endpoint %.200s is not "
                     "allowed: it is no provider's URL and starts with no "
                     "prefix of --allow-model-endpoint", e);
            return AW_ROUTE_REFUSED;
        }

    } else {
        return aw_provider_route_name(t, strlen(t), rt, err, size);
    }

    rt->base_len = strlen(rt->base);

    while (rt->base_len > 0 && rt->base[rt->base_len - 1] == '/') {
        rt->base_len--;
    }

    return AW_ROUTE_OK;
}
