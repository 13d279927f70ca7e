/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * One claimed run while it executes: its input, the messages it produces,
 * its clocks, and the cancellation check.
 */

#ifndef AW_JOB_H
#define AW_JOB_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "aa_buf.h"
#include "aa_id.h"
#include "aa_message.h"
#include "aw_backend.h"
#include "aw_redis.h"
#include "aw_store.h"
#include "aw_strv.h"

typedef enum {
    AW_JOB_DONE = 0,        /* stop_reason set (default end_turn) */
    AW_JOB_FAILED,          /* error set: failed, stop_reason "error" */
    AW_JOB_CANCELLED,       /* cancel_requested: cancelled */
    AW_JOB_SHUTDOWN         /* drain grace over: the run is handed back */
} aw_job_rc_e;

struct aw_job_s {
    aw_redis_t  *redis;                 /* the slot's connection */
    aw_claim_t   claim;                 /* the run, as claimed */

    /* input */
    int          upstream_agent;        /* no local agent hash needed */
    yajl_val     req;                   /* claim.request parsed, or NULL */
    yajl_val     messages;              /* req.messages, an array */
    yajl_val     llm;                   /* claim.llm parsed, or NULL */
    const char  *system;                /* the agent's system prompt */
    const char  *model;                 /* llm.model, or NULL */

    /* clocks */
    int64_t      claim_ns;              /* monotonic, at claim */
    int64_t      first_output_ns;       /* 0 until the first output */
    int64_t      last_check_ns;

    /* output */
    char         step_id[AA_ID_MAX];
    aw_strv_t    out_messages;          /* Letta message JSON, in order */
    aw_strv_t    out_steps;             /* Step JSON, in order */
    aw_strv_t    out_history;           /* chat messages for P{A}:history */
    aa_usage_t   usage;
    const char  *stop_reason;
    aa_buf_t     error;
    const char  *fail_reason;           /* stop_reason of a failure, NULL:
                                           "error" */
    int          keep_messages;         /* a failure keeps its messages */
    int          upstream_busy;         /* letta: a call the upstream got
                                           was aborted; it may run still */
};

void aw_job_init(aw_job_t *job, aw_redis_t *redis);
void aw_job_free(aw_job_t *job);

/*
 * Parses the job's request, and the agent's settings as the claim read
 * them (system, llm: an llm that is not a JSON object counts as none);
 * on failure sets job->error and returns -1.
 */
int aw_job_prepare(aw_job_t *job);

/*
 * The backend's pulse: 0 to go on, AW_JOB_CANCELLED when the run's
 * cancel_requested is set (read from Redis at most every 100 ms),
 * AW_JOB_SHUTDOWN when the worker's drain grace is over.
 */
int aw_job_check(aw_job_t *job);

/* Sleeps ms, checking all the while; returns as aw_job_check(). */
int aw_job_sleep(aw_job_t *job, int ms);

/* Marks the time to first token (the first call only). */
void aw_job_output(aw_job_t *job);

/*
 * Appends a Letta message of the run: content is a JSON value (string or
 * array of parts); otid NULL gives the part-0 otid of the new message id
 * for assistant, tool call and reasoning messages, null otherwise.  0 or -1.
 */
int aw_job_message(aw_job_t *job, const char *message_type,
    const char *otid, const char *content, size_t content_len);

/*
 * The same with the members of the message's type (tool_call_message,
 * tool_return_message, reasoning_message...) in place of content: JSON
 * text without braces.
 */
int aw_job_message_fields(aw_job_t *job, const char *message_type,
    const char *otid, const char *content, size_t content_len,
    const char *fields, size_t fields_len);

/* A new job->step_id, for the next step.  0 or -1. */
int aw_job_next_step(aw_job_t *job);

/*
 * The text of a message's content: a string, or the "text" parts of an
 * array of parts (others ignored).  0, or -1 when it is neither.
 */
int aw_job_content_text(yajl_val content, aa_buf_t *text);

/*
 * Appends the run's current step (job->step_id) with its token counts and
 * stop reason (NULL: none yet); model NULL for none.  0 or -1.
 */
int aw_job_step(aw_job_t *job, const char *model, int64_t completion_tokens,
    int64_t prompt_tokens, const char *stop_reason);

/* Appends {"role":role,"content":text} to the agent's history. */
int aw_job_history(aw_job_t *job, const char *role, const char *text,
    size_t len);

/* Sets the failure text; returns AW_JOB_FAILED. */
int aw_job_fail(aw_job_t *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The same, the run's stop_reason being stop_reason (llm_api_error...). */
int aw_job_fail_as(aw_job_t *job, const char *stop_reason, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

#endif
