/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The letta backend: a run is forwarded to an upstream Letta server's
 * synchronous POST /v1/agents/{agent_id}/messages, which owns the agent
 * (its memory, history, model) and runs the whole agent loop before it
 * answers.  Its LettaResponse gives the run's messages (kept as they
 * are, ids included, run_id made the local run's), usage and stop reason.
 * The call is aw_llm's, with its retries and cancellation; only the
 * meaning of the upstream's answers is here, the reading of its
 * LettaResponse in aw_letta_answer.c.  A run cancelled, or given up on
 * for a timeout, while the upstream had its call gets the upstream's
 * run cancelled too.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_errors.h"
#include "aa_json.h"
#include "aw_job.h"
#include "aw_letta_answer.h"
#include "aw_llm.h"
#include "aw_log.h"
#include "aw_store_agent.h"
#include "aw_worker.h"


#define AW_LETTA_TOKEN_MAX  4096
#define AW_LETTA_PEER       "upstream Letta"
#define AW_BACKOFF_MAX_MS   30000      /* as the openai backend's */


static char    *aw_letta_token;
static char    *aw_letta_base;        /* letta-url, without a trailing / */


static int
aw_letta_token_load(void)
{
    const char  *path, *env;
    char         buf[AW_LETTA_TOKEN_MAX + 2], *p, *e;
    size_t       len;
    FILE        *f;

    path = aw_worker.cf.letta_token_file;

    if (path == NULL) {
        env = getenv("AGENT_ASYNC_WORKER_LETTA_TOKEN");
        if (env != NULL && env[0] != '\0') {
            aw_letta_token = strdup(env);
            return aw_letta_token != NULL ? 0 : -1;
        }

        /* a Letta server without a password takes none */
        aw_log_warn(NULL, NULL, "letta backend: no token "
                    "(AGENT_ASYNC_WORKER_LETTA_TOKEN or letta-token-file)");
        return 0;
    }

    f = fopen(path, "r");
    if (f == NULL) {
        aw_log_error(NULL, NULL, "letta backend: cannot open the token file "
                     "\"%s\"", path);
        return -1;
    }

    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';

    for (p = buf; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++) {
        /* leading blanks */
    }

    e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'
                     || e[-1] == '\r'))
    {
        *--e = '\0';
    }

    if (len > AW_LETTA_TOKEN_MAX || *p == '\0' || strpbrk(p, "\r\n") != NULL)
    {
        memset(buf, 0, sizeof(buf));
        aw_log_error(NULL, NULL, "letta backend: \"%s\" must hold one token "
                     "of at most %d bytes", path, AW_LETTA_TOKEN_MAX);
        return -1;
    }

    aw_letta_token = strdup(p);
    memset(buf, 0, sizeof(buf));

    return aw_letta_token != NULL ? 0 : -1;
}


static int
aw_letta_init(void)
{
    size_t   len;
    FILE    *f;

    /* letta-url is there and clean: aw_config_check() saw to it */
    free(aw_letta_base);
    aw_letta_base = strdup(aw_worker.cf.letta_url);
    if (aw_letta_base == NULL) {
        return -1;
    }

    len = strlen(aw_letta_base);
    while (len > 0 && aw_letta_base[len - 1] == '/') {
        aw_letta_base[--len] = '\0';
    }

    /* curl would say so at each call only: better not start */
    if (aw_worker.cf.letta_ca_file != NULL) {
        f = fopen(aw_worker.cf.letta_ca_file, "r");
        if (f == NULL) {
            aw_log_error(NULL, NULL, "letta backend: cannot open "
                         "letta-ca-file \"%s\"", aw_worker.cf.letta_ca_file);
            return -1;
        }
        fclose(f);
    }

    return aw_letta_token_load();
}


