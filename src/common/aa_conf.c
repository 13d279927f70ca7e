/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include "aa_conf.h"


const char *
aa_conf_prefix_check(const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || len > AA_CONF_PREFIX_MAX) {
        return "must be 1 to 64 characters long";
    }

    /* the prefix also ends up inside Lua string concatenation */

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c <= ' ' || c >= 0x7f) {
            return "must be printable ASCII characters without spaces";
        }

        if (c == '{' || c == '}') {
            return "must not contain \"{\" or \"}\", "
                   "they delimit the keys' hash tags";
        }
    }

    return NULL;
}


const char *
aa_conf_tenant_check(const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    /* tenants are part of key names: no separator, no hash tag */

    if (len == 0 || len > AA_CONF_TENANT_MAX) {
        return "must be 1 to 64 characters long";
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
        {
            return "may only contain letters, digits, \"-\", \"_\" and \".\"";
        }
    }

    return NULL;
}


const char *
aa_conf_db_check(int64_t n)
{
    if (n < 0 || n > AA_CONF_DB_MAX) {
        return "must be between 0 and 1023";
    }

    return NULL;
}
