/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * aa_validate: the generic validator under the request and agent schemas
 * (locs, kinds and flags, literals, lax integers, URLs, bodies), called
 * directly.  JSON is written with single quotes, as in test_request.c.
 */

#include "aa_test.h"
#include "aa_json.h"
#include "aa_validate.h"


#define STR_TYPE   "Input should be a valid string"
#define BOOL_TYPE  "Input should be a valid boolean"
#define LIST_TYPE  "Input should be a valid list"
#define DICT_TYPE  "Input should be a valid dictionary"
#define MODEL_TYPE                                                            \
    "Input should be a valid dictionary or object to extract fields from"
#define INT_TYPE   "Input should be a valid integer"
#define INT_PARSING                                                           \
    "Input should be a valid integer, unable to parse string as an integer"
#define INT_FLOAT                                                             \
    "Input should be a valid integer, got a number with a fractional part"

#define URL_REL    "Input should be a valid URL, relative URL without a base"
#define URL_HOST   "Input should be a valid URL, empty host"
#define URL_PORT   "Input should be a valid URL, invalid port number"
#define URL_CHAR   "Input should be a valid URL, invalid character"
#define URL_IPV6   "Input should be a valid URL, invalid IPv6 address"
#define URL_DOMAIN "Input should be a valid URL, invalid domain character"
#define URL_SCHEME "URL scheme should be 'http' or 'https'"


/* e holds exactly one error, of this type at loc (msg unless NULL) */

static void
expect_one(aa_errors_t *e, const char *type, const char *loc,
    const char *msg)
{
    yajl_val  doc;

    doc = aa_t_errors(e);

    if (e->count != 1 || aa_t_find_error(doc, type, loc, msg) == NULL) {
        fprintf(stderr, "wanted only %s at %s: %s\n", type, loc,
                msg ? msg : "(any msg)");
        aa_t_dump_errors(doc);
        fail();
    }

    yajl_tree_free(doc);
}


/* locs */

static void
test_loc(void **state)
{
    char  out[AA_LOC_MAX];

    aa_v_loc(out, "body", "messages");
    assert_string_equal(out, "body/messages");

    aa_v_loc_idx(out, "body/messages", 0);
    assert_string_equal(out, "body/messages/0");

    aa_v_loc_idx(out, "body", 1234567);
    assert_string_equal(out, "body/1234567");

    aa_v_loc_idx(out, "b", (size_t) -1);
    assert_string_equal(out, (size_t) -1 == 18446744073709551615ULL
                             ? "b/18446744073709551615" : "b/4294967295");
}


static void
test_loc_cut(void **state)
{
    char  out[AA_LOC_MAX], parent[AA_LOC_MAX + 64];

    /* the key is cut to what is left */
    memset(parent, 'p', 250);
    parent[250] = '\0';
    aa_v_loc(out, parent, "abcdefghij");
    assert_int_equal(strlen(out), AA_LOC_MAX - 1);
    assert_memory_equal(out + 250, "/abcd", 5);

    /* a parent too long on its own fills the buffer, without the key */
    memset(parent, 'p', sizeof(parent) - 1);
    parent[sizeof(parent) - 1] = '\0';
    aa_v_loc(out, parent, "key");
    assert_int_equal(strlen(out), AA_LOC_MAX - 1);
    assert_null(strchr(out, '/'));
}


/* kinds */

typedef struct {
    aa_v_kind_e   kind;
    const char   *good;
    const char   *bad;
    const char   *type;
    const char   *msg;
} kind_case_t;


