/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The worker's Lua scripts.  Each keeps one step of the key contract
 * (docs/redis-keys.md) atomic; together they keep its invariant: an agent
 * id is in exactly one of Pready or some Pprocessing:W iff its queue is
 * non-empty.  Keys the worker cannot know in advance (the run at the head
 * of a queue, the lists of other workers) are built inside the scripts
 * from the prefix, with the same layout as src/common/aa_keys.c.
 *
 * CLAIM      take the head run of an agent the worker holds
 *   KEYS: queue, processing:W, agent, dead
 *   ARGV: prefix, agent id, W, max attempts, now (run time)
 *   Returns {what, skipped, ...}; what is
 *     "claimed"  then run id, attempts, lease, request, cancel_requested,
 *                created_us, agent exists (0/1), callback_url
 *     "empty"    the queue is empty; the agent left processing:W
 *     "more"     100 runs were skipped; call again
 *   skipped is a flat list of (run id, why) for the runs popped without
 *   being executed: "completed"/"failed"/"cancelled" (already terminal),
 *   "dead" (attempts exhausted: failed, pushed to Pdead), "missing" (no
 *   run hash).
 *
 * FINISH     the terminal write, guarded by lease and status
 *   KEYS: run, queue, run messages, history, processing:W, ready
 *   ARGV: agent id, run id, lease, status, stop_reason, completed_at,
 *         error ("" for none), ttft_ns ("" for none), total_duration_ns,
 *         usage, n, n messages..., history entries...
 *   Returns {"ok", metadata}, {"already", status} when this lease finished
 *   the run before (a retried call), {"lost", status} when another claim
 *   owns the run: nothing written.
 *
 * REAP       hand the agents of dead workers back to Pready
 *   KEYS: workers, ready
 *   ARGV: prefix, W to retire ("" = every worker without heartbeat)
 *   Returns a flat list of (worker, agent, head run or "").
 *
 * HANDBACK   give an agent held by W back to Pready (drain, recovery)
 *   KEYS: processing:W, ready, queue
 *   ARGV: agent id, W ("" = no claim to undo), prefix
 *   If the head run is "running" under a lease of W, the lease is removed
 *   and the attempt refunded.  Returns {head run or "", refunded 0/1}.
 *
 * HEARTBEAT
 *   KEYS: worker:W, workers
 *   ARGV: now, ttl ms, W
 *   Returns 1 if the heartbeat was still alive, 0 if it had expired.
 *
 * CANCEL     src/common/aa_script_cancel.h
 */

#ifndef AW_SCRIPTS_H
#define AW_SCRIPTS_H

typedef enum {
    AW_SCRIPT_CLAIM = 0,
    AW_SCRIPT_FINISH,
    AW_SCRIPT_REAP,
    AW_SCRIPT_HANDBACK,
    AW_SCRIPT_HEARTBEAT,
    AW_SCRIPT_CANCEL,
    AW_SCRIPT_N
} aw_script_e;

extern const char *const  aw_scripts[AW_SCRIPT_N];
extern const char *const  aw_script_names[AW_SCRIPT_N];

#endif
