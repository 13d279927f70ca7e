/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_fiber.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define AW_ASAN  1
#endif


static __thread aw_fiber_t  *aw_fiber_running;


/* makecontext passes ints: the pointer goes in two halves */
static void
aw_fiber_entry(unsigned hi, unsigned lo)
{
    aw_fiber_t  *f;

    f = (aw_fiber_t *) (((uintptr_t) hi << 32) | (uintptr_t) lo);

#ifdef AW_ASAN
    __sanitizer_finish_switch_fiber(NULL, &f->caller_bottom,
                                    &f->caller_size);
#endif

    f->fn(f->arg);
    f->done = 1;

#ifdef AW_ASAN
    /* NULL: this stack is left for good */
    __sanitizer_start_switch_fiber(NULL, f->caller_bottom, f->caller_size);
#endif

    /* uc_link takes us back to the resume() */
}


int
aw_fiber_init(aw_fiber_t *f, aw_fiber_pt fn, void *arg)
{
    uintptr_t  p;

    memset(f, 0, sizeof(aw_fiber_t));

    /* malloc()ed, so that LeakSanitizer scans what the fiber holds */
    f->stack = malloc(AW_FIBER_STACK);
    if (f->stack == NULL) {
        return -1;
    }

    f->size = AW_FIBER_STACK;
    f->fn = fn;
    f->arg = arg;

    if (getcontext(&f->ctx) != 0) {
        free(f->stack);
        f->stack = NULL;
        return -1;
    }

    f->ctx.uc_stack.ss_sp = f->stack;
    f->ctx.uc_stack.ss_size = f->size;
    f->ctx.uc_link = &f->caller;

    p = (uintptr_t) f;
    makecontext(&f->ctx, (void (*)(void)) aw_fiber_entry, 2,
                (unsigned) (p >> 32), (unsigned) (p & 0xffffffffu));

    return 0;
}


void
aw_fiber_free(aw_fiber_t *f)
{
    free(f->stack);
    f->stack = NULL;
}


void
aw_fiber_resume(aw_fiber_t *f)
{
    aw_fiber_t  *prev;
    void        *save;

    prev = aw_fiber_running;
    aw_fiber_running = f;
    save = NULL;

#ifdef AW_ASAN
    /* save: this (the caller's) stack's fake frames, while away */
    __sanitizer_start_switch_fiber(&save, f->stack, f->size);
#endif

    swapcontext(&f->caller, &f->ctx);

#ifdef AW_ASAN
    __sanitizer_finish_switch_fiber(save, NULL, NULL);
#endif

    (void) save;

    aw_fiber_running = prev;
}


void
aw_fiber_yield(void)
{
    aw_fiber_t  *f;

    f = aw_fiber_running;

#ifdef AW_ASAN
    __sanitizer_start_switch_fiber(&f->fake_stack, f->caller_bottom,
                                   f->caller_size);
#endif

    swapcontext(&f->ctx, &f->caller);

#ifdef AW_ASAN
    __sanitizer_finish_switch_fiber(f->fake_stack, &f->caller_bottom,
                                    &f->caller_size);
#endif
}


aw_fiber_t *
aw_fiber_current(void)
{
    return aw_fiber_running;
}
