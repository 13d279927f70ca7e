/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>

#include "aw_backend.h"
#include "aw_job.h"


static const aw_backend_t  *aw_backends[] = {
    &aw_backend_echo,
    &aw_backend_openai,
    &aw_backend_letta,
};


const aw_backend_t *
aw_backend_find(const char *name)
{
    size_t  i;

    for (i = 0; i < sizeof(aw_backends) / sizeof(aw_backends[0]); i++) {
        if (strcmp(aw_backends[i]->name, name) == 0) {
            return aw_backends[i];
        }
    }

    return NULL;
}


void
aw_backend_ended(const aw_backend_t *backend, aw_job_t *job, int rc)
{
    if (backend->ended != NULL) {
        backend->ended(job, rc);
    }
}
