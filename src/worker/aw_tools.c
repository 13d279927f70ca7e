/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <string.h>

#include "aw_tools.h"


typedef struct {
    const char  *name;
    const char  *description;
    const char  *properties;    /* JSON members of "properties" */
    const char  *required;      /* JSON array members */
} aw_tool_t;


#define AW_LABEL_PROP                                                       \
    "\"label\":{\"type\":\"string\",\"description\":\"Section of the "      \
    "memory to be edited, identified by its label.\"}"

static const aw_tool_t  aw_tools_v1[] = {
    { "memory_replace",
      "The memory_replace command allows you to replace a specific string "
      "in a memory block with a new string. This is used for making "
      "precise edits. The old string must appear exactly once.",
      AW_LABEL_PROP ",\"old_string\":{\"type\":\"string\",\"description\":"
      "\"The text to replace (must match exactly, including whitespace and "
      "indentation).\"},\"new_string\":{\"type\":\"string\",\"description\":"
      "\"The new text to insert in place of the old text.\"}",
      "\"label\",\"old_string\",\"new_string\"" },
    { "memory_insert",
      "The memory_insert command allows you to insert text at a specific "
      "location in a memory block.",
      AW_LABEL_PROP ",\"new_string\":{\"type\":\"string\",\"description\":"
      "\"The text to insert.\"},\"insert_line\":{\"type\":\"integer\","
      "\"description\":\"The line number after which to insert the text (0 "
      "for beginning of file). Defaults to -1 (end of the file).\"}",
      "\"label\",\"new_string\"" },
    { "memory_rethink",
      "The memory_rethink command allows you to completely rewrite the "
      "contents of a memory block. Use it to make large sweeping changes.",
      AW_LABEL_PROP ",\"new_memory\":{\"type\":\"string\",\"description\":"
      "\"The new memory contents with information integrated from existing "
      "memory blocks and the conversation context.\"}",
      "\"label\",\"new_memory\"" },
    { NULL, NULL, NULL, NULL }
};

static const aw_tool_t  aw_tools_legacy[] = {
    { "core_memory_append",
      "Append to the contents of core memory.",
      AW_LABEL_PROP ",\"content\":{\"type\":\"string\",\"description\":"
      "\"Content to write to the memory. All unicode (including emojis) are "
      "supported.\"}",
      "\"label\",\"content\"" },
    { "core_memory_replace",
      "Replace the contents of core memory. To delete memories, use an "
      "empty string for new_content.",
      AW_LABEL_PROP ",\"old_content\":{\"type\":\"string\",\"description\":"
      "\"String to replace. Must be an exact match.\"},\"new_content\":{"
      "\"type\":\"string\",\"description\":\"Content to write to the "
      "memory. All unicode (including emojis) are supported.\"}",
      "\"label\",\"old_content\",\"new_content\"" },
    { NULL, NULL, NULL, NULL }
};

#define AW_HEARTBEAT_PROP                                                   \
    ",\"request_heartbeat\":{\"type\":\"boolean\",\"description\":"         \
    "\"Request an immediate heartbeat after function execution. Set to "    \
    "true if you want to send a follow-up message or run a follow-up "      \
    "function.\"}"


static void
aw_tool(aa_buf_t *out, size_t *n, const char *name,
    const char *description, const char *properties, const char *required,
    int heartbeat)
{
    if ((*n)++ > 0) {
        aa_buf_putc(out, ',');
    }

    aa_buf_puts(out, "{\"type\":\"function\",\"function\":{\"name\":");
    aa_buf_json_string(out, name, strlen(name));
    aa_buf_puts(out, ",\"description\":");
    aa_buf_json_string(out, description, strlen(description));
    aa_buf_puts(out, ",\"parameters\":{\"type\":\"object\","
                "\"properties\":{");
    aa_buf_puts(out, properties);

    if (heartbeat) {
        aa_buf_puts(out, AW_HEARTBEAT_PROP);
    }

    aa_buf_puts(out, "},\"required\":[");
    aa_buf_puts(out, required);
    aa_buf_puts(out, heartbeat ? ",\"request_heartbeat\"]}}}" : "]}}}");
}


int
aw_tools_render(aa_buf_t *out, int legacy, const char *send_name,
    const char *kwarg)
{
    const aw_tool_t  *t;
    aa_buf_t          props, req;
    size_t            n;

    n = 0;
    aa_buf_putc(out, '[');

    for (t = legacy ? aw_tools_legacy : aw_tools_v1; t->name; t++) {
        aw_tool(out, &n, t->name, t->description, t->properties, t->required,
                legacy);
    }

    if (legacy) {
        aa_buf_init(&props);
        aa_buf_init(&req);
        aa_buf_json_string(&props, kwarg, strlen(kwarg));
        aa_buf_puts(&props, ":{\"type\":\"string\",\"description\":"
                    "\"Message contents. All unicode (including emojis) are "
                    "supported.\"}");
        aa_buf_json_string(&req, kwarg, strlen(kwarg));
        aa_buf_cstr(&props);
        aa_buf_cstr(&req);

        if (!props.failed && !req.failed) {
            aw_tool(out, &n, send_name, "Sends a message to the human user.",
                    props.data, req.data, 0);
        } else {
            out->failed = 1;
        }

        aa_buf_free(&props);
        aa_buf_free(&req);
    }

    return aa_buf_putc(out, ']');
}
