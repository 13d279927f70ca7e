/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The body of a run's callback POST (spec section 4.2):
 *
 *   {"run_id":R,"status":S,"completed_at":T,
 *    "metadata":{...the run's stored metadata...,
 *                "result":{"messages":[...],"stop_reason":{...},
 *                          "usage":{...},"logprobs":null,"turns":null}}}
 *
 * with the messages filtered by the run's
 * request_config.include_return_message_types.
 */

#ifndef AW_CALLBACK_PAYLOAD_H
#define AW_CALLBACK_PAYLOAD_H

#include <stddef.h>

#include "aa_buf.h"
#include "aa_run.h"

/*
 * f: the run hash (status, stop_reason, usage, metadata, request_config
 * are read); msgs: its nmsgs messages, JSON, each NUL-terminated, with
 * their lengths; now: completed_at to send.
 */
void aw_callback_payload(aa_buf_t *out, const char *run, const aa_field_t *f,
    size_t nf, const char *const *msgs, const size_t *lens, size_t nmsgs,
    const char *now);

#endif
