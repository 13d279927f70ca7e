/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * An agent's core memory (docs/agent-loop.md, "Memory"): the blocks of
 * its state (memory.blocks: label, value, limit, description,
 * read_only), compiled into the system prompt as Letta 0.16.8 does
 * (PromptGenerator, Memory.compile), and edited by Letta's memory tools
 * (function_sets/base.py).  Edits change the state tree in place, so the
 * state written back keeps every other field as it was.
 */

#ifndef AW_MEMORY_H
#define AW_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "aa_buf.h"

typedef struct {
    yajl_val  state;            /* the AgentState tree, or NULL */
    yajl_val  blocks;           /* state.memory.blocks, or NULL */
} aw_memory_t;

/*
 * Parses the agent's state (NULL or "" for none: no blocks).  0, or -1
 * with why in err.
 */
int aw_memory_parse(aw_memory_t *m, const char *state, char *err,
    size_t size);
void aw_memory_free(aw_memory_t *m);

/* The agent_type of the state, "letta_v1_agent" when none. */
const char *aw_memory_agent_type(const aw_memory_t *m);

/*
 * The system prompt the model is sent: system with the memory in place
 * of "{CORE_MEMORY}", or after it; recall is the number of messages of
 * the history, now the time of the compilation (unix µs).
 */
int aw_memory_compile(aa_buf_t *out, const char *system,
    const aw_memory_t *m, const char *agent_id, int64_t recall,
    int64_t now_us);

/* 1 when name is one of the memory tools below. */
int aw_memory_is_tool(const char *name);

/*
 * Applies the memory tool name with its arguments (a JSON object):
 * core_memory_append, core_memory_replace, memory_replace,
 * memory_insert, memory_rethink.  0 when the block was edited (its new
 * value in result); 1 when the tool refused (why in result, for the
 * model: a wrong label, a string not found, the limit); -1 out of memory.
 */
int aw_memory_edit(aw_memory_t *m, const char *name, yajl_val args,
    aa_buf_t *result);

/* The state, as JSON, with the edits. */
int aw_memory_render(const aw_memory_t *m, aa_buf_t *out);

#endif
