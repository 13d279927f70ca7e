/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Redis key names: the contract between the module and the worker,
 * described in full in docs/redis-keys.md.  P is the configured prefix
 * (default "aa:"), A an agent id, R a run id, W a worker id.  All keys of
 * one agent share the Redis Cluster hash tag {A}; the keys of its runs
 * are in the same slot, with the tag {S} of that slot, which the run id
 * carries (aa_slot.h): a run is found from its id alone.
 *
 *   P{A}:agent              hash    the agent
 *   P{A}:queue              list    runs of A not yet finished, oldest first
 *   P{A}:runs               zset    runs of A by creation time (us)
 *   P{S}:run:R              hash    the run
 *   P{S}:run:R:messages     list    Letta messages of the run (JSON)
 *   P{S}:run:R:steps        list    its steps (JSON)
 *   P{A}:history            list    the agent's conversation (JSON)
 *   Ptenants                set     tenants that have had agents
 *   Ptenant:T:agents        zset    agents of tenant T
 *   Ptenant:T:agent_names   zset    agents of tenant T by name (lex order)
 *   Ptenant:T:runs          zset    runs of tenant T, as "A/R"
 *   Ptenant:T:active        zset    runs of tenant T not finished ("A/R")
 *   Pdeleting               hash    agents being deleted: A -> tenant
 *   Pidem:T:H               string  "R F": the run of Idempotency-Key with
 *                                   SHA-1 H, F the request's fingerprint
 *   P{A}:otids:H            string  "R F": the run of the otids with SHA-1 H
 *   Pready                  list    agents with work and no owner
 *   Pprocessing:W           list    agents held by worker W
 *   Pworkers                set     worker ids
 *   Pworker:W               string  worker heartbeat, with a TTL
 *   Pdead                   list    run ids given up after max attempts
 *   Pcallbacks              zset    callback deliveries "A/R" by due time
 *   Psweep                  string  the worker sweeping indexes, with a TTL
 */

#ifndef AA_KEYS_H
#define AA_KEYS_H

#include <stddef.h>

#define AA_PREFIX_DEFAULT  "aa:"
#define AA_KEY_MAX         256

/* Each writes a NUL-terminated key and returns its length, or -1. */
int aa_key_agent(char *out, size_t size, const char *p, const char *agent);
int aa_key_queue(char *out, size_t size, const char *p, const char *agent);
int aa_key_agent_runs(char *out, size_t size, const char *p,
    const char *agent);
/* -1 also when run does not carry a slot (aa_slot.h) */
int aa_key_run(char *out, size_t size, const char *p, const char *run);
int aa_key_run_messages(char *out, size_t size, const char *p,
    const char *run);
int aa_key_run_steps(char *out, size_t size, const char *p, const char *run);
int aa_key_history(char *out, size_t size, const char *p, const char *agent);
int aa_key_tenant_agents(char *out, size_t size, const char *p,
    const char *tenant);
int aa_key_tenant_agent_names(char *out, size_t size, const char *p,
    const char *tenant);
int aa_key_tenants(char *out, size_t size, const char *p);
int aa_key_tenant_runs(char *out, size_t size, const char *p,
    const char *tenant);
int aa_key_tenant_active(char *out, size_t size, const char *p,
    const char *tenant);
int aa_key_idempotency(char *out, size_t size, const char *p,
    const char *tenant, const char *sha1);
int aa_key_otids(char *out, size_t size, const char *p, const char *agent,
    const char *sha1);
int aa_key_deleting(char *out, size_t size, const char *p);
int aa_key_ready(char *out, size_t size, const char *p);
int aa_key_processing(char *out, size_t size, const char *p,
    const char *worker);
int aa_key_workers(char *out, size_t size, const char *p);
int aa_key_sweep(char *out, size_t size, const char *p);
int aa_key_worker(char *out, size_t size, const char *p, const char *worker);
int aa_key_worker_metrics(char *out, size_t size, const char *p,
    const char *worker);
int aa_key_dead(char *out, size_t size, const char *p);
int aa_key_callbacks(char *out, size_t size, const char *p);

#endif
