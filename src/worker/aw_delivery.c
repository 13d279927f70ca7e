/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <curl/curl.h>

#include "aa_buf.h"
#include "aa_time.h"
#include "aa_url.h"
#include "aw_callback_payload.h"
#include "aw_delivery.h"
#include "aw_log.h"
#include "aw_metrics.h"
#include "aw_redis.h"
#include "aw_sign.h"
#include "aw_ssrf.h"
#include "aw_store_callbacks.h"
#include "aw_worker.h"


#define AW_DELIVERY_POLL_MS    100      /* a look for due deliveries */
#define AW_DELIVERY_TAKE_MAX   100      /* started per look, at most */
#define AW_DELIVERY_LEASE_MS   2000     /* an attempt's lease, beyond the
                                           attempt's own timeout */
#define AW_DELIVERY_REDIS_MS   3000     /* socket timeout: never blocks */


typedef struct aw_transfer_s  aw_transfer_t;

struct aw_transfer_s {
    aw_attempt_t        a;
    CURL               *easy;
    struct curl_slist  *headers;
    aa_buf_t            body;
    char               *url;
    char                shown[AA_URL_SHOWN_MAX];    /* for logs, errors */
    char                refused[160];               /* the SSRF verdict */
    char                errbuf[CURL_ERROR_SIZE];
    long long           retry_after_ms;             /* -1: none */
    int64_t             start_ns;
    aw_transfer_t      *next;
};


typedef struct {
    aw_redis_t          redis;
    CURLM              *multi;
    aw_transfer_t      *flying;
    int                 inflight;
} aw_delivery_t;


long long
aw_delivery_delay(long n, int backoff_ms, int max_ms,
    long long retry_after_ms)
{
    long long  step, delay;
    long       i;

    step = backoff_ms;

    for (i = 1; i < n && step < max_ms; i++) {
        step *= 2;
    }

    if (step > max_ms) {
        step = max_ms;
    }

    delay = step * 3 / 4 + random() % (step / 4 + 1);

    if (retry_after_ms > delay) {
        delay = retry_after_ms < max_ms ? retry_after_ms : max_ms;
    }

    return delay;
}


long long
aw_delivery_retry_after(const char *value, long long now_s)
{
    const char  *p;
    char        *end;
    long long    s;
    time_t       t;

    while (isspace((unsigned char) *value)) {
        value++;
    }

    if (*value >= '0' && *value <= '9') {
        errno = 0;
        s = strtoll(value, &end, 10);

        for (p = end; isspace((unsigned char) *p); p++) { /* void */ }

        if (errno || *p != '\0' || s > 100LL * 365 * 86400) {
            return -1;
        }

        return s * 1000;
    }

    t = curl_getdate(value, NULL);
    if (t == -1) {
        return -1;
    }

    return t > now_s ? ((long long) t - now_s) * 1000 : 0;
}


/*
 * The SSRF guard, on the address curl is about to open a socket for:
 * after name resolution, before any connection, for every address it
 * tries.  A refused one gets no socket, so no packet.
 */
static curl_socket_t
aw_delivery_open(void *data, curlsocktype purpose,
    struct curl_sockaddr *address)
{
    aw_transfer_t  *t = data;

    if (aw_ssrf_refused(&address->addr, aw_worker.cf.allow,
                        aw_worker.cf.nallow, t->refused, sizeof(t->refused))
        != NULL)
    {
        aw_log_debug(t->a.run, t->a.agent, "callback: not connecting: %s",
                     t->refused);
        return CURL_SOCKET_BAD;
    }

    return socket(address->family, address->socktype, address->protocol);
}


static size_t
aw_delivery_header(char *p, size_t size, size_t n, void *data)
{
    aw_transfer_t  *t = data;
    size_t          len;
    char            value[128];

    len = size * n;

    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0
        && len - 12 < sizeof(value))
    {
        memcpy(value, p + 12, len - 12);
        value[len - 12] = '\0';
        value[strcspn(value, "\r\n")] = '\0';

        t->retry_after_ms = aw_delivery_retry_after(value,
                                                    aa_now_us() / 1000000);
    }

    return len;
}


