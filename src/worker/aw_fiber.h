/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Fibers: a run's code on a stack of its own, switched to and from on
 * one thread (ucontext), so that a thousand runs waiting on their model
 * calls need no thread each.  A fiber runs until it yields or ends;
 * nothing preempts it.  The switches are announced to AddressSanitizer,
 * which otherwise takes a fiber's stack for garbage.
 */

#ifndef AW_FIBER_H
#define AW_FIBER_H

#include <stddef.h>
#include <ucontext.h>

typedef struct aw_fiber_s  aw_fiber_t;

typedef void (*aw_fiber_pt)(void *arg);

struct aw_fiber_s {
    ucontext_t    ctx;
    ucontext_t    caller;
    char         *stack;
    size_t        size;
    aw_fiber_pt   fn;
    void         *arg;
    int           done;
    void         *fake_stack;       /* AddressSanitizer's, while away */
    const void   *caller_bottom;
    size_t        caller_size;
};

#define AW_FIBER_STACK  (256 * 1024)

/* A fiber that will run fn(arg) when first resumed.  0 or -1. */
int aw_fiber_init(aw_fiber_t *f, aw_fiber_pt fn, void *arg);
void aw_fiber_free(aw_fiber_t *f);

/* Runs the fiber until it yields or ends (then f->done is set). */
void aw_fiber_resume(aw_fiber_t *f);

/* From inside the running fiber: back to the resume() that ran it. */
void aw_fiber_yield(void);

/* The fiber running on this thread, or NULL. */
aw_fiber_t *aw_fiber_current(void);

#endif
