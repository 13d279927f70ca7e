/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The sweep thread.  A run that ended expires --retention-seconds later
 * (its hash, messages and steps carry a TTL); the entries that name it in
 * the indexes cannot expire with it, so every --sweep-interval-ms one
 * worker of the deployment (whoever takes Psweep) walks the indexes of
 * every tenant of Ptenants and removes the entries of runs that are gone:
 * from Ptenant:T:runs, Ptenant:T:active and P{A}:runs.
 * It also removes the entries of finished runs from Ptenant:T:active, and
 * finishes the deletions of agents left in Pdeleting (a DELETE cut short).
 * Every step is one single-key command that can be repeated, so a sweep
 * cut short is finished by the next (docs/redis-keys.md, "Retention").
 */

#ifndef AW_SWEEP_H
#define AW_SWEEP_H

#include "aw_redis.h"

void *aw_sweep_main(void *arg);

/*
 * One pass over the indexes, as the thread makes it (without the lock):
 * returns the number of entries removed, or -1 when Redis failed.
 */
long aw_sweep_pass(aw_redis_t *r);

#endif
