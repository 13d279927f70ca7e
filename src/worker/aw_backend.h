/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * What executes a run.  A backend reads the job (aw_job.h: the parsed
 * request, the agent's system prompt and LLM settings), emits Letta
 * messages and history entries with the aw_job_* helpers, counts tokens,
 * and returns one of the AW_JOB_* outcomes.  While it works it must call
 * aw_job_check() often (at least every 100 ms: from a libcurl progress
 * callback, between sleeps...) and stop as soon as that returns non-zero.
 *
 * Backends are stateless; one instance serves every slot thread at once.
 */

#ifndef AW_BACKEND_H
#define AW_BACKEND_H

typedef struct aw_job_s  aw_job_t;

typedef struct {
    const char  *name;

    /* once at startup; 0 or -1 (the worker does not start) */
    int        (*init)(void);

    /* executes the job; returns an aw_job_rc_e */
    int        (*run)(aw_job_t *job);

    /* the agents live upstream: a run needs no local agent hash */
    int          upstream_agents;

    /*
     * After a run it executed ended (rc, an aw_job_rc_e), its terminal
     * state written: stops what the run left running elsewhere (best
     * effort, bounded in time).  NULL: nothing to do.
     */
    void       (*ended)(aw_job_t *job, int rc);
} aw_backend_t;

/* Calls backend->ended, if any, for a run that ended with rc. */
void aw_backend_ended(const aw_backend_t *backend, aw_job_t *job, int rc);

extern const aw_backend_t  aw_backend_echo;
extern const aw_backend_t  aw_backend_openai;
extern const aw_backend_t  aw_backend_letta;

/* The backend called name, or NULL. */
const aw_backend_t *aw_backend_find(const char *name);

#endif
