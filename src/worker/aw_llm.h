/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * One call to an OpenAI-compatible /chat/completions endpoint: the POST,
 * the answer read as a stream (text/event-stream) or as one JSON body,
 * whichever the server sends, into an aw_chat_t; its timeouts; how it
 * failed.  A call is a libcurl easy handle driven by a multi handle;
 * aw_llm_call() drives it on the slot's thread, checking the job every
 * 20 ms so that a cancellation aborts the transfer at once.  With raw
 * set, any JSON endpoint (the letta backend's upstream) is called the
 * same way and its body handed back as it came.
 */

#ifndef AW_LLM_H
#define AW_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "aa_buf.h"
#include "aw_chat.h"

typedef struct aw_job_s  aw_job_t;

typedef struct {
    const char  *url;               /* the endpoint, .../chat/completions */
    const char  *api_key;           /* sent as a bearer token; NULL: none */
    const char  *body;              /* the request JSON */
    size_t       body_len;
    int          connect_timeout_ms;
    int          idle_timeout_ms;   /* to the first byte, and between */
    int          timeout_ms;        /* the whole call */
    const char  *peer;              /* named in errors; NULL: "model
                                       server" */
    aa_buf_t    *raw;               /* non-NULL: the body is kept here,
                                       unparsed, error bodies too */
    const char  *ca_file;           /* TLS: the CAs trusted; NULL: the
                                       system's */
} aw_llm_req_t;

typedef enum {
    AW_LLM_OK = 0,
    AW_LLM_TRANSIENT,               /* worth another try: 429, 5xx, ... */
    AW_LLM_API_ERROR,               /* llm_api_error: the call failed */
    AW_LLM_INVALID                  /* invalid_llm_response */
} aw_llm_rc_e;

typedef struct {
    int       rc;                   /* aw_llm_rc_e */
    long      status;               /* HTTP status, 0 if none */
    int64_t   first_token_ns;       /* monotonic; 0 if none came */
    int       retry_after_ms;       /* Retry-After, -1 if none */
    int       sent;                 /* connected: the request went out,
                                       even if the call was aborted */
    int       timed_out;            /* a timeout ended it */
    char      error[640];           /* what went wrong, for metadata */
} aw_llm_result_t;

/*
 * Makes the call; the answer in chat (reset first), the outcome in res.
 * Returns 0, or the job's AW_JOB_CANCELLED / AW_JOB_SHUTDOWN when it was
 * aborted.  job NULL: a call no run owns (the letta backend's cancel of
 * an upstream run), aborted only by the worker's shutdown.
 */
int aw_llm_call(aw_job_t *job, const aw_llm_req_t *req, aw_chat_t *chat,
    aw_llm_result_t *res);

/*
 * The class of a finished transfer: curl's code and the HTTP status.
 * Exposed for the unit tests.
 */
int aw_llm_classify(int curl_code, long status);

#endif
