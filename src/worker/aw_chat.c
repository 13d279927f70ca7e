/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <string.h>

#include "aa_errors.h"
#include "aa_json.h"
#include "aw_chat.h"


void
aw_chat_init(aw_chat_t *c)
{
    size_t  i;

    memset(c, 0, sizeof(aw_chat_t));
    aa_buf_init(&c->content);
    aa_buf_init(&c->reasoning);

    for (i = 0; i < AW_CHAT_MAX_CALLS; i++) {
        aa_buf_init(&c->calls[i].id);
        aa_buf_init(&c->calls[i].name);
        aa_buf_init(&c->calls[i].args);
    }
}


void
aw_chat_free(aw_chat_t *c)
{
    size_t  i;

    aa_buf_free(&c->content);
    aa_buf_free(&c->reasoning);

    for (i = 0; i < AW_CHAT_MAX_CALLS; i++) {
        aa_buf_free(&c->calls[i].id);
        aa_buf_free(&c->calls[i].name);
        aa_buf_free(&c->calls[i].args);
    }
}


void
aw_chat_reset(aw_chat_t *c)
{
    aw_chat_free(c);
    aw_chat_init(c);
}


static int
aw_chat_fail(aw_chat_t *c, const char *what)
{
    if (c->error[0] == '\0') {
        snprintf(c->error, sizeof(c->error), "%s", what);
    }
    return -1;
}


static int
aw_chat_is_str(yajl_val v)
{
    return v != NULL && YAJL_IS_STRING(v);
}


/* Text content: a string, or an array of {"type":"text","text":...}. */
static void
aw_chat_text(aa_buf_t *b, yajl_val v)
{
    size_t    i;
    yajl_val  t;

    if (aw_chat_is_str(v)) {
        aa_buf_puts(b, v->u.string);
        return;
    }

    if (v == NULL || !YAJL_IS_ARRAY(v)) {
        return;
    }

    for (i = 0; i < v->u.array.len; i++) {
        t = aa_json_get(v->u.array.values[i], "text");
        if (aw_chat_is_str(t)) {
            aa_buf_puts(b, t->u.string);
        }
    }
}


static void
aw_chat_usage(aw_chat_t *c, yajl_val root)
{
    yajl_val  u, p, k;

    u = aa_json_get(root, "usage");
    p = aa_json_get(u, "prompt_tokens");
    k = aa_json_get(u, "completion_tokens");

    if (p != NULL && YAJL_IS_INTEGER(p) && k != NULL && YAJL_IS_INTEGER(k)) {
        c->prompt_tokens = YAJL_GET_INTEGER(p);
        c->completion_tokens = YAJL_GET_INTEGER(k);
        c->has_usage = 1;
    }
}


/*
 * The call a fragment belongs to: by its index when it has one; else by
 * its id (a new id is a new call); else a fragment with a name is a new
 * call (Ollama sends whole calls, no index, no id); else the last call
 * (a fragment of it).
 */
static aw_tool_call_t *
aw_chat_slot(aw_chat_t *c, yajl_val tc)
{
    yajl_val  index, id, name;
    size_t    i;
    long long n;

    index = aa_json_get(tc, "index");
    id = aa_json_get(tc, "id");

    if (index != NULL && YAJL_IS_INTEGER(index)) {
        n = YAJL_GET_INTEGER(index);

        if (n < 0 || n >= AW_CHAT_MAX_CALLS) {
            return NULL;
        }

        if ((size_t) n >= c->ncalls) {
            c->ncalls = (size_t) n + 1;
        }

        return &c->calls[n];
    }

    name = aa_json_get(aa_json_get(tc, "function"), "name");

    if (aw_chat_is_str(id) && id->u.string[0] != '\0') {
        for (i = 0; i < c->ncalls; i++) {
            if (c->calls[i].id.len == strlen(id->u.string)
                && memcmp(c->calls[i].id.data, id->u.string,
                          c->calls[i].id.len) == 0)
            {
                return &c->calls[i];
            }
        }

    } else if (c->ncalls > 0
               && !(aw_chat_is_str(name) && name->u.string[0] != '\0'))
    {
        return &c->calls[c->ncalls - 1];
    }

    if (c->ncalls == AW_CHAT_MAX_CALLS) {
        return NULL;
    }

    return &c->calls[c->ncalls++];
}


