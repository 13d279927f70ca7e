
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * One pipelined hiredis async connection per worker process, on nginx's
 * event loop (ngx_http_agent_async_redis_adapter.c).  hiredis 0.14 has no
 * timeouts of its own, so the connect timeout, the per-command timeout
 * and reconnection with backoff are nginx timers.
 *
 * A request waiting for a reply is reached through a heap "op", never
 * directly: the request may be gone when the reply comes, and hiredis
 * calls every pending callback (with a NULL reply) when the connection is
 * freed, so the callback is the one place that frees the op.
 *
 * A request's commands are written in RESP by the module, into the
 * request's pool, and handed to hiredis formatted: its own formatting
 * (sdscatfmt into a new sds per command) is one malloc, a printf-like
 * pass and a copy more, on every request.
 */


#include "ngx_http_agent_async_module.h"
#include "ngx_http_agent_async_redis.h"
#include "ngx_http_agent_async_redis_adapter.h"
#include "ngx_http_agent_async_redis_reader.h"


typedef enum {
    NGX_HTTP_AGENT_ASYNC_REDIS_IDLE = 0,    /* no context, maybe a timer */
    NGX_HTTP_AGENT_ASYNC_REDIS_CONNECTING,  /* accepting, setup under way */
    NGX_HTTP_AGENT_ASYNC_REDIS_READY,
    NGX_HTTP_AGENT_ASYNC_REDIS_CLOSING      /* refusing, context draining */
} ngx_http_agent_async_redis_state_e;


typedef struct {
    redisAsyncContext                   *ac;
    ngx_http_agent_async_redis_state_e   state;
    ngx_event_t                          reconnect;
    ngx_event_t                          connect_timer;
    ngx_msec_t                           backoff;
    ngx_msec_t                           last_reply;
    ngx_uint_t                           pending;
    ngx_uint_t                           loads[AA_SCRIPT_N];
    ngx_log_t                           *log;
    ngx_http_agent_async_redis_conf_t   *conf;
} ngx_http_agent_async_redis_t;


typedef struct {
    ngx_http_request_t                  *request;
    ngx_http_agent_async_reply_pt        handler;
    ngx_pool_cleanup_t                  *cleanup;
    ngx_event_t                          timer;

    /* a script's EVALSHA, kept in r->pool to be sent again after NOSCRIPT */
    ngx_int_t                            script;    /* -1: no script */
    ngx_uint_t                           loads;     /* loads[] when sent */
    u_char                              *cmd;       /* in RESP */
    size_t                               len;
    unsigned                             resent:1;
    unsigned                             probe:1;   /* handler answers all */
} ngx_http_agent_async_op_t;


static void ngx_http_agent_async_redis_connect(void);
static void ngx_http_agent_async_redis_drop(const char *why);
static void ngx_http_agent_async_redis_schedule(void);
static void ngx_http_agent_async_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_agent_async_redis_connect_timeout(ngx_event_t *ev);
static void ngx_http_agent_async_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_http_agent_async_redis_on_disconnect(
    const redisAsyncContext *ac, int status);
static void ngx_http_agent_async_redis_send_setup(redisAsyncContext *ac);
static void ngx_http_agent_async_redis_load(redisAsyncContext *ac,
    ngx_uint_t script, void *last);
static void ngx_http_agent_async_redis_setup_reply(redisAsyncContext *ac,
    void *r, void *privdata);
static ngx_http_agent_async_op_t *ngx_http_agent_async_redis_op(
    ngx_http_request_t *r, ngx_http_agent_async_reply_pt handler);
static ngx_int_t ngx_http_agent_async_redis_format(
    ngx_http_agent_async_op_t *op, int nhead, const char **head,
    const size_t *headlen, int argc, const char **argv,
    const size_t *argvlen);
static u_char *ngx_http_agent_async_redis_header(u_char *p, u_char type,
    size_t n);
static ngx_int_t ngx_http_agent_async_redis_send(
    ngx_http_agent_async_op_t *op, int nhead, const char **head,
    const size_t *headlen, int argc, const char **argv,
    const size_t *argvlen);
