/*
 * Copyright (C) 2026, the ngx_http_agent_async_module authors.
 *
 * Guarded JSON parsing.  yajl_tree frees recursively, so a body nested a
 * million levels deep would overflow the stack of an nginx worker: the
 * depth is checked with a flat scan before yajl sees the text.
 */

#ifndef AA_JSON_H
#define AA_JSON_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#define AA_JSON_MAX_DEPTH  64

/*
 * Parses text (len bytes, text[len] must be '\0').  Returns the tree, or
 * NULL with a short one-line reason in err (errlen bytes, always
 * NUL-terminated; err may be NULL).  Stricter than yajl_tree_parse():
 *
 *   - nesting deeper than AA_JSON_MAX_DEPTH: "nesting too deep";
 *   - a NUL byte in the text: "invalid NUL byte";
 *   - comments (yajl_tree allows them): "comments are not allowed";
 *   - the escape \u0000 in a string (yajl_tree keeps no string lengths,
 *     the string would be cut): "\u0000 is not supported in strings";
 *   - an object with the same key twice (consumers would disagree on
 *     which one counts): "duplicate key in object";
 *   - bytes that are not well-formed UTF-8, including what yajl accepts:
 *     overlong forms (C0 80), encoded surrogates, code points above
 *     U+10FFFF: "invalid UTF-8".
 *
 * Free the tree with yajl_tree_free().
 */
yajl_val aa_json_parse(const char *text, size_t len, char *err,
    size_t errlen);

/*
 * The same with a lower depth limit (capped at AA_JSON_MAX_DEPTH), for
 * input that is re-emitted nested deeper: a JSON produced from it must
 * still pass aa_json_parse().
 */
yajl_val aa_json_parse_depth(const char *text, size_t len, size_t max_depth,
    char *err, size_t errlen);

/*
 * The two checks aa_json_parse() makes around yajl, for other builders of
 * trees (aa_json_doc.h): aa_json_prescan() is the flat pass over the text
 * (depth, NULs, comments, \u0000, UTF-8), 0 or -1 with err set;
 * aa_json_dup_keys() is 1 when an object below v has a key twice, -1 when
 * out of memory, else 0.
 */
int aa_json_prescan(const char *text, size_t len, size_t max_depth,
    char *err, size_t errlen);
int aa_json_dup_keys(yajl_val v);

/*
 * 1 for the bytes a JSON string holds as they are, unescaped: 0x20 - 0x7f
 * but '"' and '\\' (bytes from 0x80 on are 0: UTF-8 is checked apart).
 */
extern const unsigned char  aa_json_plain[256];

/*
 * Object member lookup; NULL when absent or not an object.  Keys are
 * unique in trees from aa_json_parse().
 */
yajl_val aa_json_get(yajl_val obj, const char *key);

#endif
