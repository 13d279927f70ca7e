/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The openai backend's pure parts: the SSE parser (aw_sse.c), the answer
 * reader (aw_chat.c), the failure classes (aw_llm.c), endpoint prefixes
 * (aw_provider.c), memory blocks and tools (aw_memory.c), the context
 * window (aw_context.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "aa_json.h"
#include "aw_chat.h"
#include "aw_context.h"
#include "aw_llm.h"
#include "aw_memory.h"
#include "aw_provider.h"
#include "aw_sse.h"


typedef struct {
    char    events[16][256];
    size_t  n;
} events_t;


static int
on_event(void *ctx, const char *data, size_t len)
{
    events_t  *e;

    e = ctx;
    assert_true(e->n < 16);
    assert_int_equal(strlen(data), len);
    snprintf(e->events[e->n++], 256, "%s", data);

    return 0;
}


/* feeds s cut into pieces of step bytes */
static int
feed(const char *s, size_t step, events_t *e, size_t max)
{
    aw_sse_t  p;
    size_t    i, n;
    int       rc;

    memset(e, 0, sizeof(events_t));
    aw_sse_init(&p, max, on_event, e);
    rc = 0;

    for (i = 0; rc == 0 && i < strlen(s); i += step) {
        n = strlen(s) - i < step ? strlen(s) - i : step;
        rc = aw_sse_feed(&p, s + i, n);
    }

    if (rc == 0 && aw_sse_pending(&p)) {
        rc = 1;
    }

    aw_sse_free(&p);

    return rc;
}


static void
test_sse(void **state)
{
    events_t     e;
    size_t       step;
    const char  *s;

    s = ": comment\n"
        "event: x\n"
        "data: one\n\n"
        "data:two\r\n\r\n"
        "data: a\ndata: b\rdata\r\r"
        "id: 7\n"
        "data: [DONE]\n\n";

    for (step = 1; step <= strlen(s); step++) {
        assert_int_equal(feed(s, step, &e, 1024), 0);
        assert_int_equal(e.n, 4);
        assert_string_equal(e.events[0], "one");
        assert_string_equal(e.events[1], "two");
        assert_string_equal(e.events[2], "a\nb\n");
        assert_string_equal(e.events[3], "[DONE]");
    }

    /* an event without its blank line is pending: cut */
    assert_int_equal(feed("data: x\n", 1, &e, 1024), 1);
    assert_int_equal(e.n, 0);

    /* no data: nothing dispatched */
    assert_int_equal(feed("event: a\n\n\n", 3, &e, 1024), 0);
    assert_int_equal(e.n, 0);

    /* longer than max */
    assert_int_equal(feed("data: 0123456789\n\n", 4, &e, 8),
                     AW_SSE_TOO_LONG);
    assert_int_equal(feed("0123456789", 1, &e, 8), AW_SSE_TOO_LONG);
}


static int
chunks(aw_chat_t *c, const char *const *list)
{
    for ( ; *list; list++) {
        if (aw_chat_chunk(c, *list, strlen(*list)) != 0) {
            return -1;
        }
    }

    return aw_chat_check(c);
}


static void
test_chat_stream(void **state)
{
    aw_chat_t           c;
    static const char  *openai[] = {
        "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}",
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\","
        "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}",
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\":1}\"}}]}}]}",
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"c2\","
        "\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}}]}",
        "{\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
        "\"completion_tokens\":2}}",
        "[DONE]", NULL
    };
    static const char  *ollama[] = {
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"x\","
        "\"function\":{\"name\":\"f\",\"arguments\":{\"a\":[1,\"b\"]}}},"
        "{\"id\":\"y\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]},"
        "\"finish_reason\":\"stop\"}]}",
        "[DONE]", NULL
    };
    static const char  *noids[] = {
        "{\"choices\":[{\"delta\":{\"tool_calls\":["
        "{\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}},"
        "{\"function\":{\"arguments\":\":1}\"}},"
        "{\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}}]}",
        NULL
    };
    static const char  *after_done[] = {
        "[DONE]", "{\"choices\":[]}", NULL
    };
    static const char  *err[] = {
        "{\"error\":{\"message\":\"overloaded\"}}", NULL
    };
    static const char  *noname[] = {
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"{}\"}}]}}]}", NULL
    };
    static const char  *nochoice[] = {
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}", NULL
    };
    static const char  *badindex[] = {
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":99}]}}]}", NULL
    };

    aw_chat_init(&c);
    assert_int_equal(chunks(&c, openai), 0);
    assert_string_equal(c.content.data, "Hello");
    assert_int_equal(c.ncalls, 2);
    assert_string_equal(c.calls[0].id.data, "c1");
    assert_string_equal(c.calls[0].name.data, "f");
    assert_string_equal(c.calls[0].args.data, "{\"a\":1}");
    assert_string_equal(c.calls[1].name.data, "g");
    assert_string_equal(c.finish_reason, "tool_calls");
    assert_true(c.has_usage && c.done && c.output);
    assert_int_equal(c.prompt_tokens, 3);
    assert_int_equal(c.completion_tokens, 2);

    aw_chat_reset(&c);
    assert_int_equal(chunks(&c, ollama), 0);
    assert_int_equal(c.ncalls, 2);
    assert_string_equal(c.calls[0].args.data, "{\"a\":[1,\"b\"]}");
    assert_string_equal(c.calls[1].id.data, "y");
    assert_string_equal(c.finish_reason, "stop");

    /* no index, no id: a name starts a call, a fragment continues one */
    aw_chat_reset(&c);
    assert_int_equal(chunks(&c, noids), 0);
    assert_int_equal(c.ncalls, 2);
    assert_string_equal(c.calls[0].args.data, "{\"a\":1}");
    assert_string_equal(c.calls[1].name.data, "g");

    aw_chat_reset(&c);
    assert_int_equal(chunks(&c, after_done), -1);
    assert_non_null(strstr(c.error, "after [DONE]"));

    aw_chat_reset(&c);
    assert_int_equal(chunks(&c, err), -1);
    assert_non_null(strstr(c.error, "overloaded"));

    aw_chat_reset(&c);
    assert_int_equal(chunks(&c, noname), -1);
    assert_non_null(strstr(c.error, "without a function name"));

    aw_chat_reset(&c);
    assert_int_equal(chunks(&c, nochoice), -1);

    aw_chat_reset(&c);
    assert_int_equal(chunks(&c, badindex), -1);

    aw_chat_reset(&c);
    assert_int_equal(aw_chat_chunk(&c, "{\"choices\":", 11), -1);
    assert_non_null(strstr(c.error, "not valid JSON"));

    aw_chat_free(&c);
}


