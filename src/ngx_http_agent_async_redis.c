
/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * One pipelined hiredis async connection per worker process, driven by
 * nginx's event loop.  hiredis 0.14 has no timeouts of its own, so the
 * connect timeout, the per-command timeout and reconnection with backoff
 * are nginx timers.
 *
 * A request waiting for a reply is reached through a heap "op", never
 * directly: the request may be gone when the reply comes, and hiredis
 * calls every pending callback (with a NULL reply) when the connection is
 * freed, so the callback is the one place that frees the op.
 */


#include "ngx_http_agent_async_module.h"

#include <ngx_sha1.h>


typedef enum {
    NGX_HTTP_AGENT_ASYNC_REDIS_IDLE = 0,    /* no context, maybe a timer */
    NGX_HTTP_AGENT_ASYNC_REDIS_CONNECTING,  /* accepting, setup under way */
    NGX_HTTP_AGENT_ASYNC_REDIS_READY,
    NGX_HTTP_AGENT_ASYNC_REDIS_CLOSING      /* refusing, context draining */
} ngx_http_agent_async_redis_state_e;


typedef struct {
    redisAsyncContext                   *ac;
    ngx_connection_t                    *conn;
    ngx_http_agent_async_redis_state_e   state;
    ngx_event_t                          reconnect;
    ngx_event_t                          connect_timer;
    ngx_msec_t                           backoff;
    ngx_msec_t                           last_reply;
    ngx_uint_t                           pending;
    ngx_log_t                           *log;
    ngx_http_agent_async_main_conf_t    *conf;
    char                                 sha[AA_SCRIPT_N][41];
} ngx_http_agent_async_redis_t;


typedef struct {
    ngx_http_request_t                  *request;
    ngx_http_agent_async_reply_pt        handler;
    ngx_pool_cleanup_t                  *cleanup;
    ngx_event_t                          timer;
    ngx_msec_t                           sent;
} ngx_http_agent_async_op_t;


static void ngx_http_agent_async_redis_connect(void);
static void ngx_http_agent_async_redis_schedule(void);
static void ngx_http_agent_async_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_agent_async_redis_connect_timeout(ngx_event_t *ev);
static void ngx_http_agent_async_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_http_agent_async_redis_on_disconnect(
    const redisAsyncContext *ac, int status);
static void ngx_http_agent_async_redis_send_setup(redisAsyncContext *ac);
static void ngx_http_agent_async_redis_load_scripts(redisAsyncContext *ac,
    ngx_uint_t last);
static void ngx_http_agent_async_redis_setup_reply(redisAsyncContext *ac,
    void *r, void *privdata);
static ngx_int_t ngx_http_agent_async_redis_attach(redisAsyncContext *ac);
static void ngx_http_agent_async_redis_add_read(void *privdata);
static void ngx_http_agent_async_redis_del_read(void *privdata);
static void ngx_http_agent_async_redis_add_write(void *privdata);
static void ngx_http_agent_async_redis_del_write(void *privdata);
static void ngx_http_agent_async_redis_cleanup(void *privdata);
static void ngx_http_agent_async_redis_read_handler(ngx_event_t *ev);
static void ngx_http_agent_async_redis_write_handler(ngx_event_t *ev);
static void ngx_http_agent_async_redis_reply(redisAsyncContext *ac,
    void *r, void *privdata);
static void ngx_http_agent_async_redis_op_timeout(ngx_event_t *ev);
static void ngx_http_agent_async_redis_op_detach(void *data);


/* per worker process: a connection is inherently process-global */
static ngx_http_agent_async_redis_t  ngx_http_agent_async_redis;


