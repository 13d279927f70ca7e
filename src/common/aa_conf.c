/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include "aa_conf.h"


typedef const char *(*aa_conf_char_pt)(unsigned char c);

static const char *aa_conf_name(const char *s, size_t len, size_t max,
    const char *too_long, aa_conf_char_pt check);
static const char *aa_conf_prefix_char(unsigned char c);
static const char *aa_conf_tenant_char(unsigned char c);


/* 1 to max bytes, each of which check() accepts */

static const char *
aa_conf_name(const char *s, size_t len, size_t max, const char *too_long,
    aa_conf_char_pt check)
{
    size_t       i;
    const char  *msg;

    if (len == 0 || len > max) {
        return too_long;
    }

    for (i = 0; i < len; i++) {
        msg = check((unsigned char) s[i]);

        if (msg != NULL) {
            return msg;
        }
    }

    return NULL;
}


/* the prefix ends up in key names and inside Lua string concatenation */

static const char *
aa_conf_prefix_char(unsigned char c)
{
    if (c <= ' ' || c >= 0x7f) {
        return "must be printable ASCII characters without spaces";
    }

    if (c == '{' || c == '}') {
        return "must not contain \"{\" or \"}\", "
               "they delimit the keys' hash tags";
    }

    return NULL;
}


/* tenants are part of key names: no separator, no hash tag */

static const char *
aa_conf_tenant_char(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
    {
        return NULL;
    }

    return "may only contain letters, digits, \"-\", \"_\" and \".\"";
}


const char *
aa_conf_prefix_check(const char *s, size_t len)
{
    return aa_conf_name(s, len, AA_CONF_PREFIX_MAX,
                        "must be 1 to 64 characters long",
                        aa_conf_prefix_char);
}


const char *
aa_conf_tenant_check(const char *s, size_t len)
{
    return aa_conf_name(s, len, AA_CONF_TENANT_MAX,
                        "must be 1 to 64 characters long",
                        aa_conf_tenant_char);
}


const char *
aa_conf_db_check(int64_t n)
{
    if (n < 0 || n > AA_CONF_DB_MAX) {
        return "must be between 0 and 1023";
    }

    return NULL;
}
