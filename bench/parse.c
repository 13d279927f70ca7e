/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Times the parse and validation of a POST .../messages/async body
 * (aa_async_request_parse()) on three bodies of the same size, and the
 * stages inside it, median of N rounds.  Run by scripts/bench-parse.
 *
 *   bench-parse [-r rounds] [-s bytes]
 *
 * The bodies (1 MiB by default, padded with spaces to the exact size):
 *
 *   numbers   {"input":"x","metadata":{"a":[0,1,2,...]}}: half a million
 *             single-digit numbers, in a field validation ignores
 *   messages  {"messages":[{"role":"user","content":"m0"},...]}: each
 *             message validated and re-encoded into the job, with an otid
 *   string    {"input":"aaa..."}: one long string
 *
 * Times are the CPU time of the thread (CLOCK_THREAD_CPUTIME_ID: user and
 * system, page faults included, waiting for a core not), which is what
 * the work costs on a shared machine; "wall" is the whole request by the
 * clock, what a client waits for when the core is its own.
 *
 * The stages, each timed on its own: "prescan" is aa_json_prescan() (the
 * flat pass over the text), "tree" aa_json_doc_parse() (the prescan, yajl
 * building the tree, the duplicate-key check), "request" the whole of
 * aa_async_request_parse() (the tree, validation, the job), "job"
 * aa_job_build() alone, on a tree parsed beforehand.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aa_json.h"
#include "aa_json_doc.h"
#include "aa_request.h"
#include "aa_request_job.h"
#include "aa_time.h"


#define BP_STAGES  4
#define BP_COLUMNS (BP_STAGES + 1)      /* the stages, and the wall time */

typedef struct {
    const char  *name;
    char        *body;
    size_t       len;
} bp_body_t;


static const char  *bp_stage_names[BP_STAGES] = {
    "prescan", "tree", "request", "job"
};


static int64_t
bp_cpu_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);

    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


/* appends s to b at *n if it fits below max; 0 or -1 */
static int
bp_put(char *b, size_t *n, size_t max, const char *s, size_t len)
{
    if (*n + len > max) {
        return -1;
    }

    memcpy(b + *n, s, len);
    *n += len;

    return 0;
}


static char *
bp_make(const char *kind, size_t size, size_t *items)
{
    int          k;
    char        *b, item[64];
    size_t       n, len, head, tail, i;
    const char  *open, *close;

    b = malloc(size + 1);
    if (b == NULL) {
        return NULL;
    }

    if (strcmp(kind, "numbers") == 0) {
        open = "{\"input\":\"x\",\"metadata\":{\"a\":[";
        close = "]}}";
        k = 0;

    } else if (strcmp(kind, "messages") == 0) {
        open = "{\"messages\":[";
        close = "]}";
        k = 1;

    } else {
        open = "{\"input\":\"";
        close = "\"}";
        k = 2;
    }

    head = strlen(open);
    tail = strlen(close);

    if (size < head + tail + 64) {
        free(b);
        return NULL;
    }

    n = 0;
    (void) bp_put(b, &n, size, open, head);

    if (k == 2) {
        memset(b + n, 'a', size - tail - n);
        n = size - tail;
        *items = 1;

    } else {
        for (i = 0; /* void */ ; i++) {
            if (k == 0) {
                len = (size_t) snprintf(item, sizeof(item), "%s%d",
                                        i ? "," : "", (int) (i % 10));
            } else {
                len = (size_t) snprintf(item, sizeof(item),
                                        "%s{\"role\":\"user\","
                                        "\"content\":\"m%zu\"}",
                                        i ? "," : "", i);
            }

            if (bp_put(b, &n, size - tail, item, len) != 0) {
                break;
            }
        }

        *items = i;

        /* padding: whitespace between tokens */
        memset(b + n, ' ', size - tail - n);
        n = size - tail;
    }

    (void) bp_put(b, &n, size, close, tail);
    b[n] = '\0';

    return b;
}


static int
bp_cmp(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return x < y ? -1 : x > y;
}


/*
 * One round of stage s on body: the CPU time in ns, or -1 on failure; the
 * wall time in *wall.
 */