static ngx_int_t ngx_http_agent_async_redis_resend(
    ngx_http_agent_async_op_t *op, redisReply *reply);
static void ngx_http_agent_async_redis_reply(redisAsyncContext *ac,
    void *r, void *privdata);
static void ngx_http_agent_async_redis_op_timeout(ngx_event_t *ev);
static void ngx_http_agent_async_redis_op_detach(void *data);


/* per worker process: a connection is inherently process-global */
static ngx_http_agent_async_redis_t  ngx_http_agent_async_redis;


ngx_int_t
ngx_http_agent_async_redis_init(ngx_cycle_t *cycle,
    ngx_http_agent_async_redis_conf_t *conf)
{
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    ngx_memzero(rd, sizeof(ngx_http_agent_async_redis_t));

    rd->conf = conf;
    rd->log = cycle->log;

    rd->reconnect.handler = ngx_http_agent_async_redis_reconnect_handler;
    rd->reconnect.log = cycle->log;
    rd->reconnect.data = rd;
    rd->reconnect.cancelable = 1;

    rd->connect_timer.handler = ngx_http_agent_async_redis_connect_timeout;
    rd->connect_timer.log = cycle->log;
    rd->connect_timer.data = rd;
    rd->connect_timer.cancelable = 1;

    ngx_http_agent_async_redis_connect();

    return NGX_OK;
}


void
ngx_http_agent_async_redis_exit(ngx_cycle_t *cycle)
{
    redisAsyncContext             *ac;
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_IDLE;

    ac = rd->ac;

    if (ac) {
        rd->ac = NULL;
        ac->onDisconnect = NULL;
        redisAsyncFree(ac);
    }
}


static void
ngx_http_agent_async_redis_connect(void)
{
    redisAsyncContext                  *ac;
    ngx_http_agent_async_redis_t       *rd;
    ngx_http_agent_async_redis_conf_t  *conf;

    rd = &ngx_http_agent_async_redis;
    conf = rd->conf;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "agent_async redis connect");

    if (conf->unix_path.len) {
        ac = redisAsyncConnectUnix((char *) conf->unix_path.data);

    } else {
        ac = redisAsyncConnect((char *) conf->host.data, (int) conf->port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "agent_async: redis context allocation failed");
        ngx_http_agent_async_redis_schedule();
        return;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "agent_async: redis connect failed: %s", ac->errstr);
        redisAsyncFree(ac);
        ngx_http_agent_async_redis_schedule();
        return;
    }

    if (ngx_http_agent_async_redis_attach(ac, rd->log) != NGX_OK) {
        redisAsyncFree(ac);
        ngx_http_agent_async_redis_schedule();
        return;
    }

    ngx_http_agent_async_redis_reader_install(ac);

    rd->ac = ac;
    rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_CONNECTING;

    redisAsyncSetConnectCallback(ac, ngx_http_agent_async_redis_on_connect);
    redisAsyncSetDisconnectCallback(ac,
                                    ngx_http_agent_async_redis_on_disconnect);

    /*
     * hiredis queues these until the socket connects; requests arriving
     * meanwhile are queued behind them, so they see an authenticated
     * connection with the scripts loaded.
     */

    ngx_http_agent_async_redis_send_setup(ac);

    ngx_add_timer(&rd->connect_timer, conf->connect_timeout);
}


static void
ngx_http_agent_async_redis_send_setup(redisAsyncContext *ac)
{
    u_char                             *db;
    u_char                              buf[NGX_INT_T_LEN];
    ngx_uint_t                          i;
    const char                         *argv[2];
    size_t                              argvlen[2];
    ngx_http_agent_async_redis_conf_t  *conf;

    conf = ngx_http_agent_async_redis.conf;

    if (conf->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        argv[1] = (const char *) conf->password.data;
        argvlen[1] = conf->password.len;

        redisAsyncCommandArgv(ac, ngx_http_agent_async_redis_setup_reply,
                              NULL, 2, argv, argvlen);
    }

    if (conf->db) {
        db = buf;
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (const char *) db;
        argvlen[1] = ngx_sprintf(buf, "%i", conf->db) - buf;

        redisAsyncCommandArgv(ac, ngx_http_agent_async_redis_setup_reply,
                              NULL, 2, argv, argvlen);
    }

    /* privdata marks the reply that completes the setup */
    for (i = 0; i < AA_SCRIPT_N; i++) {
        ngx_http_agent_async_redis_load(ac, i,
                                        i == AA_SCRIPT_N - 1 ? ac : NULL);
    }
}