/* ,"key":value for each member of obj but nulls and those of skip. */
static void
aw_letta_members(aa_buf_t *body, yajl_val obj, yajl_val skip, size_t *n)
{
    size_t       i;
    yajl_val     v, have;
    const char  *k;

    for (i = 0; YAJL_IS_OBJECT(obj) && i < obj->u.object.len; i++) {
        k = obj->u.object.keys[i];
        v = obj->u.object.values[i];
        have = aa_json_get(skip, k);

        if (YAJL_IS_NULL(v) || (have != NULL && !YAJL_IS_NULL(have))) {
            continue;
        }

        if ((*n)++ > 0) {
            aa_buf_putc(body, ',');
        }

        aa_buf_json_string(body, k, strlen(k));
        aa_buf_putc(body, ':');
        aa_json_encode(body, v);
    }
}


/*
 * The run as Letta's LettaRequest: the job's members (messages,
 * max_steps, overrides...), then those of the run's request_config the
 * job lacks (use_assistant_message, assistant_message_tool_name and
 * _kwarg); nulls left out, so the upstream's defaults apply to them.
 */
static int
aw_letta_body(aw_job_t *job, yajl_val config, aa_buf_t *body)
{
    size_t  n;

    n = 0;
    aa_buf_putc(body, '{');
    aw_letta_members(body, job->req, NULL, &n);
    aw_letta_members(body, config, job->req, &n);
    aa_buf_putc(body, '}');
    aa_buf_cstr(body);

    return body->failed ? -1 : 0;
}


/* The run's request_config, parsed; NULL when it has none. */
static int
aw_letta_config(aw_job_t *job, yajl_val *config)
{
    char  *state, *rev, *text, err[64];

    *config = NULL;

    /* the agent's hash is read too, and ignored: the upstream owns it */
    if (aw_store_agent_read(job->redis, &job->claim, &state, &rev, &text)
        != 0)
    {
        return -1;
    }

    if (text[0] != '\0') {
        *config = aa_json_parse(text, strlen(text), err, sizeof(err));

        if (*config == NULL || !YAJL_IS_OBJECT(*config)) {
            aw_log_warn(job->claim.run, job->claim.agent, "the run's "
                        "request_config is not a JSON object: not sent");
        }
    }

    free(state);
    free(rev);
    free(text);

    return 0;
}


/* An agent id fit for a URL path: what the module accepts is. */
static int
aw_letta_id_ok(const char *id)
{
    size_t  n;

    for (n = 0; id[n] != '\0'; n++) {
        if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= 'A' && id[n] <= 'Z')
              || (id[n] >= '0' && id[n] <= '9') || id[n] == '-'
              || id[n] == '_'))
        {
            return 0;
        }
    }

    return n > 0 && n <= 128;
}


/* The LettaResponse: the job takes its messages, usage and stop reason. */
static int
aw_letta_response(aw_job_t *job, const aa_buf_t *raw)
{
    aw_letta_answer_t  a;
    int                rc;

    aw_letta_answer_init(&a);
    rc = aw_letta_answer_read(&a, raw->data ? raw->data : "", raw->len,
                              job->claim.run);

    /* nothing was recorded before: the answer's messages are the run's */
    aw_strv_free(&job->out_messages);
    job->out_messages = a.messages;
    memset(&a.messages, 0, sizeof(a.messages));

    if (rc == AW_LETTA_NOMEM) {
        return aw_job_fail(job, "out of memory");
    }

    job->keep_messages = 1;

    if (rc != 0) {
        return aw_job_fail_as(job, "invalid_llm_response", AW_LETTA_PEER
                              ": %s", a.error);
    }

    job->usage = a.usage;
    job->stop_reason = a.stop_reason;

    if (!a.completed) {
        return aw_job_fail_as(job, a.stop_reason, AW_LETTA_PEER " ended the "
                              "run with stop_reason %s", a.stop_reason);
    }

    return AW_JOB_DONE;
}


/* The first message of a 422's detail (a string, or pydantic's list). */
static void
aw_letta_detail(const aa_buf_t *raw, char *out, size_t size)
{
    char      err[64];
    yajl_val  root, d, m;

    root = aa_json_parse(raw->data ? raw->data : "", raw->len, err,
                         sizeof(err));
    d = aa_json_get(root, "detail");

    if (d != NULL && YAJL_IS_ARRAY(d) && d->u.array.len > 0) {
        m = aa_json_get(d->u.array.values[0], "msg");

        if (m != NULL && YAJL_IS_STRING(m)) {
            snprintf(out, size, "%s", m->u.string);
            yajl_tree_free(root);
            return;
        }
    }

    if (root != NULL) {
        yajl_tree_free(root);
    }

    aw_chat_error_text(raw->data, raw->len, out, size);
}


