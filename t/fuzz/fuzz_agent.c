/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * libFuzzer harness for aa_agent_parse(): no crash, no leak, and the
 * AgentState and llm outputs are well-formed JSON.
 */

#include <stdint.h>

#include "aa_agent.h"
#include "fuzz_check.h"


#define AA_FUZZ_ID  "agent-7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e90"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          rc;
    char        *body;
    yajl_val     state, llm;
    aa_agent_t   a;
    const char  *p_id[] = { "id", NULL };

    body = malloc(size + 1);
    AA_FUZZ_ASSERT(body != NULL);
    memcpy(body, data, size);
    body[size] = '\0';

    aa_agent_init(&a);

    rc = aa_agent_parse(&a, body, size, AA_FUZZ_ID, 1778752800123456LL);

    if (rc == AA_OK) {
        AA_FUZZ_ASSERT(a.errors.count == 0);

        state = aa_fuzz_json(&a.state, 1);
        llm = aa_fuzz_json(&a.llm, 1);

        AA_FUZZ_ASSERT(YAJL_IS_OBJECT(state) && state->u.object.len == 19);
        AA_FUZZ_ASSERT(YAJL_IS_OBJECT(llm) && llm->u.object.len == 6);
        AA_FUZZ_ASSERT(yajl_tree_get(state, p_id, yajl_t_string) != NULL);

        AA_FUZZ_ASSERT(a.system.data != NULL);
        AA_FUZZ_ASSERT(strlen(a.system.data) == a.system.len);

        yajl_tree_free(state);
        yajl_tree_free(llm);

    } else {
        AA_FUZZ_ASSERT(rc == AA_INVALID);
        AA_FUZZ_ASSERT(a.state.len == 0 && a.llm.len == 0);
        aa_fuzz_errors(&a.errors);
    }

    aa_agent_free(&a);
    free(body);

    return 0;
}
