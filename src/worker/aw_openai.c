/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The openai backend: Letta's agent loop (docs/agent-loop.md) on any
 * OpenAI-compatible /chat/completions endpoint.  Each step sends the
 * compiled system prompt, the history that fits and this run's messages
 * with the agent's tools; a memory tool call is executed and its edit
 * stored (memory_write.lua); the loop ends as Letta's does, at most at
 * max_steps.  letta_v1_agent (the default) answers in plain text;
 * memgpt_agent and memgpt_v2_agent through send_message.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_errors.h"
#include "aa_id.h"
#include "aa_json.h"
#include "aa_time.h"
#include "aw_backend.h"
#include "aw_context.h"
#include "aw_job.h"
#include "aw_llm.h"
#include "aw_log.h"
#include "aw_memory.h"
#include "aw_provider.h"
#include "aw_store_agent.h"
#include "aw_tools.h"
#include "aw_worker.h"


#define AW_DEFAULT_MAX_STEPS  50
#define AW_BACKOFF_MAX_MS     30000
#define AW_MEMORY_TRIES       16


typedef struct {
    aw_job_t     *job;
    aw_route_t    route;
    aa_buf_t      url;
    const char   *model;
    const char   *system;           /* the agent's, or override_system */
    int           legacy;
    int           use_assistant;    /* request_config.use_assistant_message */
    const char   *send_name;        /* assistant_message_tool_name */
    const char   *kwarg;            /* assistant_message_tool_kwarg */
    yajl_val      rc;               /* request_config, parsed */
    aw_memory_t   mem;
    char         *state;
    char         *rev;
    char         *rc_text;
    redisReply   *history;
    size_t        from;             /* first history entry sent */
    aa_buf_t      tools;
    aw_strv_t     turn;             /* this run's chat messages */
    aw_chat_t     chat;
    int64_t       step_prompt;
    int64_t       step_completion;
    size_t        stored_messages;  /* already in Redis */
    size_t        stored_steps;
} aw_loop_t;


static const char *
aw_json_str(yajl_val obj, const char *key, const char *dflt)
{
    yajl_val  v;

    v = aa_json_get(obj, key);

    return (v != NULL && YAJL_IS_STRING(v) && v->u.string[0] != '\0')
           ? v->u.string : dflt;
}


static int
aw_push(aw_strv_t *v, aa_buf_t *b)
{
    if (b->failed || aw_strv_push(v, b) != 0) {
        aa_buf_free(b);
        return -1;
    }

    return 0;
}


/* A chat message of this run: to the model next step, to the history. */
static int
aw_turn(aw_loop_t *l, aa_buf_t *b)
{
    aa_buf_t  copy;

    aa_buf_init(&copy);
    aa_buf_append(&copy, b->data, b->len);

    if (aw_push(&l->job->out_history, &copy) != 0) {
        aa_buf_free(b);
        return -1;
    }

    return aw_push(&l->turn, b);
}


static int
aw_turn_text(aw_loop_t *l, const char *role, const char *text, size_t len)
{
    aa_buf_t  b;

    aa_buf_init(&b);
    aa_buf_puts(&b, "{\"role\":");
    aa_buf_json_string(&b, role, strlen(role));
    aa_buf_puts(&b, ",\"content\":");
    aa_buf_json_string(&b, text, len);
    aa_buf_putc(&b, '}');

    return aw_turn(l, &b);
}


