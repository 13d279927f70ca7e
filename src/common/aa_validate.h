/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * The generic validator the body schemas are built on (aa_request.c,
 * aa_agent.c): parse a body, check fields by kind, lax integers, URLs.
 * Every check adds pydantic-like errors (aa_errors.h) at a loc such as
 * "body/messages/0/role", at most AA_LOC_MAX bytes.
 */

#ifndef AA_VALIDATE_H
#define AA_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "aa_errors.h"
#include "aa_json_doc.h"

/* results of the body parsers built on this validator */
#define AA_OK        0
#define AA_INVALID   1          /* errors holds the 422 list */
#define AA_NOMEM    -1

#define AA_LOC_MAX      256
#define AA_V_URL_MAX    2048    /* bytes, see aa_v_url() */

#define AA_V_REQUIRED   0x01    /* absent: "missing" */
#define AA_V_NULLABLE   0x02    /* null is valid */

typedef enum {
    AA_V_STRING = 0,            /* string_type */
    AA_V_BOOL,                  /* bool_type, JSON true/false only */
    AA_V_DICT,                  /* dict_type: a free-form object */
    AA_V_MODEL,                 /* model_attributes_type: a typed object */
    AA_V_LIST,                  /* list_type */
    AA_V_STRLIST,               /* list_type, then string_type per item */
    AA_V_INT                    /* lax integer, see aa_v_int() */
} aa_v_kind_e;

/* one field of an object; a table of them ends with key NULL */
typedef struct {
    const char   *key;
    aa_v_kind_e   kind;
    int           flags;
} aa_v_spec_t;


/*
 * Parses a request body that must be a JSON object.  Returns the tree, or
 * NULL with one error added: an empty body is "missing" (loc body, "Field
 * required"), as is a JSON null; unparsable text is "json_invalid" ("JSON
 * decode error", ctx.error = aa_json_parse()'s reason); any other value is
 * "model_attributes_type" ("Input should be a valid dictionary or object to
 * extract fields from").  max_depth: see aa_json_parse_depth().
 */
yajl_val aa_v_body(aa_errors_t *e, const char *body, size_t len,
    size_t max_depth);

/*
 * The same, parsed into one arena (aa_json_doc.h): the document, its
 * object in aa_json_doc_root(), to be freed with aa_json_doc_free().
 */
aa_json_doc_t *aa_v_body_doc(aa_errors_t *e, const char *body, size_t len,
    size_t max_depth);

/* parent "/" key, or parent "/" i; cut to AA_LOC_MAX - 1 bytes */
void aa_v_loc(char *out, const char *parent, const char *key);
void aa_v_loc_idx(char *out, const char *parent, size_t i);

/*
 * v, present and not null, against kind: 1 when valid, else 0 with the
 * kind's error added at loc (for AA_V_STRLIST, one per bad item).
 */
int aa_v_check(aa_errors_t *e, const char *loc, yajl_val v,
    aa_v_kind_e kind);

/*
 * Checks obj[key] against kind and flags, adding errors at parent/key.
 * Returns 1 when present, not null and valid (*out, if not NULL, is set
 * to the value), 0 when validly absent or null, -1 when an error was added.
 */
int aa_v_field(aa_errors_t *e, const char *parent, yajl_val obj,
    const char *key, aa_v_kind_e kind, int flags, yajl_val *out);

/* aa_v_field() for every entry of spec */
void aa_v_fields(aa_errors_t *e, const char *parent, yajl_val obj,
    const aa_v_spec_t *spec);

/* 1 when v is the string s */
int aa_v_is(yajl_val v, const char *s);

/*
 * 1 when v is one of the strings of values (NULL-terminated), else 0 with
 * the error type and msg added at loc.
 */
int aa_v_literal(aa_errors_t *e, const char *loc, yajl_val v,
    const char *const *values, const char *type, const char *msg);

/*
 * Lax integer, as pydantic: a JSON integer, an integral number (50.0, 1e2)
 * or a decimal string (" 50 ", "+5"); booleans and anything else are
 * int_type.  Then min <= n <= max (greater_than_equal, less_than_equal).
 * Returns 1 and sets *out, or 0 with an error added.
 */
int aa_v_int(aa_errors_t *e, const char *loc, yajl_val v, int64_t min,
    int64_t max, int64_t *out);

/*
 * Absolute http(s) URL check.  Returns NULL when s is acceptable, else the
 * pydantic-like message, with the error type in *type: "url_too_long"
 * (over AA_V_URL_MAX bytes), "url_parsing" (relative, no host, bad port,
 * space or control character), "url_scheme" (neither http nor https).
 */
const char *aa_v_url(const char *s, size_t len, const char **type);

#endif
