/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aa_time.h"
#include "aw_log.h"


int  aw_log_level = AW_LOG_INFO;

static __thread const char  *aw_log_name = "main";

static const char  *aw_log_levels[] = { "ERROR", "WARN ", "INFO ", "DEBUG" };


void
aw_log_thread(const char *name)
{
    aw_log_name = name;
}


int
aw_log_parse_level(const char *s)
{
    if (strcmp(s, "error") == 0) {
        return AW_LOG_ERROR;
    }
    if (strcmp(s, "warn") == 0) {
        return AW_LOG_WARN;
    }
    if (strcmp(s, "info") == 0) {
        return AW_LOG_INFO;
    }
    if (strcmp(s, "debug") == 0) {
        return AW_LOG_DEBUG;
    }
    return -1;
}


void
aw_log(int level, const char *run, const char *agent, const char *fmt, ...)
{
    char     line[2048];
    size_t   n, room;
    int      m;
    ssize_t  w;
    va_list  ap;

    if (level > aw_log_level) {
        return;
    }

    n = aa_time_run(aa_now_us(), line);

    m = snprintf(line + n, sizeof(line) - n, " %s %s run=%s agent=%s ",
                 aw_log_levels[level], aw_log_name,
                 run ? run : "-", agent ? agent : "-");
    if (m > 0) {
        n += (size_t) m;
    }

    /* keep room for the newline; a long message is cut */
    if (n < sizeof(line) - 1) {
        room = sizeof(line) - 1 - n;
        va_start(ap, fmt);
        m = vsnprintf(line + n, room, fmt, ap);
        va_end(ap);
        if (m > 0) {
            n += (size_t) m < room ? (size_t) m : room - 1;
        }
    } else {
        n = sizeof(line) - 1;
    }

    line[n++] = '\n';

    /* one write(2) per line keeps lines of concurrent threads whole */
    w = write(STDERR_FILENO, line, n);
    (void) w;
}