ngx_int_t
ngx_http_agent_async_redis_init(ngx_cycle_t *cycle,
    ngx_http_agent_async_main_conf_t *amcf)
{
    u_char                         digest[20];
    ngx_uint_t                     i;
    ngx_sha1_t                     sha1;
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    ngx_memzero(rd, sizeof(ngx_http_agent_async_redis_t));

    rd->conf = amcf;
    rd->log = cycle->log;

    /* EVALSHA can be sent at once: SCRIPT LOAD precedes it on the wire */
    for (i = 0; i < AA_SCRIPT_N; i++) {
        ngx_sha1_init(&sha1);
        ngx_sha1_update(&sha1, aa_scripts[i], ngx_strlen(aa_scripts[i]));
        ngx_sha1_final(digest, &sha1);
        ngx_hex_dump((u_char *) rd->sha[i], digest, 20);
        rd->sha[i][40] = '\0';
    }

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
    redisAsyncContext                 *ac;
    ngx_http_agent_async_redis_t      *rd;
    ngx_http_agent_async_main_conf_t  *amcf;

    rd = &ngx_http_agent_async_redis;
    amcf = rd->conf;

    if (amcf->unix_path.len) {
        ac = redisAsyncConnectUnix((char *) amcf->unix_path.data);

    } else {
        ac = redisAsyncConnect((char *) amcf->host.data, (int) amcf->port);
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

    if (ngx_http_agent_async_redis_attach(ac) != NGX_OK) {
        redisAsyncFree(ac);
        ngx_http_agent_async_redis_schedule();
        return;
    }

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

    ngx_add_timer(&rd->connect_timer, amcf->connect_timeout);
}


static void
ngx_http_agent_async_redis_send_setup(redisAsyncContext *ac)
{
    char                              *db;
    u_char                             buf[NGX_INT_T_LEN + 1];
    const char                        *argv[2];
    size_t                             argvlen[2];
    ngx_http_agent_async_main_conf_t  *amcf;

    amcf = ngx_http_agent_async_redis.conf;

    if (amcf->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        argv[1] = (const char *) amcf->password.data;
        argvlen[1] = amcf->password.len;

        redisAsyncCommandArgv(ac, ngx_http_agent_async_redis_setup_reply,
                              NULL, 2, argv, argvlen);
    }

    if (amcf->db) {
        db = (char *) buf;
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = db;
        argvlen[1] = ngx_sprintf(buf, "%i", amcf->db) - buf;

        redisAsyncCommandArgv(ac, ngx_http_agent_async_redis_setup_reply,
                              NULL, 2, argv, argvlen);
    }

    ngx_http_agent_async_redis_load_scripts(ac, 1);
}


static void
ngx_http_agent_async_redis_load_scripts(redisAsyncContext *ac,
    ngx_uint_t last)
{
    ngx_uint_t   i;
    const char  *argv[3];
    size_t       argvlen[3];

    argv[0] = "SCRIPT";
    argvlen[0] = 6;
    argv[1] = "LOAD";
    argvlen[1] = 4;

    for (i = 0; i < AA_SCRIPT_N; i++) {
        argv[2] = aa_scripts[i];
        argvlen[2] = ngx_strlen(aa_scripts[i]);

        /* privdata marks the reply that completes the setup */
        redisAsyncCommandArgv(ac, ngx_http_agent_async_redis_setup_reply,
                              (last && i == AA_SCRIPT_N - 1) ? (void *) 1
                                                             : NULL,
                              3, argv, argvlen);
    }
}


void
ngx_http_agent_async_redis_noscript(void)
{
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    /* somebody ran SCRIPT FLUSH: load them again, once per burst */
    if (rd->ac && rd->state == NGX_HTTP_AGENT_ASYNC_REDIS_READY) {
        ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                      "agent_async: redis lost the scripts, loading again");
        ngx_http_agent_async_redis_load_scripts(rd->ac, 0);
    }
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

        if (rd->state != NGX_HTTP_AGENT_ASYNC_REDIS_CLOSING) {
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
        return;
    }

    /* hiredis frees the context when this returns */

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "agent_async: redis connect failed: %s", ac->errstr);

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
    }

    rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_IDLE;
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

    ngx_add_timer(&rd->reconnect, delay);
}


