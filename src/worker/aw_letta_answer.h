/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The answer of a Letta server's synchronous POST
 * /v1/agents/{agent_id}/messages, a LettaResponse: its messages (Letta
 * message objects, kept as they are but for run_id, made the local
 * run's), usage and stop reason.  Nothing else of the worker is needed
 * here: t/fuzz/fuzz_letta.c feeds it whatever bytes.
 */

#ifndef AW_LETTA_ANSWER_H
#define AW_LETTA_ANSWER_H

#include <stddef.h>

#include "aa_message.h"
#include "aw_strv.h"

typedef struct {
    aw_strv_t    messages;          /* message JSON, in order */
    aa_usage_t   usage;
    const char  *stop_reason;       /* static; end_turn when none given */
    int          completed;         /* Letta counts the run completed */
    char         error[256];        /* why the answer is unusable */
} aw_letta_answer_t;

#define AW_LETTA_INVALID  -1        /* not a LettaResponse: error set */
#define AW_LETTA_NOMEM    -2

void aw_letta_answer_init(aw_letta_answer_t *a);
void aw_letta_answer_free(aw_letta_answer_t *a);

/*
 * Reads body (len bytes, NUL-terminated) into a, the messages' run_id
 * set to run_id.  0, AW_LETTA_INVALID or AW_LETTA_NOMEM; the messages
 * read before a bad one are kept.
 */
int aw_letta_answer_read(aw_letta_answer_t *a, const char *body, size_t len,
    const char *run_id);

#endif