static void
test_check_kinds(void **state)
{
    static const kind_case_t  cases[] = {
        { AA_V_STRING,  "'s'",      "5",      "string_type", STR_TYPE },
        { AA_V_STRING,  "''",       "['s']",  "string_type", STR_TYPE },
        { AA_V_BOOL,    "true",     "1",      "bool_type", BOOL_TYPE },
        { AA_V_BOOL,    "false",    "'true'", "bool_type", BOOL_TYPE },
        { AA_V_DICT,    "{}",       "[]",     "dict_type", DICT_TYPE },
        { AA_V_MODEL,   "{'a':1}",  "'x'",    "model_attributes_type",
          MODEL_TYPE },
        { AA_V_LIST,    "[1,'a']",  "{}",     "list_type", LIST_TYPE },
        { AA_V_STRLIST, "['a','b']", "'a'",   "list_type", LIST_TYPE },
        { AA_V_INT,     "7",        "true",   "int_type", INT_TYPE },
        { AA_V_INT,     "'7'",      "'x'",    "int_parsing", INT_PARSING },
    };

    size_t       i;
    yajl_val     good, bad;
    aa_errors_t  e;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        good = aa_t_parse_sq(cases[i].good);
        bad = aa_t_parse_sq(cases[i].bad);

        aa_errors_init(&e);
        assert_int_equal(aa_v_check(&e, "body/f", good, cases[i].kind), 1);
        assert_int_equal(e.count, 0);

        assert_int_equal(aa_v_check(&e, "body/f", bad, cases[i].kind), 0);
        expect_one(&e, cases[i].type, "body/f", cases[i].msg);
        aa_errors_free(&e);

        yajl_tree_free(good);
        yajl_tree_free(bad);
    }
}


static void
test_check_strlist_items(void **state)
{
    yajl_val     v, doc;
    aa_errors_t  e;

    v = aa_t_parse_sq("[1,'a',{}]");

    aa_errors_init(&e);
    assert_int_equal(aa_v_check(&e, "body/tags", v, AA_V_STRLIST), 0);
    assert_int_equal(e.count, 2);

    doc = aa_t_errors(&e);
    assert_non_null(aa_t_find_error(doc, "string_type", "body/tags/0",
                                    STR_TYPE));
    assert_non_null(aa_t_find_error(doc, "string_type", "body/tags/2",
                                    STR_TYPE));
    assert_int_equal(aa_t_int(doc, "detail/0/input"), 1);

    yajl_tree_free(doc);
    aa_errors_free(&e);
    yajl_tree_free(v);
}


/* fields and their flags */

static void
test_field_flags(void **state)
{
    yajl_val     obj, out, doc;
    aa_errors_t  e;

    obj = aa_t_parse_sq("{'s':'v','n':null,'i':5}");
    aa_errors_init(&e);

    /* present and valid: 1, and the value */
    out = NULL;
    assert_int_equal(aa_v_field(&e, "body", obj, "s", AA_V_STRING, 0, &out),
                     1);
    assert_string_equal(out->u.string, "v");

    /* absent: 0, or "missing" with the object as input when required */
    out = obj;
    assert_int_equal(aa_v_field(&e, "body", obj, "x", AA_V_STRING, 0, &out),
                     0);
    assert_ptr_equal(out, obj);
    assert_int_equal(e.count, 0);

    assert_int_equal(aa_v_field(&e, "body", obj, "x", AA_V_STRING,
                                AA_V_REQUIRED, &out),
                     -1);
    assert_ptr_equal(out, obj);
    doc = aa_t_errors(&e);
    assert_non_null(aa_t_find_error(doc, "missing", "body/x",
                                    "Field required"));
    assert_int_equal(aa_t_int(doc, "detail/0/input/i"), 5);
    yajl_tree_free(doc);
    aa_errors_free(&e);

    /* null: 0 when nullable, else the kind's error */
    aa_errors_init(&e);
    assert_int_equal(aa_v_field(&e, "body", obj, "n", AA_V_STRING,
                                AA_V_NULLABLE | AA_V_REQUIRED, NULL),
                     0);
    assert_int_equal(e.count, 0);
    assert_int_equal(aa_v_field(&e, "body", obj, "n", AA_V_STRING, 0, NULL),
                     -1);
    expect_one(&e, "string_type", "body/n", STR_TYPE);
    aa_errors_free(&e);

    /* present and invalid: -1, out untouched */
    aa_errors_init(&e);
    out = NULL;
    assert_int_equal(aa_v_field(&e, "body/o", obj, "i", AA_V_BOOL, 0, &out),
                     -1);
    assert_null(out);
    expect_one(&e, "bool_type", "body/o/i", BOOL_TYPE);
    aa_errors_free(&e);

    /* an object that is not one has no fields */
    aa_errors_init(&e);
    doc = aa_t_parse_sq("[1]");
    assert_int_equal(aa_v_field(&e, "body", doc, "s", AA_V_STRING,
                                AA_V_REQUIRED, NULL),
                     -1);
    expect_one(&e, "missing", "body/s", "Field required");
    yajl_tree_free(doc);
    aa_errors_free(&e);

    yajl_tree_free(obj);
}


