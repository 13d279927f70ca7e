/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>

#include "aa_keys.h"


static int
aa_key_done(int n, size_t size)
{
    return (n < 0 || (size_t) n >= size) ? -1 : n;
}


int
aa_key_agent(char *out, size_t size, const char *p, const char *agent)
{
    return aa_key_done(snprintf(out, size, "%s{%s}:agent", p, agent), size);
}


int
aa_key_queue(char *out, size_t size, const char *p, const char *agent)
{
    return aa_key_done(snprintf(out, size, "%s{%s}:queue", p, agent), size);
}


int
aa_key_agent_runs(char *out, size_t size, const char *p, const char *agent)
{
    return aa_key_done(snprintf(out, size, "%s{%s}:runs", p, agent), size);
}


int
aa_key_run(char *out, size_t size, const char *p, const char *agent,
    const char *run)
{
    return aa_key_done(snprintf(out, size, "%s{%s}:run:%s", p, agent, run),
                       size);
}


int
aa_key_run_messages(char *out, size_t size, const char *p,
    const char *agent, const char *run)
{
    return aa_key_done(snprintf(out, size, "%s{%s}:run:%s:messages",
                                p, agent, run), size);
}


int
aa_key_run_steps(char *out, size_t size, const char *p, const char *agent,
    const char *run)
{
    return aa_key_done(snprintf(out, size, "%s{%s}:run:%s:steps",
                                p, agent, run), size);
}


int
aa_key_history(char *out, size_t size, const char *p, const char *agent)
{
    return aa_key_done(snprintf(out, size, "%s{%s}:history", p, agent),
                       size);
}


int
aa_key_runloc(char *out, size_t size, const char *p, const char *run)
{
    return aa_key_done(snprintf(out, size, "%srunloc:%s", p, run), size);
}


int
aa_key_tenant_agents(char *out, size_t size, const char *p,
    const char *tenant)
{
    return aa_key_done(snprintf(out, size, "%stenant:%s:agents", p, tenant),
                       size);
}


int
aa_key_tenant_agent_names(char *out, size_t size, const char *p,
    const char *tenant)
{
    return aa_key_done(snprintf(out, size, "%stenant:%s:agent_names", p,
                                tenant), size);
}


int
aa_key_tenant_runs(char *out, size_t size, const char *p, const char *tenant)
{
    return aa_key_done(snprintf(out, size, "%stenant:%s:runs", p, tenant),
                       size);
}


int
aa_key_tenant_active(char *out, size_t size, const char *p,
    const char *tenant)
{
    return aa_key_done(snprintf(out, size, "%stenant:%s:active", p, tenant),
                       size);
}


int
aa_key_idempotency(char *out, size_t size, const char *p, const char *tenant,
    const char *sha1)
{
    return aa_key_done(snprintf(out, size, "%sidem:%s:%s", p, tenant, sha1),
                       size);
}


int
aa_key_otids(char *out, size_t size, const char *p, const char *agent,
    const char *sha1)
{
    return aa_key_done(snprintf(out, size, "%s{%s}:otids:%s", p, agent, sha1),
                       size);
}


int
aa_key_deleting(char *out, size_t size, const char *p)
{
    return aa_key_done(snprintf(out, size, "%sdeleting", p), size);
}


int
aa_key_ready(char *out, size_t size, const char *p)
{
    return aa_key_done(snprintf(out, size, "%sready", p), size);
}


int
aa_key_processing(char *out, size_t size, const char *p, const char *worker)
{
    return aa_key_done(snprintf(out, size, "%sprocessing:%s", p, worker),
                       size);
}


int
aa_key_workers(char *out, size_t size, const char *p)
{
    return aa_key_done(snprintf(out, size, "%sworkers", p), size);
}


int
aa_key_worker(char *out, size_t size, const char *p, const char *worker)
{
    return aa_key_done(snprintf(out, size, "%sworker:%s", p, worker), size);
}


/* Pmetrics:W: the counters of worker W, expiring with its heartbeat */
int
aa_key_worker_metrics(char *out, size_t size, const char *p,
    const char *worker)
{
    return aa_key_done(snprintf(out, size, "%smetrics:%s", p, worker), size);
}


int
aa_key_dead(char *out, size_t size, const char *p)
{
    return aa_key_done(snprintf(out, size, "%sdead", p), size);
}


int
aa_key_callbacks(char *out, size_t size, const char *p)
{
    return aa_key_done(snprintf(out, size, "%scallbacks", p), size);
}
