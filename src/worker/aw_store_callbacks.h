/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The worker's side of the callback deliveries of the key contract
 * (docs/callbacks.md): Pcallbacks holds one member "A/R" per run whose
 * callback is owed, scored by when its next attempt is due (Redis's
 * clock).  An attempt is started by one worker at a time and leased: if
 * that worker dies, the delivery falls due again and another one takes it.
 */

#ifndef AW_STORE_CALLBACKS_H
#define AW_STORE_CALLBACKS_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "aa_id.h"
#include "aa_run.h"
#include "aw_redis.h"
#include "aw_store.h"

#define AW_MEMBER_MAX      (2 * AA_ID_MAX)      /* "A/R" */
#define AW_CALLBACK_MSGS   100                  /* messages in a payload */

/* One attempt, as callback_start hands it over. */
typedef struct {
    char         agent[AA_ID_MAX];
    char         run[AA_ID_MAX];
    char         member[AW_MEMBER_MAX];
    char         lease[AW_LEASE_MAX];
    long         n;                 /* the attempt, from 1 */

    /* pointing into reply, valid until aw_store_attempt_free() */
    redisReply  *reply;
    const char  *url;
    size_t       url_len;
    const char  *completed_at;
    aa_field_t   fields[5];         /* status, stop_reason, usage, metadata,
                                       request_config */
    size_t       nfields;
    redisReply  *messages;          /* JSON strings */
} aw_attempt_t;

/* The members due now, at most limit: an array reply, or NULL. */
redisReply *aw_store_callbacks_due(aw_redis_t *r, int limit);

typedef enum {
    AW_ATTEMPT_ERROR = -1,          /* no usable reply */
    AW_ATTEMPT_STARTED = 0,
    AW_ATTEMPT_TAKEN,               /* not due: another worker has it */
    AW_ATTEMPT_GONE                 /* nothing to send: dropped */
} aw_attempt_rc_e;

/*
 * Starts an attempt of the delivery member, leased for lease_ms.  On
 * AW_ATTEMPT_STARTED, release a with aw_store_attempt_free().
 */
int aw_store_attempt_start(aw_redis_t *r, const char *member, int lease_ms,
    aw_attempt_t *a);

void aw_store_attempt_free(aw_attempt_t *a);

typedef enum {
    AW_OUTCOME_CODE = 0,            /* value: the HTTP status */
    AW_OUTCOME_ERROR,               /* value: why no answer came */
    AW_OUTCOME_RELEASE              /* stopped: due again at once */
} aw_outcome_e;

/*
 * Records the attempt's outcome; next_ms is when the next attempt is due
 * (-1: none).  0 ("retry", "done", "released"), 1 when the lease was lost
 * (another attempt began: nothing written), -1 on a Redis failure.
 */
int aw_store_attempt_done(aw_redis_t *r, const aw_attempt_t *a,
    aw_outcome_e outcome, const char *value, long long next_ms);

#endif