/* One tool call, or a fragment of one. */
static int
aw_chat_call(aw_chat_t *c, yajl_val tc)
{
    aw_tool_call_t  *t;
    yajl_val         id, fn, name, args;

    if (!YAJL_IS_OBJECT(tc)) {
        return aw_chat_fail(c, "a tool call is not an object");
    }

    t = aw_chat_slot(c, tc);
    if (t == NULL) {
        return aw_chat_fail(c, "too many tool calls, or a bad index");
    }

    id = aa_json_get(tc, "id");
    fn = aa_json_get(tc, "function");
    name = aa_json_get(fn, "name");
    args = aa_json_get(fn, "arguments");

    /* ids and names come whole, once (some servers repeat them) */
    if (aw_chat_is_str(id) && t->id.len == 0) {
        aa_buf_puts(&t->id, id->u.string);
    }

    if (aw_chat_is_str(name) && t->name.len == 0) {
        aa_buf_puts(&t->name, name->u.string);
    }

    if (aw_chat_is_str(args)) {
        aa_buf_puts(&t->args, args->u.string);

    } else if (args != NULL && YAJL_IS_OBJECT(args)) {
        /* arguments sent as an object, not as its JSON text */
        aa_buf_reset(&t->args);
        aa_json_encode(&t->args, args);
    }

    c->output = 1;

    return 0;
}


static int
aw_chat_calls(aw_chat_t *c, yajl_val calls)
{
    size_t  i;

    if (calls == NULL || YAJL_IS_NULL(calls)) {
        return 0;
    }

    if (!YAJL_IS_ARRAY(calls)) {
        return aw_chat_fail(c, "tool_calls is not an array");
    }

    for (i = 0; i < calls->u.array.len; i++) {
        if (aw_chat_call(c, calls->u.array.values[i]) != 0) {
            return -1;
        }
    }

    return 0;
}


static void
aw_chat_finish_reason(aw_chat_t *c, yajl_val choice)
{
    yajl_val  fr;

    fr = aa_json_get(choice, "finish_reason");

    if (aw_chat_is_str(fr)) {
        snprintf(c->finish_reason, sizeof(c->finish_reason), "%s",
                 fr->u.string);
    }
}


/* An {"error": ...} object in place of an answer. */
static int
aw_chat_error_object(aw_chat_t *c, yajl_val root)
{
    yajl_val  e, m;
    char      text[400];

    e = aa_json_get(root, "error");

    if (e == NULL || YAJL_IS_NULL(e)) {
        return 0;
    }

    m = aw_chat_is_str(e) ? e : aa_json_get(e, "message");

    snprintf(text, sizeof(text), "the model server sent an error: %.300s",
             aw_chat_is_str(m) ? m->u.string : "(no message)");
    aw_chat_fail(c, text);

    return -1;
}


static yajl_val
aw_chat_parse(aw_chat_t *c, const char *text, size_t len)
{
    char      err[128], what[200];
    yajl_val  root;

    root = aa_json_parse(text, len, err, sizeof(err));

    if (root == NULL) {
        snprintf(what, sizeof(what), "the model's answer is not valid "
                 "JSON: %s", err);
        aw_chat_fail(c, what);
        return NULL;
    }

    if (!YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        aw_chat_fail(c, "the model's answer is not a JSON object");
        return NULL;
    }

    if (aw_chat_error_object(c, root) != 0) {
        yajl_tree_free(root);
        return NULL;
    }

    return root;
}


static yajl_val
aw_chat_first_choice(yajl_val root)
{
    yajl_val  choices;

    choices = aa_json_get(root, "choices");

    if (choices == NULL || !YAJL_IS_ARRAY(choices)
        || choices->u.array.len == 0
        || !YAJL_IS_OBJECT(choices->u.array.values[0]))
    {
        return NULL;
    }

    return choices->u.array.values[0];
}


int
aw_chat_response(aw_chat_t *c, const char *body, size_t len)
{
    yajl_val  root, choice, msg, r;
    int       rc;

    root = aw_chat_parse(c, body, len);
    if (root == NULL) {
        return -1;
    }

    rc = 0;
    choice = aw_chat_first_choice(root);
    msg = aa_json_get(choice, "message");

    if (msg == NULL || !YAJL_IS_OBJECT(msg)) {
        rc = aw_chat_fail(c, "the model's answer has no choices[0].message");
        goto done;
    }

    c->has_choice = 1;
    aw_chat_text(&c->content, aa_json_get(msg, "content"));

    r = aa_json_get(msg, "reasoning_content");
    if (!aw_chat_is_str(r)) {
        r = aa_json_get(msg, "reasoning");
    }
    aw_chat_text(&c->reasoning, r);

    rc = aw_chat_calls(c, aa_json_get(msg, "tool_calls"));
    aw_chat_finish_reason(c, choice);
    aw_chat_usage(c, root);

done:

    yajl_tree_free(root);

    if (rc == 0 && (c->content.failed || c->reasoning.failed)) {
        rc = aw_chat_fail(c, "out of memory");
    }

    return rc;
}


