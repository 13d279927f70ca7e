/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <string.h>
#include <curl/curl.h>

#include "aa_keys.h"
#include "aa_run.h"
#include "aa_time.h"
#include "aa_url.h"
#include "aw_callback.h"
#include "aw_callback_payload.h"
#include "aw_log.h"
#include "aw_worker.h"


#define AW_CALLBACK_MESSAGES  100       /* GET .../messages default limit */
#define AW_CALLBACK_FIELDS    32


int
aw_callback_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}


void
aw_callback_cleanup(void)
{
    curl_global_cleanup();
}


static size_t
aw_callback_discard(char *p, size_t size, size_t n, void *data)
{
    return size * n;
}


/*
 * Past the drain grace a POST in flight is abandoned (recorded as a
 * callback_error), so a slow or silent receiver cannot hold a slot, and
 * the worker, beyond its shutdown deadline.
 */
static int
aw_callback_progress(void *data, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
    return aw_stage() >= AW_ABORTING;
}


/* The POST; returns the HTTP status, or 0 with err filled. */
static long
aw_callback_post(const char *url, aa_buf_t *body, char *err, size_t errlen)
{
    CURL               *curl;
    CURLcode            rc;
    struct curl_slist  *headers, *h;
    char                ebuf[CURL_ERROR_SIZE];
    long                status;

    status = 0;
    ebuf[0] = '\0';

    curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(err, errlen, "cannot create a curl handle");
        return 0;
    }

    headers = curl_slist_append(NULL, "Content-Type: application/json");
    /* no "Expect: 100-continue" round trip */
    h = headers ? curl_slist_append(headers, "Expect:") : NULL;
    if (h == NULL) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        snprintf(err, errlen, "out of memory");
        return 0;
    }
    headers = h;

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     (long) aw_worker.cf.callback_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t) body->len);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, aw_callback_discard);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, aw_callback_progress);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "agent-async-worker");

    rc = curl_easy_perform(curl);

    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    } else {
        snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
    }

    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    return status;
}


static redisReply *
aw_callback_cmd(aw_redis_t *r, const char *run, const char *agent, int argc,
    const char **argv)
{
    redisReply  *reply;

    reply = aw_redis_argv(r, argc, argv, NULL);

    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        aw_log_warn(run, agent, "callback: redis %s failed: %s", argv[0],
                    aw_redis_what(reply));
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        return NULL;
    }

    return reply;
}


void
aw_callback_run(aw_redis_t *r, const char *agent, const char *run)
{
    char               key[AA_KEY_MAX], mkey[AA_KEY_MAX], now[32], err[512];
    char               count[16], *url, text[AA_URL_SHOWN_MAX + 1024];
    char               shown[AA_URL_SHOWN_MAX];
    const char        *argv[6];
    const char        *prefix;
    redisReply        *h, *m, *reply;
    aa_field_t         fields[AW_CALLBACK_FIELDS];
    const aa_field_t  *fu, *fs;
    size_t             i, nf, nm, lens[AW_CALLBACK_MESSAGES];
    const char        *msgs[AW_CALLBACK_MESSAGES];
    aa_buf_t           body;
    long               status;
    int64_t            start;

    prefix = aw_worker.cf.prefix;

    if (aa_key_run(key, sizeof(key), prefix, agent, run) < 0
        || aa_key_run_messages(mkey, sizeof(mkey), prefix, agent, run) < 0)
    {
        return;
    }

    argv[0] = "HGETALL";
    argv[1] = key;

    h = aw_callback_cmd(r, run, agent, 2, argv);
    if (h == NULL) {
        return;
    }

    m = NULL;
    url = NULL;
    nf = 0;

    for (i = 0; i + 1 < h->elements && nf < AW_CALLBACK_FIELDS; i += 2) {
        fields[nf].name = h->element[i]->str;
        fields[nf].name_len = h->element[i]->len;
        fields[nf].value = h->element[i + 1]->str;
        fields[nf].value_len = h->element[i + 1]->len;
        nf++;
    }

    fu = aa_field_find(fields, nf, "callback_url");
    fs = aa_field_find(fields, nf, "status");

    if (fu == NULL || fu->value_len == 0 || fs == NULL
        || !aa_run_status_terminal(fs->value, fs->value_len)
        || aa_field_find(fields, nf, "callback_sent_at") != NULL)
    {
        goto done;
    }

    url = strndup(fu->value, fu->value_len);
    if (url == NULL) {
        goto done;
    }

    /* logs and callback_error never show user-info, query or fragment */
    aa_url_redact(shown, sizeof(shown), fu->value, fu->value_len);

    /* once per run: the first to set callback_sent_at sends */
    aa_time_run(aa_now_us(), now);

    argv[0] = "HSETNX";
    argv[1] = key;
    argv[2] = "callback_sent_at";
    argv[3] = now;

    reply = aw_callback_cmd(r, run, agent, 4, argv);
    if (reply == NULL) {
        goto done;
    }

    if (reply->type != REDIS_REPLY_INTEGER || reply->integer != 1) {
        freeReplyObject(reply);
        goto done;
    }

    freeReplyObject(reply);

    snprintf(count, sizeof(count), "%d", AW_CALLBACK_MESSAGES - 1);
    argv[0] = "LRANGE";
    argv[1] = mkey;
    argv[2] = "0";
    argv[3] = count;

    m = aw_callback_cmd(r, run, agent, 4, argv);

    nm = 0;
    for (i = 0; m != NULL && i < m->elements && nm < AW_CALLBACK_MESSAGES;
         i++)
    {
        if (m->element[i]->type == REDIS_REPLY_STRING) {
            msgs[nm] = m->element[i]->str;
            lens[nm++] = m->element[i]->len;
        }
    }

    aa_buf_init(&body);
    aw_callback_payload(&body, run, fields, nf, msgs, lens, nm, now);
    aa_buf_cstr(&body);

    start = aa_mono_ns();
    err[0] = '\0';

    if (body.failed) {
        status = 0;
        snprintf(err, sizeof(err), "out of memory");
    } else {
        status = aw_callback_post(url, &body, err, sizeof(err));
    }

    aa_buf_free(&body);

    argv[0] = "HSET";
    argv[1] = key;

    if (status != 0) {
        snprintf(text, sizeof(text), "%ld", status);
        argv[2] = "callback_status_code";
        aw_log_info(run, agent, "callback POST %s: HTTP %ld in %lld ms",
                    shown, status,
                    (long long) ((aa_mono_ns() - start) / 1000000));
    } else {
        snprintf(text, sizeof(text), "Failed to dispatch callback for run "
                 "%s to %s: %s", run, shown, err);
        argv[2] = "callback_error";
        aw_log_warn(run, agent, "callback POST %s failed: %s", shown, err);
    }

    argv[3] = text;

    reply = aw_callback_cmd(r, run, agent, 4, argv);
    if (reply != NULL) {
        freeReplyObject(reply);
    }

done:

    free(url);

    if (m != NULL) {
        freeReplyObject(m);
    }

    freeReplyObject(h);
}
