/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * URLs as they may be logged: without the parts that carry secrets.
 */

#ifndef AA_URL_H
#define AA_URL_H

#include <stddef.h>

/* room for any callback_url the module accepts (2048 bytes), NUL included */
#define AA_URL_SHOWN_MAX  2049

/*
 * Writes url (len bytes, no NUL needed) into out (size bytes) without its
 * user-info part ("user:password@") and without its query and fragment,
 * which often carry tokens:
 *
 *     https://user:secret@host:8443/hook?token=x#y  ->  https://host:8443/hook
 *
 * The authority is read as the module's URL check reads it: after
 * "scheme://" (from the start when there is none, as curl does), up to
 * the first "/", "?" or "#"; user-info ends at its last "@".  Control
 * characters are written as "?", so that a URL cannot break a log line.
 * The result is cut to size - 1 bytes and NUL-terminated (size > 0); the
 * return value is its whole length, as with snprintf.
 */
size_t aa_url_redact(char *out, size_t size, const char *url, size_t len);

#endif
