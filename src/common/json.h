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
 *
 * Also here, for every module that reads or writes these records: the one
 * UTF-8 validator and the times as the records spell them (formatting,
 * strict parsing, calendar fields).
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
/* The members of obj, a complete object ("{...}" written with this API),
 * into the object open in j as if written there: a record built in two
 * pieces. A failed or malformed obj makes j fail. */
void mw_json_members(mw_json *j, const mw_json *obj);

/* Convenience: key and value in one call. */
void mw_json_kv_string(mw_json *j, const char *key, const char *s);
void mw_json_kv_uint(mw_json *j, const char *key, uint64_t v);
void mw_json_kv_bool(mw_json *j, const char *key, bool v);
void mw_json_kv_null(mw_json *j, const char *key);

/* ISO 8601 UTC with microseconds: "2019-07-21T09:30:00.123456Z". */
void mw_json_timestamp(mw_json *j, uint64_t ts_us);
#define MW_TIMESTAMP_LEN 32 /* enough for either form below */
const char *mw_format_timestamp(uint64_t ts_us, char *buf, size_t buflen);
/* Whole seconds since the epoch, the form of certificate times:
 * "2019-01-01T00:00:00Z". */
const char *mw_format_timestamp_secs(int64_t secs, char *buf, size_t buflen);

/* The forms mw_parse_timestamp accepts (a bit set). */
#define MW_TS_USEC 1u /* "2019-07-21T09:30:00.123456Z", as mw_format_timestamp */
#define MW_TS_SECS 2u /* "2019-01-01T00:00:00Z", as mw_format_timestamp_secs */
#define MW_TS_ANY (MW_TS_USEC | MW_TS_SECS)

/* Strict reading of the len bytes at s in one of the given forms: exactly
 * the text the formatter writes for some instant, nothing else (no other
 * spelling of the year, no day the month lacks, no 24:00 or leap second,
 * exactly six fraction digits, no trailing byte). The year has 4 to 6
 * digits; a MW_TS_USEC time must be one mw_format_timestamp can write
 * (from 1970 on, and secs * 1000000 + 999999 fits a uint64_t). Gives the
 * seconds since the epoch in *secs and the microseconds in *usec (0 for
 * MW_TS_SECS), each when not NULL. */
bool mw_parse_timestamp(const char *s, size_t len, unsigned forms, int64_t *secs,
                        uint32_t *usec);

/* UTC calendar fields of seconds since the epoch (proleptic Gregorian, any
 * int64_t, no time_t limits). */
typedef struct mw_civil_time {
    int64_t year;
    unsigned month, day, hour, minute, second; /* 1-12, 1-31, 0-23, 0-59, 0-59 */
} mw_civil_time;
mw_civil_time mw_civil_from_secs(int64_t secs);

/* Length (1..4) of the valid UTF-8 sequence at s, of which n bytes may be
 * read: the shortest form of a code point that is not a surrogate and at
 * most U+10FFFF, so valid for any JSON parser. 0 if there is none (or n is
 * 0). An ASCII byte, NUL included, is a sequence of 1. When the length is
 * not 0 and cp is not NULL, *cp gets the code point. */
size_t mw_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* The NUL-terminated text built so far (valid until the next call). */
const char *mw_json_text(mw_json *j);

/* Writes the record and a newline, then resets. Returns false if the
 * record failed (it is then not written) or the write failed. */
bool mw_json_write_line(mw_json *j, FILE *out);

#endif /* MW_JSON_H */
