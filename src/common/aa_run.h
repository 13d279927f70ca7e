/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The Run object (spec section 3) rendered from the run's Redis hash.
 * Every key is present; a field absent from the hash renders as null.
 * docs/redis-keys.md lists the hash fields and their encodings.
 */

#ifndef AA_RUN_H
#define AA_RUN_H

#include <stddef.h>

#include "aa_buf.h"

typedef struct {
    const char  *name;
    size_t       name_len;
    const char  *value;
    size_t       value_len;
} aa_field_t;

/* The Run's keys, in order: the hash fields aa_run_render() reads. */
#define AA_RUN_NKEYS  17

const char *aa_run_key(size_t i);

/* Looks a field up by name; NULL when absent. */
const aa_field_t *aa_field_find(const aa_field_t *fields, size_t n,
    const char *name);

/* Appends the Run JSON object.  0, or -1 when out of memory. */
int aa_run_render(aa_buf_t *out, const aa_field_t *fields, size_t n);

/* 1 when s is an integer that fits int64, as clients parse them. */
int aa_run_integer_ok(const char *s, size_t len);

/* 1 for completed, failed, cancelled. */
int aa_run_status_terminal(const char *status, size_t len);

#endif
