/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Where the openai backend may send an agent's model calls, and with
 * which key (docs/backends.md).  The operator configures providers
 * (--provider NAME=URL; the key from the environment, NAME_API_KEY, or
 * from a file, --provider-key-file NAME=PATH, never from the command
 * line) and URL prefixes an agent's own llm_config.model_endpoint may
 * start with (--allow-model-endpoint).  Nothing else is ever connected
 * to: an agent cannot point the worker at an address of its choosing.
 * Loaded once at startup; read-only afterwards, shared by every slot.
 */

#ifndef AW_PROVIDER_H
#define AW_PROVIDER_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "aw_config.h"

#define AW_PROVIDERS_MAX  32

typedef struct {
    char  *name;                /* lower case */
    char  *url;                 /* base URL, without a trailing '/' */
    char  *key;                 /* NULL when none */
} aw_provider_t;

/* Where one agent's calls go. */
typedef struct {
    const char  *base;          /* base URL: /chat/completions is added */
    size_t       base_len;
    const char  *key;           /* NULL: no Authorization header */
    const char  *provider;      /* its name, NULL for an allowed endpoint */
} aw_route_t;

/*
 * Parses and checks --provider, --provider-key-file and
 * --allow-model-endpoint, reads the keys.  0, or -1 after a message on
 * stderr.
 */
int aw_provider_load(const aw_config_t *cf);

/* The number of providers configured. */
size_t aw_provider_count(void);

typedef enum {
    AW_ROUTE_OK = 0,
    AW_ROUTE_NONE,              /* no provider for the agent: fallback */
    AW_ROUTE_REFUSED            /* an endpoint nobody allowed */
} aw_route_rc_e;

/*
 * The route of an agent of llm settings llm (its model_endpoint_type and
 * model_endpoint; NULL for none): an aw_route_rc_e, with why in err when
 * not AW_ROUTE_OK.
 */
int aw_provider_route(yajl_val llm, aw_route_t *rt, char *err, size_t size);

/* The route to the provider called name (len bytes): as above. */
int aw_provider_route_name(const char *name, size_t len, aw_route_t *rt,
    char *err, size_t size);

/*
 * 1 when url starts with prefix and the match ends at a boundary of the
 * URL ("/", "?", the end, or a prefix ending in "/"), and url has nothing
 * that would take a request elsewhere (user-info, "..", backslashes,
 * spaces or control characters).  Exposed for the unit tests.
 */
int aw_url_under(const char *url, const char *prefix);

#endif
