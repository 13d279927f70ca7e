/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The answer of an OpenAI-compatible /chat/completions call: text, tool
 * calls, finish reason and usage, read either from a whole response body
 * or from the chunks of a stream, one at a time.  What servers differ in
 * is absorbed here: tool call fragments with or without an index, calls
 * sent whole in one chunk (Ollama), arguments as a string or as a JSON
 * object, content as a string or as an array of text parts.
 */

#ifndef AW_CHAT_H
#define AW_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "aa_buf.h"

#define AW_CHAT_MAX_CALLS  16      /* tool calls in one answer */

typedef struct {
    aa_buf_t  id;
    aa_buf_t  name;
    aa_buf_t  args;                 /* JSON text, as the model wrote it */
} aw_tool_call_t;

typedef struct {
    aa_buf_t        content;
    aa_buf_t        reasoning;      /* reasoning_content, when sent */
    aw_tool_call_t  calls[AW_CHAT_MAX_CALLS];
    size_t          ncalls;
    char            finish_reason[32];
    int64_t         prompt_tokens;
    int64_t         completion_tokens;
    int             has_usage;
    int             has_choice;     /* a choice was seen */
    int             done;           /* the stream's [DONE] was seen */
    int             output;         /* a chunk carried text or a call */
    char            error[512];     /* why the answer is unusable */
} aw_chat_t;

void aw_chat_init(aw_chat_t *c);
void aw_chat_free(aw_chat_t *c);
void aw_chat_reset(aw_chat_t *c);

/* A whole (non-streamed) response body.  0, or -1 with c->error set. */
int aw_chat_response(aw_chat_t *c, const char *body, size_t len);

/*
 * The data of one stream event: a chunk object, or "[DONE]".  0, or -1
 * with c->error set (not JSON, an error object sent in the stream...).
 */
int aw_chat_chunk(aw_chat_t *c, const char *data, size_t len);

/*
 * After the last chunk or the body: 0 when the answer can be used, -1
 * with c->error when it cannot (no choice at all, a call without name).
 */
int aw_chat_check(aw_chat_t *c);

/*
 * The message of an error response body ({"error":{"message":...}},
 * {"error":"..."}, {"detail":...}), at most size - 1 bytes, or the start
 * of the body itself.
 */
void aw_chat_error_text(const char *body, size_t len, char *out,
    size_t size);

#endif
