/*
 * json.c - see json.h.
 */
#include "common/json.h"

#include "common/decimal.h"

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

size_t mw_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    uint8_t c = s[0];
    size_t need;
    uint32_t v;
    if (c < 0x80) {
        need = 1;
        v = c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        v = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        v = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        v = c & 0x07u;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    /* Overlong 2-byte forms are excluded by the lead byte (>= 0xC2). */
    if ((need == 3 && v < 0x800) || (need == 4 && v < 0x10000) ||
        (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return 0;
    if (cp)
        *cp = v;
    return need;
}

static void append_escaped(mw_json *j, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    append_c(j, '"');
    size_t i = 0;
    while (i < n && !j->failed) {
        /* A run of printable ASCII needs no escaping: copied at once. */
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x7F && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i) {
            append(j, (const char *)s + i, run - i);
            i = run;
            continue;
        }
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
            size_t k = mw_utf8_decode(s + i, n - i, NULL);
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
    size_t n = mw_decimal(v, b);
    before_value(j);
    append(j, b, n);
}

void mw_json_int(mw_json *j, int64_t v)
{
    char b[24];
    /* The magnitude as unsigned: -INT64_MIN does not fit an int64_t. */
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t k = v < 0;
    b[0] = '-';
    size_t n = k + mw_decimal(m, b + k);
    before_value(j);
    append(j, b, n);
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

void mw_json_members(mw_json *j, const mw_json *obj)
{
    if (obj->failed || obj->len < 2 || obj->buf[0] != '{' || obj->buf[obj->len - 1] != '}') {
        j->failed = true;
        return;
    }
    if (obj->len == 2)
        return; /* {} */
    before_value(j);
    append(j, obj->buf + 1, obj->len - 2);
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

const char *mw_format_timestamp_secs(int64_t secs, char *buf, size_t buflen)
{
    time_t tt = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(buf, buflen, "invalid-time");
        return buf;
    }
    snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

/* Proleptic Gregorian calendar (H. Hinnant's algorithms): no timegm(), no
 * time_t range limits, the same answer everywhere. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

mw_civil_time mw_civil_from_secs(int64_t secs)
{
    int64_t z = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        z--;
    }
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    mw_civil_time c;
    c.day = doy - (153 * mp + 2) / 5 + 1;
    c.month = mp < 10 ? mp + 3 : mp - 9;
    c.year = (int64_t)yoe + era * 400 + (c.month <= 2);
    c.hour = (unsigned)(sod / 3600);
    c.minute = (unsigned)(sod / 60 % 60);
    c.second = (unsigned)(sod % 60);
    return c;
}

/* The n decimal digits at p (n <= 6, so no overflow). */
static bool digits(const char *p, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/*
 * The fields are read, then the instant is converted back to calendar
 * fields, which must be the ones read: that refuses the days a month does
 * not have (2019-02-29), as a re-formatting and comparing of the text would.
 * The year is spelled as "%04d" spells it: four digits, or five or six
 * without a leading zero.
 */
bool mw_parse_timestamp(const char *s, size_t len, unsigned forms, int64_t *secs,
                        uint32_t *usec)
{
    if (!s)
        return false;
    size_t yl = 0;
    while (yl < len && yl < 7 && s[yl] >= '0' && s[yl] <= '9')
        yl++;
    if (yl < 4 || yl > 6 || (yl > 4 && s[0] == '0'))
        return false;
    /* After the year: "-MM-DDTHH:MM:SS" then "Z" or ".ffffffZ". */
    const char *p = s + yl;
    size_t rest = len - yl;
    bool micro;
    if (rest == 16 && (forms & MW_TS_SECS))
        micro = false;
    else if (rest == 23 && (forms & MW_TS_USEC))
        micro = true;
    else
        return false;
    int64_t y, mo, d, h, mi, se, frac = 0;
    if (!digits(s, yl, &y) || p[0] != '-' || !digits(p + 1, 2, &mo) || p[3] != '-' ||
        !digits(p + 4, 2, &d) || p[6] != 'T' || !digits(p + 7, 2, &h) || p[9] != ':' ||
        !digits(p + 10, 2, &mi) || p[12] != ':' || !digits(p + 13, 2, &se))
        return false;
    p += 15;
    if (micro) {
        if (p[0] != '.' || !digits(p + 1, 6, &frac))
            return false;
        p += 7;
    }
    if (p[0] != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return false;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    mw_civil_time c = mw_civil_from_secs(t);
    if (c.year != y || c.month != (unsigned)mo || c.day != (unsigned)d)
        return false;
    /* What a uint64_t of microseconds holds, every microsecond of the
     * second included. */
    if (micro && (t < 0 || (uint64_t)t > UINT64_MAX / 1000000u - 1))
        return false;
    if (secs)
        *secs = t;
    if (usec)
        *usec = (uint32_t)frac;
    return true;
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
