/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * agent-async-worker --cancel RUN: runs the contract's cancel script
 * (src/lua/cancel.lua) on one run, prints its answer, exits.
 */

#ifndef AW_CANCEL_H
#define AW_CANCEL_H

/* Returns the process exit status. */
int aw_cancel_main(const char *run);

#endif