static void
ngx_http_agent_async_redis_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (rd->ac == NULL) {
        ngx_http_agent_async_redis_connect();
    }
}


static void
ngx_http_agent_async_redis_connect_timeout(ngx_event_t *ev)
{
    redisAsyncContext             *ac;
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    ac = rd->ac;

    if (ac == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "agent_async: redis connect timed out");

    /* never connected: hiredis calls no disconnect callback */
    rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_IDLE;
    redisAsyncFree(ac);
    ngx_http_agent_async_redis_schedule();
}


/* the event adapter */


static ngx_int_t
ngx_http_agent_async_redis_attach(redisAsyncContext *ac)
{
    ngx_connection_t              *c;
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = rd;
    c->read->handler = ngx_http_agent_async_redis_read_handler;
    c->write->handler = ngx_http_agent_async_redis_write_handler;
    c->read->log = rd->log;
    c->write->log = rd->log;

    rd->conn = c;

    ac->ev.data = rd;
    ac->ev.addRead = ngx_http_agent_async_redis_add_read;
    ac->ev.delRead = ngx_http_agent_async_redis_del_read;
    ac->ev.addWrite = ngx_http_agent_async_redis_add_write;
    ac->ev.delWrite = ngx_http_agent_async_redis_del_write;
    ac->ev.cleanup = ngx_http_agent_async_redis_cleanup;

    return NGX_OK;
}


/*
 * Level-triggered: hiredis 0.14 reads at most 16 KiB per call, so an
 * edge-triggered registration could leave a large reply unread.
 */

static void
ngx_http_agent_async_redis_add_read(void *privdata)
{
    ngx_http_agent_async_redis_t  *rd = privdata;

    if (rd->conn && !rd->conn->read->active) {
        if (ngx_add_event(rd->conn->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                          "agent_async: adding redis read event failed");
        }
    }
}