int
aw_chat_chunk(aw_chat_t *c, const char *data, size_t len)
{
    yajl_val  root, choice, delta, r, content;
    int       rc;

    /* servers differ on the space: "data: [DONE]" or "data:[DONE]" */
    while (len > 0 && (data[len - 1] == ' ' || data[len - 1] == '\n')) {
        len--;
    }

    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        c->done = 1;
        return 0;
    }

    if (c->done) {
        return aw_chat_fail(c, "the stream went on after [DONE]");
    }

    root = aw_chat_parse(c, data, strlen(data));
    if (root == NULL) {
        return -1;
    }

    rc = 0;

    /* usage comes in a chunk of its own (include_usage), or the last */
    aw_chat_usage(c, root);

    choice = aw_chat_first_choice(root);

    if (choice != NULL) {
        c->has_choice = 1;
        delta = aa_json_get(choice, "delta");

        /* some servers stream whole messages in place of deltas */
        if (delta == NULL || !YAJL_IS_OBJECT(delta)) {
            delta = aa_json_get(choice, "message");
        }

        content = aa_json_get(delta, "content");
        if (content != NULL && !YAJL_IS_NULL(content)) {
            aw_chat_text(&c->content, content);
            c->output = c->output || c->content.len > 0;
        }

        r = aa_json_get(delta, "reasoning_content");
        if (!aw_chat_is_str(r)) {
            r = aa_json_get(delta, "reasoning");
        }
        if (aw_chat_is_str(r)) {
            aw_chat_text(&c->reasoning, r);
            c->output = 1;
        }

        rc = aw_chat_calls(c, aa_json_get(delta, "tool_calls"));
        aw_chat_finish_reason(c, choice);
    }

    yajl_tree_free(root);

    if (rc == 0 && (c->content.failed || c->reasoning.failed)) {
        rc = aw_chat_fail(c, "out of memory");
    }

    return rc;
}


int
aw_chat_check(aw_chat_t *c)
{
    size_t  i;

    if (c->error[0] != '\0') {
        return -1;
    }

    if (!c->has_choice) {
        return aw_chat_fail(c, "the model's answer has no choices");
    }

    for (i = 0; i < c->ncalls; i++) {
        if (c->calls[i].name.len == 0) {
            return aw_chat_fail(c, "the model sent a tool call without a "
                                "function name");
        }

        if (c->calls[i].id.failed || c->calls[i].name.failed
            || c->calls[i].args.failed)
        {
            return aw_chat_fail(c, "out of memory");
        }

        aa_buf_cstr(&c->calls[i].id);
        aa_buf_cstr(&c->calls[i].name);
        aa_buf_cstr(&c->calls[i].args);
    }

    aa_buf_cstr(&c->content);
    aa_buf_cstr(&c->reasoning);

    if (c->content.failed || c->reasoning.failed) {
        return aw_chat_fail(c, "out of memory");
    }

    return 0;
}


void
aw_chat_error_text(const char *body, size_t len, char *out, size_t size)
{
    char      err[64];
    size_t    i, n;
    yajl_val  root, e, m;

    out[0] = '\0';

    if (body == NULL || len == 0) {
        return;
    }

    root = aa_json_parse(body, len, err, sizeof(err));
    e = aa_json_get(root, "error");
    m = aw_chat_is_str(e) ? e : aa_json_get(e, "message");

    if (!aw_chat_is_str(m)) {
        m = aa_json_get(root, "detail");
    }

    if (aw_chat_is_str(m)) {
        snprintf(out, size, "%s", m->u.string);
        yajl_tree_free(root);
        return;
    }

    if (root != NULL) {
        yajl_tree_free(root);
    }

    /* not JSON: the start of the body, printable bytes only */
    n = len < size - 1 ? len : size - 1;

    for (i = 0; i < n; i++) {
        out[i] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
    }

    out[n] = '\0';
}
