/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Configuration rules the module's directives and the worker's options
 * share, so that both refuse the same values.  Each check returns NULL
 * when the value is acceptable, else what is wrong with it, worded to
 * follow the value's name: "prefix \"x{\" must not contain ...".
 */

#ifndef AA_CONF_H
#define AA_CONF_H

#include <stddef.h>
#include <stdint.h>

#define AA_CONF_PREFIX_MAX  64      /* bytes */
#define AA_CONF_TENANT_MAX  64      /* bytes */
#define AA_CONF_DB_MAX      1023

/*
 * The key prefix (agent_async_redis_prefix, --prefix): 1 to 64 printable
 * ASCII characters, no space, no "{" or "}" (they would break the hash
 * tags of docs/redis-keys.md).
 */
const char *aa_conf_prefix_check(const char *s, size_t len);

/* A tenant name (agent_async_token): 1 to 64 of A-Z a-z 0-9 - _ . */
const char *aa_conf_tenant_check(const char *s, size_t len);

/* The Redis database (agent_async_redis_db, --redis-db): 0 to 1023. */
const char *aa_conf_db_check(int64_t n);

#endif