/* The run's input: user, system and assistant messages, as echo takes. */
static int
aw_loop_input(aw_loop_t *l)
{
    aw_job_t    *job;
    size_t       i;
    yajl_val     item, type, role, content, otid;
    const char  *r, *o;
    aa_buf_t     text, json;
    int          rc;

    job = l->job;
    rc = 0;

    for (i = 0; rc == 0 && i < job->messages->u.array.len; i++) {
        item = job->messages->u.array.values[i];

        if (!YAJL_IS_OBJECT(item)) {
            return aw_job_fail(job, "invalid job: request.messages[%zu] is "
                               "not an object", i);
        }

        type = aa_json_get(item, "type");

        if (type != NULL && YAJL_IS_STRING(type)
            && strcmp(type->u.string, "message") != 0)
        {
            return aw_job_fail(job, "openai backend: request.messages[%zu] "
                               "has type \"%.64s\", which it cannot take",
                               i, type->u.string);
        }

        role = aa_json_get(item, "role");
        content = aa_json_get(item, "content");
        otid = aa_json_get(item, "otid");
        r = (role != NULL && YAJL_IS_STRING(role)) ? role->u.string : "";
        o = (otid != NULL && YAJL_IS_STRING(otid)) ? otid->u.string : NULL;

        if (strcmp(r, "user") != 0 && strcmp(r, "system") != 0
            && strcmp(r, "assistant") != 0)
        {
            return aw_job_fail(job, "invalid job: request.messages[%zu]."
                               "role must be user, system or assistant", i);
        }

        aa_buf_init(&text);
        aa_buf_init(&json);

        if (content == NULL || aw_job_content_text(content, &text) != 0) {
            rc = aw_job_fail(job, "invalid job: request.messages[%zu]."
                             "content is not a string or an array of "
                             "parts", i);

        } else {
            aa_buf_cstr(&text);

            if (r[0] == 'u' && !YAJL_IS_STRING(content)) {
                aa_json_encode(&json, content);
            } else {
                aa_buf_json_string(&json, text.data, text.len);
            }

            if (text.failed || json.failed
                || aw_job_message(job, r[0] == 'u' ? "user_message"
                                  : r[0] == 's' ? "system_message"
                                  : "assistant_message", o, json.data,
                                  json.len) != 0
                || aw_turn_text(l, r, text.data, text.len) != 0)
            {
                rc = aw_job_fail(job, "out of memory");
            }
        }

        aa_buf_free(&text);
        aa_buf_free(&json);
    }

    return rc == 0 ? 0 : rc;
}


/* Reads the agent and the run's request_config; parses them. */
static int
aw_loop_load(aw_loop_t *l)
{
    aw_job_t  *job;
    char       err[128];

    job = l->job;

    free(l->state);
    free(l->rev);
    free(l->rc_text);
    aw_memory_free(&l->mem);

    if (aw_store_agent_read(job->redis, &job->claim, &l->state, &l->rev,
                            &l->rc_text) != 0)
    {
        return aw_job_fail(job, "could not read the agent from Redis");
    }

    if (aw_memory_parse(&l->mem, l->state, err, sizeof(err)) != 0) {
        return aw_job_fail(job, "the agent's stored state is not valid "
                           "JSON: %s", err);
    }

    return 0;
}


static int
aw_loop_settings(aw_loop_t *l)
{
    aw_job_t    *job;
    const char  *type;
    yajl_val     v;
    char         err[64];

    job = l->job;
    type = aw_memory_agent_type(&l->mem);
    l->legacy = strcmp(type, "memgpt_agent") == 0
                || strcmp(type, "memgpt_v2_agent") == 0;

    if (l->rc_text[0] != '\0') {
        l->rc = aa_json_parse(l->rc_text, strlen(l->rc_text), err,
                              sizeof(err));
    }

    v = aa_json_get(l->rc, "use_assistant_message");
    l->use_assistant = v == NULL || !YAJL_IS_FALSE(v);
    l->send_name = aw_json_str(l->rc, "assistant_message_tool_name",
                               "send_message");
    l->kwarg = aw_json_str(l->rc, "assistant_message_tool_kwarg",
                           "message");

    if (l->model == NULL) {
        l->model = job->model;
    }

    if (l->model == NULL || l->model[0] == '\0') {
        return aw_job_fail_as(job, "llm_api_error", "the agent has no "
                              "model (llm_config.model)");
    }

    aa_buf_init(&l->tools);
    aw_tools_render(&l->tools, l->legacy, l->send_name, l->kwarg);

    return l->tools.failed ? aw_job_fail(job, "out of memory") : 0;
}