static void
test_chat_body(void **state)
{
    aw_chat_t    c;
    char         out[64];
    const char  *b;

    aw_chat_init(&c);

    b = "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\","
        "\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}],"
        "\"reasoning_content\":\"hm\"},\"finish_reason\":\"length\"}]}";
    assert_int_equal(aw_chat_response(&c, b, strlen(b)), 0);
    assert_int_equal(aw_chat_check(&c), 0);
    assert_string_equal(c.content.data, "ab");
    assert_string_equal(c.reasoning.data, "hm");
    assert_string_equal(c.finish_reason, "length");
    assert_false(c.has_usage);

    aw_chat_reset(&c);
    b = "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":"
        "[{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}},"
        "{\"id\":\"b\",\"function\":{\"name\":\"g\"}}]}}],"
        "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}";
    assert_int_equal(aw_chat_response(&c, b, strlen(b)), 0);
    assert_int_equal(aw_chat_check(&c), 0);
    assert_int_equal(c.ncalls, 2);
    assert_string_equal(c.calls[1].args.data, "");
    assert_int_equal(c.completion_tokens, 6);

    aw_chat_reset(&c);
    b = "{\"choices\":[{}]}";
    assert_int_equal(aw_chat_response(&c, b, strlen(b)), -1);
    aw_chat_reset(&c);
    assert_int_equal(aw_chat_response(&c, "", 0), -1);
    aw_chat_free(&c);

    aw_chat_error_text("{\"error\":{\"message\":\"m\"}}", 25, out,
                       sizeof(out));
    assert_string_equal(out, "m");
    aw_chat_error_text("{\"error\":\"s\"}", 13, out, sizeof(out));
    assert_string_equal(out, "s");
    aw_chat_error_text("{\"detail\":\"d\"}", 14, out, sizeof(out));
    assert_string_equal(out, "d");
    aw_chat_error_text("a\nb", 3, out, sizeof(out));
    assert_string_equal(out, "a b");
    aw_chat_error_text("xxxxxxxx", 8, out, 4);
    assert_string_equal(out, "xxx");
}


