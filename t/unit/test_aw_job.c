/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * A claimed run in the worker: the claim script's reply decoded
 * (src/worker/aw_store.c), the job's request checked (aw_job_prepare),
 * and the messages and history entries a backend writes (aw_job.c).
 */

#include "aa_test.h"

#include <hiredis/hiredis.h>

#include "aa_keys.h"
#include "aa_message.h"
#include "aw_job.h"
#include "aw_store.h"
#include "aw_worker.h"


#define RUN    "run-0b6b2f0e-5a43-4d0c-9a0e-2f1f6a4c9d21"
#define AGENT  "agent-77aa5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b"


/* replies built by hand, freed by freeReplyObject() as hiredis's own */

static redisReply *
r_str(const char *s)
{
    redisReply  *r;

    r = calloc(1, sizeof(redisReply));
    assert_non_null(r);
    r->type = REDIS_REPLY_STRING;
    r->str = strdup(s);
    r->len = strlen(s);

    return r;
}


static redisReply *
r_int(long long n)
{
    redisReply  *r;

    r = calloc(1, sizeof(redisReply));
    assert_non_null(r);
    r->type = REDIS_REPLY_INTEGER;
    r->integer = n;

    return r;
}


static redisReply *
r_arr(size_t n, ...)
{
    size_t       i;
    va_list      ap;
    redisReply  *r;

    r = calloc(1, sizeof(redisReply));
    assert_non_null(r);
    r->type = REDIS_REPLY_ARRAY;
    r->elements = n;
    r->element = calloc(n, sizeof(redisReply *));
    assert_non_null(r->element);

    va_start(ap, n);
    for (i = 0; i < n; i++) {
        r->element[i] = va_arg(ap, redisReply *);
    }
    va_end(ap);

    return r;
}


static int
decode(redisReply *reply, aw_claim_t *claim, const char **why)
{
    int  rc;

    memset(claim, 0, sizeof(aw_claim_t));
    *why = NULL;

    rc = aw_store_claim_decode(reply, AGENT, RUN, claim, why);

    if (reply != NULL) {
        freeReplyObject(reply);
    }

    return rc;
}


static int
setup(void **state)
{
    aw_worker.cf.prefix = "aa:";
    snprintf(aw_worker.id, sizeof(aw_worker.id), "host:1:abcdef01");

    return 0;
}


static void
test_claimed(void **state)
{
    aw_claim_t   c;
    const char  *why;
    char         key[AA_KEY_MAX];

    assert_int_equal(decode(r_arr(9, r_str("claimed"), r_int(2),
                                  r_str("host:1:abcdef01#2"),
                                  r_str("{\"messages\":[]}"), r_str("1"),
                                  r_str("1778752806901234"), r_int(1),
                                  r_str("You repeat."),
                                  r_str("{\"model\":\"gpt-x\"}")),
                            &c, &why),
                     AW_CLAIM_CLAIMED);

    assert_string_equal(c.agent, AGENT);
    assert_string_equal(c.run, RUN);
    aa_key_run(key, sizeof(key), "aa:", RUN);
    assert_string_equal(c.run_key, key);
    assert_string_equal(c.lease, "host:1:abcdef01#2");
    assert_int_equal(c.attempts, 2);
    assert_string_equal(c.request, "{\"messages\":[]}");
    assert_int_equal(c.cancel_requested, 1);
    assert_true(c.created_us == 1778752806901234LL);
    assert_int_equal(c.agent_exists, 1);
    assert_string_equal(c.system, "You repeat.");
    assert_string_equal(c.llm, "{\"model\":\"gpt-x\"}");
    free(c.request);
    free(c.system);
    free(c.llm);

    /* absent fields come as "" */
    assert_int_equal(decode(r_arr(9, r_str("claimed"), r_int(1),
                                  r_str("w#1"), r_str(""), r_str(""),
                                  r_str(""), r_int(0), r_str(""),
                                  r_str("")),
                            &c, &why),
                     AW_CLAIM_CLAIMED);

    assert_int_equal(c.cancel_requested, 0);
    assert_int_equal(c.agent_exists, 0);
    assert_true(c.created_us == 0);
    assert_string_equal(c.request, "");
    assert_string_equal(c.system, "");
    assert_string_equal(c.llm, "");
    free(c.request);
    free(c.system);
    free(c.llm);
}


static void
test_not_claimed(void **state)
{
    aw_claim_t   c;
    const char  *why;

    assert_int_equal(decode(r_arr(1, r_str("empty")), &c, &why),
                     AW_CLAIM_EMPTY);
    assert_int_equal(decode(r_arr(1, r_str("moved")), &c, &why),
                     AW_CLAIM_MOVED);

    assert_int_equal(decode(r_arr(3, r_str("skipped"), r_str("cancelled"),
                                  r_int(0)),
                            &c, &why),
                     AW_CLAIM_SKIPPED);
    assert_string_equal(why, "cancelled");
    assert_string_equal(c.run, RUN);

    /* the last run of the queue: the agent was let go */
    assert_int_equal(decode(r_arr(3, r_str("skipped"), r_str("dead"),
                                  r_int(1)),
                            &c, &why),
                     AW_CLAIM_SKIPPED_LAST);
    assert_string_equal(why, "dead");

    assert_int_equal(decode(r_arr(3, r_str("skipped"), r_str("missing"),
                                  r_int(0)),
                            &c, &why),
                     AW_CLAIM_SKIPPED);
    assert_string_equal(why, "missing");
}