/* The request body of one step. */
static int
aw_loop_request(aw_loop_t *l, aa_buf_t *body, int64_t *overflow)
{
    aw_job_t   *job;
    aa_buf_t    system;
    yajl_val    v;
    int64_t     window, max_tokens, budget, recall;
    size_t      i, n;
    char      **items;
    size_t     *lens;

    job = l->job;
    *overflow = 0;

    n = l->history != NULL ? l->history->elements : 0;
    items = NULL;
    lens = NULL;

    if (n > 0) {
        items = calloc(n, sizeof(char *));
        lens = calloc(n, sizeof(size_t));
        if (items == NULL || lens == NULL) {
            free(items);
            free(lens);
            return -1;
        }
        for (i = 0; i < n; i++) {
            items[i] = l->history->element[i]->str;
            lens[i] = l->history->element[i]->type == REDIS_REPLY_STRING
                      ? l->history->element[i]->len : 0;
            if (items[i] == NULL) {
                items[i] = "";
            }
        }
    }

    recall = (int64_t) n;

    aa_buf_init(&system);
    aw_memory_compile(&system, l->system, &l->mem, job->claim.agent,
                      recall, aa_now_us());

    v = aa_json_get(job->llm, "context_window");
    window = (v != NULL && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0)
             ? YAJL_GET_INTEGER(v) : AW_CONTEXT_DEFAULT;
    v = aa_json_get(job->llm, "max_tokens");
    max_tokens = (v != NULL && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0)
                 ? YAJL_GET_INTEGER(v) : AW_MAX_TOKENS;

    budget = window - max_tokens - aw_context_tokens(system.len)
             - aw_context_tokens(l->tools.len);

    for (i = 0; i < l->turn.n; i++) {
        budget -= aw_context_tokens(l->turn.lens[i]);
    }

    if (window - max_tokens - aw_context_tokens(system.len) < 0) {
        *overflow = aw_context_tokens(system.len);
    }

    l->from = aw_context_fit(items, lens, n, budget < 0 ? 0 : budget);

    aa_buf_puts(body, "{\"model\":");
    aa_buf_json_string(body, l->model, strlen(l->model));
    aa_buf_puts(body, ",\"messages\":");
    aw_context_messages(body, system.data ? system.data : "", system.len,
                        items, lens, l->from, n, &l->turn);
    aa_buf_puts(body, ",\"tools\":");
    aa_buf_append(body, l->tools.data, l->tools.len);
    /* the legacy loop answers through a tool: Letta requires one */
    aa_buf_puts(body, l->legacy ? ",\"tool_choice\":\"required\""
                                : ",\"tool_choice\":\"auto\"");

    v = aa_json_get(job->llm, "temperature");
    if (v != NULL && YAJL_IS_NUMBER(v)) {
        aa_buf_puts(body, ",\"temperature\":");
        aa_json_encode(body, v);
    }

    v = aa_json_get(job->llm, "max_tokens");
    if (v != NULL && YAJL_IS_INTEGER(v)) {
        aa_buf_printf(body, ",\"max_tokens\":%lld",
                      (long long) YAJL_GET_INTEGER(v));
    }

    if (aw_worker.cf.model_stream) {
        aa_buf_puts(body, ",\"stream\":true,\"stream_options\":"
                    "{\"include_usage\":true}");
    }

    aa_buf_putc(body, '}');
    aa_buf_cstr(body);

    aa_buf_free(&system);
    free(items);
    free(lens);

    return (body->failed || system.failed) ? -1 : 0;
}


