/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include "aa_url.h"


/* Appends len bytes at out + n (as far as they fit); returns the new n. */
static size_t
aa_url_put(char *out, size_t size, size_t n, const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < len; i++, n++) {
        if (n + 1 < size) {
            c = (unsigned char) s[i];
            out[n] = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
        }
    }

    return n;
}


size_t
aa_url_redact(char *out, size_t size, const char *url, size_t len)
{
    size_t  i, host, end, at, n;

    /* the authority starts after "scheme://", or at the start */

    host = 0;

    for (i = 0; i < len; i++) {
        if (url[i] == ':') {
            if (len - i >= 3 && url[i + 1] == '/' && url[i + 2] == '/') {
                host = i + 3;
            }
            break;
        }

        if (url[i] == '/' || url[i] == '?' || url[i] == '#'
            || url[i] == '@')
        {
            break;
        }
    }

    for (end = host; end < len; end++) {
        if (url[end] == '/' || url[end] == '?' || url[end] == '#') {
            break;
        }
    }

    /* user-info ends at the last "@" of the authority (at = host: none) */

    for (at = end; at > host && url[at - 1] != '@'; at--) {
        /* void */
    }

    /* the path ends at the query or the fragment */

    while (end < len && url[end] != '?' && url[end] != '#') {
        end++;
    }

    n = aa_url_put(out, size, 0, url, host);
    n = aa_url_put(out, size, n, url + at, end - at);

    if (size > 0) {
        out[n < size ? n : size - 1] = '\0';
    }

    return n;
}
