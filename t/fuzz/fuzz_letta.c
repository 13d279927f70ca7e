/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * libFuzzer harness for what the letta backend reads from an upstream
 * Letta server: its LettaResponse (aw_letta_answer.c).  No crash, no
 * leak; every message kept is strict JSON, an object without duplicate
 * keys, with its message_type and the local run's run_id; a completion
 * has one of Letta's stop reasons.
 */

#include <stdint.h>

#include "aw_letta_answer.h"
#include "fuzz_check.h"


#define RUN  "run-00000000-0000-4000-8000-000000000000"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aw_letta_answer_t   a;
    aa_buf_t            b;
    yajl_val            v, run;
    char               *s;
    size_t              i;
    int                 rc;

    s = malloc(size + 1);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data, size);
    s[size] = '\0';

    aw_letta_answer_init(&a);
    rc = aw_letta_answer_read(&a, s, size, RUN);

    AA_FUZZ_ASSERT(rc == 0 || rc == AW_LETTA_INVALID || rc == AW_LETTA_NOMEM);
    AA_FUZZ_ASSERT(rc != AW_LETTA_INVALID || a.error[0] != '\0');
    AA_FUZZ_ASSERT(a.stop_reason != NULL);

    for (i = 0; i < a.messages.n; i++) {
        aa_buf_init(&b);
        aa_buf_append(&b, a.messages.items[i], a.messages.lens[i]);
        v = aa_fuzz_json(&b, 1);
        AA_FUZZ_ASSERT(YAJL_IS_OBJECT(v));
        AA_FUZZ_ASSERT(YAJL_IS_STRING(aa_json_get(v, "message_type")));
        run = aa_json_get(v, "run_id");
        AA_FUZZ_ASSERT(YAJL_IS_STRING(run) && strcmp(run->u.string, RUN) == 0);
        yajl_tree_free(v);
        aa_buf_free(&b);
    }

    if (rc == 0) {
        AA_FUZZ_ASSERT(a.usage.prompt_tokens >= 0
                       && a.usage.completion_tokens >= 0
                       && a.usage.step_count >= 0);
    }

    aw_letta_answer_free(&a);
    free(s);

    return 0;
}