/* One model call, with the retries of transient failures. */
static int
aw_loop_call(aw_loop_t *l, const aa_buf_t *body)
{
    aw_job_t         *job;
    aw_llm_req_t      req;
    aw_llm_result_t   res;
    int               attempt, rc, delay;

    job = l->job;

    memset(&req, 0, sizeof(req));
    req.url = l->url.data;
    req.api_key = l->route.key;
    req.body = body->data;
    req.body_len = body->len;
    req.connect_timeout_ms = aw_worker.cf.model_connect_timeout_ms;
    req.idle_timeout_ms = aw_worker.cf.model_idle_timeout_ms;
    req.timeout_ms = aw_worker.cf.model_timeout_ms;

    delay = aw_worker.cf.model_backoff_ms;

    for (attempt = 0; ; attempt++) {
        rc = aw_llm_call(job, &req, &l->chat, &res);
        if (rc != 0) {
            return rc;
        }

        if (res.rc == AW_LLM_OK) {
            break;
        }

        if (res.rc != AW_LLM_TRANSIENT
            || attempt >= aw_worker.cf.model_retries)
        {
            job->keep_messages = 1;

            if (res.rc == AW_LLM_INVALID) {
                return aw_job_fail_as(job, "invalid_llm_response", "%s",
                                      res.error);
            }

            return aw_job_fail_as(job, "llm_api_error", "%s%s", res.error,
                                  attempt > 0 ? " (after retries)" : "");
        }

        aw_log_warn(job->claim.run, job->claim.agent, "model call failed "
                    "(%s), retrying in %d ms", res.error,
                    res.retry_after_ms > delay ? res.retry_after_ms : delay);

        rc = aw_job_sleep(job, res.retry_after_ms > delay
                          ? (res.retry_after_ms < AW_BACKOFF_MAX_MS
                             ? res.retry_after_ms : AW_BACKOFF_MAX_MS)
                          : delay);
        if (rc != 0) {
            return rc;
        }

        delay = delay * 2 < AW_BACKOFF_MAX_MS ? delay * 2 : AW_BACKOFF_MAX_MS;
    }

    if (job->first_output_ns == 0 && res.first_token_ns != 0) {
        job->first_output_ns = res.first_token_ns;
    }

    if (l->chat.has_usage) {
        l->step_prompt = l->chat.prompt_tokens;
        l->step_completion = l->chat.completion_tokens;

    } else {
        /* a server that reports none: estimated, as for the context */
        l->step_prompt = aw_context_tokens(body->len);
        l->step_completion = aw_context_tokens(l->chat.content.len
                                               + l->chat.reasoning.len);
    }

    job->usage.prompt_tokens += l->step_prompt;
    job->usage.completion_tokens += l->step_completion;
    job->usage.step_count++;

    return 0;
}


/* The tool call members of a tool_call_message, or of the history. */
static void
aw_call_fields(aa_buf_t *b, const aw_tool_call_t *t)
{
    aa_buf_puts(b, "{\"name\":");
    aa_buf_json_string(b, t->name.data, t->name.len);
    aa_buf_puts(b, ",\"arguments\":");
    aa_buf_json_string(b, t->args.data, t->args.len);
    aa_buf_puts(b, ",\"tool_call_id\":");
    aa_buf_json_string(b, t->id.data, t->id.len);
    aa_buf_putc(b, '}');
}


static int
aw_emit_call(aw_loop_t *l, const aw_tool_call_t *t)
{
    aa_buf_t  one, f;
    int       rc;

    aa_buf_init(&one);
    aa_buf_init(&f);
    aw_call_fields(&one, t);

    aa_buf_puts(&f, "\"tool_call\":");
    aa_buf_append(&f, one.data, one.len);
    aa_buf_puts(&f, ",\"tool_calls\":[");
    aa_buf_append(&f, one.data, one.len);
    aa_buf_putc(&f, ']');

    rc = (f.failed || one.failed) ? -1
         : aw_job_message_fields(l->job, "tool_call_message", NULL, NULL, 0,
                                 f.data, f.len);

    aa_buf_free(&one);
    aa_buf_free(&f);

    return rc;
}


/*
 * The tool's return: a tool_return_message (when show), and the model's
 * "tool" message.
 */
static int
aw_emit_return(aw_loop_t *l, const aw_tool_call_t *t, const char *ret,
    size_t len, int ok, int show)
{
    aa_buf_t     f, r;
    const char  *status;
    int          rc;

    status = ok ? "success" : "error";
    rc = 0;

    if (!show) {
        goto model;
    }

    aa_buf_init(&f);
    aa_buf_init(&r);
    aa_buf_json_string(&r, ret, len);

    aa_buf_puts(&f, "\"tool_return\":");
    aa_buf_append(&f, r.data, r.len);
    aa_buf_printf(&f, ",\"status\":\"%s\",\"tool_call_id\":", status);
    aa_buf_json_string(&f, t->id.data, t->id.len);
    aa_buf_puts(&f, ",\"stdout\":null,\"stderr\":null,\"tool_returns\":["
                "{\"type\":\"tool\",\"tool_call_id\":");
    aa_buf_json_string(&f, t->id.data, t->id.len);
    aa_buf_printf(&f, ",\"status\":\"%s\",\"tool_return\":", status);
    aa_buf_append(&f, r.data, r.len);
    aa_buf_puts(&f, ",\"stdout\":null,\"stderr\":null}]");

    rc = (f.failed || r.failed) ? -1
         : aw_job_message_fields(l->job, "tool_return_message", NULL, NULL,
                                 0, f.data, f.len);

    aa_buf_free(&f);
    aa_buf_free(&r);

    if (rc != 0) {
        return -1;
    }

model:

    /* to the model, packaged as Letta packages function responses */
    aa_buf_init(&f);
    aa_buf_puts(&f, "{\"role\":\"tool\",\"tool_call_id\":");
    aa_buf_json_string(&f, t->id.data, t->id.len);
    aa_buf_puts(&f, ",\"content\":");
    aa_buf_init(&r);
    aa_buf_puts(&r, ok ? "{\"status\": \"OK\", \"message\": "
                       : "{\"status\": \"Failed\", \"message\": ");
    aa_buf_json_string(&r, ret, len);
    aa_buf_putc(&r, '}');
    aa_buf_json_string(&f, r.data, r.len);
    aa_buf_putc(&f, '}');
    aa_buf_free(&r);

    return aw_turn(l, &f);
}


