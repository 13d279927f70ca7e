/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <string.h>

#include "aa_errors.h"
#include "aa_json.h"
#include "aw_letta_answer.h"


#define AW_NREASONS  (sizeof(aw_letta_reasons) / sizeof(aw_letta_reasons[0]))


/* Letta's StopReasonType, the stable names a run may point to. */
static const char  *aw_letta_reasons[] = {
    /* completed, as Letta's run_status says */
    "end_turn", "max_steps", "tool_rule", "requires_approval",
    /* the others end the run failed */
    "error", "llm_api_error", "invalid_llm_response", "invalid_tool_call",
    "max_tokens_exceeded", "no_tool_call", "cancelled",
    "insufficient_credits", "context_window_overflow_in_system_prompt",
};

#define AW_NCOMPLETED  4


void
aw_letta_answer_init(aw_letta_answer_t *a)
{
    memset(a, 0, sizeof(aw_letta_answer_t));
    a->stop_reason = "end_turn";
    a->completed = 1;
}


void
aw_letta_answer_free(aw_letta_answer_t *a)
{
    aw_strv_free(&a->messages);
}


static int
aw_letta_invalid(aw_letta_answer_t *a, const char *text)
{
    snprintf(a->error, sizeof(a->error), "%s", text);
    return AW_LETTA_INVALID;
}


/* A message, its run_id the local run's. */
static int
aw_letta_message(aw_letta_answer_t *a, yajl_val m, const char *run_id)
{
    size_t       i;
    aa_buf_t     b;
    const char  *k;

    aa_buf_init(&b);
    aa_buf_putc(&b, '{');

    for (i = 0; i < m->u.object.len; i++) {
        k = m->u.object.keys[i];

        if (strcmp(k, "run_id") == 0) {
            continue;
        }

        aa_buf_json_string(&b, k, strlen(k));
        aa_buf_putc(&b, ':');
        aa_json_encode(&b, m->u.object.values[i]);
        aa_buf_putc(&b, ',');
    }

    aa_buf_puts(&b, "\"run_id\":");
    aa_buf_json_string(&b, run_id, strlen(run_id));
    aa_buf_putc(&b, '}');

    if (aw_strv_push(&a->messages, &b) != 0) {
        aa_buf_free(&b);
        return AW_LETTA_NOMEM;
    }

    return 0;
}


static int64_t
aw_letta_count(yajl_val usage, const char *name)
{
    yajl_val  v;

    v = aa_json_get(usage, name);

    return (v != NULL && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 0)
           ? YAJL_GET_INTEGER(v) : 0;
}


static int
aw_letta_read(aw_letta_answer_t *a, yajl_val root, const char *run_id)
{
    yajl_val  msgs, m, reason, usage, type;
    size_t    i, r;
    int       rc;

    msgs = aa_json_get(root, "messages");
    reason = aa_json_get(aa_json_get(root, "stop_reason"), "stop_reason");
    usage = aa_json_get(root, "usage");

    if (!YAJL_IS_OBJECT(root) || msgs == NULL || !YAJL_IS_ARRAY(msgs)) {
        return aw_letta_invalid(a, "the answer is not a LettaResponse (no "
                                "messages array)");
    }

    /* none given: the synchronous route's own default */
    r = 0;

    if (reason != NULL) {
        for (r = 0; YAJL_IS_STRING(reason) && r < AW_NREASONS; r++) {
            if (strcmp(aw_letta_reasons[r], reason->u.string) == 0) {
                break;
            }
        }

        if (!YAJL_IS_STRING(reason) || r == AW_NREASONS) {
            return aw_letta_invalid(a, "unknown stop_reason");
        }
    }

    for (i = 0; i < msgs->u.array.len; i++) {
        m = msgs->u.array.values[i];
        type = aa_json_get(m, "message_type");

        if (!YAJL_IS_OBJECT(m) || type == NULL || !YAJL_IS_STRING(type)) {
            snprintf(a->error, sizeof(a->error), "messages[%zu] is not a "
                     "Letta message", i);
            return AW_LETTA_INVALID;
        }

        rc = aw_letta_message(a, m, run_id);
        if (rc != 0) {
            return rc;
        }
    }

    a->usage.completion_tokens = aw_letta_count(usage, "completion_tokens");
    a->usage.prompt_tokens = aw_letta_count(usage, "prompt_tokens");
    a->usage.step_count = aw_letta_count(usage, "step_count");
    a->stop_reason = aw_letta_reasons[r];
    a->completed = r < AW_NCOMPLETED;

    return 0;
}


int
aw_letta_answer_read(aw_letta_answer_t *a, const char *body, size_t len,
    const char *run_id)
{
    yajl_val  root;
    char      err[128];
    int       rc;

    root = aa_json_parse(body, len, err, sizeof(err));

    if (root == NULL) {
        snprintf(a->error, sizeof(a->error), "the answer is not JSON: %s",
                 err);
        return AW_LETTA_INVALID;
    }

    rc = aw_letta_read(a, root, run_id);
    yajl_tree_free(root);

    return rc;
}