static void
test_fields_spec(void **state)
{
    static const aa_v_spec_t  spec[] = {
        { "id",    AA_V_STRING, AA_V_REQUIRED },
        { "name",  AA_V_STRING, AA_V_REQUIRED },
        { "flag",  AA_V_BOOL,   AA_V_NULLABLE },
        { "list",  AA_V_LIST,   0 },
        { NULL,    0,           0 }
    };

    yajl_val     obj, doc;
    aa_errors_t  e;

    obj = aa_t_parse_sq("{'name':1,'flag':null,'list':[]}");
    aa_errors_init(&e);
    aa_v_fields(&e, "body/x", obj, spec);

    assert_int_equal(e.count, 2);
    doc = aa_t_errors(&e);
    assert_non_null(aa_t_find_error(doc, "missing", "body/x/id", NULL));
    assert_non_null(aa_t_find_error(doc, "string_type", "body/x/name",
                                    STR_TYPE));
    yajl_tree_free(doc);
    aa_errors_free(&e);
    yajl_tree_free(obj);

    obj = aa_t_parse_sq("{'id':'a','name':'b','flag':true}");
    aa_errors_init(&e);
    aa_v_fields(&e, "body", obj, spec);
    assert_int_equal(e.count, 0);
    aa_errors_free(&e);
    yajl_tree_free(obj);
}


/* literals */

static void
test_is_literal(void **state)
{
    static const char *const  colours[] = { "red", "green", NULL };

    yajl_val     red, num, blue, doc;
    aa_errors_t  e;

    red = aa_t_parse_sq("'red'");
    num = aa_t_parse_sq("5");
    blue = aa_t_parse_sq("'blue'");

    assert_true(aa_v_is(red, "red"));
    assert_false(aa_v_is(red, "re"));
    assert_false(aa_v_is(red, "Red"));
    assert_false(aa_v_is(num, "5"));
    assert_false(aa_v_is(NULL, "red"));

    aa_errors_init(&e);
    assert_int_equal(aa_v_literal(&e, "body/c", red, colours,
                                  "literal_error", "red or green"),
                     1);
    assert_int_equal(e.count, 0);

    assert_int_equal(aa_v_literal(&e, "body/c", blue, colours,
                                  "enum", "red or green"),
                     0);
    expect_one(&e, "enum", "body/c", "red or green");
    doc = aa_t_errors(&e);
    assert_string_equal(aa_t_str(doc, "detail/0/input"), "blue");
    yajl_tree_free(doc);
    aa_errors_free(&e);

    yajl_tree_free(red);
    yajl_tree_free(num);
    yajl_tree_free(blue);
}


/* lax integers */

static void
expect_int(const char *sq, int64_t min, int64_t max, int64_t want)
{
    int64_t      n;
    yajl_val     v;
    aa_errors_t  e;

    v = aa_t_parse_sq(sq);
    aa_errors_init(&e);
    n = ~want;          /* anything but want */

    if (aa_v_int(&e, "body/n", v, min, max, &n) != 1 || e.count) {
        fprintf(stderr, "refused: %s\n", sq);
        fail();
    }

    assert_true(n == want);

    aa_errors_free(&e);
    yajl_tree_free(v);
}