static size_t
aw_delivery_discard(char *p, size_t size, size_t n, void *data)
{
    return size * n;
}


static void
aw_delivery_free(aw_transfer_t *t)
{
    if (t->easy != NULL) {
        curl_easy_cleanup(t->easy);
    }

    curl_slist_free_all(t->headers);
    aa_buf_free(&t->body);
    free(t->url);
    aw_store_attempt_free(&t->a);
    free(t);
}


/* The POST's headers and body; 0 or -1 (out of memory). */
static int
aw_delivery_request(aw_transfer_t *t)
{
    char                line[256], sig[AW_SIGN_LEN];
    size_t              i, n, lens[AW_CALLBACK_MSGS];
    long long           ts;
    const char         *msgs[AW_CALLBACK_MSGS], *h[3];
    struct curl_slist  *l;
    redisReply         *m;

    n = 0;
    for (i = 0; i < t->a.messages->elements && n < AW_CALLBACK_MSGS; i++) {
        m = t->a.messages->element[i];
        if (m->type == REDIS_REPLY_STRING) {
            msgs[n] = m->str;
            lens[n++] = m->len;
        }
    }

    aw_callback_payload(&t->body, t->a.run, t->a.fields, t->a.nfields, msgs,
                        lens, n, t->a.completed_at);

    if (t->body.failed) {
        return -1;
    }

    ts = aa_now_us() / 1000000;

    h[0] = "Content-Type: application/json";
    h[1] = "Expect:";                   /* no 100-continue round trip */
    h[2] = "Accept:";

    for (i = 0; i < 3; i++) {
        l = curl_slist_append(t->headers, h[i]);
        if (l == NULL) {
            return -1;
        }
        t->headers = l;
    }

    /* one id for every attempt of the delivery: a run has one */
    snprintf(line, sizeof(line), "webhook-id: %s", t->a.run);
    l = curl_slist_append(t->headers, line);
    if (l == NULL) {
        return -1;
    }
    t->headers = l;

    snprintf(line, sizeof(line), "webhook-timestamp: %lld", ts);
    l = curl_slist_append(t->headers, line);
    if (l == NULL) {
        return -1;
    }
    t->headers = l;

    if (aw_worker.cf.sign_keylen) {
        if (aw_sign(aw_worker.cf.sign_key, aw_worker.cf.sign_keylen,
                    t->a.run, ts, t->body.data ? t->body.data : "",
                    t->body.len, sig) != 0)
        {
            return -1;
        }

        snprintf(line, sizeof(line), "webhook-signature: %s", sig);
        l = curl_slist_append(t->headers, line);
        if (l == NULL) {
            return -1;
        }
        t->headers = l;
    }

    return 0;
}