static void
ngx_http_agent_async_redis_load(redisAsyncContext *ac, ngx_uint_t script,
    void *last)
{
    const char  *argv[3];
    size_t       argvlen[3];

    argv[0] = "SCRIPT";
    argvlen[0] = 6;
    argv[1] = "LOAD";
    argvlen[1] = 4;
    argv[2] = aa_scripts[script].text;
    argvlen[2] = aa_scripts[script].len;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_http_agent_async_redis.log, 0,
                   "agent_async redis load script \"%s\"",
                   aa_scripts[script].name);

    /* an EVALSHA sent after this on the wire finds the script loaded */
    ngx_http_agent_async_redis.loads[script]++;

    redisAsyncCommandArgv(ac, ngx_http_agent_async_redis_setup_reply, last,
                          3, argv, argvlen);
}


static void
ngx_http_agent_async_redis_setup_reply(redisAsyncContext *ac, void *r,
    void *privdata)
{
    redisReply                    *reply = r;
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "agent_async: redis setup failed: %*s",
                      (size_t) reply->len, reply->str);

        if (rd->state == NGX_HTTP_AGENT_ASYNC_REDIS_CONNECTING) {
            rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_CLOSING;
            redisAsyncDisconnect(ac);
        }

        return;
    }

    if (privdata && rd->state == NGX_HTTP_AGENT_ASYNC_REDIS_CONNECTING) {
        rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_READY;
        rd->backoff = 0;
        rd->last_reply = ngx_current_msec;

        ngx_log_error(NGX_LOG_INFO, rd->log, 0,
                      "agent_async: redis connection ready");
    }
}


static void
ngx_http_agent_async_redis_on_connect(const redisAsyncContext *ac,
    int status)
{
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    if (status == REDIS_OK) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                       "agent_async redis connected");
        return;
    }

    /* hiredis frees the context when this returns, with no disconnect */

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "agent_async: redis connect failed: %s", ac->errstr);
    ngx_http_agent_async_metrics_count(
        NGX_HTTP_AGENT_ASYNC_METRIC_REDIS_ERRORS);

    rd->ac = NULL;
    rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_IDLE;
    ngx_http_agent_async_redis_schedule();
}


static void
ngx_http_agent_async_redis_on_disconnect(const redisAsyncContext *ac,
    int status)
{
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (status != REDIS_OK) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "agent_async: redis connection lost: %s", ac->errstr);
        ngx_http_agent_async_metrics_count(
            NGX_HTTP_AGENT_ASYNC_METRIC_REDIS_ERRORS);
    }

    if (rd->ac == ac) {
        rd->ac = NULL;
        rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_IDLE;
    }

    ngx_http_agent_async_redis_schedule();
}


static void
ngx_http_agent_async_redis_schedule(void)
{
    ngx_msec_t                     delay;
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (rd->reconnect.timer_set || ngx_exiting || ngx_quit
        || ngx_terminate)
    {
        return;
    }

    rd->backoff = rd->backoff ? ngx_min(rd->backoff * 2,
                                        rd->conf->reconnect_max)
                              : ngx_min(50, rd->conf->reconnect_max);

    /* jitter, so that the workers of many nodes do not reconnect in step */
    delay = rd->backoff / 2 + (ngx_msec_t) ngx_random() % (rd->backoff / 2 + 1);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "agent_async redis reconnect in %M ms", delay);

    ngx_add_timer(&rd->reconnect, delay);
}


