/*
 * json.c - see json.h.
 */
#include "json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void mw_json_init(mw_json *j)
{
    memset(j, 0, sizeof(*j));
}

void mw_json_free(mw_json *j)
{
    free(j->buf);
    memset(j, 0, sizeof(*j));
}

void mw_json_reset(mw_json *j)
{
    j->len = 0;
    j->depth = 0;
    j->after_key = false;
    j->failed = false;
    j->need_comma[0] = false;
    if (j->buf)
        j->buf[0] = '\0';
}

static bool reserve(mw_json *j, size_t extra)
{
    if (j->failed)
        return false;
    /* +1 keeps room for the terminating NUL at all times. */
    if (j->len + extra + 1 <= j->cap)
        return true;
    size_t cap = j->cap ? j->cap : 256;
    while (cap < j->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            j->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *nb = realloc(j->buf, cap);
    if (!nb) {
        j->failed = true;
        return false;
    }
    j->buf = nb;
    j->cap = cap;
    return true;
}

static void append(mw_json *j, const char *s, size_t n)
{
    if (!reserve(j, n))
        return;
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void append_c(mw_json *j, char c)
{
    append(j, &c, 1);
}

/* Emits the separator a new value needs at the current depth. */
static void before_value(mw_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->need_comma[j->depth])
        append_c(j, ',');
    j->need_comma[j->depth] = true;
}

static void open_container(mw_json *j, char c)
{
    before_value(j);
    append_c(j, c);
    if (j->depth + 1 >= MW_JSON_MAX_DEPTH) {
        j->failed = true;
        return;
    }
    j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_container(mw_json *j, char c)
{
    if (j->depth == 0) {
        j->failed = true;
        return;
    }
    j->depth--;
    append_c(j, c);
}

void mw_json_object_begin(mw_json *j) { open_container(j, '{'); }
void mw_json_object_end(mw_json *j) { close_container(j, '}'); }
void mw_json_array_begin(mw_json *j) { open_container(j, '['); }
void mw_json_array_end(mw_json *j) { close_container(j, ']'); }

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one.
 * Rejects overlong forms, surrogates and code points above U+10FFFF, so
 * what passes through is valid for any JSON parser. */
static size_t utf8_sequence_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return need;
}

static void append_escaped(mw_json *j, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    append_c(j, '"');
    size_t i = 0;
    while (i < n && !j->failed) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            append(j, e, 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            append(j, e, 6);
            i++;
        } else {
            size_t k = utf8_sequence_len(s + i, n - i);
            if (k == 0) {
                char e[6] = {'\\', '\\', 'x', hex[c >> 4], hex[c & 15]};
                append(j, e, 5);
                i++;
            } else {
                append(j, (const char *)s + i, k);
                i += k;
            }
        }
    }
    append_c(j, '"');
}

void mw_json_key(mw_json *j, const char *key)
{
    before_value(j);
    append_escaped(j, (const uint8_t *)key, strlen(key));
    append_c(j, ':');
    j->after_key = true;
}

void mw_json_string(mw_json *j, const char *s)
{
    if (!s) {
        mw_json_null(j);
        return;
    }
    mw_json_string_n(j, s, strlen(s));
}

void mw_json_string_n(mw_json *j, const void *s, size_t n)
{
    before_value(j);
    append_escaped(j, s, n);
}

void mw_json_uint(mw_json *j, uint64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%" PRIu64, v);
    before_value(j);
    append(j, b, (size_t)n);
}

void mw_json_int(mw_json *j, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%" PRId64, v);
    before_value(j);
    append(j, b, (size_t)n);
}

void mw_json_bool(mw_json *j, bool v)
{
    before_value(j);
    if (v)
        append(j, "true", 4);
    else
        append(j, "false", 5);
}

void mw_json_null(mw_json *j)
{
    before_value(j);
    append(j, "null", 4);
}

void mw_json_raw(mw_json *j, const char *text, size_t n)
{
    before_value(j);
    append(j, text, n);
}

void mw_json_kv_string(mw_json *j, const char *key, const char *s)
{
    mw_json_key(j, key);
    mw_json_string(j, s);
}

void mw_json_kv_uint(mw_json *j, const char *key, uint64_t v)
{
    mw_json_key(j, key);
    mw_json_uint(j, v);
}

void mw_json_kv_bool(mw_json *j, const char *key, bool v)
{
    mw_json_key(j, key);
    mw_json_bool(j, v);
}

void mw_json_kv_null(mw_json *j, const char *key)
{
    mw_json_key(j, key);
    mw_json_null(j);
}

const char *mw_format_timestamp(uint64_t ts_us, char *buf, size_t buflen)
{
    time_t secs = (time_t)(ts_us / 1000000u);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(buf, buflen, "invalid-time");
        return buf;
    }
    snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (unsigned)(ts_us % 1000000u));
    return buf;
}

void mw_json_timestamp(mw_json *j, uint64_t ts_us)
{
    char b[MW_TIMESTAMP_LEN];
    mw_json_string(j, mw_format_timestamp(ts_us, b, sizeof b));
}

const char *mw_json_text(mw_json *j)
{
    if (!j->buf)
        return "";
    return j->buf;
}

bool mw_json_write_line(mw_json *j, FILE *out)
{
    bool ok = !j->failed && j->depth == 0;
    if (ok) {
        append_c(j, '\n');
        ok = !j->failed && fwrite(j->buf, 1, j->len, out) == j->len;
    }
    mw_json_reset(j);
    return ok;
}