static void
test_classify(void **state)
{
    assert_int_equal(aw_llm_classify(CURLE_OK, 200), AW_LLM_OK);
    assert_int_equal(aw_llm_classify(CURLE_OK, 429), AW_LLM_TRANSIENT);
    assert_int_equal(aw_llm_classify(CURLE_OK, 503), AW_LLM_TRANSIENT);
    assert_int_equal(aw_llm_classify(CURLE_OK, 400), AW_LLM_API_ERROR);
    assert_int_equal(aw_llm_classify(CURLE_OK, 401), AW_LLM_API_ERROR);
    assert_int_equal(aw_llm_classify(CURLE_OK, 302), AW_LLM_API_ERROR);
    assert_int_equal(aw_llm_classify(CURLE_COULDNT_CONNECT, 0),
                     AW_LLM_TRANSIENT);
    assert_int_equal(aw_llm_classify(CURLE_RECV_ERROR, 0), AW_LLM_TRANSIENT);
    assert_int_equal(aw_llm_classify(CURLE_PARTIAL_FILE, 200),
                     AW_LLM_INVALID);
    assert_int_equal(aw_llm_classify(CURLE_OPERATION_TIMEDOUT, 0),
                     AW_LLM_API_ERROR);
}


static void
test_url_under(void **state)
{
    const char  *p;

    p = "http://10.0.0.5:8000/v1";

    assert_true(aw_url_under("http://10.0.0.5:8000/v1", p));
    assert_true(aw_url_under("http://10.0.0.5:8000/v1/", p));
    assert_true(aw_url_under("http://10.0.0.5:8000/v1?x=1", p));
    assert_false(aw_url_under("http://10.0.0.5:8000/v10", p));
    assert_false(aw_url_under("http://10.0.0.5:80001/v1", p));
    assert_false(aw_url_under("http://10.0.0.5:8000/v1/../x", p));
    assert_false(aw_url_under("http://10.0.0.5:8000/v1/%2e%2e/x", p));
    assert_false(aw_url_under("http://10.0.0.5:8000/v1@evil/v1", p));
    assert_false(aw_url_under("http://10.0.0.5:8000/v1 x", p));
    assert_false(aw_url_under("http://10.0.0.5:8000/v1\\x", p));
    assert_false(aw_url_under("http://10.0.0.5:8000/v1#x", p));
    assert_false(aw_url_under("https://10.0.0.5:8000/v1", p));
    assert_false(aw_url_under("ftp://10.0.0.5:8000/v1", "ftp://10.0.0.5"));
    assert_false(aw_url_under("http://", "http://"));
    assert_false(aw_url_under("x", ""));

    /* a prefix that ends in "/" matches what follows it */
    assert_true(aw_url_under("http://h/a/bcd", "http://h/a/"));
    assert_false(aw_url_under("http://h.evil/", "http://h"));
}


static void
edit(aw_memory_t *m, const char *tool, const char *args, int want,
    const char *result)
{
    yajl_val  a;
    aa_buf_t  r;
    char      err[64];

    a = aa_json_parse(args, strlen(args), err, sizeof(err));
    assert_non_null(a);
    aa_buf_init(&r);
    assert_int_equal(aw_memory_edit(m, tool, a, &r), want);
    aa_buf_cstr(&r);
    if (strstr(r.data, result) == NULL) {
        fail_msg("%s: \"%s\" not in \"%s\"", tool, result, r.data);
    }
    aa_buf_free(&r);
    yajl_tree_free(a);
}