/* The assistant message of the history: text and tool calls. */
static int
aw_turn_assistant(aw_loop_t *l)
{
    aa_buf_t  b;
    size_t    i;

    aa_buf_init(&b);
    aa_buf_puts(&b, "{\"role\":\"assistant\",\"content\":");

    if (l->chat.content.len > 0) {
        aa_buf_json_string(&b, l->chat.content.data, l->chat.content.len);
    } else {
        aa_buf_puts(&b, "null");
    }

    if (l->chat.ncalls > 0) {
        aa_buf_puts(&b, ",\"tool_calls\":[");

        for (i = 0; i < l->chat.ncalls; i++) {
            aa_buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
            aa_buf_json_string(&b, l->chat.calls[i].id.data,
                               l->chat.calls[i].id.len);
            aa_buf_puts(&b, ",\"type\":\"function\",\"function\":{"
                        "\"name\":");
            aa_buf_json_string(&b, l->chat.calls[i].name.data,
                               l->chat.calls[i].name.len);
            aa_buf_puts(&b, ",\"arguments\":");
            aa_buf_json_string(&b, l->chat.calls[i].args.data,
                               l->chat.calls[i].args.len);
            aa_buf_puts(&b, "}}");
        }

        aa_buf_putc(&b, ']');
    }

    aa_buf_putc(&b, '}');

    return aw_turn(l, &b);
}


/*
 * A memory tool: edited on the state read, stored if the agent did not
 * change meanwhile, else read again and edited again.  0 with the tool's
 * answer in result (*ok: it succeeded), or -1.
 */
static int
aw_loop_memory(aw_loop_t *l, const char *name, yajl_val args,
    aa_buf_t *result, int *ok)
{
    aw_job_t  *job;
    aa_buf_t   state;
    int        i, rc, wrc;
    char       rev[32];

    job = l->job;
    *ok = 0;

    for (i = 0; i < AW_MEMORY_TRIES; i++) {
        aa_buf_reset(result);

        if (l->mem.state == NULL) {
            aa_buf_puts(result, "The agent has no memory blocks");
            return 0;
        }

        rc = aw_memory_edit(&l->mem, name, args, result);
        if (rc != 0) {
            return rc < 0 ? -1 : 0;
        }

        aa_buf_init(&state);
        aw_memory_render(&l->mem, &state);

        if (state.failed) {
            aa_buf_free(&state);
            return -1;
        }

        wrc = aw_store_memory_write(job->redis, &job->claim, l->rev,
                                    state.data, state.len);
        aa_buf_free(&state);

        if (wrc == AW_MEMORY_OK) {
            snprintf(rev, sizeof(rev), "%lld", strtoll(l->rev, NULL, 10) + 1);
            free(l->rev);
            l->rev = strdup(rev);
            *ok = 1;
            return l->rev != NULL ? 0 : -1;
        }

        if (wrc != AW_MEMORY_CONFLICT) {
            aa_buf_reset(result);
            aa_buf_puts(result, "The memory edit could not be saved");
            return 0;
        }

        /* a PATCH or another edit landed first: on the new state again */
        if (aw_loop_load(l) != 0) {
            return -1;
        }
    }

    aa_buf_reset(result);
    aa_buf_puts(result, "The memory edit could not be saved (the agent "
                "kept changing)");

    return 0;
}