/* A call that failed for good: what the run says. */
static int
aw_letta_failed(aw_job_t *job, const aw_llm_result_t *res,
    const aa_buf_t *raw, int retried)
{
    char  text[300];

    switch (res->rc == AW_LLM_API_ERROR ? res->status : 0) {

    case 401:
    case 403:
        return aw_job_fail(job, "upstream Letta refused the token (HTTP "
                           "%ld)", res->status);

    case 404:
        return aw_job_fail(job, "agent %s not found upstream (HTTP 404)",
                           job->claim.agent);

    case 422:
        aw_letta_detail(raw, text, sizeof(text));
        return aw_job_fail(job, "upstream Letta rejected the request (HTTP "
                           "422): %s", text);
    }

    if (res->rc == AW_LLM_INVALID) {
        return aw_job_fail_as(job, "invalid_llm_response", "%s", res->error);
    }

    return aw_job_fail_as(job, "llm_api_error", "%s%s", res->error,
                          retried ? " (after retries)" : "");
}


static int
aw_letta_run(aw_job_t *job)
{
    aa_buf_t          url, body, raw;
    aw_chat_t         chat;
    aw_llm_req_t      req;
    aw_llm_result_t   res;
    yajl_val          config;
    int               attempt, rc, delay, wait;

    if (!aw_letta_id_ok(job->claim.agent)) {
        return aw_job_fail(job, "letta backend: agent id %.64s cannot be "
                           "sent upstream", job->claim.agent);
    }

    if (aw_letta_config(job, &config) != 0) {
        return aw_job_fail(job, "could not read the run's request_config "
                           "from Redis");
    }

    aa_buf_init(&url);
    aa_buf_init(&body);
    aa_buf_init(&raw);
    aw_chat_init(&chat);

    aa_buf_puts(&url, aw_letta_base);
    aa_buf_puts(&url, "/v1/agents/");
    aa_buf_puts(&url, job->claim.agent);
    aa_buf_puts(&url, "/messages");
    aa_buf_cstr(&url);

    if (url.failed || aw_letta_body(job, config, &body) != 0) {
        rc = aw_job_fail(job, "out of memory");
        goto done;
    }

    memset(&req, 0, sizeof(req));
    req.url = url.data;
    req.api_key = aw_letta_token;
    req.body = body.data;
    req.body_len = body.len;
    req.connect_timeout_ms = aw_worker.cf.letta_connect_timeout_ms;
    /* the upstream is silent until its loop ends: curl's timeout rules */
    req.idle_timeout_ms = aw_worker.cf.letta_timeout_ms + 1000;
    req.timeout_ms = aw_worker.cf.letta_timeout_ms;
    req.peer = AW_LETTA_PEER;
    req.raw = &raw;
    req.ca_file = aw_worker.cf.letta_ca_file;

    delay = aw_worker.cf.letta_backoff_ms;

    for (attempt = 0; ; attempt++) {
        aa_buf_reset(&raw);

        rc = aw_llm_call(job, &req, &chat, &res);
        if (rc != 0) {
            /* aborted: the upstream may be running the agent still */
            job->upstream_busy = res.sent;
            goto done;
        }

        if (res.rc == AW_LLM_OK) {
            break;
        }

        if (res.rc != AW_LLM_TRANSIENT
            || attempt >= aw_worker.cf.letta_retries)
        {
            /* given up on: the upstream may still be at it */
            job->upstream_busy = res.timed_out && res.sent;
            rc = aw_letta_failed(job, &res, &raw, attempt > 0);
            goto done;
        }

        wait = res.retry_after_ms > delay
               ? (res.retry_after_ms < AW_BACKOFF_MAX_MS
                  ? res.retry_after_ms : AW_BACKOFF_MAX_MS)
               : delay;

        aw_log_warn(job->claim.run, job->claim.agent, "upstream Letta call "
                    "failed (%s), retrying in %d ms", res.error, wait);

        rc = aw_job_sleep(job, wait);
        if (rc != 0) {
            goto done;
        }

        delay = delay * 2 < AW_BACKOFF_MAX_MS ? delay * 2 : AW_BACKOFF_MAX_MS;
    }

    /* the whole answer comes at once: that is the first token too */
    if (job->first_output_ns == 0 && res.first_token_ns != 0) {
        job->first_output_ns = res.first_token_ns;
    }

    rc = aw_letta_response(job, &raw);

done:

    aa_buf_free(&url);
    aa_buf_free(&body);
    aa_buf_free(&raw);
    aw_chat_free(&chat);

    if (config != NULL) {
        yajl_tree_free(config);
    }

    return rc;
}


