/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The cancellation script of the key contract (docs/redis-keys.md,
 * "Cancellation"), shared by the worker (agent-async-worker --cancel) and,
 * later, the module's cancel endpoint.
 *
 *   KEYS: run hash P{A}:run:R
 *   ARGV: now (run time, aa_time_run)
 *   Returns a status string:
 *     "not_found"         no such run
 *     "cancelled"         the run was "created": it is now terminal
 *                         (status, stop_reason "cancelled", completed_at);
 *                         it stays in its queue, the worker pops it
 *     "cancel_requested"  the run was "running": cancel_requested = 1, the
 *                         worker executing it aborts and finishes it
 *                         "cancelled"
 *     "already_completed", "already_failed", "already_cancelled"
 *                         the run was terminal already: nothing written
 */

#ifndef AA_SCRIPT_CANCEL_H
#define AA_SCRIPT_CANCEL_H

extern const char  aa_script_cancel[];

#endif
