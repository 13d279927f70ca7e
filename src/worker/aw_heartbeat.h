/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The heartbeat and reaper thread.  Every --heartbeat-ms it renews
 * Pworker:W (PX --lease-ttl-ms) and SADDs W to Pworkers; every
 * --reap-interval-ms (and at start) it runs the reaper, which hands the
 * agents of every worker whose heartbeat is gone back to Pready.  It has
 * its own connection, so a slot blocked in BLMOVE or busy in a backend
 * never delays a beat.
 */

#ifndef AW_HEARTBEAT_H
#define AW_HEARTBEAT_H

void *aw_heartbeat_main(void *arg);

/*
 * On exit: deletes this worker's heartbeat, hands back whatever is left
 * in its processing list and removes it from Pworkers (the reaper applied
 * to itself).  One attempt.
 */
void aw_heartbeat_retire(void);

#endif
