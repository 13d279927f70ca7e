/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_json.h"
#include "aa_time.h"
#include "aw_job.h"
#include "aw_log.h"
#include "aw_sched.h"
#include "aw_worker.h"


#define AW_CHECK_INTERVAL_NS  (100 * 1000000LL)
#define AW_SLEEP_SLICE_MS     20


void
aw_job_init(aw_job_t *job, aw_redis_t *redis)
{
    memset(job, 0, sizeof(aw_job_t));
    job->redis = redis;
    job->stop_reason = "end_turn";
    aa_buf_init(&job->error);
}


void
aw_job_free(aw_job_t *job)
{
    free(job->claim.request);
    free(job->claim.system);
    free(job->claim.llm);

    if (job->req != NULL) {
        yajl_tree_free(job->req);
    }

    if (job->llm != NULL) {
        yajl_tree_free(job->llm);
    }

    aw_strv_free(&job->out_messages);
    aw_strv_free(&job->out_steps);
    aw_strv_free(&job->out_history);
    aa_buf_free(&job->error);
}


int
aw_job_fail(aw_job_t *job, const char *fmt, ...)
{
    va_list  ap;
    char     text[1024];

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);

    aa_buf_reset(&job->error);
    aa_buf_puts(&job->error, text);
    aa_buf_cstr(&job->error);
    job->fail_reason = NULL;

    return AW_JOB_FAILED;
}


int
aw_job_fail_as(aw_job_t *job, const char *stop_reason, const char *fmt, ...)
{
    va_list  ap;
    char     text[1024];

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);

    aw_job_fail(job, "%s", text);
    job->fail_reason = stop_reason;

    return AW_JOB_FAILED;
}


int
aw_job_prepare(aw_job_t *job)
{
    char      err[256];
    yajl_val  model;

    if (aa_id_new("step", job->step_id, sizeof(job->step_id)) < 0) {
        aw_job_fail(job, "cannot make a step id");
        return -1;
    }

    /* a letta backend's agents are the upstream's: it says if they exist */
    if (!job->claim.agent_exists && !job->upstream_agent) {
        aw_job_fail(job, "agent %s not found", job->claim.agent);
        return -1;
    }

    if (job->claim.request == NULL || job->claim.request[0] == '\0') {
        aw_job_fail(job, "invalid job: the run has no request");
        return -1;
    }

    job->req = aa_json_parse(job->claim.request, strlen(job->claim.request),
                             err, sizeof(err));
    if (job->req == NULL) {
        aw_job_fail(job, "invalid job: request is not valid JSON: %s", err);
        return -1;
    }

    if (!YAJL_IS_OBJECT(job->req)) {
        aw_job_fail(job, "invalid job: request is not a JSON object");
        return -1;
    }

    job->messages = aa_json_get(job->req, "messages");

    if (job->messages == NULL || !YAJL_IS_ARRAY(job->messages)) {
        aw_job_fail(job, "invalid job: request.messages is missing or not "
                    "an array");
        return -1;
    }

    /* the agent as it is now: a PATCH shows in its next run */
    job->system = job->claim.system != NULL ? job->claim.system : "";

    if (job->claim.llm != NULL && job->claim.llm[0] != '\0') {
        job->llm = aa_json_parse(job->claim.llm, strlen(job->claim.llm),
                                 err, sizeof(err));
    }

    model = aa_json_get(job->llm, "model");

    if (model != NULL && YAJL_IS_STRING(model)) {
        job->model = model->u.string;
    }

    return 0;
}


int
aw_job_check(aw_job_t *job)
{
    int64_t  now;

    if (aw_stage() >= AW_ABORTING) {
        return AW_JOB_SHUTDOWN;
    }

    /* on the run loop, one read for every run: its verdict */
    if (aw_sched_on_fiber()) {
        return aw_sched_cancelled() ? AW_JOB_CANCELLED : 0;
    }

    now = aa_mono_ns();

    /* the claim read cancel_requested: the first interval starts there */
    if (job->last_check_ns == 0) {
        job->last_check_ns = job->claim_ns;
    }

    if (now - job->last_check_ns < AW_CHECK_INTERVAL_NS) {
        return 0;
    }

    job->last_check_ns = now;

    /* a Redis error is not a cancellation: the run goes on */
    return aw_store_cancel_requested(job->redis, job->claim.run_key)
           ? AW_JOB_CANCELLED : 0;
}


