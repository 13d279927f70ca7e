/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * What the model is sent at each step of the agent loop: the compiled
 * system prompt, as much of the agent's history as fits in its context
 * window (whole turns, the oldest out first: docs/agent-loop.md,
 * "Context"), then this run's messages so far.
 */

#ifndef AW_CONTEXT_H
#define AW_CONTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#include "aa_buf.h"
#include "aw_strv.h"

#define AW_CONTEXT_DEFAULT   32768  /* tokens, when the agent sets none */
#define AW_MAX_TOKENS        4096   /* kept for the answer when unset */
#define AW_HISTORY_READ      2000   /* history entries read at most */

/* Tokens of a text, estimated as Letta's fallback does: 4 bytes each. */
int64_t aw_context_tokens(size_t bytes);

/*
 * The index of the first history entry (of n, oldest first) sent with a
 * budget of tokens: from the newest back while they fit, then forward to
 * a user message, so that no turn is cut.  n when none fits.
 */
size_t aw_context_fit(char **items, const size_t *lens, size_t n,
    int64_t budget);

/*
 * Appends the "messages" array: system, history[from..n), then turn.
 * Entries that are no chat message (not an object with a role) are
 * left out.
 */
int aw_context_messages(aa_buf_t *out, const char *system,
    size_t system_len, char **items, const size_t *lens, size_t from,
    size_t n, const aw_strv_t *turn);

#endif