static void
expect_int_error(const char *sq, int64_t min, int64_t max, const char *type,
    const char *msg)
{
    int64_t      n;
    yajl_val     v;
    aa_errors_t  e;

    v = aa_t_parse_sq(sq);
    aa_errors_init(&e);
    n = 42;

    assert_int_equal(aa_v_int(&e, "body/n", v, min, max, &n), 0);
    assert_true(n == 42);
    expect_one(&e, type, "body/n", msg);

    aa_errors_free(&e);
    yajl_tree_free(v);
}


static void
test_int_accepted(void **state)
{
    expect_int("10", 0, 100, 10);
    expect_int("-3", -5, 5, -3);
    expect_int("-0", 0, 0, 0);
    expect_int("50.0", 0, 100, 50);
    expect_int("1e2", 0, 100, 100);
    expect_int("-1.5e1", -20, 0, -15);
    expect_int("'50'", 0, 100, 50);
    expect_int("' 7 '", 0, 100, 7);
    expect_int("'\\t\\n7\\r'", 0, 100, 7);
    expect_int("'+12'", 0, 100, 12);
    expect_int("'-12'", -100, 0, -12);
    expect_int("'0010'", 0, 100, 10);
    expect_int("'9223372036854775807'", INT64_MIN, INT64_MAX, INT64_MAX);
    expect_int("'-9223372036854775808'", INT64_MIN, INT64_MAX, INT64_MIN);
}


static void
test_int_refused(void **state)
{
    expect_int_error("true", 0, 9, "int_type", INT_TYPE);
    expect_int_error("false", 0, 9, "int_type", INT_TYPE);
    expect_int_error("null", 0, 9, "int_type", INT_TYPE);
    expect_int_error("[]", 0, 9, "int_type", INT_TYPE);
    expect_int_error("{}", 0, 9, "int_type", INT_TYPE);

    expect_int_error("''", 0, 9, "int_parsing", INT_PARSING);
    expect_int_error("' '", 0, 9, "int_parsing", INT_PARSING);
    expect_int_error("'abc'", 0, 9, "int_parsing", INT_PARSING);
    expect_int_error("'5.0'", 0, 9, "int_parsing", INT_PARSING);
    expect_int_error("'1e2'", 0, 9, "int_parsing", INT_PARSING);
    expect_int_error("'5x'", 0, 9, "int_parsing", INT_PARSING);
    expect_int_error("'5 5'", 0, 9, "int_parsing", INT_PARSING);
    expect_int_error("'-'", 0, 9, "int_parsing", INT_PARSING);
    expect_int_error("'+-5'", 0, 9, "int_parsing", INT_PARSING);

    expect_int_error("1.5", 0, 9, "int_from_float", INT_FLOAT);
    expect_int_error("9.0000001", 0, 99, "int_from_float", INT_FLOAT);
    expect_int_error("1e400", 0, 9, "finite_number",
                     "Input should be a finite number");
}


static void
test_int_bounds(void **state)
{
    expect_int("1", 1, 10000, 1);
    expect_int("10000", 1, 10000, 10000);

    expect_int_error("0", 1, 10000, "greater_than_equal",
                     "Input should be greater than or equal to 1");
    expect_int_error("'0'", 1, 10000, "greater_than_equal",
                     "Input should be greater than or equal to 1");
    expect_int_error("10001", 1, 10000, "less_than_equal",
                     "Input should be less than or equal to 10000");
    expect_int_error("-7", -5, 5, "greater_than_equal",
                     "Input should be greater than or equal to -5");

    /* beyond int64 saturates, so the range check refuses it */
    expect_int_error("99999999999999999999", 0, INT64_MAX - 1,
                     "less_than_equal", NULL);
    expect_int_error("'99999999999999999999'", 0, INT64_MAX - 1,
                     "less_than_equal", NULL);
    expect_int_error("'-9223372036854775809'", INT64_MIN + 1, 0,
                     "greater_than_equal", NULL);
    expect_int_error("1e19", 0, INT64_MAX - 1, "less_than_equal", NULL);
    expect_int_error("-1e300", INT64_MIN + 1, 0, "greater_than_equal",
                     NULL);
}


/* URLs */

