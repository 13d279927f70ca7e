/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * One line per event on stderr:
 *
 *   2026-05-14T10:00:00.123456Z INFO  slot3 run=run-.. agent=agent-.. completed
 *
 * run and agent are "-" when the event has none.
 */

#ifndef AW_LOG_H
#define AW_LOG_H

enum {
    AW_LOG_ERROR = 0,
    AW_LOG_WARN,
    AW_LOG_INFO,
    AW_LOG_DEBUG
};

extern int  aw_log_level;

/* Names the calling thread in its log lines ("main", "slot0", "hb"). */
void aw_log_thread(const char *name);

/* Level from "error", "warn", "info" or "debug"; -1 if unknown. */
int aw_log_parse_level(const char *s);

void aw_log(int level, const char *run, const char *agent,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define aw_log_error(run, agent, ...)                                        \
    aw_log(AW_LOG_ERROR, run, agent, __VA_ARGS__)
#define aw_log_warn(run, agent, ...)                                         \
    do { if (aw_log_level >= AW_LOG_WARN)                                    \
        aw_log(AW_LOG_WARN, run, agent, __VA_ARGS__); } while (0)
#define aw_log_info(run, agent, ...)                                         \
    do { if (aw_log_level >= AW_LOG_INFO)                                    \
        aw_log(AW_LOG_INFO, run, agent, __VA_ARGS__); } while (0)
#define aw_log_debug(run, agent, ...)                                        \
    do { if (aw_log_level >= AW_LOG_DEBUG)                                   \
        aw_log(AW_LOG_DEBUG, run, agent, __VA_ARGS__); } while (0)

#endif
