/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "aa_time.h"
#include "aa_url.h"
#include "aw_job.h"
#include "aw_llm.h"
#include "aw_sched.h"
#include "aw_sse.h"
#include "aw_worker.h"


#define AW_LLM_POLL_MS      20
#define AW_LLM_BODY_MAX     (8 * 1024 * 1024)  /* a whole JSON answer */
#define AW_LLM_EVENT_MAX    (1024 * 1024)      /* one stream event */
#define AW_LLM_ERROR_MAX    (16 * 1024)        /* an error body kept */


typedef struct {
    CURL               *easy;
    struct curl_slist  *headers;
    aw_chat_t          *chat;
    aw_llm_result_t    *res;
    aw_sse_t            sse;
    aa_buf_t            body;       /* a JSON answer, or an error body */
    int                 kind;       /* 0 unknown, 1 stream, 2 body */
    int                 bad;        /* the answer is unusable: stop */
    int                 got;        /* a byte came */
    const char         *peer;
    aa_buf_t           *raw;
    int64_t             last_ns;    /* monotonic, last byte (or start) */
    char                errbuf[CURL_ERROR_SIZE];
} aw_llm_call_t;


int
aw_llm_classify(int curl_code, long status)
{
    switch (curl_code) {

    case CURLE_OK:
        if (status >= 200 && status < 300) {
            return AW_LLM_OK;
        }

        /* too many requests, overloaded or restarting servers */
        if (status == 408 || status == 409 || status == 429
            || status >= 500)
        {
            return AW_LLM_TRANSIENT;
        }

        return AW_LLM_API_ERROR;

    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        /* refused, reset, closed before answering */
        return AW_LLM_TRANSIENT;

    case CURLE_PARTIAL_FILE:
        /* cut mid-answer: what came is not an answer */
        return AW_LLM_INVALID;

    default:
        return AW_LLM_API_ERROR;
    }
}


/* The run's checks; a call without a run stops only for the shutdown. */
static int
aw_llm_check(aw_job_t *job)
{
    if (job == NULL) {
        return aw_stage() >= AW_ABORTING ? AW_JOB_SHUTDOWN : 0;
    }

    return aw_job_check(job);
}


static int
aw_llm_event(void *ctx, const char *data, size_t len)
{
    aw_llm_call_t  *c;

    c = ctx;

    if (aw_chat_chunk(c->chat, data, len) != 0) {
        return 1;
    }

    if (c->chat->output && c->res->first_token_ns == 0) {
        c->res->first_token_ns = aa_mono_ns();
    }

    return 0;
}


/* What the body is: decided on its first bytes, from the status first. */
static void
aw_llm_kind(aw_llm_call_t *c)
{
    long   status;
    char  *type;

    status = 0;
    type = NULL;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->easy, CURLINFO_CONTENT_TYPE, &type);

    c->kind = 2;

    /* servers that do not stream answer with one JSON body: fine too */
    if (c->raw == NULL && status >= 200 && status < 300 && type != NULL
        && strncasecmp(type, "text/event-stream", 17) == 0)
    {
        c->kind = 1;
    }
}


static size_t
aw_llm_write(char *ptr, size_t size, size_t n, void *ud)
{
    aw_llm_call_t  *c;
    long            status;
    size_t          len, max;
    int             rc;

    c = ud;
    len = size * n;
    c->last_ns = aa_mono_ns();
    c->got = 1;

    if (c->kind == 0) {
        aw_llm_kind(c);
    }

    if (c->kind == 1) {
        rc = aw_sse_feed(&c->sse, ptr, len);

        if (rc == 0) {
            return len;
        }

        if (rc == AW_SSE_TOO_LONG) {
            snprintf(c->chat->error, sizeof(c->chat->error),
                     "a stream event of the model is longer than %d bytes",
                     AW_LLM_EVENT_MAX);

        } else if (rc == AW_SSE_NOMEM) {
            snprintf(c->chat->error, sizeof(c->chat->error),
                     "out of memory");
        }

        c->bad = 1;
        return 0;                   /* aborts the transfer */
    }

    status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    max = (status >= 200 && status < 300) ? AW_LLM_BODY_MAX
                                          : AW_LLM_ERROR_MAX;

    if (c->body.len + len > max) {
        if (max == AW_LLM_ERROR_MAX) {
            /* enough of an error body to quote it */
            return len;
        }

        snprintf(c->chat->error, sizeof(c->chat->error),
                 "the model's answer is longer than %d bytes",
                 AW_LLM_BODY_MAX);
        c->bad = 1;
        return 0;
    }

    aa_buf_append(&c->body, ptr, len);

    return c->body.failed ? 0 : len;
}


static size_t
aw_llm_header(char *ptr, size_t size, size_t n, void *ud)
{
    aw_llm_call_t  *c;
    size_t          len;
    long            v;

    c = ud;
    len = size * n;
    c->last_ns = aa_mono_ns();
    c->got = 1;

    if (len > 12 && strncasecmp(ptr, "retry-after:", 12) == 0) {
        v = strtol(ptr + 12, NULL, 10);
        if (v >= 0 && v <= 3600) {
            c->res->retry_after_ms = (int) v * 1000;
        }
    }

    return len;
}