static void
aw_delivery_begin(aw_delivery_t *d, const char *member)
{
    CURL           *c;
    aw_transfer_t  *t;
    int             rc;

    t = calloc(1, sizeof(aw_transfer_t));
    if (t == NULL) {
        aw_log_error(NULL, NULL, "callback: out of memory");
        return;
    }

    aa_buf_init(&t->body);
    t->retry_after_ms = -1;

    rc = aw_store_attempt_start(&d->redis, member,
                                aw_worker.cf.callback_timeout_ms
                                + AW_DELIVERY_LEASE_MS, &t->a);

    if (rc != AW_ATTEMPT_STARTED) {
        free(t);
        return;
    }

    t->url = strndup(t->a.url, t->a.url_len);
    aa_url_redact(t->shown, sizeof(t->shown), t->a.url, t->a.url_len);

    c = curl_easy_init();
    t->easy = c;

    if (t->url == NULL || c == NULL || aw_delivery_request(t) != 0) {
        aw_log_error(t->a.run, t->a.agent, "callback: out of memory");
        aw_store_attempt_done(&d->redis, &t->a, AW_OUTCOME_RELEASE, "", -1);
        aw_delivery_free(t);
        return;
    }

    curl_easy_setopt(c, CURLOPT_URL, t->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    /* no proxy from the environment: the SSRF guard sees the receiver */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     (long) aw_worker.cf.callback_timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->body.data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) t->body.len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, aw_delivery_discard);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, aw_delivery_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, aw_delivery_open);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "agent-async-worker");
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);

    if (curl_multi_add_handle(d->multi, c) != CURLM_OK) {
        aw_log_error(t->a.run, t->a.agent, "callback: cannot start a "
                     "transfer");
        aw_store_attempt_done(&d->redis, &t->a, AW_OUTCOME_RELEASE, "", -1);
        aw_delivery_free(t);
        return;
    }

    t->start_ns = aa_mono_ns();
    t->next = d->flying;
    d->flying = t;
    d->inflight++;

    aw_log_debug(t->a.run, t->a.agent, "callback POST %s: attempt %ld",
                 t->shown, t->a.n);
}


static void
aw_delivery_unlink(aw_delivery_t *d, aw_transfer_t *t)
{
    aw_transfer_t  **pp;

    for (pp = &d->flying; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            d->inflight--;
            return;
        }
    }
}


/* An attempt is over: what it means, and when the next one is due. */
static void
aw_delivery_end(aw_delivery_t *d, aw_transfer_t *t, CURLcode rc)
{
    char          value[AA_URL_SHOWN_MAX + 512];
    long          code, ms;
    long long     next;
    int           retry, done;
    aw_outcome_e  outcome;

    code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    ms = (long) ((aa_mono_ns() - t->start_ns) / 1000000);

    if (rc == CURLE_OK && code > 0) {
        outcome = AW_OUTCOME_CODE;
        snprintf(value, sizeof(value), "%ld", code);
        retry = code == 429 || code >= 500;

    } else if (rc == CURLE_COULDNT_CONNECT && t->refused[0]) {
        /* the policy, not the network: trying again changes nothing */
        outcome = AW_OUTCOME_ERROR;
        snprintf(value, sizeof(value), "Failed to dispatch callback for run "
                 "%s to %s: not sent: %s, which callbacks may not reach",
                 t->a.run, t->shown, t->refused);
        retry = 0;

    } else {
        outcome = AW_OUTCOME_ERROR;
        snprintf(value, sizeof(value), "Failed to dispatch callback for run "
                 "%s to %s: %s", t->a.run, t->shown,
                 t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        retry = rc != CURLE_UNSUPPORTED_PROTOCOL
                && rc != CURLE_URL_MALFORMAT;
    }

    done = !retry || t->a.n >= aw_worker.cf.callback_attempts;
    next = done ? -1
                : aw_delivery_delay(t->a.n, aw_worker.cf.callback_backoff_ms,
                                    aw_worker.cf.callback_backoff_max_ms,
                                    t->retry_after_ms);

    aw_metrics_callback(outcome == AW_OUTCOME_CODE && !retry
                        ? (code < 300 ? AW_CALLBACK_DELIVERED
                                      : AW_CALLBACK_REJECTED)
                        : done ? AW_CALLBACK_GIVEN_UP : AW_CALLBACK_RETRIED);

    if (outcome == AW_OUTCOME_CODE && !retry) {
        aw_log_info(t->a.run, t->a.agent, "callback POST %s: HTTP %ld in "
                    "%ld ms (attempt %ld)", t->shown, code, ms, t->a.n);

    } else if (done) {
        aw_log_warn(t->a.run, t->a.agent, "callback POST %s: %s in %ld ms "
                    "(attempt %ld): giving up", t->shown,
                    outcome == AW_OUTCOME_CODE ? "HTTP" : "failed",
                    ms, t->a.n);
        aw_log_debug(t->a.run, t->a.agent, "callback: %s", value);

    } else {
        aw_log_warn(t->a.run, t->a.agent, "callback POST %s: %s%s in %ld ms "
                    "(attempt %ld of %d): again in %lld ms", t->shown,
                    outcome == AW_OUTCOME_CODE ? "HTTP " : "",
                    outcome == AW_OUTCOME_CODE ? value
                    : t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc),
                    ms, t->a.n, aw_worker.cf.callback_attempts, next);
    }

    if (aw_store_attempt_done(&d->redis, &t->a, outcome, value, next) == 1) {
        aw_log_warn(t->a.run, t->a.agent, "callback: the attempt outlived "
                    "its lease; another one began");
    }
}