static void
expect_url_ok(const char *url)
{
    const char  *type;

    type = NULL;

    if (aa_v_url(url, strlen(url), &type) != NULL) {
        fail_msg("refused: %s", url);
    }
}


static void
expect_url_bad(const char *url, const char *type, const char *msg)
{
    const char  *got, *got_type;

    got = aa_v_url(url, strlen(url), &got_type);

    if (got == NULL) {
        fail_msg("accepted: %s", url);
    }

    assert_string_equal(got_type, type);

    if (msg != NULL) {
        assert_string_equal(got, msg);
    }
}


static void
test_url_ok(void **state)
{
    expect_url_ok("http://a");
    expect_url_ok("https://example.test/hooks/letta");
    expect_url_ok("https://x.test:8443/p?q=1&r=2#frag");
    expect_url_ok("http://user:pw@host.test/");
    expect_url_ok("http://a@b@host.test/");
    expect_url_ok("http://[::1]:8080/cb");
    expect_url_ok("http://[2001:db8::1.2.3.4]/");
    expect_url_ok("http://127.0.0.1:65535");
    expect_url_ok("HTTPS://EXAMPLE.TEST/");
    expect_url_ok("http://host:/path");
    expect_url_ok("http://h?x");
    expect_url_ok("http://h#x");
    expect_url_ok("http://h_1.-~/");
    expect_url_ok("http://b\xc3\xbc" "cher.test/");
}


static void
test_url_bad(void **state)
{
    expect_url_bad("ftp://x.test/", "url_scheme", URL_SCHEME);
    expect_url_bad("file:///etc/passwd", "url_scheme", URL_SCHEME);
    expect_url_bad("javascript:alert(1)", "url_scheme", URL_SCHEME);
    expect_url_bad("httpx://a", "url_scheme", URL_SCHEME);
    expect_url_bad("gopher://a:70/", "url_scheme", URL_SCHEME);

    expect_url_bad("", "url_parsing", URL_REL);
    expect_url_bad("example.test/hook", "url_parsing", URL_REL);
    expect_url_bad("/hook", "url_parsing", URL_REL);
    expect_url_bad("://a", "url_parsing", URL_REL);
    expect_url_bad("1http://a", "url_parsing", URL_REL);
    expect_url_bad("http", "url_parsing", URL_REL);

    expect_url_bad("http://", "url_parsing", URL_HOST);
    expect_url_bad("http:///x", "url_parsing", URL_HOST);
    expect_url_bad("http:x", "url_parsing", URL_HOST);
    expect_url_bad("http:/x", "url_parsing", URL_HOST);
    expect_url_bad("http://user@/x", "url_parsing", URL_HOST);
    expect_url_bad("http://:80/", "url_parsing", URL_HOST);

    expect_url_bad("http://h:99999/", "url_parsing", URL_PORT);
    expect_url_bad("http://h:65536", "url_parsing", URL_PORT);
    expect_url_bad("http://h:8x/", "url_parsing", URL_PORT);
    expect_url_bad("http://[::1]x/", "url_parsing", URL_PORT);

    expect_url_bad("http://a b/", "url_parsing", URL_CHAR);
    expect_url_bad("http://a/b c", "url_parsing", URL_CHAR);
    expect_url_bad(" http://a/", "url_parsing", URL_CHAR);
    expect_url_bad("http://a/\t", "url_parsing", URL_CHAR);
    expect_url_bad("http://a/\n", "url_parsing", URL_CHAR);
    expect_url_bad("http://a/\x7f", "url_parsing", URL_CHAR);

    expect_url_bad("http://[zz]/", "url_parsing", URL_IPV6);
    expect_url_bad("http://[::1/", "url_parsing", URL_IPV6);
    expect_url_bad("http://[]/", "url_parsing", URL_IPV6);
    expect_url_bad("http://exa<mple/", "url_parsing", URL_DOMAIN);
    expect_url_bad("http://a\\b/", "url_parsing", URL_DOMAIN);
}


