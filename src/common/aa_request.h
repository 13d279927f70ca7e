/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Validation of LettaAsyncRequest, the body of
 * POST /v1/agents/{agent_id}/messages/async (spec sections 2.3 - 2.7),
 * built on aa_validate.h; the job it becomes is written by
 * aa_request_job.c.
 */

#ifndef AA_REQUEST_H
#define AA_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "aa_buf.h"
#include "aa_errors.h"
#include "aa_json.h"
#include "aa_validate.h"

/*
 * The body may nest this deep: "input" parts land two levels deeper in the
 * job ({"messages":[{"content":...}]}), which must pass aa_json_parse().
 */
#define AA_REQUEST_MAX_DEPTH  (AA_JSON_MAX_DEPTH - 2)

typedef struct {
    /*
     * The job, a JSON object stored as the run's "request" field:
     *   {"messages":[...], "max_steps":50, "override_model":null,
     *    "override_system":null, "include_compaction_messages":false,
     *    "include_return_message_types":null}
     * "messages" is always the normalised list: "input" becomes one user
     * message, every item carries "type" and an "otid" (filled with a fresh
     * UUID when absent), content is kept as sent (string or parts).
     */
    aa_buf_t     job;

    /* run.request_config: the four LettaRequestConfig fields, spec 3.4 */
    aa_buf_t     request_config;

    /* callback_url decoded, NUL-terminated; "" and len 0 when none */
    char         callback_url[AA_V_URL_MAX + 1];
    size_t       callback_url_len;

    /*
     * The client's own otids, each followed by '\n', when every message
     * carried one (a string without '\n'); empty otherwise.  A repeat of
     * them is a retry (docs/idempotency.md).
     */
    aa_buf_t     otids;

    /* the first message of the job has type "message" ("input": always) */
    unsigned     first_is_message:1;

    aa_errors_t  errors;
} aa_async_request_t;

void aa_async_request_init(aa_async_request_t *req);
void aa_async_request_free(aa_async_request_t *req);

/*
 * body[len] must be '\0'.  Returns AA_OK (job, request_config,
 * callback_url and first_is_message are set, errors is empty), AA_INVALID
 * (errors holds the 422 list, the rest is empty) or AA_NOMEM (also when no
 * random UUID could be had).  May be called again on the same req.
 *
 * The rules follow Letta 0.16.8 (spec 2.3 - 2.7) with these documented
 * deviations, all 422s:
 *
 *   - "messages": [] is rejected (value_error at body/messages, "Value
 *     error, messages must not be empty"); Letta accepts it on the async
 *     route and then runs nothing.  An empty content-part array (content,
 *     input) is rejected the same way.
 *   - max_steps must be 1..10000 (greater_than_equal / less_than_equal).
 *   - callback_url must be an absolute http:// or https:// URL with a host,
 *     no whitespace or control characters, at most 2048 bytes (url_scheme,
 *     url_parsing, url_too_long).
 *   - booleans must be JSON true/false (pydantic would also take 0/1 and
 *     strings such as "yes"); bool_type otherwise.
 *   - enable_thinking may be a string, a boolean or null; it is ignored.
 *   - a message item whose "type" is null is treated as if it had none
 *     (the type is inferred); inside "approvals" an item without type is
 *     "approval" when it has "approve", "tool" when it has "status" or
 *     "tool_return", else union_tag_not_found; inside "tool_returns" it is
 *     "tool".  The inferred type is written into the job.
 *   - both override_system and its alias "system": override_system wins.
 *   - duplicate object keys, comments, NUL bytes, "\u0000", malformed
 *     UTF-8 and nesting deeper than AA_REQUEST_MAX_DEPTH are json_invalid
 *     (aa_json_parse()), with the reason in ctx.error.
 *
 * Unknown keys are ignored, and kept as sent inside message items.
 */
int aa_async_request_parse(aa_async_request_t *req, const char *body,
    size_t len);


#endif