static int
aw_llm_setup(aw_llm_call_t *c, const aw_llm_req_t *req)
{
    aa_buf_t            auth;
    struct curl_slist  *l;

    c->easy = curl_easy_init();
    if (c->easy == NULL) {
        return -1;
    }

    l = curl_slist_append(NULL, "Content-Type: application/json");
    if (l != NULL) {
        c->headers = l;
        l = curl_slist_append(c->headers, req->raw != NULL
                              ? "Accept: application/json"
                              : "Accept: text/event-stream, application/json");
    }

    if (l != NULL && req->api_key != NULL && req->api_key[0] != '\0') {
        aa_buf_init(&auth);
        aa_buf_puts(&auth, "Authorization: Bearer ");
        aa_buf_puts(&auth, req->api_key);
        aa_buf_cstr(&auth);
        l = auth.failed ? NULL : curl_slist_append(c->headers, auth.data);
        /* the key leaves no copy behind in freed memory */
        if (auth.data != NULL) {
            memset(auth.data, 0, auth.cap);
        }
        aa_buf_free(&auth);
    }

    if (l == NULL) {
        return -1;
    }

    curl_easy_setopt(c->easy, CURLOPT_URL, req->url);
    curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    /* a redirect would take the request where nobody allowed it */
    curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long) req->connect_timeout_ms);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long) req->timeout_ms);
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t) req->body_len);
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, aw_llm_write);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, aw_llm_header);
    curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "agent-async-worker");

    if (req->ca_file != NULL) {
        curl_easy_setopt(c->easy, CURLOPT_CAINFO, req->ca_file);
    }

    return 0;
}


/* What errors call the other end. */
static const char *
aw_llm_peer(aw_llm_call_t *c)
{
    return c->peer != NULL ? c->peer : "model server";
}


/* The outcome of a transfer that ended by itself. */
static void
aw_llm_outcome(aw_llm_call_t *c, CURLcode code, const char *url)
{
    aw_llm_result_t  *res;
    curl_off_t        connected;
    char              text[300], where[256];

    res = c->res;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &res->status);
    aa_url_redact(where, sizeof(where), url, strlen(url));

    if (c->bad || (code == CURLE_OK && c->chat->error[0] != '\0')) {
        res->rc = AW_LLM_INVALID;
        snprintf(res->error, sizeof(res->error), "%s", c->chat->error);
        return;
    }

    res->rc = aw_llm_classify(code, res->status);

    if (code == CURLE_OPERATION_TIMEDOUT) {
        res->timed_out = 1;

        /* which phase: connecting (the request not sent), or after */
        connected = 0;
        curl_easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &connected);
        snprintf(res->error, sizeof(res->error), "%s %s: timed out %s (%s)",
                 aw_llm_peer(c), where,
                 connected == 0 ? "connecting"
                 : c->got ? "reading the answer" : "waiting for the answer",
                 c->errbuf[0] ? c->errbuf : curl_easy_strerror(code));
        return;
    }

    if (code != CURLE_OK) {
        snprintf(res->error, sizeof(res->error), "%s %s: %s",
                 aw_llm_peer(c), where,
                 c->errbuf[0] ? c->errbuf : curl_easy_strerror(code));
        return;
    }

    if (c->raw != NULL) {
        /* the caller reads the answer, or the error body, itself */
        aa_buf_append(c->raw, c->body.data ? c->body.data : "",
                      c->body.len);
        aa_buf_cstr(c->raw);
    }

    if (res->rc != AW_LLM_OK) {
        aa_buf_cstr(&c->body);
        aw_chat_error_text(c->body.data, c->body.len, text, sizeof(text));
        snprintf(res->error, sizeof(res->error), "%s %s: HTTP %ld%s%s",
                 aw_llm_peer(c), where, res->status, text[0] ? ": " : "",
                 text);
        return;
    }

    if (c->raw != NULL) {
        if (c->body.failed || c->raw->failed) {
            res->rc = AW_LLM_API_ERROR;
            snprintf(res->error, sizeof(res->error), "out of memory");
            return;
        }

        res->first_token_ns = aa_mono_ns();
        return;
    }

    if (c->kind == 1) {
        if (aw_sse_pending(&c->sse)) {
            res->rc = AW_LLM_INVALID;
            snprintf(res->error, sizeof(res->error), "the model's stream "
                     "was cut in the middle of an event");
            return;
        }

    } else {
        aa_buf_cstr(&c->body);

        if (c->body.failed) {
            res->rc = AW_LLM_API_ERROR;
            snprintf(res->error, sizeof(res->error), "out of memory");
            return;
        }

        if (aw_chat_response(c->chat, c->body.data ? c->body.data : "",
                             c->body.len) != 0)
        {
            res->rc = AW_LLM_INVALID;
            snprintf(res->error, sizeof(res->error), "%s", c->chat->error);
            return;
        }

        res->first_token_ns = aa_mono_ns();
    }

    if (aw_chat_check(c->chat) != 0) {
        res->rc = AW_LLM_INVALID;
        snprintf(res->error, sizeof(res->error), "%s", c->chat->error);
    }
}