static int
aw_args_heartbeat(yajl_val args)
{
    yajl_val  v;

    v = aa_json_get(args, "request_heartbeat");

    return v != NULL && YAJL_IS_TRUE(v);
}


/*
 * The tool calls of one answer.  0 with *more set when the loop goes
 * on, *stop the stop reason when the turn ended; or a job outcome.
 */
static int
aw_loop_tools(aw_loop_t *l, int *more)
{
    aw_job_t        *job;
    aw_tool_call_t  *t;
    yajl_val         args;
    aa_buf_t         result, json;
    size_t           i;
    char             err[128], id[AA_ID_MAX];
    const char      *msg;
    int              ok, rc, heartbeat, sent;

    job = l->job;
    heartbeat = 0;
    sent = 0;

    for (i = 0; i < l->chat.ncalls; i++) {
        t = &l->chat.calls[i];

        /* a call without id (some local servers): one of ours */
        if (t->id.len == 0) {
            if (aa_id_new("call", id, sizeof(id)) < 0) {
                return aw_job_fail(job, "cannot make a tool call id");
            }
            aa_buf_puts(&t->id, id);
            aa_buf_cstr(&t->id);
        }
    }

    if (l->chat.content.len > 0 && !l->legacy) {
        aa_buf_init(&json);
        aa_buf_json_string(&json, l->chat.content.data, l->chat.content.len);
        rc = json.failed ? -1
             : aw_job_message(job, "assistant_message", NULL, json.data,
                              json.len);
        aa_buf_free(&json);
        if (rc != 0) {
            return aw_job_fail(job, "out of memory");
        }
    }

    if (aw_turn_assistant(l) != 0) {
        return aw_job_fail(job, "out of memory");
    }

    for (i = 0; i < l->chat.ncalls; i++) {
        t = &l->chat.calls[i];

        args = aa_json_parse(t->args.len ? t->args.data : "{}",
                             t->args.len ? t->args.len : 2, err,
                             sizeof(err));

        if (args == NULL || !YAJL_IS_OBJECT(args)) {
            if (args != NULL) {
                yajl_tree_free(args);
            }
            job->keep_messages = 1;
            return aw_job_fail_as(job, "invalid_tool_call", "the model "
                                  "called %.64s with arguments that are not "
                                  "a JSON object: %.200s", t->name.data,
                                  t->args.data);
        }

        heartbeat = heartbeat || aw_args_heartbeat(args);
        aa_buf_init(&result);
        rc = 0;

        if (l->legacy && strcmp(t->name.data, l->send_name) == 0) {
            msg = aw_json_str(args, l->kwarg, NULL);

            if (msg == NULL && aa_json_get(args, l->kwarg) == NULL) {
                yajl_tree_free(args);
                aa_buf_free(&result);
                job->keep_messages = 1;
                return aw_job_fail_as(job, "invalid_tool_call", "the model "
                                      "called %s without its \"%s\"",
                                      l->send_name, l->kwarg);
            }

            msg = msg != NULL ? msg : "";

            if (l->use_assistant) {
                aa_buf_init(&json);
                aa_buf_json_string(&json, msg, strlen(msg));
                rc = json.failed ? -1
                     : aw_job_message(job, "assistant_message", NULL,
                                      json.data, json.len);
                aa_buf_free(&json);

            } else {
                rc = aw_emit_call(l, t);
            }

            /* the model is told it was sent; a return shown when asked */
            if (rc == 0) {
                rc = aw_emit_return(l, t, "None", 4, 1, !l->use_assistant);
            }

            sent = 1;

        } else if (aw_memory_is_tool(t->name.data)) {
            rc = aw_loop_memory(l, t->name.data, args, &result, &ok);

            if (rc == 0) {
                rc = aw_emit_call(l, t);
            }

            if (rc == 0) {
                rc = aw_emit_return(l, t, result.data ? result.data : "",
                                    result.len, ok, 1);
            }

            /* a failed tool gets the model another step (Letta's too) */
            heartbeat = heartbeat || !ok;

        } else {
            yajl_tree_free(args);
            aa_buf_free(&result);
            job->keep_messages = 1;
            return aw_job_fail_as(job, "invalid_tool_call", "the model "
                                  "called %.64s, a tool the agent does not "
                                  "have", t->name.data);
        }

        yajl_tree_free(args);
        aa_buf_free(&result);

        if (rc != 0) {
            return aw_job_fail(job, "out of memory");
        }
    }

    /* letta_v1_agent goes on after any tool; legacy ones when asked */
    *more = l->legacy ? heartbeat : 1;
    (void) sent;

    return 0;
}


