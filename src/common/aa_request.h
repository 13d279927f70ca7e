/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Validation of LettaAsyncRequest, the body of
 * POST /v1/agents/{agent_id}/messages/async (spec sections 2.3 - 2.7),
 * and its normalisation into the job the worker runs.
 */

#ifndef AA_REQUEST_H
#define AA_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "aa_buf.h"
#include "aa_errors.h"
#include "aa_json.h"

#define AA_OK        0
#define AA_INVALID   1          /* errors holds the 422 list */
#define AA_NOMEM    -1

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

    /* callback_url as a JSON value: a quoted string, or null */
    aa_buf_t     callback_url;

    aa_errors_t  errors;
} aa_async_request_t;

void aa_async_request_init(aa_async_request_t *req);
void aa_async_request_free(aa_async_request_t *req);

/*
 * body[len] must be '\0'.  Returns AA_OK (job, request_config and
 * callback_url are set, errors is empty), AA_INVALID (errors holds the 422
 * list, the three buffers are empty) or AA_NOMEM (also when no random UUID
 * could be had).  May be called again on the same req.
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


/*
 * Field validators, shared with aa_agent.c.  A loc is the error location
 * "body/messages/0/role" (see aa_errors.h), at most AA_LOC_MAX bytes.
 */

#define AA_LOC_MAX      256

#define AA_V_REQUIRED   0x01    /* absent: "missing" */
#define AA_V_NULLABLE   0x02    /* null is valid */

typedef enum {
    AA_V_STRING = 0,            /* string_type */
    AA_V_BOOL,                  /* bool_type, JSON true/false only */
    AA_V_DICT,                  /* dict_type: a free-form object */
    AA_V_MODEL,                 /* model_attributes_type: a typed object */
    AA_V_LIST,                  /* list_type */
    AA_V_STRLIST,               /* list_type, then string_type per item */
    AA_V_INT                    /* lax integer, see aa_v_int() */
} aa_v_kind_e;

/*
 * Parses a request body that must be a JSON object.  Returns the tree, or
 * NULL with one error added: an empty body is "missing" (loc body, "Field
 * required"), as is a JSON null; unparsable text is "json_invalid" ("JSON
 * decode error", ctx.error = aa_json_parse()'s reason); any other value is
 * "model_attributes_type" ("Input should be a valid dictionary or object to
 * extract fields from").  max_depth: see aa_json_parse_depth().
 */
yajl_val aa_v_body(aa_errors_t *e, const char *body, size_t len,
    size_t max_depth);

/* parent "/" key, or parent "/" i */
void aa_v_loc(char *out, const char *parent, const char *key);
void aa_v_loc_idx(char *out, const char *parent, size_t i);

/*
 * Checks obj[key] against kind and flags, adding errors at parent/key.
 * Returns 1 when present, not null and valid (*out, if not NULL, is set
 * to the value), 0 when validly absent or null, -1 when an error was added.
 */
int aa_v_field(aa_errors_t *e, const char *parent, yajl_val obj,
    const char *key, aa_v_kind_e kind, int flags, yajl_val *out);

/*
 * Lax integer, as pydantic: a JSON integer, an integral number (50.0, 1e2)
 * or a decimal string (" 50 ", "+5"); booleans and anything else are
 * int_type.  Then min <= n <= max (greater_than_equal, less_than_equal).
 * Returns 1 and sets *out, or 0 with an error added.
 */
int aa_v_int(aa_errors_t *e, const char *loc, yajl_val v, int64_t min,
    int64_t max, int64_t *out);

/*
 * Absolute http(s) URL check.  Returns NULL when s is acceptable, else the
 * pydantic-like message, with the error type in *type: "url_too_long"
 * (over 2048 bytes), "url_parsing" (relative, no host, bad port, space or
 * control character), "url_scheme" (neither http nor https).
 */
const char *aa_v_url(const char *s, size_t len, const char **type);

#endif
