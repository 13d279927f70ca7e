/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Validation of CreateAgent (POST /v1/agents/) and UpdateAgent (PATCH
 * /v1/agents/{id}), and the AgentState we serve.  Honoured fields: name,
 * description, system, model, llm_config (model, model_endpoint_type,
 * model_endpoint, context_window, temperature, max_tokens), metadata,
 * tags.  Others are accepted and ignored.
 *
 * The AgentState stored (the agent hash's "state", docs/redis-keys.md)
 * holds everything but the run metrics, which change with every run:
 * aa_agent_render() appends them when it is served.
 */

#ifndef AA_AGENT_H
#define AA_AGENT_H

#include <stdint.h>

#include "aa_buf.h"
#include "aa_errors.h"
#include "aa_validate.h"

#define AA_BAD_STATE  -2          /* aa_agent_update(): stored state */

typedef struct {
    aa_buf_t     state;         /* AgentState JSON stored, without metrics */
    aa_buf_t     system;        /* system prompt, raw text ("" if none) */
    aa_buf_t     llm;           /* {"model":..,"model_endpoint":..,...} */
    aa_buf_t     name;          /* the name, raw text (default resolved) */
    aa_errors_t  errors;
} aa_agent_t;

void aa_agent_init(aa_agent_t *a);
void aa_agent_free(aa_agent_t *a);

/*
 * id is the new "agent-<uuid4>", created_us the creation time.
 * body[len] must be '\0'.  Returns AA_OK, AA_INVALID (errors holds the 422
 * list, the buffers are empty) or AA_NOMEM.  May be called again on a.
 *
 * The body must be a JSON object ({} is fine; an empty body is "missing",
 * see aa_v_body()).  Every field is optional; null means absent:
 *
 *   name         string; default "agent-" + the first 8 hex digits of id
 *   description  string
 *   system       string; state.system "" and the system buffer "" if none
 *   model        handle "provider/model", both parts non-empty, else
 *                value_error "Value error, model must be a handle of the
 *                form 'provider/model'"
 *   llm_config   object (model_attributes_type): model, model_endpoint_type
 *                strings; model_endpoint an http(s) URL (aa_v_url());
 *                context_window, max_tokens lax integers >= 1;
 *                temperature a JSON number 0..2 (float_type, finite_number,
 *                greater_than_equal, less_than_equal)
 *   metadata     object (dict_type)
 *   tags         array of strings
 *
 * llm = {"model","model_endpoint_type","model_endpoint","context_window",
 * "temperature","max_tokens"}: llm_config's values first, else model and
 * provider from the handle, else null.  state.model and
 * state.llm_config.handle are the handle, else "<type>/<model>" when
 * llm_config names both, else null.
 */
int aa_agent_parse(aa_agent_t *a, const char *body, size_t len,
    const char *id, int64_t created_us);

/* The same with updated_at given apart from created_at. */
int aa_agent_parse_at(aa_agent_t *a, const char *body, size_t len,
    const char *id, int64_t created_us, int64_t updated_us);

/*
 * Validates body as aa_agent_parse() does, building nothing: AA_OK,
 * AA_INVALID (errors holds the 422 list) or AA_NOMEM.  An UpdateAgent
 * body is checked by the same rules as a CreateAgent one.
 */
int aa_agent_check(aa_agent_t *a, const char *body, size_t len);

/*
 * PATCH: the agent whose stored state is state (len bytes, as built here),
 * with the UpdateAgent patch applied (state[len] and patch[patch_len] must
 * be '\0'), as
 * Letta applies one: a field given and not null replaces the stored one,
 * null or absent keeps it; name, description, system, metadata and tags
 * each on its own; the model settings as a whole: llm_config (with model,
 * the handle, or none), else model alone (the LLM settings rebuilt from
 * the handle, as on create), else unchanged.  Then built as
 * aa_agent_parse_at() builds, updated_at now.  Returns AA_OK, AA_INVALID
 * (the patch is invalid: errors holds the 422 list), AA_NOMEM, or
 * AA_BAD_STATE (the stored state is not one this code wrote).
 */
int aa_agent_update(aa_agent_t *a, const char *state, size_t len,
    const char *patch, size_t patch_len, const char *id,
    int64_t created_us, int64_t updated_us);

/*
 * The AgentState served: state (the stored object) with last_run_completion
 * (a run time, or NULL), last_run_duration_ms (the hash's digits, or NULL;
 * anything but digits is null) and last_stop_reason (or NULL) appended.
 * 0, or -1 when out of memory.
 */
int aa_agent_render(aa_buf_t *out, const char *state, size_t len,
    const char *completion, size_t completion_len, const char *duration,
    size_t duration_len, const char *stop, size_t stop_len);

#endif
