/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * A JSON document parsed into one arena: the same yajl_val tree, with the
 * same checks, as aa_json_parse(), but built from yajl's event parser into
 * a few large blocks instead of two mallocs per value, and freed at once.
 * For request bodies, where a 1 MiB body can hold half a million values.
 */

#ifndef AA_JSON_DOC_H
#define AA_JSON_DOC_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

typedef struct aa_json_doc_s  aa_json_doc_t;

/*
 * Parses text (len bytes, text[len] must be '\0') as aa_json_parse_depth()
 * does, with the same refusals and reasons in err.  Returns the document,
 * its tree in aa_json_doc_root(); NULL on refusal.  The tree must not be
 * given to yajl_tree_free(): aa_json_doc_free() frees all of it.
 */
aa_json_doc_t *aa_json_doc_parse(const char *text, size_t len,
    size_t max_depth, char *err, size_t errlen);
yajl_val aa_json_doc_root(const aa_json_doc_t *doc);

/*
 * 1 when the document was built by the parser of its own (the fast path,
 * which takes the common JSON), 0 when by yajl's (which takes the rest):
 * for the tests.
 */
int aa_json_doc_fast(const aa_json_doc_t *doc);
void aa_json_doc_free(aa_json_doc_t *doc);

#endif