static void
ngx_http_agent_async_redis_del_read(void *privdata)
{
    ngx_http_agent_async_redis_t  *rd = privdata;

    if (rd->conn && rd->conn->read->active) {
        ngx_del_event(rd->conn->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_agent_async_redis_add_write(void *privdata)
{
    ngx_http_agent_async_redis_t  *rd = privdata;

    if (rd->conn && !rd->conn->write->active) {
        if (ngx_add_event(rd->conn->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                          "agent_async: adding redis write event failed");
        }
    }
}


static void
ngx_http_agent_async_redis_del_write(void *privdata)
{
    ngx_http_agent_async_redis_t  *rd = privdata;

    if (rd->conn && rd->conn->write->active) {
        ngx_del_event(rd->conn->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_agent_async_redis_cleanup(void *privdata)
{
    ngx_connection_t              *c;
    ngx_http_agent_async_redis_t  *rd = privdata;

    c = rd->conn;

    /* hiredis closes the fd after this returns: only forget it here */

    if (c) {
        if (c->read->active) {
            ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active) {
            ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        ngx_free_connection(c);
        c->fd = (ngx_socket_t) -1;
    }

    rd->conn = NULL;
    rd->ac = NULL;
}


static void
ngx_http_agent_async_redis_read_handler(ngx_event_t *ev)
{
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (rd->ac) {
        redisAsyncHandleRead(rd->ac);
    }
}


static void
ngx_http_agent_async_redis_write_handler(ngx_event_t *ev)
{
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (rd->ac) {
        redisAsyncHandleWrite(rd->ac);
    }
}


/* commands on behalf of requests */


ngx_int_t
ngx_http_agent_async_redis_command(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_agent_async_op_t     *op;
    ngx_http_agent_async_redis_t  *rd;

    rd = &ngx_http_agent_async_redis;

    if (rd->ac == NULL
        || (rd->state != NGX_HTTP_AGENT_ASYNC_REDIS_READY
            && rd->state != NGX_HTTP_AGENT_ASYNC_REDIS_CONNECTING))
    {
        return NGX_DECLINED;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    op = ngx_calloc(sizeof(ngx_http_agent_async_op_t), r->connection->log);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->request = r;
    op->handler = handler;
    op->cleanup = cln;
    op->sent = ngx_current_msec;

    op->timer.handler = ngx_http_agent_async_redis_op_timeout;
    op->timer.data = op;
    op->timer.log = r->connection->log;

    if (redisAsyncCommandArgv(rd->ac, ngx_http_agent_async_redis_reply, op,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        ngx_free(op);
        return NGX_DECLINED;
    }

    cln->handler = ngx_http_agent_async_redis_op_detach;
    cln->data = op;

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


ngx_int_t
ngx_http_agent_async_redis_script(ngx_http_request_t *r,
    ngx_http_agent_async_reply_pt handler, aa_script_e script, int nkeys,
    int argc, const char **argv, const size_t *argvlen)
{
    u_char       numkeys[NGX_INT_T_LEN];
    size_t       lens[NGX_HTTP_AGENT_ASYNC_MAX_ARGS];
    const char  *args[NGX_HTTP_AGENT_ASYNC_MAX_ARGS];

    if (argc + 3 > NGX_HTTP_AGENT_ASYNC_MAX_ARGS) {
        return NGX_ERROR;
    }

    args[0] = "EVALSHA";
    lens[0] = 7;
    args[1] = ngx_http_agent_async_redis.sha[script];
    lens[1] = 40;
    args[2] = (const char *) numkeys;
    lens[2] = ngx_sprintf(numkeys, "%d", nkeys) - numkeys;

    ngx_memcpy(&args[3], argv, argc * sizeof(char *));
    ngx_memcpy(&lens[3], argvlen, argc * sizeof(size_t));

    return ngx_http_agent_async_redis_command(r, handler, argc + 3, args,
                                              lens);
}


static void
ngx_http_agent_async_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata)
{
    ngx_connection_t               *c;
    ngx_http_request_t             *req;
    ngx_http_agent_async_op_t      *op = privdata;
    ngx_http_agent_async_reply_pt   handler;
    ngx_http_agent_async_redis_t   *rd;

    rd = &ngx_http_agent_async_redis;

    rd->pending--;

    if (r) {
        rd->last_reply = ngx_current_msec;
    }

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    req = op->request;
    handler = op->handler;

    if (req) {
        op->cleanup->handler = NULL;
    }

    ngx_free(op);

    if (req == NULL) {
        /* the request timed out or went away meanwhile */
        return;
    }

    c = req->connection;

    handler(req, r);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_agent_async_redis_op_timeout(ngx_event_t *ev)
{
    redisAsyncContext             *ac;
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_agent_async_op_t     *op;
    ngx_http_agent_async_redis_t  *rd;

    op = ev->data;
    rd = &ngx_http_agent_async_redis;

    r = op->request;

    /* the op stays with hiredis until its callback frees it */
    op->request = NULL;
    op->cleanup->handler = NULL;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "agent_async: redis did not answer in %M ms",
                  rd->conf->timeout);

    c = r->connection;

    ngx_http_finalize_request(r,
        ngx_http_agent_async_send_storage_error(r, NULL));

    ngx_http_run_posted_requests(c);

    /*
     * Nothing came back for a whole timeout while commands were pending:
     * the connection is stuck, and every request behind it would wait.
     */

    ac = rd->ac;

    if (ac && rd->pending
        && ngx_current_msec - rd->last_reply >= rd->conf->timeout)
    {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "agent_async: redis connection stalled, reconnecting");

        rd->state = NGX_HTTP_AGENT_ASYNC_REDIS_IDLE;
        redisAsyncFree(ac);
        ngx_http_agent_async_redis_schedule();
    }
}


static void
ngx_http_agent_async_redis_op_detach(void *data)
{
    ngx_http_agent_async_op_t  *op = data;

    op->request = NULL;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }
}