static void
test_unusable_replies(void **state)
{
    aw_claim_t   c;
    const char  *why;
    char         lease[AW_LEASE_MAX + 10];
    redisReply  *err;

    assert_int_equal(decode(NULL, &c, &why), AW_CLAIM_ERROR);

    err = r_str("ERR something");
    err->type = REDIS_REPLY_ERROR;
    assert_int_equal(decode(err, &c, &why), AW_CLAIM_ERROR);

    assert_int_equal(decode(r_str("claimed"), &c, &why), AW_CLAIM_ERROR);
    assert_int_equal(decode(r_arr(0), &c, &why), AW_CLAIM_ERROR);
    assert_int_equal(decode(r_arr(1, r_str("more")), &c, &why),
                     AW_CLAIM_ERROR);
    assert_int_equal(decode(r_arr(3, r_str("skipped"), r_str("bored"),
                                  r_int(0)),
                            &c, &why),
                     AW_CLAIM_ERROR);
    assert_int_equal(decode(r_arr(2, r_str("skipped"), r_str("dead")),
                            &c, &why),
                     AW_CLAIM_ERROR);
    assert_int_equal(decode(r_arr(2, r_str("empty"), r_str("x")), &c, &why),
                     AW_CLAIM_ERROR);

    /* attempts as a string, one element short, the agent's as integers */
    assert_int_equal(decode(r_arr(9, r_str("claimed"), r_str("2"),
                                  r_str("w#2"), r_str(""), r_str(""),
                                  r_str(""), r_int(1), r_str(""),
                                  r_str("")),
                            &c, &why),
                     AW_CLAIM_ERROR);
    assert_int_equal(decode(r_arr(8, r_str("claimed"), r_int(2),
                                  r_str("w#2"), r_str(""), r_str(""),
                                  r_str(""), r_int(1), r_str("")),
                            &c, &why),
                     AW_CLAIM_ERROR);
    assert_int_equal(decode(r_arr(9, r_str("claimed"), r_int(2),
                                  r_str("w#2"), r_str(""), r_str(""),
                                  r_str(""), r_int(1), r_int(0),
                                  r_str("")),
                            &c, &why),
                     AW_CLAIM_ERROR);
    assert_int_equal(decode(r_arr(9, r_str("claimed"), r_int(2),
                                  r_str("w#2"), r_str(""), r_str(""),
                                  r_str(""), r_int(1), r_str(""),
                                  r_int(0)),
                            &c, &why),
                     AW_CLAIM_ERROR);

    /* a lease that does not fit */
    memset(lease, 'w', sizeof(lease) - 1);
    lease[sizeof(lease) - 1] = '\0';
    assert_int_equal(decode(r_arr(9, r_str("claimed"), r_int(2),
                                  r_str(lease), r_str(""), r_str(""),
                                  r_str(""), r_int(1), r_str(""),
                                  r_str("")),
                            &c, &why),
                     AW_CLAIM_ERROR);
}


static int
prepare_llm(aw_job_t *job, const char *request, int agent_exists,
    const char *system, const char *llm)
{
    aw_job_init(job, NULL);

    snprintf(job->claim.agent, sizeof(job->claim.agent), "%s", AGENT);
    snprintf(job->claim.run, sizeof(job->claim.run), "%s", RUN);
    job->claim.agent_exists = agent_exists;
    job->claim.request = request ? strdup(request) : NULL;
    job->claim.system = system ? strdup(system) : NULL;
    job->claim.llm = llm ? strdup(llm) : NULL;

    return aw_job_prepare(job);
}


static int
prepare(aw_job_t *job, const char *request, int agent_exists)
{
    aw_job_init(job, NULL);

    snprintf(job->claim.agent, sizeof(job->claim.agent), "%s", AGENT);
    snprintf(job->claim.run, sizeof(job->claim.run), "%s", RUN);
    job->claim.agent_exists = agent_exists;
    job->claim.request = request ? strdup(request) : NULL;

    return aw_job_prepare(job);
}