/* An answer without tool calls: the turn ends (docs/agent-loop.md). */
static int
aw_loop_text(aw_loop_t *l)
{
    aw_job_t  *job;
    aa_buf_t   json;
    int        rc;

    job = l->job;

    if (l->legacy) {
        /* legacy agents must call a tool; their text is a thought */
        job->stop_reason = "no_tool_call";

        if (l->chat.content.len == 0) {
            return 0;
        }

        aa_buf_init(&json);
        aa_buf_puts(&json, "\"source\":\"non_reasoner_model\","
                    "\"reasoning\":");
        aa_buf_json_string(&json, l->chat.content.data,
                           l->chat.content.len);
        aa_buf_puts(&json, ",\"signature\":null");
        rc = json.failed ? -1
             : aw_job_message_fields(job, "reasoning_message", NULL, NULL, 0,
                                     json.data, json.len);
        aa_buf_free(&json);

        return rc == 0 ? aw_turn_assistant(l) : -1;
    }

    job->stop_reason = strcmp(l->chat.finish_reason, "length") == 0
                       ? "max_tokens_exceeded" : "end_turn";

    /* no text either: a no-op, nothing recorded (Letta's case 1a) */
    if (l->chat.content.len == 0) {
        return 0;
    }

    aa_buf_init(&json);
    aa_buf_json_string(&json, l->chat.content.data, l->chat.content.len);
    rc = json.failed ? -1
         : aw_job_message(job, "assistant_message", NULL, json.data,
                          json.len);
    aa_buf_free(&json);

    return rc == 0 ? aw_turn_assistant(l) : -1;
}


static int
aw_loop_reasoning(aw_loop_t *l)
{
    aa_buf_t  f;
    int       rc;

    if (l->chat.reasoning.len == 0) {
        return 0;
    }

    aa_buf_init(&f);
    aa_buf_puts(&f, "\"source\":\"reasoner_model\",\"reasoning\":");
    aa_buf_json_string(&f, l->chat.reasoning.data, l->chat.reasoning.len);
    aa_buf_puts(&f, ",\"signature\":null");

    rc = f.failed ? -1
         : aw_job_message_fields(l->job, "reasoning_message", NULL, NULL, 0,
                                 f.data, f.len);
    aa_buf_free(&f);

    return rc;
}


static int
aw_loop_steps(aw_loop_t *l)
{
    aw_job_t  *job;
    aa_buf_t   body;
    yajl_val   v;
    int64_t    max_steps, step, overflow;
    int        rc, more;

    job = l->job;

    v = aa_json_get(job->req, "max_steps");
    max_steps = (v != NULL && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0)
                ? YAJL_GET_INTEGER(v) : AW_DEFAULT_MAX_STEPS;

    for (step = 0; step < max_steps; step++) {
        if (step > 0 && aw_job_next_step(job) != 0) {
            return aw_job_fail(job, "cannot make a step id");
        }

        aa_buf_init(&body);

        if (aw_loop_request(l, &body, &overflow) != 0) {
            aa_buf_free(&body);
            return aw_job_fail(job, "out of memory");
        }

        if (overflow > 0) {
            aa_buf_free(&body);
            job->keep_messages = 1;
            return aw_job_fail_as(job,
                                  "context_window_overflow_in_system_prompt",
                                  "the system prompt (about %lld tokens) "
                                  "does not fit in the context window",
                                  (long long) overflow);
        }

        rc = aw_loop_call(l, &body);
        aa_buf_free(&body);

        if (rc != 0) {
            return rc;
        }

        if (aw_loop_reasoning(l) != 0) {
            return aw_job_fail(job, "out of memory");
        }

        more = 0;

        if (l->chat.ncalls == 0) {
            rc = aw_loop_text(l) == 0 ? 0 : aw_job_fail(job, "out of memory");

        } else {
            job->stop_reason = "end_turn";
            rc = aw_loop_tools(l, &more);
        }

        if (rc == 0 && more && step == max_steps - 1) {
            job->stop_reason = "max_steps";
            more = 0;
        }

        if (aw_job_step(job, l->model, l->step_completion, l->step_prompt,
                        more ? NULL : (rc == 0 ? job->stop_reason
                                               : job->fail_reason))
            != 0)
        {
            return aw_job_fail(job, "out of memory");
        }

        /* visible while the run goes on; the finish writes them again */
        (void) aw_store_progress(job->redis, &job->claim,
                                 l->stored_steps == 0, &job->out_messages,
                                 l->stored_messages, &job->out_steps,
                                 l->stored_steps);
        l->stored_messages = job->out_messages.n;
        l->stored_steps = job->out_steps.n;

        if (rc != 0 || !more) {
            return rc;
        }

        /* between steps too: a cancellation stops the loop at once */
        rc = aw_job_check(job);
        if (rc != 0) {
            return rc;
        }
    }

    return AW_JOB_DONE;
}


