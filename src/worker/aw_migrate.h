/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * agent-async-worker --migrate-keys: moves the runs of the first key
 * layout (P{A}:run:R and its lists, found through Prunloc:R) to the keys
 * their ids give (P{S}:run:R, docs/redis-keys.md, "Upgrading from 0.1"),
 * prints what it did, exits.
 */

#ifndef AW_MIGRATE_H
#define AW_MIGRATE_H

/* Returns the process exit status: 0, or 1 when a run could not move. */
int aw_migrate_main(void);

#endif
