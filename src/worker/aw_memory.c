/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aa_errors.h"
#include "aa_json.h"
#include "aw_memory.h"


static const char *const  aw_memory_tools[] = {
    "core_memory_append", "core_memory_replace", "memory_replace",
    "memory_insert", "memory_rethink", NULL
};


int
aw_memory_parse(aw_memory_t *m, const char *state, char *err, size_t size)
{
    yajl_val  mem, blocks;

    m->state = NULL;
    m->blocks = NULL;

    if (state == NULL || state[0] == '\0') {
        return 0;
    }

    m->state = aa_json_parse(state, strlen(state), err, size);

    if (m->state == NULL || !YAJL_IS_OBJECT(m->state)) {
        if (m->state != NULL) {
            snprintf(err, size, "not a JSON object");
        }
        aw_memory_free(m);
        return -1;
    }

    mem = aa_json_get(m->state, "memory");
    blocks = aa_json_get(mem, "blocks");

    if (blocks != NULL && YAJL_IS_ARRAY(blocks)) {
        m->blocks = blocks;
    }

    return 0;
}


void
aw_memory_free(aw_memory_t *m)
{
    if (m->state != NULL) {
        yajl_tree_free(m->state);
    }

    m->state = NULL;
    m->blocks = NULL;
}


const char *
aw_memory_agent_type(const aw_memory_t *m)
{
    yajl_val  t;

    t = aa_json_get(m->state, "agent_type");

    if (t != NULL && YAJL_IS_STRING(t) && t->u.string[0] != '\0') {
        return t->u.string;
    }

    return "letta_v1_agent";
}


/* characters, as Python's len() counts them (a stray byte counts one) */
static size_t
aw_chars(const char *s, size_t n)
{
    size_t  count, k;

    for (count = 0; n > 0; count++) {
        k = aa_buf_utf8_len(s, n);
        k = k ? k : 1;
        s += k;
        n -= k;
    }

    return count;
}


static const char *
aw_block_str(yajl_val block, const char *key)
{
    yajl_val  v;

    v = aa_json_get(block, key);

    return (v != NULL && YAJL_IS_STRING(v)) ? v->u.string : NULL;
}


static long long
aw_block_limit(yajl_val block)
{
    yajl_val  v;

    v = aa_json_get(block, "limit");

    return (v != NULL && YAJL_IS_INTEGER(v)) ? YAJL_GET_INTEGER(v) : 0;
}


static int
aw_block_read_only(yajl_val block)
{
    yajl_val  v;

    v = aa_json_get(block, "read_only");

    return v != NULL && YAJL_IS_TRUE(v);
}


/* Letta's _render_memory_blocks_standard */
static void
aw_memory_blocks(aa_buf_t *b, const aw_memory_t *m)
{
    size_t       i, n;
    yajl_val     block;
    const char  *label, *value, *desc;

    n = m->blocks != NULL ? m->blocks->u.array.len : 0;

    if (n == 0) {
        return;
    }

    aa_buf_puts(b, "<memory_blocks>\nThe following memory blocks are "
                "currently engaged in your core memory unit:\n\n");

    for (i = 0; i < n; i++) {
        block = m->blocks->u.array.values[i];
        label = aw_block_str(block, "label");
        value = aw_block_str(block, "value");
        desc = aw_block_str(block, "description");

        label = label != NULL ? label : "block";
        value = value != NULL ? value : "";
        desc = desc != NULL ? desc : "";

        aa_buf_printf(b, "<%s>\n<description>\n%s\n</description>\n"
                      "<metadata>", label, desc);

        if (aw_block_read_only(block)) {
            aa_buf_puts(b, "\n- read_only=true");
        }

        aa_buf_printf(b, "\n- chars_current=%zu\n- chars_limit=%lld\n"
                      "</metadata>\n<value>\n%s\n</value>\n</%s>\n",
                      aw_chars(value, strlen(value)),
                      aw_block_limit(block), value, label);

        if (i != n - 1) {
            aa_buf_putc(b, '\n');
        }
    }

    aa_buf_puts(b, "\n</memory_blocks>");
}


