/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Validation of CreateAgent (POST /v1/agents/) and the AgentState we serve.
 * Honoured fields: name, description, system, model, llm_config (model,
 * model_endpoint_type, model_endpoint, context_window, temperature,
 * max_tokens), metadata, tags.  Others are accepted and ignored.
 */

#ifndef AA_AGENT_H
#define AA_AGENT_H

#include <stdint.h>

#include "aa_buf.h"
#include "aa_errors.h"
#include "aa_validate.h"

typedef struct {
    aa_buf_t     state;         /* AgentState JSON served by GET */
    aa_buf_t     system;        /* system prompt, raw text ("" if none) */
    aa_buf_t     llm;           /* {"model":..,"model_endpoint":..,...} */
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

#endif
