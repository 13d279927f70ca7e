/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The echo backend: after --echo-delay-ms (interruptible), answers each
 * user message of the job with an assistant message repeating its text
 * (the text parts, concatenated).  System and assistant messages of the
 * job are recorded as sent.  Tokens are whitespace-separated words: the
 * user's text counts as prompt tokens, the answer as completion tokens.
 * One step, of the agent's model (llm.model).
 */

#include <stdlib.h>
#include <string.h>

#include "aa_errors.h"
#include "aa_json.h"
#include "aw_job.h"
#include "aw_worker.h"


static int
aw_echo_item(aw_job_t *job, size_t i, yajl_val item)
{
    yajl_val     type, role, content, otid;
    const char  *r, *o;
    aa_buf_t     text, json;
    int          rc;

    if (!YAJL_IS_OBJECT(item)) {
        return aw_job_fail(job, "invalid job: request.messages[%zu] is not "
                           "an object", i);
    }

    type = aa_json_get(item, "type");

    if (type != NULL && YAJL_IS_STRING(type)
        && strcmp(type->u.string, "message") != 0)
    {
        return aw_job_fail(job, "echo backend: request.messages[%zu] has "
                           "type \"%.64s\", which it cannot answer", i,
                           type->u.string);
    }

    role = aa_json_get(item, "role");
    content = aa_json_get(item, "content");
    otid = aa_json_get(item, "otid");

    if (role == NULL || !YAJL_IS_STRING(role)) {
        return aw_job_fail(job, "invalid job: request.messages[%zu].role "
                           "is missing", i);
    }

    r = role->u.string;
    o = (otid != NULL && YAJL_IS_STRING(otid)) ? otid->u.string
                                                : NULL;

    aa_buf_init(&text);
    aa_buf_init(&json);

    rc = AW_JOB_DONE;

    if (content == NULL || aw_job_content_text(content, &text) != 0) {
        rc = aw_job_fail(job, "invalid job: request.messages[%zu].content "
                         "is not a string or an array of parts", i);
        goto done;
    }

    aa_buf_cstr(&text);

    /* the message as sent: its content keeps its parts */
    if (YAJL_IS_STRING(content)) {
        aa_buf_json_string(&json, text.data, text.len);
    } else {
        aa_json_encode(&json, content);
    }

    if (text.failed || json.failed) {
        rc = aw_job_fail(job, "out of memory");
        goto done;
    }

    if (strcmp(r, "user") == 0) {
        if (aw_job_message(job, "user_message", o, json.data, json.len) != 0
            || aw_job_history(job, "user", text.data, text.len) != 0)
        {
            rc = aw_job_fail(job, "out of memory");
            goto done;
        }

        aw_job_output(job);

        aa_buf_reset(&json);
        aa_buf_json_string(&json, text.data, text.len);

        if (json.failed
            || aw_job_message(job, "assistant_message", NULL, json.data,
                              json.len) != 0
            || aw_job_history(job, "assistant", text.data, text.len) != 0)
        {
            rc = aw_job_fail(job, "out of memory");
            goto done;
        }

        job->usage.prompt_tokens += aa_count_words(text.data, text.len);
        job->usage.completion_tokens += aa_count_words(text.data, text.len);

    } else if (strcmp(r, "system") == 0 || strcmp(r, "assistant") == 0) {
        aa_buf_reset(&json);
        aa_buf_json_string(&json, text.data, text.len);

        if (json.failed
            || aw_job_message(job, r[0] == 's' ? "system_message"
                                               : "assistant_message",
                              o, json.data, json.len) != 0
            || aw_job_history(job, r, text.data, text.len) != 0)
        {
            rc = aw_job_fail(job, "out of memory");
            goto done;
        }

    } else {
        rc = aw_job_fail(job, "invalid job: request.messages[%zu].role "
                         "\"%.64s\" is not user, system or assistant", i, r);
    }

done:

    aa_buf_free(&text);
    aa_buf_free(&json);

    return rc;
}


static int
aw_echo_run(aw_job_t *job)
{
    size_t  i;
    int     rc;

    rc = aw_job_sleep(job, aw_worker.cf.echo_delay_ms);
    if (rc != 0) {
        return rc;
    }

    for (i = 0; i < job->messages->u.array.len; i++) {
        rc = aw_echo_item(job, i, job->messages->u.array.values[i]);
        if (rc != AW_JOB_DONE) {
            return rc;
        }
    }

    job->usage.step_count = 1;
    job->stop_reason = "end_turn";

    if (aw_job_step(job, job->model, job->usage.completion_tokens,
                    job->usage.prompt_tokens, job->stop_reason) != 0)
    {
        return aw_job_fail(job, "out of memory");
    }

    return AW_JOB_DONE;
}


static int
aw_echo_init(void)
{
    return 0;
}


const aw_backend_t  aw_backend_echo = {
    "echo",
    aw_echo_init,
    aw_echo_run,
    0,
    NULL,
};