static void
test_memory(void **state)
{
    aw_memory_t  m;
    aa_buf_t     b;
    char         err[64];
    const char  *s;

    s = "{\"id\":\"a\",\"agent_type\":\"memgpt_agent\",\"memory\":{\"blocks\":["
        "{\"label\":\"human\",\"value\":\"l1\\nl2\",\"limit\":20,"
        "\"description\":\"d\"},"
        "{\"label\":\"ro\",\"value\":\"\",\"read_only\":true}]},\"x\":[]}";

    assert_int_equal(aw_memory_parse(&m, s, err, sizeof(err)), 0);
    assert_string_equal(aw_memory_agent_type(&m), "memgpt_agent");

    edit(&m, "memory_insert", "{\"label\":\"human\",\"new_string\":\"x\","
         "\"insert_line\":1}", 0, "l1\nx\nl2");
    edit(&m, "memory_insert", "{\"label\":\"human\",\"new_string\":\"y\","
         "\"insert_line\":0}", 0, "y\nl1\nx\nl2");
    edit(&m, "memory_insert", "{\"label\":\"human\",\"new_string\":\"z\"}",
         0, "y\nl1\nx\nl2\nz");
    edit(&m, "memory_insert", "{\"label\":\"human\",\"new_string\":\"z\","
         "\"insert_line\":9}", 1, "Invalid `insert_line`");
    edit(&m, "memory_replace", "{\"label\":\"human\",\"old_string\":\"l\","
         "\"new_string\":\"L\"}", 1, "Multiple occurrences");
    edit(&m, "core_memory_replace", "{\"label\":\"human\",\"old_content\":"
         "\"l\",\"new_content\":\"L\"}", 0, "y\nL1\nx\nL2\nz");
    edit(&m, "memory_replace", "{\"label\":\"human\",\"old_string\":\"\","
         "\"new_string\":\"L\"}", 1, "did not appear");
    edit(&m, "core_memory_append", "{\"label\":\"human\",\"content\":"
         "\"\xc3\xa9t\xc3\xa9\"}", 0, "z\n\xc3\xa9t\xc3\xa9");
    edit(&m, "core_memory_append", "{\"label\":\"human\",\"content\":"
         "\"0123456789\"}", 1, "Exceeds 20 character limit");
    edit(&m, "memory_rethink", "{\"label\":\"ro\",\"new_memory\":\"a\"}", 1,
         "read-only");
    edit(&m, "memory_rethink", "{\"label\":\"no\",\"new_memory\":\"a\"}", 1,
         "No memory block");
    edit(&m, "memory_rethink", "{\"new_memory\":\"a\"}", 1, "\"label\"");
    edit(&m, "memory_rethink", "{\"label\":\"human\"}", 1, "missing");
    edit(&m, "memory_rethink", "{\"label\":\"human\",\"new_memory\":\"n\"}",
         0, "n");

    /* the rest of the state is kept as it was */
    aa_buf_init(&b);
    assert_int_equal(aw_memory_render(&m, &b), 0);
    aa_buf_cstr(&b);
    assert_non_null(strstr(b.data, "\"value\":\"n\""));
    assert_non_null(strstr(b.data, "\"x\":[]"));
    aa_buf_free(&b);

    aa_buf_init(&b);
    assert_int_equal(aw_memory_compile(&b, "S {CORE_MEMORY} E", &m, "a", 3,
                                       0), 0);
    aa_buf_cstr(&b);
    assert_non_null(strstr(b.data, "S <memory_blocks>\nThe following"));
    assert_non_null(strstr(b.data, "<human>\n<description>\nd\n"
                           "</description>\n<metadata>\n"
                           "- chars_current=1\n- chars_limit=20\n"
                           "</metadata>\n<value>\nn\n</value>\n</human>\n\n"
                           "<ro>\n"));
    assert_non_null(strstr(b.data, "- read_only=true"));
    assert_non_null(strstr(b.data, "- 3 previous messages"));
    assert_non_null(strstr(b.data, "1970-01-01 12:00:00 AM"));
    assert_non_null(strstr(b.data, "</memory_metadata> E"));
    aa_buf_free(&b);
    aw_memory_free(&m);

    /* no state, no blocks: the metadata only, appended */
    assert_int_equal(aw_memory_parse(&m, NULL, err, sizeof(err)), 0);
    assert_string_equal(aw_memory_agent_type(&m), "letta_v1_agent");
    aa_buf_init(&b);
    aw_memory_compile(&b, "Sys", &m, "a", 0, 0);
    aa_buf_cstr(&b);
    assert_memory_equal(b.data, "Sys\n\n\n\n<memory_metadata>", 24);
    aa_buf_free(&b);

    assert_int_equal(aw_memory_parse(&m, "[1]", err, sizeof(err)), -1);
    assert_int_equal(aw_memory_parse(&m, "{", err, sizeof(err)), -1);

    assert_true(aw_memory_is_tool("memory_insert"));
    assert_false(aw_memory_is_tool("send_message"));
}


static void
test_context_fit(void **state)
{
    char    *items[4];
    size_t   lens[4];

    items[0] = "{\"role\":\"user\",\"content\":\"aaaaaaaa\"}";
    items[1] = "{\"role\":\"assistant\",\"content\":\"b\"}";
    items[2] = "{\"role\":\"user\",\"content\":\"c\"}";
    items[3] = "{\"role\":\"assistant\",\"content\":\"d\"}";
    lens[0] = strlen(items[0]);
    lens[1] = strlen(items[1]);
    lens[2] = strlen(items[2]);
    lens[3] = strlen(items[3]);

    assert_int_equal(aw_context_fit(items, lens, 4, 1000), 0);
    assert_int_equal(aw_context_fit(items, lens, 4, 0), 4);
    /* room for three entries: the cut moves on to a user message */
    assert_int_equal(aw_context_fit(items, lens, 4,
                                    aw_context_tokens(lens[1])
                                    + aw_context_tokens(lens[2])
                                    + aw_context_tokens(lens[3])), 2);
    assert_int_equal(aw_context_fit(items, lens, 0, 10), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_sse),
        cmocka_unit_test(test_chat_stream),
        cmocka_unit_test(test_chat_body),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_url_under),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_context_fit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