int
aw_memory_compile(aa_buf_t *out, const char *system, const aw_memory_t *m,
    const char *agent_id, int64_t recall, int64_t now_us)
{
    aa_buf_t     mem;
    const char  *at;
    char         when[64];
    time_t       t;
    struct tm    tm;

    aa_buf_init(&mem);
    aw_memory_blocks(&mem, m);

    t = (time_t) (now_us / 1000000);
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %I:%M:%S %p UTC+0000", &tm);

    /* Letta's compile_memory_metadata_block */
    aa_buf_printf(&mem, "\n\n<memory_metadata>\n- AGENT_ID: %s\n"
                  "- CONVERSATION_ID: default\n"
                  "- System prompt last recompiled: %s\n"
                  "- %lld previous messages between you and the user are "
                  "stored in recall memory\n</memory_metadata>",
                  agent_id, when, (long long) recall);

    /* {CORE_MEMORY} is replaced; a prompt without it gets it appended */
    at = strstr(system, "{CORE_MEMORY}");

    if (at == NULL) {
        aa_buf_puts(out, system);
        aa_buf_puts(out, "\n\n");
        aa_buf_append(out, mem.data, mem.len);

    } else {
        do {
            aa_buf_append(out, system, (size_t) (at - system));
            aa_buf_append(out, mem.data, mem.len);
            system = at + 13;
            at = strstr(system, "{CORE_MEMORY}");
        } while (at != NULL);

        aa_buf_puts(out, system);
    }

    aa_buf_free(&mem);

    return (out->failed || mem.failed) ? -1 : 0;
}


int
aw_memory_is_tool(const char *name)
{
    size_t  i;

    for (i = 0; aw_memory_tools[i] != NULL; i++) {
        if (strcmp(aw_memory_tools[i], name) == 0) {
            return 1;
        }
    }

    return 0;
}


static const char *
aw_arg_str(yajl_val args, const char *key)
{
    return aw_block_str(args, key);
}


/* occurrences of needle (not empty) in s */
static size_t
aw_count(const char *s, const char *needle)
{
    size_t  n, len;

    n = 0;
    len = strlen(needle);

    while ((s = strstr(s, needle)) != NULL) {
        n++;
        s += len;
    }

    return n;
}


/* s with every needle (not empty) replaced by with */
static void
aw_replace_all(aa_buf_t *out, const char *s, const char *needle,
    const char *with)
{
    const char  *at;
    size_t       len;

    len = strlen(needle);

    while ((at = strstr(s, needle)) != NULL) {
        aa_buf_append(out, s, (size_t) (at - s));
        aa_buf_puts(out, with);
        s = at + len;
    }

    aa_buf_puts(out, s);
}


/* memory_insert: new after line `line` (0: first, -1: the end) */
static int
aw_insert(aa_buf_t *out, const char *value, const char *add,
    long long line, aa_buf_t *result)
{
    long long    lines, i;
    const char  *p, *nl;

    lines = 1 + (long long) aw_count(value, "\n");

    if (line == -1) {
        line = lines;
    }

    if (line < 0 || line > lines) {
        aa_buf_printf(result, "Invalid `insert_line` parameter: %lld. It "
                      "should be within the range of lines of the memory "
                      "block: [0, %lld], or -1 to append to the end of the "
                      "memory block.", line, lines);
        return 1;
    }

    p = value;

    for (i = 0; i < line; i++) {
        nl = strchr(p, '\n');
        aa_buf_append(out, p, nl != NULL ? (size_t) (nl - p) : strlen(p));
        aa_buf_putc(out, '\n');
        p = nl != NULL ? nl + 1 : p + strlen(p);
    }

    aa_buf_puts(out, add);

    if (line < lines) {
        aa_buf_putc(out, '\n');
        aa_buf_puts(out, p);
    }

    return 0;
}


static yajl_val
aw_memory_block(const aw_memory_t *m, const char *label)
{
    size_t       i;
    const char  *l;

    for (i = 0; m->blocks != NULL && i < m->blocks->u.array.len; i++) {
        l = aw_block_str(m->blocks->u.array.values[i], "label");
        if (l != NULL && strcmp(l, label) == 0) {
            return m->blocks->u.array.values[i];
        }
    }

    return NULL;
}


