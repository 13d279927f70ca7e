/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The job built from a validated LettaAsyncRequest (aa_request.h): the
 * normalised messages, each with its "type" and an "otid", and the run's
 * request_config.
 */

#ifndef AA_REQUEST_JOB_H
#define AA_REQUEST_JOB_H

#include <stdint.h>

#include "aa_buf.h"
#include "aa_validate.h"

/* What validation keeps of the body for the builder; NULL: absent. */
typedef struct {
    yajl_val      messages;         /* a non-empty array, or NULL */
    yajl_val      input;            /* used when messages is NULL */
    yajl_val      override_model;
    yajl_val      override_system;
    yajl_val      include_types;    /* include_return_message_types */
    yajl_val      tool_name;        /* assistant_message_tool_name */
    yajl_val      tool_kwarg;       /* assistant_message_tool_kwarg */
    int64_t       max_steps;
    int           use_assistant_message;
    int           include_compaction;
} aa_job_fields_t;

/*
 * Writes the job and request_config of aa_async_request_t from f, whose
 * values passed validation.  Returns AA_OK, or AA_NOMEM (also when no
 * random UUID could be had for an otid).
 */
int aa_job_build(aa_buf_t *job, aa_buf_t *request_config,
    const aa_job_fields_t *f);

/*
 * The type a message item gets in the job, as Letta infers it: "message",
 * "approval" or "tool_return"; NULL when its "type" is none of these.
 */
const char *aa_job_message_type(yajl_val item);

/*
 * The type of an item of "approvals": "approval" or "tool"; NULL when it
 * has no type and none can be inferred, "" when its type is another one.
 */
const char *aa_job_approval_type(yajl_val item);

#endif