int
aw_job_sleep(aw_job_t *job, int ms)
{
    int64_t  end, left;
    int      rc;

    end = aa_mono_ns() + (int64_t) ms * 1000000;

    for ( ;; ) {
        rc = aw_job_check(job);
        if (rc != 0) {
            return rc;
        }

        left = end - aa_mono_ns();
        if (left <= 0) {
            return 0;
        }

        /* a fiber yields: the loop wakes it at the end, or at a tick */
        if (aw_sched_on_fiber()) {
            aw_sched_wait(end);
            continue;
        }

        /* whole milliseconds, rounded up: never short of ms */
        left = (left + 999999) / 1000000;

        aw_sleep_ms(left < AW_SLEEP_SLICE_MS ? (int) left
                                             : AW_SLEEP_SLICE_MS,
                    AW_ABORTING);
    }
}


void
aw_job_output(aw_job_t *job)
{
    if (job->first_output_ns == 0) {
        job->first_output_ns = aa_mono_ns();
    }
}


int
aw_job_message(aw_job_t *job, const char *message_type, const char *otid,
    const char *content, size_t content_len)
{
    return aw_job_message_fields(job, message_type, otid, content,
                                 content_len, NULL, 0);
}


int
aw_job_message_fields(aw_job_t *job, const char *message_type,
    const char *otid, const char *content, size_t content_len,
    const char *fields, size_t fields_len)
{
    aa_buf_t      b;
    aa_message_t  m;
    char          id[AA_ID_MAX], part_otid[AA_UUID_LEN + 1];

    if (aa_id_new("message", id, sizeof(id)) < 0) {
        return -1;
    }

    /* what the model made is derived from its assistant message */
    if (otid == NULL && (strcmp(message_type, "assistant_message") == 0
                         || strcmp(message_type, "tool_call_message") == 0
                         || strcmp(message_type, "reasoning_message") == 0))
    {
        if (aa_message_part_otid(id, 0, part_otid) != 0) {
            return -1;
        }
        otid = part_otid;
    }

    m.id = id;
    m.date_us = aa_now_us();
    m.message_type = message_type;
    m.otid = otid;
    m.step_id = job->step_id;
    m.run_id = job->claim.run;
    m.content = content;
    m.content_len = content_len;
    m.fields = fields;
    m.fields_len = fields_len;

    aa_buf_init(&b);
    aa_message_render(&b, &m);

    if (aw_strv_push(&job->out_messages, &b) != 0) {
        aa_buf_free(&b);
        return -1;
    }

    return 0;
}


int
aw_job_next_step(aw_job_t *job)
{
    return aa_id_new("step", job->step_id, sizeof(job->step_id)) < 0 ? -1
                                                                     : 0;
}


int
aw_job_content_text(yajl_val content, aa_buf_t *text)
{
    size_t    i;
    yajl_val  part, type, t;

    if (YAJL_IS_STRING(content)) {
        aa_buf_puts(text, content->u.string);
        return 0;
    }

    if (!YAJL_IS_ARRAY(content)) {
        return -1;
    }

    for (i = 0; i < content->u.array.len; i++) {
        part = content->u.array.values[i];

        if (!YAJL_IS_OBJECT(part)) {
            return -1;
        }

        type = aa_json_get(part, "type");
        t = aa_json_get(part, "text");

        if (type != NULL && YAJL_IS_STRING(type)
            && strcmp(type->u.string, "text") == 0
            && t != NULL && YAJL_IS_STRING(t))
        {
            aa_buf_puts(text, t->u.string);
        }
    }

    return 0;
}


int
aw_job_step(aw_job_t *job, const char *model, int64_t completion_tokens,
    int64_t prompt_tokens, const char *stop_reason)
{
    aa_buf_t   b;
    aa_step_t  st;

    st.id = job->step_id;
    st.run_id = job->claim.run;
    st.agent_id = job->claim.agent;
    st.model = model;
    st.stop_reason = stop_reason;
    st.status = "success";
    st.completion_tokens = completion_tokens;
    st.prompt_tokens = prompt_tokens;

    aa_buf_init(&b);
    aa_step_render(&b, &st);

    if (aw_strv_push(&job->out_steps, &b) != 0) {
        aa_buf_free(&b);
        return -1;
    }

    return 0;
}


int
aw_job_history(aw_job_t *job, const char *role, const char *text,
    size_t len)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    aa_buf_puts(&b, "{\"role\":");
    aa_buf_json_string(&b, role, strlen(role));
    aa_buf_puts(&b, ",\"content\":");
    aa_buf_json_string(&b, text, len);
    aa_buf_putc(&b, '}');

    if (aw_strv_push(&job->out_history, &b) != 0) {
        aa_buf_free(&b);
        return -1;
    }

    return 0;
}