static void
ngx_http_agent_async_redis_reconnect_handler(ngx_event_t *ev)
{
    if (ngx_http_agent_async_redis.ac == NULL) {
        ngx_http_agent_async_metrics_count(
            NGX_HTTP_AGENT_ASYNC_METRIC_REDIS_RECONNECTS);
        ngx_http_agent_async_redis_connect();
    }
}


static void
ngx_http_agent_async_redis_connect_timeout(ngx_event_t *ev)
{
    /* never connected: hiredis calls no disconnect callback */
    ngx_http_agent_async_redis_drop("connect timed out");
}


/*
 * Frees the context, whatever its state: hiredis calls the callbacks of
 * the commands still pending with no reply, so their requests get a 503.
 */

static void
ngx_http_agent_async_redis_drop(const char *why)
{
    redisAsyncContext             *ac;
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    ac = rd->ac;

    if (ac == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0, "agent_async: redis %s", why);
    ngx_http_agent_async_metrics_count(
        NGX_HTTP_AGENT_ASYNC_METRIC_REDIS_ERRORS);

    rd->ac = NULL;
    rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_IDLE;
    redisAsyncFree(ac);
    ngx_http_agent_async_redis_schedule();
}


/* commands on behalf of requests */


ngx_int_t
ngx_http_agent_async_redis_command(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen)
{
    ngx_http_agent_async_op_t  *op;

    op = ngx_http_agent_async_redis_op(r, handler);
    if (op == NULL) {
        return NGX_ERROR;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async redis send: %*s", argvlen[0], argv[0]);

    return ngx_http_agent_async_redis_send(op, 0, NULL, NULL, argc, argv,
                                           argvlen);
}


ngx_int_t
ngx_http_agent_async_redis_probe(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen)
{
    ngx_http_agent_async_op_t  *op;

    op = ngx_http_agent_async_redis_op(r, handler);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->probe = 1;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async redis probe: %*s", argvlen[0], argv[0]);

    return ngx_http_agent_async_redis_send(op, 0, NULL, NULL, argc, argv,
                                           argvlen);
}


ngx_int_t
ngx_http_agent_async_redis_eval(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, aa_script_e script, int nkeys,
    int argc, const char **argv, const size_t *argvlen)
{
    u_char                      numkeys[NGX_INT_T_LEN];
    size_t                      lens[3];
    const char                 *head[3];
    ngx_http_agent_async_op_t  *op;

    head[0] = "EVALSHA";
    lens[0] = 7;
    head[1] = aa_scripts[script].sha1;
    lens[1] = 40;
    head[2] = (const char *) numkeys;
    lens[2] = ngx_sprintf(numkeys, "%d", nkeys) - numkeys;

    op = ngx_http_agent_async_redis_op(r, handler);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->script = script;
    op->loads = ngx_http_agent_async_redis.loads[script];

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "agent_async redis send: EVALSHA \"%s\"",
                   aa_scripts[script].name);

    return ngx_http_agent_async_redis_send(op, 3, head, lens, argc, argv,
                                           argvlen);
}


/*
 * The command of head[] then argv[] in RESP, in the request's pool:
 * "*<n>\r\n", then "$<len>\r\n<bytes>\r\n" for each argument.
 */

