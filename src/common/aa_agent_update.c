/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * UpdateAgent (PATCH /v1/agents/{id}): the patch merged into the stored
 * AgentState, then built again by aa_agent.c as a CreateAgent body would
 * be.  The stored state holds every honoured field under its CreateAgent
 * name, so it is the body the merge starts from.
 */

#include <string.h>

#include "aa_agent.h"
#include "aa_json.h"


static void aa_agent_update_put(aa_buf_t *b, const char *key, yajl_val v);
static yajl_val aa_agent_update_pick(yajl_val patch, yajl_val state,
    const char *key);


/* "key":value, unless value is absent or null */

static void
aa_agent_update_put(aa_buf_t *b, const char *key, yajl_val v)
{
    if (v == NULL || YAJL_IS_NULL(v)) {
        return;
    }

    if (b->len > 1) {
        aa_buf_putc(b, ',');
    }

    aa_buf_json_string(b, key, strlen(key));
    aa_buf_putc(b, ':');
    aa_json_encode(b, v);
}


/* the patch's value when given and not null, else the stored one */

static yajl_val
aa_agent_update_pick(yajl_val patch, yajl_val state, const char *key)
{
    yajl_val  v;

    v = aa_json_get(patch, key);

    if (v != NULL && !YAJL_IS_NULL(v)) {
        return v;
    }

    return aa_json_get(state, key);
}


int
aa_agent_update(aa_agent_t *a, const char *state, size_t len,
    const char *patch, size_t patch_len, const char *id,
    int64_t created_us, int64_t updated_us)
{
    int        rc;
    char       err[64];
    size_t     i;
    aa_buf_t   body;
    yajl_val   p, s, model, llm;

    static const char *const  own[] = {
        "name", "description", "system", "metadata", "tags", NULL
    };

    rc = aa_agent_check(a, patch, patch_len);
    if (rc != AA_OK) {
        return rc;
    }

    p = aa_json_parse(patch, patch_len, err, sizeof(err));
    s = aa_json_parse(state, len, err, sizeof(err));

    if (p == NULL || s == NULL || !YAJL_IS_OBJECT(s)) {
        yajl_tree_free(p);
        yajl_tree_free(s);
        return p == NULL ? AA_NOMEM : AA_BAD_STATE;
    }

    aa_buf_init(&body);
    aa_buf_putc(&body, '{');

    for (i = 0; own[i] != NULL; i++) {
        aa_agent_update_put(&body, own[i],
                            aa_agent_update_pick(p, s, own[i]));
    }

    /* the model settings go together, as on create */

    model = aa_json_get(p, "model");
    llm = aa_json_get(p, "llm_config");

    if (llm != NULL && !YAJL_IS_NULL(llm)) {
        aa_agent_update_put(&body, "model", model);
        aa_agent_update_put(&body, "llm_config", llm);

    } else if (model != NULL && !YAJL_IS_NULL(model)) {
        aa_agent_update_put(&body, "model", model);

    } else {
        aa_agent_update_put(&body, "model", aa_json_get(s, "model"));
        aa_agent_update_put(&body, "llm_config",
                            aa_json_get(s, "llm_config"));
    }

    /* what the agent is made of, and its memory as edited, carry over */
    aa_agent_update_put(&body, "agent_type", aa_json_get(s, "agent_type"));
    aa_agent_update_put(&body, "memory_blocks",
                        aa_json_get(aa_json_get(s, "memory"), "blocks"));

    aa_buf_putc(&body, '}');
    aa_buf_cstr(&body);

    yajl_tree_free(p);
    yajl_tree_free(s);

    if (body.failed) {
        aa_buf_free(&body);
        return AA_NOMEM;
    }

    rc = aa_agent_parse_at(a, body.data, body.len, id, created_us,
                           updated_us);

    aa_buf_free(&body);

    if (rc == AA_INVALID) {
        /* the patch passed: what fails is what was stored */
        aa_errors_free(&a->errors);
        return AA_BAD_STATE;
    }

    return rc;
}
