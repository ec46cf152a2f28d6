/*
 * report_escape.c - values read from the parsed summary.json through the
 * NULL-tolerant mw_jv accessors, so a member that is missing or of the
 * wrong type reads as absent or 0 and a hand-edited file can never crash
 * the writer; and every string written HTML-escaped, since all of them
 * came off the wire.
 */
#include "output/report_html_internal.h"

#include <inttypes.h>
#include <string.h>

#include "common/json.h"

const char *const rh_vkeys[NV] = {"intercepted", "suspicious", "clean", "opaque", "incomplete"};

/* ---- values ------------------------------------------------------------ */

uint64_t rh_num(const mw_jv *v)
{
    uint64_t u = 0;
    return mw_jv_u64(v, &u) ? u : 0;
}

uint64_t rh_sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

size_t rh_arr_len(const mw_jv *v)
{
    return mw_jv_type_of(v) == MW_JV_ARRAY ? mw_jv_len(v) : 0;
}

/* The five verdict counts of a verdict-count object; returns their sum. */
uint64_t rh_vcounts(const mw_jv *o, uint64_t c[NV])
{
    uint64_t sum = 0;
    for (int i = 0; i < NV; i++) {
        c[i] = rh_num(mw_jv_get(o, rh_vkeys[i]));
        sum = rh_sat_add(sum, c[i]);
    }
    return sum;
}

double rh_pct(uint64_t k, uint64_t n)
{
    return n ? 100.0 * (double)k / (double)n : 0.0;
}

/* ---- time -------------------------------------------------------------- */

/* A summary time, either form (events with microseconds, certificates
 * without), to seconds since the epoch; the fraction is not shown. */
bool rh_parse_time(const mw_jv *v, int64_t *out)
{
    size_t n = 0;
    const char *s = mw_jv_str(v, &n);
    return mw_parse_timestamp(s, n, MW_TS_ANY, out, NULL);
}

/* ---- output ------------------------------------------------------------ */

/* Characters that would let wire data disguise itself: C1 controls,
 * zero-width and direction overrides, BOM. */
static bool sneaky(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

/* HTML text or attribute value (the page quotes attributes with "). */
void rh_esc_n(FILE *o, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            switch (c) {
            case '&': fputs("&amp;", o); break;
            case '<': fputs("&lt;", o); break;
            case '>': fputs("&gt;", o); break;
            case '"': fputs("&quot;", o); break;
            case '\'': fputs("&#39;", o); break;
            default:
                if (c < 0x20 || c == 0x7f)
                    fprintf(o, "\\x%02x", c);
                else
                    fputc(c, o);
            }
            i++;
            continue;
        }
        uint32_t cp = 0;
        size_t len = mw_utf8_decode(s + i, n - i, &cp); /* s[i] >= 0x80 here */
        if (len == 0) {
            fprintf(o, "\\x%02x", c);
            i++;
        } else {
            if (sneaky(cp))
                fprintf(o, "\\u{%04" PRIx32 "}", cp);
            else
                fwrite(s + i, 1, len, o);
            i += len;
        }
    }
}

void rh_esc(FILE *o, const char *s)
{
    if (s)
        rh_esc_n(o, s, strlen(s));
}

/* At most max characters of s, escaped, with an ellipsis if cut: for SVG
 * labels, which do not wrap. */
void rh_esc_cut(FILE *o, const char *s, size_t max)
{
    if (!s)
        return;
    size_t n = strlen(s), i = 0, chars = 0;
    while (i < n && chars < max) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        chars++;
    }
    rh_esc_n(o, s, i);
    if (i < n)
        fputs("\xe2\x80\xa6", o);
}

/* A scalar as text: strings escaped, numbers as written, null (or absent)
 * as the given HTML. */
void rh_put_val(FILE *o, const mw_jv *v, const char *null_html)
{
    uint64_t u;
    int64_t i;
    double d;
    bool b;
    switch (mw_jv_type_of(v)) {
    case MW_JV_STRING: rh_esc(o, mw_jv_str(v, NULL)); break;
    case MW_JV_NUMBER:
        if (mw_jv_u64(v, &u))
            fprintf(o, "%" PRIu64, u);
        else if (mw_jv_i64(v, &i))
            fprintf(o, "%" PRId64, i);
        else if (mw_jv_double(v, &d))
            fprintf(o, "%g", d);
        break;
    case MW_JV_BOOL: fputs(mw_jv_bool(v, &b) && b ? "true" : "false", o); break;
    case MW_JV_NULL: fputs(null_html, o); break;
    default: fputs("\xe2\x80\xa6", o); break;
    }
}
/* The members of a set, comma-separated; at most max (0: all). */
void rh_put_set(FILE *o, const mw_jv *set, size_t max, const char *null_html)
{
    size_t n = rh_arr_len(set);
    if (n == 0) {
        fputs(DASH, o);
        return;
    }
    for (size_t i = 0; i < n && (max == 0 || i < max); i++) {
        if (i)
            fputs(", ", o);
        rh_put_val(o, mw_jv_at(set, i), null_html);
    }
    if (max && n > max)
        fprintf(o, " \xe2\x80\xa6 and %zu more", n - max);
}

/* "2019-07-18 08:01:10"; secs false: "2019-07-18 08:01". */
void rh_put_civil(FILE *o, int64_t t, bool secs)
{
    mw_civil_time c = mw_civil_from_secs(t);
    fprintf(o, "%04" PRId64 "-%02u-%02u %02u:%02u", c.year, c.month, c.day, c.hour, c.minute);
    if (secs)
        fprintf(o, ":%02u", c.second);
}

/* A time member as readable text, or as written if it is no time. */
void rh_put_time(FILE *o, const mw_jv *v, bool secs)
{
    int64_t t;
    if (rh_parse_time(v, &t))
        rh_put_civil(o, t, secs);
    else
        rh_put_val(o, v, DASH);
}

/* A table cell holding a count, with the count in data-v too. */
void rh_td_num(FILE *o, const char *k, uint64_t v, const char *cls)
{
    fprintf(o, "<td class=\"n%s%s\" data-k=\"%s\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td>",
            cls ? " " : "", cls ? cls : "", k, v, v);
}

/* A table cell holding a time: data-v is the string as in summary.json
 * (escaped like every text), "" for null. */
void rh_td_time(FILE *o, const char *k, const mw_jv *v)
{
    fprintf(o, "<td class=\"t\" data-k=\"%s\" data-v=\"", k);
    if (mw_jv_type_of(v) == MW_JV_STRING)
        rh_esc(o, mw_jv_str(v, NULL));
    fputs("\">", o);
    rh_put_time(o, v, false);
    fputs("</td>", o);
}

/* data-vantage="label", or data-vantage="" data-null="true" for null. */
void rh_attr_vantage(FILE *o, const mw_jv *v)
{
    fputs(" data-vantage=\"", o);
    if (mw_jv_type_of(v) == MW_JV_STRING)
        rh_esc(o, mw_jv_str(v, NULL));
    fputs(mw_jv_type_of(v) == MW_JV_STRING ? "\"" : "\" data-null=\"true\"", o);
}
