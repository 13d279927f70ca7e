/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Letta message objects (spec 6.1, 6.2) and LettaUsageStatistics (6.3),
 * as the worker stores them in P{A}:run:R:messages and the run's "usage"
 * field, and as the module serves them back.
 */

#ifndef AA_MESSAGE_H
#define AA_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "aa_buf.h"
#include "aa_id.h"

typedef struct {
    const char  *id;            /* "message-<uuid4>" */
    int64_t      date_us;       /* rendered with aa_time_msg() */
    const char  *message_type;  /* "user_message", "assistant_message"... */
    const char  *otid;          /* NULL renders null */
    const char  *step_id;       /* NULL renders null */
    const char  *run_id;        /* NULL renders null */
    const char  *content;       /* a JSON value: string or array of parts */
    size_t       content_len;
    const char  *fields;        /* or, in its place: members of the
                                   message's type (tool_call_message...),
                                   JSON text without braces; NULL: none */
    size_t       fields_len;
} aa_message_t;

/*
 * Appends the message object with every common field, in Letta's order:
 * id, date, name, message_type, otid, sender_id, step_id, is_err, seq_id,
 * run_id, content (or m->fields).  name, sender_id, is_err and seq_id are
 * null.
 */
int aa_message_render(aa_buf_t *out, const aa_message_t *m);

/*
 * The otid of the part-th Letta message derived from a stored assistant
 * message: the UUID of message_id ("message-<uuid4>") with its lowest 7
 * bits replaced by part (spec 6.1).  0, or -1 if message_id is malformed.
 */
int aa_message_part_otid(const char *message_id, unsigned part,
    char out[AA_UUID_LEN + 1]);

typedef struct {
    int64_t      completion_tokens;
    int64_t      prompt_tokens;
    int64_t      step_count;
} aa_usage_t;

/* Appends a LettaUsageStatistics object; the nullable counters are null. */
int aa_usage_render(aa_buf_t *out, const aa_usage_t *u);

/* A step of a run, as GET /v1/runs/{id}/steps answers it. */
typedef struct {
    const char  *id;                /* "step-<uuid4>" */
    const char  *run_id;
    const char  *agent_id;
    const char  *model;             /* NULL: null */
    const char  *stop_reason;       /* NULL: null */
    const char  *status;            /* "success", "failed", "cancelled" */
    int64_t      completion_tokens;
    int64_t      prompt_tokens;
} aa_step_t;

/* Appends the Step object; what we do not track is null (or []). */
int aa_step_render(aa_buf_t *out, const aa_step_t *s);

/* Number of whitespace-separated words in s: the echo backend's tokens. */
int64_t aa_count_words(const char *s, size_t len);

#endif