static ngx_int_t
ngx_http_agent_async_redis_format(ngx_http_agent_async_op_t *op, int nhead,
    const char **head, const size_t *headlen, int argc, const char **argv,
    const size_t *argvlen)
{
    int      i;
    u_char  *p;
    size_t   len;

    /* "$", at most 20 digits and CRLF, the bytes and CRLF, for each */
    len = 1 + NGX_SIZE_T_LEN + 2;

    for (i = 0; i < nhead; i++) {
        len += 1 + NGX_SIZE_T_LEN + 2 + headlen[i] + 2;
    }

    for (i = 0; i < argc; i++) {
        len += 1 + NGX_SIZE_T_LEN + 2 + argvlen[i] + 2;
    }

    p = ngx_pnalloc(op->request->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    op->cmd = p;

    p = ngx_http_agent_async_redis_header(p, '*', (size_t) (nhead + argc));

    for (i = 0; i < nhead; i++) {
        p = ngx_http_agent_async_redis_header(p, '$', headlen[i]);
        p = ngx_cpymem(p, head[i], headlen[i]);
        *p++ = CR;
        *p++ = LF;
    }

    for (i = 0; i < argc; i++) {
        p = ngx_http_agent_async_redis_header(p, '$', argvlen[i]);
        p = ngx_cpymem(p, argv[i], argvlen[i]);
        *p++ = CR;
        *p++ = LF;
    }

    op->len = p - op->cmd;

    return NGX_OK;
}


/* "<type><n>\r\n", n in decimal: a per-argument ngx_sprintf() costs */

static u_char *
ngx_http_agent_async_redis_header(u_char *p, u_char type, size_t n)
{
    u_char  digits[NGX_SIZE_T_LEN], *d;

    *p++ = type;

    d = digits + NGX_SIZE_T_LEN;

    do {
        *--d = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    p = ngx_cpymem(p, d, digits + NGX_SIZE_T_LEN - d);

    *p++ = CR;
    *p++ = LF;

    return p;
}


/* an op not sent yet: freed by ngx_http_agent_async_redis_send() if not */

static ngx_http_agent_async_op_t *
ngx_http_agent_async_redis_op(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler)
{
    ngx_pool_cleanup_t         *cln;
    ngx_http_agent_async_op_t  *op;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    op = ngx_calloc(sizeof(ngx_http_agent_async_op_t), r->connection->log);
    if (op == NULL) {
        return NULL;
    }

    op->request = r;
    op->handler = handler;
    op->cleanup = cln;
    op->script = -1;

    op->timer.handler = ngx_http_agent_async_redis_op_timeout;
    op->timer.data = op;
    op->timer.log = r->connection->log;

    return op;
}


/* the command of head[] then argv[]: op is the reply's, or freed */

static ngx_int_t
ngx_http_agent_async_redis_send(ngx_http_agent_async_op_t *op, int nhead,
    const char **head, const size_t *headlen, int argc, const char **argv,
    const size_t *argvlen)
{
    ngx_http_request_t            *r;
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;
    r = op->request;

    if (ngx_http_agent_async_redis_format(op, nhead, head, headlen, argc,
                                          argv, argvlen)
        != NGX_OK)
    {
        ngx_free(op);
        return NGX_ERROR;
    }

    if (rd->ac == NULL
        || (rd->state != NGX_HTTP_AGENT_ASYNC_REDIS_READY
            && rd->state != NGX_HTTP_AGENT_ASYNC_REDIS_CONNECTING)
        || redisAsyncFormattedCommand(rd->ac,
                                      ngx_http_agent_async_redis_reply, op,
                                      (char *) op->cmd, op->len)
           != REDIS_OK)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "agent_async redis not connected");
        ngx_free(op);
        return NGX_DECLINED;
    }

    op->cleanup->handler = ngx_http_agent_async_redis_op_detach;
    op->cleanup->data = op;

    if (rd->pending++ == 0) {
        rd->last_reply = ngx_current_msec;
    }

    /* not cancelable: a graceful shutdown waits for the answer */
    ngx_add_timer(&op->timer, rd->conf->timeout);

    /*
     * The client's read side is left alone: a client that half-closed
     * after its request still gets the answer, one that left is noticed
     * when the answer is written, at most a timeout later.
     */
    r->write_event_handler = ngx_http_request_empty_handler;

    return NGX_OK;
}


/*
 * NOSCRIPT: somebody ran SCRIPT FLUSH, or Redis restarted.  The script is
 * loaded again, once however many commands are in flight (loads[]
 * tells whether a SCRIPT LOAD went out after this op), and the op is sent
 * again behind it, with the timer it has.  Once: a second NOSCRIPT is an
 * answer.
 */