/* 1 when the other end has been silent too long (the error set). */
static int
aw_llm_idle(aw_llm_call_t *c, const aw_llm_req_t *req)
{
    if (aa_mono_ns() - c->last_ns
        <= (int64_t) req->idle_timeout_ms * 1000000)
    {
        return 0;
    }

    c->res->rc = AW_LLM_API_ERROR;
    c->res->timed_out = 1;
    snprintf(c->res->error, sizeof(c->res->error), "the %s sent nothing "
             "for %d ms (%s)", aw_llm_peer(c), req->idle_timeout_ms,
             c->got ? "between two bytes" : "before its first byte");

    return 1;
}


/*
 * On the run loop: the transfer joins the loop's multi handle and the
 * fiber yields until it ends, waking every tick for the job's checks.
 */
static int
aw_llm_fiber(aw_job_t *job, const aw_llm_req_t *req, aw_llm_call_t *c)
{
    aw_sched_xfer_t   x;
    CURLM            *multi;
    int               rc;

    memset(&x, 0, sizeof(x));
    multi = aw_sched_multi(&x);
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, &x);

    if (curl_multi_add_handle(multi, c->easy) != CURLM_OK) {
        c->res->rc = AW_LLM_API_ERROR;
        snprintf(c->res->error, sizeof(c->res->error), "cannot start the "
                 "call to the %s", aw_llm_peer(c));
        return 0;
    }

    rc = 0;

    while (!x.done) {
        rc = aw_llm_check(job);
        if (rc != 0) {
            break;
        }

        if (aw_llm_idle(c, req)) {
            break;
        }

        aw_sched_wait(aa_mono_ns() + 100 * 1000000LL);
    }

    curl_multi_remove_handle(multi, c->easy);

    if (x.done && rc == 0) {
        aw_llm_outcome(c, x.code, req->url);
    }

    return rc;
}


int
aw_llm_call(aw_job_t *job, const aw_llm_req_t *req, aw_chat_t *chat,
    aw_llm_result_t *res)
{
    aw_llm_call_t   c;
    CURLM          *multi;
    CURLMsg        *msg;
    int             running, left, rc, done;
    int64_t         start;
    curl_off_t      connected;
    long            sent;

    memset(res, 0, sizeof(aw_llm_result_t));
    res->retry_after_ms = -1;
    aw_chat_reset(chat);

    memset(&c, 0, sizeof(c));
    c.chat = chat;
    c.res = res;
    c.peer = req->peer;
    c.raw = req->raw;
    aa_buf_init(&c.body);
    aw_sse_init(&c.sse, AW_LLM_EVENT_MAX, aw_llm_event, &c);

    rc = 0;
    multi = aw_sched_on_fiber() ? NULL : curl_multi_init();

    if ((multi == NULL && !aw_sched_on_fiber())
        || aw_llm_setup(&c, req) != 0
        || (multi != NULL
            && curl_multi_add_handle(multi, c.easy) != CURLM_OK))
    {
        res->rc = AW_LLM_API_ERROR;
        snprintf(res->error, sizeof(res->error), "cannot start the call to "
                 "the %s (out of memory)", aw_llm_peer(&c));
        goto done;
    }

    start = aa_mono_ns();
    c.last_ns = start;
    done = 0;

    if (aw_sched_on_fiber()) {
        rc = aw_llm_fiber(job, req, &c);
        goto done;
    }

    while (!done) {
        curl_multi_perform(multi, &running);

        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg == CURLMSG_DONE) {
                aw_llm_outcome(&c, msg->data.result, req->url);
                done = 1;
            }
        }

        if (done) {
            break;
        }

        /* cancelled, deleted or drained: the transfer is dropped now */
        rc = aw_llm_check(job);
        if (rc != 0) {
            break;
        }

        if (aw_llm_idle(&c, req)) {
            break;
        }

        curl_multi_poll(multi, NULL, 0, AW_LLM_POLL_MS, NULL);
    }

done:

    if (c.easy != NULL) {
        /* connected: an aborted call may have been received all the same */
        connected = 0;
        sent = 0;
        curl_easy_getinfo(c.easy, CURLINFO_PRETRANSFER_TIME_T, &connected);
        curl_easy_getinfo(c.easy, CURLINFO_REQUEST_SIZE, &sent);
        res->sent = connected > 0 || sent > 0;

        if (multi != NULL) {
            curl_multi_remove_handle(multi, c.easy);
        }
        curl_easy_cleanup(c.easy);
    }

    if (multi != NULL) {
        curl_multi_cleanup(multi);
    }

    curl_slist_free_all(c.headers);
    aw_sse_free(&c.sse);
    aa_buf_free(&c.body);

    return rc;
}