int
aw_memory_edit(aw_memory_t *m, const char *name, yajl_val args,
    aa_buf_t *result)
{
    const char  *label, *value, *a, *b;
    yajl_val     block, v, line;
    aa_buf_t     nv;
    long long    limit, at;
    size_t       n, chars;
    int          rc;

    label = aw_arg_str(args, "label");

    if (label == NULL) {
        aa_buf_printf(result, "%s: the argument \"label\" (a string) is "
                      "missing", name);
        return 1;
    }

    block = aw_memory_block(m, label);
    v = aa_json_get(block, "value");

    if (block == NULL || v == NULL || !YAJL_IS_STRING(v)) {
        aa_buf_printf(result, "No memory block with the label \"%s\"",
                      label);
        return 1;
    }

    if (aw_block_read_only(block)) {
        aa_buf_printf(result, "The memory block \"%s\" is read-only",
                      label);
        return 1;
    }

    value = v->u.string;
    aa_buf_init(&nv);
    rc = 0;

    if (strcmp(name, "core_memory_append") == 0) {
        a = aw_arg_str(args, "content");
        if (a == NULL) {
            goto missing;
        }
        aa_buf_puts(&nv, value);
        aa_buf_putc(&nv, '\n');
        aa_buf_puts(&nv, a);

    } else if (strcmp(name, "core_memory_replace") == 0
               || strcmp(name, "memory_replace") == 0)
    {
        if (name[0] == 'c') {
            a = aw_arg_str(args, "old_content");
            b = aw_arg_str(args, "new_content");
        } else {
            a = aw_arg_str(args, "old_string");
            b = aw_arg_str(args, "new_string");
        }

        if (a == NULL || b == NULL) {
            goto missing;
        }

        n = a[0] != '\0' ? aw_count(value, a) : 0;

        if (n == 0) {
            aa_buf_printf(result, "No replacement was performed, the old "
                          "string `%s` did not appear verbatim in memory "
                          "block with label `%s`.", a, label);
            rc = 1;
            goto done;
        }

        /* memory_replace wants it unique; core_memory_replace does all */
        if (n > 1 && name[0] == 'm') {
            aa_buf_printf(result, "No replacement was performed. Multiple "
                          "occurrences of old_string `%s` in memory block "
                          "`%s`. Please ensure it is unique.", a, label);
            rc = 1;
            goto done;
        }

        aw_replace_all(&nv, value, a, b);

    } else if (strcmp(name, "memory_insert") == 0) {
        a = aw_arg_str(args, "new_string");
        if (a == NULL) {
            goto missing;
        }

        line = aa_json_get(args, "insert_line");
        at = (line != NULL && YAJL_IS_INTEGER(line))
             ? YAJL_GET_INTEGER(line) : -1;

        rc = aw_insert(&nv, value, a, at, result);
        if (rc != 0) {
            goto done;
        }

    } else if (strcmp(name, "memory_rethink") == 0) {
        a = aw_arg_str(args, "new_memory");
        if (a == NULL) {
            goto missing;
        }
        aa_buf_puts(&nv, a);

    } else {
        aa_buf_printf(result, "%s is not a memory tool", name);
        rc = 1;
        goto done;
    }

    if (aa_buf_cstr(&nv) != 0) {
        rc = -1;
        goto done;
    }

    limit = aw_block_limit(block);
    chars = aw_chars(nv.data, nv.len);

    if (limit > 0 && (long long) chars > limit) {
        aa_buf_printf(result, "Edit failed: Exceeds %lld character limit "
                      "(requested %zu)", limit, chars);
        rc = 1;
        goto done;
    }

    /* the tree owns the new string; yajl frees its strings with free() */
    free(v->u.string);
    v->u.string = nv.data;
    nv.data = NULL;

    aa_buf_puts(result, v->u.string);

    goto done;

missing:

    aa_buf_printf(result, "%s: an argument is missing or not a string",
                  name);
    rc = 1;

done:

    aa_buf_free(&nv);

    if (result->failed) {
        return -1;
    }

    return rc;
}


int
aw_memory_render(const aw_memory_t *m, aa_buf_t *out)
{
    if (m->state == NULL) {
        return -1;
    }

    return aa_json_encode(out, m->state);
}