static ngx_int_t
ngx_http_agent_async_redis_resend(ngx_http_agent_async_op_t *op,
    redisReply *reply)
{
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (op->script < 0 || op->resent || op->request == NULL
        || reply == NULL || reply->type != REDIS_REPLY_ERROR
        || reply->len < 8 || ngx_strncmp(reply->str, "NOSCRIPT", 8) != 0
        || rd->ac == NULL || rd->state != NGX_HTTP_AGENT_ASYNC_REDIS_READY)
    {
        return NGX_DECLINED;
    }

    if (rd->loads[op->script] == op->loads) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "agent_async: redis lost the script \"%s\", "
                      "loading it again", aa_scripts[op->script].name);

        ngx_http_agent_async_redis_load(rd->ac, op->script, NULL);
    }

    op->resent = 1;
    op->loads = rd->loads[op->script];

    if (redisAsyncFormattedCommand(rd->ac, ngx_http_agent_async_redis_reply,
                                   op, (char *) op->cmd, op->len)
        != REDIS_OK)
    {
        return NGX_DECLINED;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->request->connection->log, 0,
                   "agent_async redis sent again: EVALSHA \"%s\"",
                   aa_scripts[op->script].name);

    rd->pending++;

    return NGX_OK;
}


static void
ngx_http_agent_async_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata)
{
    redisReply                     *reply = r;
    ngx_connection_t               *c;
    ngx_http_request_t             *req;
    ngx_uint_t                      probe;
    ngx_http_agent_async_op_t      *op = privdata;
    ngx_http_agent_async_reply_pt   handler;
    ngx_http_agent_async_redis_t   *rd;

    rd = &ngx_http_agent_async_redis;

    rd->pending--;

    if (reply) {
        rd->last_reply = ngx_current_msec;
    }

    if (ngx_http_agent_async_redis_resend(op, reply) == NGX_OK) {
        return;
    }

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    req = op->request;
    handler = op->handler;
    probe = op->probe;

    if (req) {
        op->cleanup->handler = NULL;
    }

    ngx_free(op);

    if (req == NULL) {
        /* the request timed out or went away meanwhile */
        return;
    }

    c = req->connection;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "agent_async redis reply: %s",
                   reply == NULL ? "none"
                   : reply->type == REDIS_REPLY_ERROR ? "error"
                   : reply->type == REDIS_REPLY_NIL ? "nil"
                   : reply->type == REDIS_REPLY_ARRAY ? "array" : "value");

    if (reply == NULL && !(ac->c.flags & REDIS_CONNECTED) && !probe) {
        /*
         * Queued while connecting, and the connection never came up:
         * nothing was sent, so the answer is the one of a Redis that
         * cannot be reached, which a client may retry.
         */
        ngx_http_finalize_request(req,
                                  ngx_http_agent_async_send_unreachable(req));

    } else {
        handler(req, reply);
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_agent_async_redis_op_timeout(ngx_event_t *ev)
{
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_agent_async_op_t     *op;
    ngx_http_agent_async_redis_t  *rd;

    op = ev->data;
    rd = &ngx_http_agent_async_redis;

    r = op->request;
    c = r->connection;

    /* the op stays with hiredis until its callback frees it */
    op->request = NULL;
    op->cleanup->handler = NULL;

    if (rd->ac && !(rd->ac->c.flags & REDIS_CONNECTED) && !op->probe) {
        /* still connecting: the command has not been sent */
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "agent_async: redis not connected in %M ms",
                      rd->conf->timeout);

        ngx_http_finalize_request(r, ngx_http_agent_async_send_unreachable(r));

    } else {
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "agent_async: redis did not answer in %M ms",
                      rd->conf->timeout);

        op->handler(r, NULL);
    }

    ngx_http_run_posted_requests(c);

    /*
     * Nothing came back for a whole timeout while commands were pending:
     * the connection is stuck, and every request behind it would wait.
     */

    if (rd->pending
        && ngx_current_msec - rd->last_reply >= rd->conf->timeout)
    {
        ngx_http_agent_async_redis_drop("connection stalled, reconnecting");
    }
}


static void
ngx_http_agent_async_redis_op_detach(void *data)
{
    ngx_http_agent_async_op_t  *op = data;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, op->request->connection->log, 0,
                   "agent_async redis op detached");

    op->request = NULL;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }
}
