/*
 * jsonparse.h - reading a JSON document (RFC 8259) into a tree.
 *
 * For files mitmwatch reads back (summary.json for `mitmwatch merge`, event
 * lines for --csv), which are input like any other. The parsing is
 * jansson's (docs/dependencies.md); this API is a read-only view of its
 * tree with indexed members. Nesting is capped (MW_JSON_PARSE_MAX_DEPTH),
 * a duplicate member name is refused, and any error names the line and
 * column (jansson's: the last character of the offending token). Strings
 * are UTF-8; \u0000, lone surrogates and invalid UTF-8 are refused.
 * Integers read back exactly from -2^63 to 2^64-1; beyond, or a real beyond
 * double's range, the document is refused.
 *
 * The whole tree lives in one document and is freed with it.
 */
#ifndef MW_JSONPARSE_H
#define MW_JSONPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MW_JSON_PARSE_MAX_DEPTH 64

typedef enum mw_jv_type {
    MW_JV_NULL,
    MW_JV_BOOL,
    MW_JV_NUMBER,
    MW_JV_STRING,
    MW_JV_ARRAY,
    MW_JV_OBJECT,
} mw_jv_type;

typedef struct mw_jv mw_jv;     /* a value; private */
typedef struct mw_jdoc mw_jdoc; /* a parsed document; private */

/* Parses text[0..len) (one value, surrounding white space allowed). NULL on
 * error, with "line L, column C: what" in err, or on out of memory
 * ("out of memory"). */
mw_jdoc *mw_jdoc_parse(const uint8_t *text, size_t len, char *err, size_t errlen);
/* Reads and parses a whole file; errors are "PATH: what" or
 * "PATH: line L, column C: what". max_bytes bounds the file's size. */
mw_jdoc *mw_jdoc_load_file(const char *path, size_t max_bytes, char *err, size_t errlen);
void mw_jdoc_free(mw_jdoc *doc);
const mw_jv *mw_jdoc_root(const mw_jdoc *doc);

/* Every accessor takes NULL and answers "absent" (NULL, 0, false), so a
 * chain of lookups needs one check at the end. */
mw_jv_type mw_jv_type_of(const mw_jv *v);          /* MW_JV_NULL for NULL */
const mw_jv *mw_jv_get(const mw_jv *obj, const char *key); /* the member of that name */
size_t mw_jv_len(const mw_jv *v);                  /* array or object members */
const mw_jv *mw_jv_at(const mw_jv *arr_or_obj, size_t i);  /* i-th element / member value */
const char *mw_jv_key_at(const mw_jv *obj, size_t i);      /* i-th member name */
/* The string (NUL-terminated; *len, if given, is its length, which never
 * counts an inner NUL: \u0000 is refused), or NULL if not a string. */
const char *mw_jv_str(const mw_jv *v, size_t *len);
bool mw_jv_bool(const mw_jv *v, bool *out);
/* An integer that fits exactly (no fraction, no exponent). */
bool mw_jv_u64(const mw_jv *v, uint64_t *out);
bool mw_jv_i64(const mw_jv *v, int64_t *out);
bool mw_jv_double(const mw_jv *v, double *out);

#endif /* MW_JSONPARSE_H */