/*
 * A run cancelled, or given up on for a timeout, while the upstream had
 * its call: the upstream's agent loop goes on without us, so it is told
 * to stop.  Its synchronous
 * route gives no handle on the run it made, hence the agent's cancel:
 * with no run_ids, Letta cancels the agent's current run (the one its
 * last POST /messages made, when it has Redis; else all its active
 * runs).  This worker runs one run of an agent at a time, so that is
 * ours unless someone else calls the upstream for the agent.  One try,
 * bounded by letta-cancel-timeout-ms; the run stays cancelled whatever
 * the answer.
 */
static void
aw_letta_ended(aw_job_t *job, int rc)
{
    aa_buf_t          url, raw;
    aw_chat_t         chat;
    aw_llm_req_t      req;
    aw_llm_result_t   res;
    int               tmo;
    char              text[200];

    /* handed back at shutdown: claimed again, and sent again */
    if (!job->upstream_busy || !aw_worker.cf.letta_cancel
        || rc == AW_JOB_SHUTDOWN)
    {
        return;
    }

    aa_buf_init(&url);
    aa_buf_init(&raw);
    aw_chat_init(&chat);

    aa_buf_puts(&url, aw_letta_base);
    aa_buf_puts(&url, "/v1/agents/");
    aa_buf_puts(&url, job->claim.agent);
    aa_buf_puts(&url, "/messages/cancel");
    aa_buf_cstr(&url);

    tmo = aw_worker.cf.letta_cancel_timeout_ms;

    memset(&req, 0, sizeof(req));
    req.url = url.data;
    req.api_key = aw_letta_token;
    req.body = "{}";
    req.body_len = 2;
    req.connect_timeout_ms = aw_worker.cf.letta_connect_timeout_ms < tmo
                             ? aw_worker.cf.letta_connect_timeout_ms : tmo;
    req.idle_timeout_ms = tmo + 1000;
    req.timeout_ms = tmo;
    req.peer = AW_LETTA_PEER;
    req.raw = &raw;
    req.ca_file = aw_worker.cf.letta_ca_file;

    /* no run owns the call: only the worker's shutdown aborts it */
    if (url.failed || aw_llm_call(NULL, &req, &chat, &res) != 0) {
        aw_log_warn(job->claim.run, job->claim.agent, "upstream Letta: "
                    "its run not cancelled (%s)", url.failed
                    ? "out of memory" : "the worker is stopping");

    } else if (res.rc == AW_LLM_OK) {
        aw_chat_error_text(raw.data, raw.len, text, sizeof(text));
        aw_log_info(job->claim.run, job->claim.agent, "upstream Letta: "
                    "the agent's run cancelled: %s", text);

    } else if (res.status == 409) {
        /* NoActiveRunsToCancelError: it had ended, or never began */
        aw_log_info(job->claim.run, job->claim.agent, "upstream Letta: no "
                    "active run of the agent to cancel (HTTP 409)");

    } else {
        aw_log_warn(job->claim.run, job->claim.agent, "upstream Letta: "
                    "its run not cancelled: %s", res.error);
    }

    aa_buf_free(&url);
    aa_buf_free(&raw);
    aw_chat_free(&chat);
}


const aw_backend_t  aw_backend_letta = {
    "letta",
    aw_letta_init,
    aw_letta_run,
    1,
    aw_letta_ended,
};
