/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The tools the openai backend offers the model, in the OpenAI "tools"
 * form: Letta 0.16.8's memory tools (function_sets/base.py) for every
 * agent, send_message for the legacy agent types, whose every tool also
 * takes Letta's request_heartbeat (docs/agent-loop.md, "Tools").
 */

#ifndef AW_TOOLS_H
#define AW_TOOLS_H

#include "aa_buf.h"

/*
 * Appends the JSON array of tools.  legacy: memgpt_agent and
 * memgpt_v2_agent (core_memory_append, core_memory_replace, and the
 * assistant message tool send_name with its argument kwarg); otherwise
 * letta_v1_agent (memory_replace, memory_insert, memory_rethink).
 */
int aw_tools_render(aa_buf_t *out, int legacy, const char *send_name,
    const char *kwarg);

#endif
