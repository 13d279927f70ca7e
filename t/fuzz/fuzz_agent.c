/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * libFuzzer harness for aa_agent_parse() and aa_agent_update(): no crash,
 * no leak, the AgentState and llm outputs are well-formed JSON, both take
 * and refuse the same bodies, and the served state is an object with the
 * run metrics.
 */

#include <stdint.h>

#include "aa_agent.h"
#include "fuzz_check.h"


#define AA_FUZZ_ID  "agent-7d3e3c54-8a35-4f53-b1a4-5f1f7c0d8e90"


/* a stored state the PATCH applies to */
static const char  aa_fuzz_stored[] =
    "{\"id\":\"" AA_FUZZ_ID "\",\"name\":\"stored\",\"description\":\"d\","
    "\"system\":\"s\",\"model\":\"openai/gpt-4o\",\"llm_config\":"
    "{\"model\":\"gpt-4o\",\"model_endpoint_type\":\"openai\","
    "\"temperature\":0.5,\"handle\":\"openai/gpt-4o\"},\"tags\":[\"t\"],"
    "\"metadata\":{\"k\":[1]}}";


static void
aa_fuzz_update(const char *body, size_t size, int create_rc)
{
    int          rc;
    aa_buf_t     out;
    yajl_val     state;
    aa_agent_t   u;

    aa_agent_init(&u);

    rc = aa_agent_update(&u, aa_fuzz_stored, sizeof(aa_fuzz_stored) - 1,
                         body, size, AA_FUZZ_ID, 1778752800123456LL,
                         1778752860123456LL);

    /* a PATCH body is checked by the CreateAgent rules */
    AA_FUZZ_ASSERT(rc == create_rc);

    if (rc == AA_OK) {
        state = aa_fuzz_json(&u.state, 1);
        AA_FUZZ_ASSERT(YAJL_IS_OBJECT(state) && state->u.object.len == 17);
        yajl_tree_free(state);

        AA_FUZZ_ASSERT(u.name.data != NULL
                       && strlen(u.name.data) == u.name.len);

        aa_buf_init(&out);
        AA_FUZZ_ASSERT(aa_agent_render(&out, u.state.data, u.state.len,
                                       "2026-05-14T10:00:00.123456Z", 27,
                                       "12", 2, "end_turn", 8) == 0);
        state = aa_fuzz_json(&out, 1);
        AA_FUZZ_ASSERT(YAJL_IS_OBJECT(state) && state->u.object.len == 20);
        yajl_tree_free(state);
        aa_buf_free(&out);

    } else {
        AA_FUZZ_ASSERT(u.state.len == 0);
    }

    aa_agent_free(&u);
}


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

        AA_FUZZ_ASSERT(YAJL_IS_OBJECT(state) && state->u.object.len == 17);
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

    if (rc != AA_NOMEM) {
        aa_fuzz_update(body, size, rc);
    }

    free(body);

    return 0;
}
