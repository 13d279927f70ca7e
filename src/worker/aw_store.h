/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The worker's side of the key contract (docs/redis-keys.md): one typed
 * call per step, each a script of src/lua/ or a plain command, its keys
 * built here from the prefix and the worker id, its reply decoded here.
 * Callers decide what to do about failures: nothing here retries.
 */

#ifndef AW_STORE_H
#define AW_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#include "aa_id.h"
#include "aa_keys.h"
#include "aw_redis.h"
#include "aw_strv.h"

#define AW_LEASE_MAX  (AA_ID_MAX + 200)     /* "W#attempts" */

/* A claimed run, as the claim script hands it over. */
typedef struct {
    char      agent[AA_ID_MAX];
    char      run[AA_ID_MAX];
    char      run_key[AA_KEY_MAX];
    char      lease[AW_LEASE_MAX];
    long      attempts;
    char     *request;          /* the job JSON, malloc()ed; free() it */
    char     *system;           /* the agent's system prompt, malloc()ed */
    char     *llm;              /* the agent's llm JSON ("" if none), too */
    int64_t   created_us;
    int       agent_exists;
    int       cancel_requested; /* already set when claimed */
} aw_claim_t;

typedef enum {
    AW_CLAIM_ERROR = -1,        /* no usable reply: maybe claimed */
    AW_CLAIM_CLAIMED = 0,       /* claim filled: execute it */
    AW_CLAIM_EMPTY,             /* queue empty: the agent was let go */
    AW_CLAIM_MOVED,             /* the head changed meanwhile: again */
    AW_CLAIM_SKIPPED,           /* claim->run popped unexecuted: see why */
    AW_CLAIM_SKIPPED_LAST       /* the same, and the agent was let go */
} aw_claim_rc_e;

/*
 * Claims the head run of the agent's queue for this worker: LINDEX, then
 * the claim script.  On AW_CLAIM_SKIPPED(_LAST), claim->run is the run
 * popped and *why its reason ("completed", "failed", "cancelled", "dead",
 * "missing").
 * On AW_CLAIM_ERROR, claim->run is the run that may have been claimed
 * ("" if none).
 */
int aw_store_claim(aw_redis_t *r, const char *agent, aw_claim_t *claim,
    const char **why);

/*
 * Decodes the claim script's reply (run: the run id the worker saw at the
 * head) into claim; the aw_claim_rc_e.  Exposed for unit tests.
 */
int aw_store_claim_decode(redisReply *reply, const char *agent,
    const char *run, aw_claim_t *claim, const char **why);

/* The terminal write of a claimed run. */
typedef struct {
    const char  *status;        /* "completed", "failed", "cancelled" */
    const char  *stop_reason;
    const char  *error;         /* merged into metadata; "" for none */
    int64_t      ttft_ns;       /* -1 for none */
    int64_t      total_ns;
    const char  *usage;         /* LettaUsageStatistics JSON */
    aw_strv_t   *messages;      /* NULL for none */
    aw_strv_t   *steps;         /* NULL for none */
    aw_strv_t   *history;       /* NULL for none */
} aw_finish_t;

typedef enum {
    AW_FINISH_DROPPED = -2,     /* the connection was lost */
    AW_FINISH_ERROR = -1,       /* an error reply (logged) */
    AW_FINISH_OK = 0,
    AW_FINISH_ALREADY,          /* this lease finished it before */
    AW_FINISH_LOST,             /* another claim owns the run: dropped */
    AW_FINISH_GONE              /* deleted while it ran: left the queue */
} aw_finish_rc_e;

/* The finish script; an aw_finish_rc_e. */
int aw_store_finish(aw_redis_t *r, const aw_claim_t *claim,
    const aw_finish_t *fin);

/* What a hand-back does to this worker's claim on the head run. */
typedef enum {
    AW_UNDO_NONE = 0,           /* no claim: just give the agent back */
    AW_UNDO_REFUND,             /* undo it and refund the attempt */
    AW_UNDO_COUNT               /* undo it; the attempt counts */
} aw_undo_e;

/*
 * Gives the agent back to Pready, undoing this worker's claim on run
 * first (not with AW_UNDO_NONE, nor with run "").  0 with *refunded set
 * and the queue's head (or "") in head; -1 on a lost connection (retry),
 * -2 on an unusable reply (logged; do not retry).
 */
int aw_store_handback(aw_redis_t *r, const char *agent, const char *run,
    aw_undo_e undo, char *head, size_t size, int *refunded);

/*
 * Takes an agent from Pready into this worker's processing list (BLMOVE,
 * blocking up to --block-ms).  1 with its id in agent; 0 when none came
 * (or a value that is no agent id came, and was dropped); -1 on a lost
 * connection; -2 on an error reply (logged).
 */
int aw_store_take(aw_redis_t *r, char *agent, size_t size);

/*
 * 1 when the run's cancel_requested is set, or the run is gone (deleted);
 * 0 when not, or unknown (a Redis error is no reason to stop a run).
 */
int aw_store_cancel_requested(aw_redis_t *r, const char *run_key);

/* The heartbeat: 1 when it was alive, 0 when it had expired, -1. */
int aw_store_heartbeat(aw_redis_t *r);

/*
 * The reaper: each agent held by a worker of Pworkers whose heartbeat is
 * gone goes back to Pready, then that worker leaves Pworkers; each agent
 * is logged.  With self, only this worker, whose heartbeat is deleted
 * first: it is leaving.
 */
void aw_store_reap(aw_redis_t *r, int self);

/*
 * The cancel script on a run found through Prunloc.  0 with its answer
 * ("cancelled", "not_found", ...) in out; -1 with the reason in out.
 */
int aw_store_cancel(aw_redis_t *r, const char *run, char *out, size_t size);

#endif
