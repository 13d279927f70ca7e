/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>

#include "aa_json.h"
#include "aw_context.h"


int64_t
aw_context_tokens(size_t bytes)
{
    /* and a few for the message's own framing */
    return (int64_t) (bytes + 3) / 4 + 4;
}


/* the role of a history entry, without parsing it all */
static int
aw_context_is_user(const char *item, size_t len)
{
    static const char  user[] = "{\"role\":\"user\",";

    return len > sizeof(user) - 1 && memcmp(item, user, sizeof(user) - 1) == 0;
}


size_t
aw_context_fit(char **items, const size_t *lens, size_t n, int64_t budget)
{
    size_t   i;
    int64_t  used;

    used = 0;
    i = n;

    while (i > 0) {
        used += aw_context_tokens(lens[i - 1]);
        if (used > budget) {
            break;
        }
        i--;
    }

    while (i < n && !aw_context_is_user(items[i], lens[i])) {
        i++;
    }

    return i;
}


static int
aw_context_valid(const char *item, size_t len)
{
    char      err[8];
    yajl_val  v, role;
    int       ok;

    v = aa_json_parse(item, len, err, sizeof(err));
    role = aa_json_get(v, "role");
    ok = role != NULL && YAJL_IS_STRING(role);

    if (v != NULL) {
        yajl_tree_free(v);
    }

    return ok;
}


int
aw_context_messages(aa_buf_t *out, const char *system, size_t system_len,
    char **items, const size_t *lens, size_t from, size_t n,
    const aw_strv_t *turn)
{
    size_t  i;

    aa_buf_puts(out, "[{\"role\":\"system\",\"content\":");
    aa_buf_json_string(out, system, system_len);
    aa_buf_putc(out, '}');

    for (i = from; i < n; i++) {
        /* the history is the worker's own writing; still, JSON only */
        if (aw_context_valid(items[i], lens[i])) {
            aa_buf_putc(out, ',');
            aa_buf_append(out, items[i], lens[i]);
        }
    }

    for (i = 0; i < turn->n; i++) {
        aa_buf_putc(out, ',');
        aa_buf_append(out, turn->items[i], turn->lens[i]);
    }

    return aa_buf_putc(out, ']');
}
