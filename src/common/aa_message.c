/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 */

#include <inttypes.h>
#include <string.h>

#include "aa_message.h"
#include "aa_time.h"


static void
aa_message_nullable(aa_buf_t *out, const char *key, const char *value)
{
    aa_buf_puts(out, key);

    if (value == NULL) {
        aa_buf_append(out, "null", 4);
        return;
    }

    aa_buf_json_string(out, value, strlen(value));
}


int
aa_message_render(aa_buf_t *out, const aa_message_t *m)
{
    char  date[32];

    aa_buf_append(out, "{\"id\":", 6);
    aa_buf_json_string(out, m->id, strlen(m->id));

    aa_buf_append(out, ",\"date\":\"", 9);
    aa_buf_append(out, date, aa_time_msg(m->date_us, date));
    aa_buf_append(out, "\",\"name\":null,\"message_type\":", 29);
    aa_buf_json_string(out, m->message_type, strlen(m->message_type));

    aa_message_nullable(out, ",\"otid\":", m->otid);
    aa_buf_puts(out, ",\"sender_id\":null");
    aa_message_nullable(out, ",\"step_id\":", m->step_id);
    aa_buf_puts(out, ",\"is_err\":null,\"seq_id\":null");
    aa_message_nullable(out, ",\"run_id\":", m->run_id);

    if (m->fields != NULL) {
        aa_buf_putc(out, ',');
        aa_buf_append(out, m->fields, m->fields_len);
        return aa_buf_putc(out, '}');
    }

    aa_buf_puts(out, ",\"content\":");

    if (m->content == NULL || m->content_len == 0) {
        aa_buf_append(out, "null", 4);
    } else {
        aa_buf_append(out, m->content, m->content_len);
    }

    return aa_buf_putc(out, '}');
}


int
aa_message_part_otid(const char *message_id, unsigned part,
    char out[AA_UUID_LEN + 1])
{
    static const char  hex[] = "0123456789abcdef";
    const char        *uuid;
    unsigned           hi, lo, byte;

    if (message_id == NULL
        || !aa_id_valid("message", message_id, strlen(message_id)))
    {
        return -1;
    }

    uuid = message_id + sizeof("message-") - 1;
    memcpy(out, uuid, AA_UUID_LEN + 1);

    /* the last two hex digits are the UUID's lowest byte */
    hi = (unsigned) (strchr(hex, out[34]) - hex);
    lo = (unsigned) (strchr(hex, out[35]) - hex);
    byte = ((hi << 4) | lo) & 0x80;
    byte |= part & 0x7f;

    out[34] = hex[byte >> 4];
    out[35] = hex[byte & 0x0f];

    return 0;
}


int
aa_usage_render(aa_buf_t *out, const aa_usage_t *u)
{
    return aa_buf_printf(out,
        "{\"message_type\":\"usage_statistics\","
        "\"completion_tokens\":%" PRId64 ","
        "\"prompt_tokens\":%" PRId64 ","
        "\"total_tokens\":%" PRId64 ","
        "\"step_count\":%" PRId64 ","
        "\"run_ids\":null,\"cached_input_tokens\":null,"
        "\"cache_write_tokens\":null,\"reasoning_tokens\":null,"
        "\"context_tokens\":null}",
        u->completion_tokens, u->prompt_tokens,
        u->completion_tokens + u->prompt_tokens, u->step_count);
}


int
aa_step_render(aa_buf_t *out, const aa_step_t *s)
{
    aa_buf_puts(out, "{\"id\":");
    aa_buf_json_string(out, s->id, strlen(s->id));
    aa_buf_puts(out, ",\"origin\":null,\"organization_id\":null,"
                     "\"provider_id\":null,\"run_id\":");
    aa_buf_json_string(out, s->run_id, strlen(s->run_id));
    aa_buf_puts(out, ",\"agent_id\":");
    aa_buf_json_string(out, s->agent_id, strlen(s->agent_id));
    aa_buf_puts(out, ",\"provider_name\":null,\"provider_category\":null,"
                     "\"model\":");
    aa_buf_json_string_or_null(out, s->model,
                               s->model ? strlen(s->model) : 0);
    aa_buf_puts(out, ",\"model_handle\":null,\"model_endpoint\":null,"
                     "\"context_window_limit\":null");
    aa_buf_printf(out, ",\"completion_tokens\":%" PRId64
                       ",\"prompt_tokens\":%" PRId64
                       ",\"total_tokens\":%" PRId64,
                  s->completion_tokens, s->prompt_tokens,
                  s->completion_tokens + s->prompt_tokens);
    aa_buf_puts(out, ",\"cached_input_tokens\":null,"
                     "\"cache_write_tokens\":null,\"reasoning_tokens\":null,"
                     "\"completion_tokens_details\":null,"
                     "\"prompt_tokens_details\":null,\"stop_reason\":");
    aa_buf_json_string_or_null(out, s->stop_reason,
                               s->stop_reason ? strlen(s->stop_reason) : 0);
    aa_buf_puts(out, ",\"tags\":[],\"tid\":null,\"trace_id\":null,"
                     "\"request_id\":null,\"messages\":[],"
                     "\"feedback\":null,\"project_id\":null,"
                     "\"error_type\":null,\"error_data\":null,"
                     "\"status\":");
    aa_buf_json_string(out, s->status, strlen(s->status));

    return aa_buf_putc(out, '}');
}


int64_t
aa_count_words(const char *s, size_t len)
{
    int64_t  n;
    int      in_word;
    size_t   i;
    char     c;

    n = 0;
    in_word = 0;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
            || c == '\v')
        {
            in_word = 0;
            continue;
        }

        if (!in_word) {
            n++;
            in_word = 1;
        }
    }

    return n;
}
