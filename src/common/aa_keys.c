/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdarg.h>
#include <string.h>

#include "aa_keys.h"
#include "aa_slot.h"


/*
 * The parts, up to a NULL, one after the other, and a NUL: the length, or
 * -1 when they do not fit in size (out is then "" if size allows).  Keys
 * are made on every request: no printf.
 */
static int
aa_key_join(char *out, size_t size, ...)
{
    size_t       len, n;
    va_list      ap;
    const char  *part;

    len = 0;
    va_start(ap, size);

    while ((part = va_arg(ap, const char *)) != NULL) {
        n = strlen(part);

        if (n >= size - len) {
            va_end(ap);
            if (size > 0) {
                out[0] = '\0';
            }
            return -1;
        }

        memcpy(out + len, part, n);
        len += n;
    }

    va_end(ap);

    if (size == 0) {
        return -1;
    }

    out[len] = '\0';

    return (int) len;
}


int
aa_key_agent(char *out, size_t size, const char *p, const char *agent)
{
    return aa_key_join(out, size, p, "{", agent, "}:agent", NULL);
}


int
aa_key_queue(char *out, size_t size, const char *p, const char *agent)
{
    return aa_key_join(out, size, p, "{", agent, "}:queue", NULL);
}


int
aa_key_agent_runs(char *out, size_t size, const char *p, const char *agent)
{
    return aa_key_join(out, size, p, "{", agent, "}:runs", NULL);
}


/* A run's keys are in its agent's slot, found from its id (aa_slot.h). */
static int
aa_key_run_part(char *out, size_t size, const char *p, const char *run,
    const char *part)
{
    int          slot;
    const char  *tag;

    slot = aa_run_slot(run, strlen(run));
    tag = slot < 0 ? NULL : aa_slot_tag((unsigned) slot);

    if (tag == NULL) {
        if (size > 0) {
            out[0] = '\0';
        }
        return -1;
    }

    return aa_key_join(out, size, p, "{", tag, "}:run:", run, part, NULL);
}


int
aa_key_run(char *out, size_t size, const char *p, const char *run)
{
    return aa_key_run_part(out, size, p, run, "");
}


int
aa_key_run_messages(char *out, size_t size, const char *p, const char *run)
{
    return aa_key_run_part(out, size, p, run, ":messages");
}


int
aa_key_run_steps(char *out, size_t size, const char *p, const char *run)
{
    return aa_key_run_part(out, size, p, run, ":steps");
}


int
aa_key_history(char *out, size_t size, const char *p, const char *agent)
{
    return aa_key_join(out, size, p, "{", agent, "}:history", NULL);
}


int
aa_key_tenant_agents(char *out, size_t size, const char *p,
    const char *tenant)
{
    return aa_key_join(out, size, p, "tenant:", tenant, ":agents", NULL);
}


int
aa_key_tenant_agent_names(char *out, size_t size, const char *p,
    const char *tenant)
{
    return aa_key_join(out, size, p, "tenant:", tenant, ":agent_names", NULL);
}


int
aa_key_tenants(char *out, size_t size, const char *p)
{
    return aa_key_join(out, size, p, "tenants", NULL);
}


int
aa_key_tenant_runs(char *out, size_t size, const char *p, const char *tenant)
{
    return aa_key_join(out, size, p, "tenant:", tenant, ":runs", NULL);
}


int
aa_key_tenant_active(char *out, size_t size, const char *p,
    const char *tenant)
{
    return aa_key_join(out, size, p, "tenant:", tenant, ":active", NULL);
}


int
aa_key_idempotency(char *out, size_t size, const char *p, const char *tenant,
    const char *sha1)
{
    return aa_key_join(out, size, p, "idem:", tenant, ":", sha1, NULL);
}


int
aa_key_otids(char *out, size_t size, const char *p, const char *agent,
    const char *sha1)
{
    return aa_key_join(out, size, p, "{", agent, "}:otids:", sha1, NULL);
}


int
aa_key_deleting(char *out, size_t size, const char *p)
{
    return aa_key_join(out, size, p, "deleting", NULL);
}


int
aa_key_ready(char *out, size_t size, const char *p)
{
    return aa_key_join(out, size, p, "ready", NULL);
}


int
aa_key_processing(char *out, size_t size, const char *p, const char *worker)
{
    return aa_key_join(out, size, p, "processing:", worker, NULL);
}


int
aa_key_workers(char *out, size_t size, const char *p)
{
    return aa_key_join(out, size, p, "workers", NULL);
}


int
aa_key_sweep(char *out, size_t size, const char *p)
{
    return aa_key_join(out, size, p, "sweep", NULL);
}


int
aa_key_worker(char *out, size_t size, const char *p, const char *worker)
{
    return aa_key_join(out, size, p, "worker:", worker, NULL);
}


/* Pmetrics:W: the counters of worker W, expiring with its heartbeat */
int
aa_key_worker_metrics(char *out, size_t size, const char *p,
    const char *worker)
{
    return aa_key_join(out, size, p, "metrics:", worker, NULL);
}


int
aa_key_dead(char *out, size_t size, const char *p)
{
    return aa_key_join(out, size, p, "dead", NULL);
}


int
aa_key_callbacks(char *out, size_t size, const char *p)
{
    return aa_key_join(out, size, p, "callbacks", NULL);
}