static int
aw_openai_run(aw_job_t *job)
{
    aw_loop_t                 l;
    char                      err[400];
    int                       rc;
    const char               *over, *slash;
    const aw_backend_t       *fallback;

    memset(&l, 0, sizeof(l));
    l.job = job;
    aa_buf_init(&l.url);
    aa_buf_init(&l.tools);
    aw_chat_init(&l.chat);

    /* the run's own model and system prompt win over the agent's */
    l.system = aw_json_str(job->req, "override_system", job->system);
    over = aw_json_str(job->req, "override_model", NULL);
    slash = over != NULL ? strchr(over, '/') : NULL;

    if (over != NULL && (slash == NULL || slash == over || !slash[1])) {
        rc = aw_job_fail_as(job, "llm_api_error", "override_model \"%.64s\" "
                            "is not a handle of the form provider/model",
                            over);
        goto done;
    }

    if (over != NULL) {
        l.model = slash + 1;
        rc = aw_provider_route_name(over, (size_t) (slash - over), &l.route,
                                    err, sizeof(err));
    } else {
        rc = aw_provider_route(job->llm, &l.route, err, sizeof(err));
    }

    if (rc == AW_ROUTE_NONE && aw_worker.cf.fallback_backend != NULL) {
        fallback = aw_backend_find(aw_worker.cf.fallback_backend);
        aw_log_debug(job->claim.run, job->claim.agent, "%s: the %s backend "
                     "serves it", err, fallback->name);
        rc = fallback->run(job);
        goto done;
    }

    if (rc != AW_ROUTE_OK) {
        rc = aw_job_fail_as(job, "llm_api_error", "%s", err);
        goto done;
    }

    aa_buf_append(&l.url, l.route.base, l.route.base_len);
    aa_buf_puts(&l.url, "/chat/completions");
    aa_buf_cstr(&l.url);

    rc = aw_loop_load(&l);
    if (rc != 0) {
        goto done;
    }

    rc = aw_loop_settings(&l);
    if (rc != 0) {
        goto done;
    }

    l.history = aw_store_history(job->redis, job->claim.agent,
                                 AW_HISTORY_READ);
    if (l.history == NULL) {
        rc = aw_job_fail(job, "could not read the agent's history");
        goto done;
    }

    rc = aw_loop_input(&l);
    if (rc != 0) {
        goto done;
    }

    rc = l.url.failed ? aw_job_fail(job, "out of memory") : aw_loop_steps(&l);

done:

    if (l.history != NULL) {
        freeReplyObject(l.history);
    }

    if (l.rc != NULL) {
        yajl_tree_free(l.rc);
    }

    aw_memory_free(&l.mem);
    free(l.state);
    free(l.rev);
    free(l.rc_text);
    aw_strv_free(&l.turn);
    aw_chat_free(&l.chat);
    aa_buf_free(&l.tools);
    aa_buf_free(&l.url);

    return rc;
}


static int
aw_openai_init(void)
{
    return 0;
}


const aw_backend_t  aw_backend_openai = {
    "openai",
    aw_openai_init,
    aw_openai_run,
    0,
    NULL,
};
