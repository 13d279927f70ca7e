/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * libFuzzer harness for aa_async_request_parse(): no crash, no leak, and
 * every output is well-formed JSON of the documented shape.
 */

#include <stdint.h>

#include "aa_request.h"
#include "aa_validate.h"
#include "fuzz_check.h"


static void
check_job(aa_async_request_t *req)
{
    size_t       i;
    yajl_val     job, cfg, messages, steps, m, t, otid;
    const char  *type;
    const char  *p_messages[] = { "messages", NULL };
    const char  *p_steps[] = { "max_steps", NULL };
    const char  *p_type[] = { "type", NULL };
    const char  *p_otid[] = { "otid", NULL };

    job = aa_fuzz_json(&req->job, 1);
    cfg = aa_fuzz_json(&req->request_config, 1);

    AA_FUZZ_ASSERT(YAJL_IS_OBJECT(job) && job->u.object.len == 6);
    AA_FUZZ_ASSERT(YAJL_IS_OBJECT(cfg) && cfg->u.object.len == 4);

    /* the decoded callback_url: none, or a URL that passed the check */
    AA_FUZZ_ASSERT(strlen(req->callback_url) == req->callback_url_len);
    AA_FUZZ_ASSERT(req->callback_url_len == 0
                   || aa_v_url(req->callback_url, req->callback_url_len,
                               &type)
                      == NULL);

    messages = yajl_tree_get(job, p_messages, yajl_t_array);
    AA_FUZZ_ASSERT(messages != NULL && messages->u.array.len > 0);

    steps = yajl_tree_get(job, p_steps, yajl_t_number);
    AA_FUZZ_ASSERT(YAJL_IS_INTEGER(steps));
    AA_FUZZ_ASSERT(YAJL_GET_INTEGER(steps) >= 1
                   && YAJL_GET_INTEGER(steps) <= 10000);

    for (i = 0; i < messages->u.array.len; i++) {
        m = messages->u.array.values[i];
        t = yajl_tree_get(m, p_type, yajl_t_string);
        otid = yajl_tree_get(m, p_otid, yajl_t_string);

        AA_FUZZ_ASSERT(t != NULL && otid != NULL);
        AA_FUZZ_ASSERT(strcmp(t->u.string, "message") == 0
                       || strcmp(t->u.string, "approval") == 0
                       || strcmp(t->u.string, "tool_return") == 0);

        if (i == 0) {
            AA_FUZZ_ASSERT(req->first_is_message
                           == (strcmp(t->u.string, "message") == 0));
        }
    }

    yajl_tree_free(job);
    yajl_tree_free(cfg);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 rc, rc2;
    char               *body;
    aa_async_request_t  req;

    body = malloc(size + 1);
    AA_FUZZ_ASSERT(body != NULL);
    memcpy(body, data, size);
    body[size] = '\0';

    aa_async_request_init(&req);

    rc = aa_async_request_parse(&req, body, size);

    if (rc == AA_OK) {
        AA_FUZZ_ASSERT(req.errors.count == 0);
        check_job(&req);

    } else {
        AA_FUZZ_ASSERT(rc == AA_INVALID);
        AA_FUZZ_ASSERT(req.job.len == 0 && req.callback_url_len == 0);
        AA_FUZZ_ASSERT(req.callback_url[0] == '\0' && !req.first_is_message);
        aa_fuzz_errors(&req.errors);
    }

    /* parsing again with the same req gives the same verdict */
    rc2 = aa_async_request_parse(&req, body, size);
    AA_FUZZ_ASSERT(rc2 == rc);

    aa_async_request_free(&req);
    free(body);

    return 0;
}
