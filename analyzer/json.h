/*
 * json.h - building one JSON Lines record at a time.
 *
 * A record is built in memory and written with one fwrite, so a line is
 * never interleaved with another writer's and a failed write is noticed.
 * Commas and nesting are tracked here, so callers only say what comes next.
 *
 * Strings from the wire (SNI, certificate names) may hold any bytes. Valid
 * UTF-8 passes through; control characters, '"' and '\' get JSON escapes;
 * every byte that is not part of valid UTF-8 is written as \\xNN in the
 * JSON text, which a parser reads back as the four characters \xNN (the
 * convention of Zeek's JSON logs). Every line is therefore valid JSON and no byte is lost.
 */
#ifndef MW_JSON_H
#define MW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MW_JSON_MAX_DEPTH 32

typedef struct mw_json {
    char *buf;
    size_t len, cap;
    int depth;
    bool need_comma[MW_JSON_MAX_DEPTH];
    bool after_key;
    bool failed; /* out of memory or nesting too deep: the record is void */
} mw_json;

void mw_json_init(mw_json *j);
void mw_json_free(mw_json *j);
/* Empties the record, keeping the buffer. */
void mw_json_reset(mw_json *j);

void mw_json_object_begin(mw_json *j);
void mw_json_object_end(mw_json *j);
void mw_json_array_begin(mw_json *j);
void mw_json_array_end(mw_json *j);

/* A member name; the next value call gives its value. */
void mw_json_key(mw_json *j, const char *key);

void mw_json_string(mw_json *j, const char *s);           /* NULL -> null */
void mw_json_string_n(mw_json *j, const void *s, size_t n); /* any bytes */
void mw_json_uint(mw_json *j, uint64_t v);
void mw_json_int(mw_json *j, int64_t v);
void mw_json_bool(mw_json *j, bool v);
void mw_json_null(mw_json *j);
/* Splices already-valid JSON text (e.g. a nested record) as a value. */
void mw_json_raw(mw_json *j, const char *text, size_t n);

/* Convenience: key and value in one call. */
void mw_json_kv_string(mw_json *j, const char *key, const char *s);
void mw_json_kv_uint(mw_json *j, const char *key, uint64_t v);
void mw_json_kv_bool(mw_json *j, const char *key, bool v);
void mw_json_kv_null(mw_json *j, const char *key);

/* ISO 8601 UTC with microseconds: "2019-07-21T09:30:00.123456Z". */
void mw_json_timestamp(mw_json *j, uint64_t ts_us);
#define MW_TIMESTAMP_LEN 32
const char *mw_format_timestamp(uint64_t ts_us, char *buf, size_t buflen);

/* The NUL-terminated text built so far (valid until the next call). */
const char *mw_json_text(mw_json *j);

/* Writes the record and a newline, then resets. Returns false if the
 * record failed (it is then not written) or the write failed. */
bool mw_json_write_line(mw_json *j, FILE *out);

#endif /* MW_JSON_H */