static int64_t
bp_round(int s, const bp_body_t *bd, size_t *out_len, int64_t *wall)
{
    int                 rc;
    char                err[128];
    int64_t             t0, t, w0;
    yajl_val            root, v;
    aa_buf_t            job, config;
    aa_json_doc_t      *doc;
    aa_job_fields_t     f;
    aa_async_request_t  req;

    switch (s) {

    case 0:
        t0 = bp_cpu_ns();
        rc = aa_json_prescan(bd->body, bd->len, AA_REQUEST_MAX_DEPTH, err,
                             sizeof(err));
        t = bp_cpu_ns() - t0;
        return rc == 0 ? t : -1;

    case 1:
        t0 = bp_cpu_ns();
        doc = aa_json_doc_parse(bd->body, bd->len, AA_REQUEST_MAX_DEPTH,
                                err, sizeof(err));
        t = bp_cpu_ns() - t0;
        aa_json_doc_free(doc);
        return doc != NULL ? t : -1;

    case 2:
        aa_async_request_init(&req);
        w0 = aa_mono_ns();
        t0 = bp_cpu_ns();
        rc = aa_async_request_parse(&req, bd->body, bd->len);
        t = bp_cpu_ns() - t0;
        *wall = aa_mono_ns() - w0;
        *out_len = req.job.len;
        aa_async_request_free(&req);
        return rc == AA_OK ? t : -1;

    default:
        doc = aa_json_doc_parse(bd->body, bd->len, AA_REQUEST_MAX_DEPTH,
                                err, sizeof(err));
        if (doc == NULL) {
            return -1;
        }

        /* the fields aa_async_request_parse() gives the builder */
        root = aa_json_doc_root(doc);
        memset(&f, 0, sizeof(f));
        f.messages = aa_json_get(root, "messages");
        f.input = aa_json_get(root, "input");
        f.max_steps = 50;
        f.use_assistant_message = 1;
        v = aa_json_get(root, "include_return_message_types");
        f.include_types = YAJL_IS_ARRAY(v) ? v : NULL;

        aa_buf_init(&job);
        aa_buf_init(&config);
        t0 = bp_cpu_ns();
        rc = aa_job_build(&job, &config, &f);
        t = bp_cpu_ns() - t0;
        aa_buf_free(&job);
        aa_buf_free(&config);
        aa_json_doc_free(doc);
        return rc == AA_OK ? t : -1;
    }
}


int
main(int argc, char **argv)
{
    int         o, rounds, b, s, r;
    size_t      size, job_len, items;
    int64_t    *t, *w, med[BP_COLUMNS], min[BP_COLUMNS];
    bp_body_t   bodies[3];

    rounds = 11;
    size = 1024 * 1024;

    while ((o = getopt(argc, argv, "r:s:")) != -1) {
        switch (o) {
        case 'r':
            rounds = atoi(optarg);
            break;
        case 's':
            size = (size_t) strtoul(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "usage: %s [-r rounds] [-s bytes]\n", argv[0]);
            return 2;
        }
    }

    if (rounds < 1 || size < 256) {
        fprintf(stderr, "%s: rounds >= 1, bytes >= 256\n", argv[0]);
        return 2;
    }

    bodies[0].name = "numbers";
    bodies[1].name = "messages";
    bodies[2].name = "string";

    t = malloc(rounds * sizeof(int64_t));
    w = malloc(rounds * sizeof(int64_t));
    if (t == NULL || w == NULL) {
        return 1;
    }

    printf("bench-parse: bodies of %zu bytes, median of %d rounds "
           "(min in brackets), ms of CPU (wall: of the clock)\n\n",
           size, rounds);
    printf("| body | items | prescan | tree | request | job "
           "| request, wall | job bytes |\n");
    printf("|---|---|---|---|---|---|---|---|\n");

    for (b = 0; b < 3; b++) {
        bodies[b].body = bp_make(bodies[b].name, size, &items);
        if (bodies[b].body == NULL) {
            fprintf(stderr, "bench-parse: no memory\n");
            return 1;
        }
        bodies[b].len = strlen(bodies[b].body);
        job_len = 0;

        for (s = 0; s < BP_STAGES; s++) {
            /* a round to warm up: the allocator's first pages */
            if (bp_round(s, &bodies[b], &job_len, &w[0]) < 0) {
                fprintf(stderr, "bench-parse: %s: %s failed\n",
                        bodies[b].name, bp_stage_names[s]);
                return 1;
            }

            for (r = 0; r < rounds; r++) {
                w[r] = 0;
                t[r] = bp_round(s, &bodies[b], &job_len, &w[r]);
                if (t[r] < 0) {
                    return 1;
                }
            }

            qsort(t, rounds, sizeof(int64_t), bp_cmp);
            med[s] = t[rounds / 2];
            min[s] = t[0];

            if (s == 2) {
                qsort(w, rounds, sizeof(int64_t), bp_cmp);
                med[BP_STAGES] = w[rounds / 2];
                min[BP_STAGES] = w[0];
            }
        }

        printf("| %s | %zu |", bodies[b].name, items);

        for (s = 0; s < BP_COLUMNS; s++) {
            printf(" %.2f (%.2f) |", med[s] / 1e6, min[s] / 1e6);
        }

        printf(" %zu |\n", job_len);

        free(bodies[b].body);
    }

    free(t);
    free(w);

    return 0;
}