static void
test_url_length(void **state)
{
    char         url[AA_V_URL_MAX + 2];
    const char  *type;

    /* AA_V_URL_MAX bytes pass, one more does not */
    memcpy(url, "http://a/", 9);
    memset(url + 9, 'p', AA_V_URL_MAX - 9);
    url[AA_V_URL_MAX] = '\0';
    expect_url_ok(url);

    url[AA_V_URL_MAX] = 'p';
    url[AA_V_URL_MAX + 1] = '\0';
    expect_url_bad(url, "url_too_long",
                   "URL should have at most 2048 characters");

    /* len counts, not a NUL: "http://a" */
    assert_null(aa_v_url(url, 8, &type));
}


/* bodies */

static void
expect_body_error(const char *body, size_t len, size_t max_depth,
    const char *type, const char *ctx_error)
{
    yajl_val     root, doc, item;
    aa_errors_t  e;

    aa_errors_init(&e);
    root = aa_v_body(&e, body, len, max_depth);
    assert_null(root);

    expect_one(&e, type, "body", NULL);

    doc = aa_t_errors(&e);
    item = aa_t_get(doc, "detail/0");

    if (ctx_error != NULL) {
        assert_string_equal(aa_t_str(item, "ctx/error"), ctx_error);
    }

    yajl_tree_free(doc);
    aa_errors_free(&e);
}


static void
test_body(void **state)
{
    yajl_val     root, doc;
    aa_errors_t  e;

    aa_errors_init(&e);
    root = aa_v_body(&e, "{\"a\":{}}", 8, AA_JSON_MAX_DEPTH);
    assert_true(YAJL_IS_OBJECT(root));
    assert_int_equal(e.count, 0);
    yajl_tree_free(root);

    /* the depth is the caller's */
    root = aa_v_body(&e, "{\"a\":{}}", 8, 2);
    assert_non_null(root);
    yajl_tree_free(root);
    aa_errors_free(&e);

    expect_body_error("{\"a\":{}}", 8, 1, "json_invalid",
                      "nesting too deep");

    expect_body_error("", 0, AA_JSON_MAX_DEPTH, "missing", NULL);
    expect_body_error("null", 4, AA_JSON_MAX_DEPTH, "missing", NULL);
    expect_body_error("{", 1, AA_JSON_MAX_DEPTH, "json_invalid", NULL);
    expect_body_error("{\"a\":1,\"a\":2}", 13, AA_JSON_MAX_DEPTH,
                      "json_invalid", "duplicate key in object");

    /* another value is model_attributes_type, with itself as input */
    aa_errors_init(&e);
    assert_null(aa_v_body(&e, "[1,2]", 5, AA_JSON_MAX_DEPTH));
    expect_one(&e, "model_attributes_type", "body", MODEL_TYPE);
    doc = aa_t_errors(&e);
    assert_int_equal(aa_t_len(doc, "detail/0/input"), 2);
    yajl_tree_free(doc);
    aa_errors_free(&e);

    /* the missing body has no input */
    aa_errors_init(&e);
    assert_null(aa_v_body(&e, "", 0, AA_JSON_MAX_DEPTH));
    doc = aa_t_errors(&e);
    assert_int_equal(aa_t_type(doc, "detail/0/input"), -1);
    assert_string_equal(aa_t_str(doc, "detail/0/msg"), "Field required");
    yajl_tree_free(doc);
    aa_errors_free(&e);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_loc),
        cmocka_unit_test(test_loc_cut),
        cmocka_unit_test(test_check_kinds),
        cmocka_unit_test(test_check_strlist_items),
        cmocka_unit_test(test_field_flags),
        cmocka_unit_test(test_fields_spec),
        cmocka_unit_test(test_is_literal),
        cmocka_unit_test(test_int_accepted),
        cmocka_unit_test(test_int_refused),
        cmocka_unit_test(test_int_bounds),
        cmocka_unit_test(test_url_ok),
        cmocka_unit_test(test_url_bad),
        cmocka_unit_test(test_url_length),
        cmocka_unit_test(test_body),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