/* Finished transfers: their outcomes recorded, their handles freed. */
static void
aw_delivery_collect(aw_delivery_t *d)
{
    int             left;
    CURLMsg        *msg;
    aw_transfer_t  *t;

    while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);

        curl_multi_remove_handle(d->multi, msg->easy_handle);

        if (t == NULL) {
            continue;
        }

        aw_delivery_unlink(d, t);
        aw_delivery_end(d, t, msg->data.result);
        aw_delivery_free(t);
    }
}


/* The attempts still in flight at the end of the drain: due again now. */
static void
aw_delivery_release(aw_delivery_t *d)
{
    aw_transfer_t  *t;

    while ((t = d->flying) != NULL) {
        d->flying = t->next;
        d->inflight--;

        curl_multi_remove_handle(d->multi, t->easy);

        aw_log_info(t->a.run, t->a.agent, "callback POST %s: given back "
                    "(shutting down)", t->shown);
        aw_store_attempt_done(&d->redis, &t->a, AW_OUTCOME_RELEASE, "", -1);
        aw_delivery_free(t);
    }
}


static void
aw_delivery_take(aw_delivery_t *d)
{
    size_t       i;
    int          room;
    redisReply  *due;

    room = aw_worker.cf.callback_concurrency - d->inflight;
    if (room > AW_DELIVERY_TAKE_MAX) {
        room = AW_DELIVERY_TAKE_MAX;
    }

    if (room <= 0) {
        return;
    }

    due = aw_store_callbacks_due(&d->redis, room);
    if (due == NULL) {
        return;
    }

    for (i = 0; i < due->elements; i++) {
        if (due->element[i]->type == REDIS_REPLY_STRING) {
            aw_delivery_begin(d, due->element[i]->str);
        }
    }

    freeReplyObject(due);
}


void *
aw_delivery_main(void *arg)
{
    aw_delivery_t  d;
    int64_t        now, next_take;
    int            running, stage;

    aw_log_thread("cb");

    memset(&d, 0, sizeof(d));
    aw_redis_init(&d.redis);
    d.redis.timeout_ms = AW_DELIVERY_REDIS_MS;

    d.multi = curl_multi_init();

    if (d.multi == NULL) {
        aw_log_error(NULL, NULL, "callbacks: cannot create a curl multi "
                     "handle: no callbacks will be sent");
        __atomic_sub_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);
        return NULL;
    }

    next_take = 0;

    for ( ;; ) {
        stage = aw_stage();

        if (stage >= AW_ABORTING) {
            aw_delivery_release(&d);
            break;
        }

        if (stage == AW_DRAINING && d.inflight == 0) {
            break;
        }

        now = aa_mono_ns() / 1000000;

        if (stage == AW_RUNNING && now >= next_take) {
            aw_delivery_take(&d);
            next_take = now + AW_DELIVERY_POLL_MS;
        }

        curl_multi_perform(d.multi, &running);
        aw_delivery_collect(&d);

        curl_multi_poll(d.multi, NULL, 0, AW_DELIVERY_POLL_MS, NULL);
    }

    curl_multi_cleanup(d.multi);
    aw_redis_close(&d.redis);
    __atomic_sub_fetch(&aw_worker.live_slots, 1, __ATOMIC_ACQ_REL);

    return NULL;
}