static void
test_prepare(void **state)
{
    size_t    i;
    aw_job_t  job;

    static const struct {
        const char  *request;
        int          agent_exists;
        const char  *error;
    } bad[] = {
        { "{\"messages\":[]}", 0, "agent " AGENT " not found" },
        { NULL, 1, "invalid job: the run has no request" },
        { "", 1, "invalid job: the run has no request" },
        { "nope", 1, "invalid job: request is not valid JSON: " },
        { "[1]", 1, "invalid job: request is not a JSON object" },
        { "{}", 1, "invalid job: request.messages is missing or not an "
                   "array" },
        { "{\"messages\":{}}", 1, "invalid job: request.messages is "
                                 "missing or not an array" },
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(prepare(&job, bad[i].request, bad[i].agent_exists),
                         -1);
        assert_non_null(job.error.data);
        if (strncmp(job.error.data, bad[i].error, strlen(bad[i].error))
            != 0)
        {
            fail_msg("case %zu: \"%s\"", i, job.error.data);
        }
        aw_job_free(&job);
    }

    assert_int_equal(prepare(&job, "{\"messages\":[{\"role\":\"user\"}],"
                                   "\"max_steps\":3}", 1), 0);
    assert_non_null(job.messages);
    assert_int_equal(job.messages->u.array.len, 1);
    assert_true(aa_t_is_uuid4(job.step_id + 5));
    assert_int_equal(strncmp(job.step_id, "step-", 5), 0);
    /* no agent settings: none */
    assert_string_equal(job.system, "");
    assert_null(job.model);
    aw_job_free(&job);

    /* the agent's settings as claimed: the system prompt, llm.model */
    assert_int_equal(prepare_llm(&job, "{\"messages\":[]}", 1, "Be brief.",
                                 "{\"model\":\"gpt-x\",\"temperature\":1}"),
                     0);
    assert_string_equal(job.system, "Be brief.");
    assert_string_equal(job.model, "gpt-x");
    aw_job_free(&job);

    /* an llm that is not an object, or whose model is not a string */
    assert_int_equal(prepare_llm(&job, "{\"messages\":[]}", 1, "", "nope"),
                     0);
    assert_null(job.model);
    aw_job_free(&job);
    assert_int_equal(prepare_llm(&job, "{\"messages\":[]}", 1, "",
                                 "{\"model\":null}"), 0);
    assert_null(job.model);
    aw_job_free(&job);
}


static void
test_messages_and_history(void **state)
{
    aw_job_t     job;
    int64_t      first;
    yajl_val     m;
    char         otid[AA_UUID_LEN + 1];
    const char  *id;

    assert_int_equal(prepare(&job, "{\"messages\":[]}", 1), 0);

    assert_int_equal(aw_job_message(&job, "user_message",
                                    "11111111-1111-4111-8111-111111111111",
                                    "\"hi\"", 4), 0);
    assert_int_equal(aw_job_message(&job, "assistant_message", NULL,
                                    "\"hello\"", 7), 0);
    assert_int_equal(aw_job_message(&job, "system_message", NULL,
                                    "[{\"type\":\"text\",\"text\":\"s\"}]",
                                    28), 0);
    assert_int_equal(job.out_messages.n, 3);

    m = aa_t_parse(job.out_messages.items[0], job.out_messages.lens[0]);
    assert_string_equal(aa_t_str(m, "message_type"), "user_message");
    assert_string_equal(aa_t_str(m, "otid"),
                        "11111111-1111-4111-8111-111111111111");
    assert_string_equal(aa_t_str(m, "content"), "hi");
    assert_string_equal(aa_t_str(m, "run_id"), RUN);
    assert_string_equal(aa_t_str(m, "step_id"), job.step_id);
    yajl_tree_free(m);

    /* an assistant message's otid derives from its id, part 0 */
    m = aa_t_parse(job.out_messages.items[1], job.out_messages.lens[1]);
    id = aa_t_str(m, "id");
    assert_int_equal(strncmp(id, "message-", 8), 0);
    assert_int_equal(aa_message_part_otid(id, 0, otid), 0);
    assert_string_equal(aa_t_str(m, "otid"), otid);
    yajl_tree_free(m);

    /* other types without an otid get null */
    m = aa_t_parse(job.out_messages.items[2], job.out_messages.lens[2]);
    assert_int_equal(aa_t_type(m, "otid"), yajl_t_null);
    assert_string_equal(aa_t_str(m, "content/0/text"), "s");
    yajl_tree_free(m);

    assert_int_equal(aw_job_history(&job, "user", "a \"quoted\"\nline", 15),
                     0);
    assert_int_equal(job.out_history.n, 1);
    assert_string_equal(job.out_history.items[0],
                        "{\"role\":\"user\",\"content\":"
                        "\"a \\\"quoted\\\"\\nline\"}");

    /* the time to first token is marked once */
    assert_true(job.first_output_ns == 0);
    aw_job_output(&job);
    assert_true(job.first_output_ns > 0);
    first = job.first_output_ns;
    aw_job_output(&job);
    assert_true(job.first_output_ns == first);

    assert_int_equal(aw_job_fail(&job, "boom %d", 7), AW_JOB_FAILED);
    assert_string_equal(job.error.data, "boom 7");

    aw_job_free(&job);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup(test_claimed, setup),
        cmocka_unit_test_setup(test_not_claimed, setup),
        cmocka_unit_test_setup(test_unusable_replies, setup),
        cmocka_unit_test_setup(test_prepare, setup),
        cmocka_unit_test_setup(test_messages_and_history, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
