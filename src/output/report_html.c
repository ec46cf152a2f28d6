/*
 * report_html.c - see report_html.h; the page is described in docs/report.md.
 *
 * Written straight to the FILE in one pass over the parsed tree, with no
 * allocation: nothing can fail but the write, which is checked once at the
 * end (ferror). Every lookup goes through the NULL-tolerant mw_jv
 * accessors, so a member that is missing or of the wrong type reads as
 * absent or 0 and a hand-edited file can never crash the writer.
 */
#include "output/report_html.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "common/json.h"

/* The verdicts in display order, and their colours (also in the CSS). */
enum { NV = 5 };
static const char *const VKEYS[NV] = {"intercepted", "suspicious", "clean", "opaque",
                                      "incomplete"};
/* Column heads: soft hyphens let them break, so that numeric columns stay
 * narrow and the tables fit the page. */
static const char *const VHEAD[NV] = {"inter&shy;cepted", "suspi&shy;cious", "clean", "opaque",
                                      "incom&shy;plete"};
static const char *const VCOLOR[NV] = {"#c62828", "#e8a317", "#2e7d32", "#8d8d8d",
                                       "#d0d0d0"};
/* Line colours and dash patterns of the vantages in the rate-over-time chart:
 * the dashes keep them apart without colour. */
static const char *const PALETTE[] = {"#1f5fa8", "#8e44ad", "#d35400", "#16a085",
                                      "#7f6000", "#c2185b"};
static const char *const DASHES[] = {"", "6 3", "2 3", "8 3 2 3"};
#define NPALETTE (sizeof PALETTE / sizeof PALETTE[0])
#define NDASHES (sizeof DASHES / sizeof DASHES[0])

/* Chart geometry (SVG user units; the SVG scales down with the page). */
#define CW 960.0
#define ML 56.0
#define MR 20.0
#define PW (CW - ML - MR)
#define MIN_BUCKETS 12
/* Intercepted domains listed in the headline; the table has them all. */
#define HEADLINE_MAX 12

/* ---- values ------------------------------------------------------------ */

static uint64_t num(const mw_jv *v)
{
    uint64_t u = 0;
    return mw_jv_u64(v, &u) ? u : 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static size_t arr_len(const mw_jv *v)
{
    return mw_jv_type_of(v) == MW_JV_ARRAY ? mw_jv_len(v) : 0;
}

/* The five verdict counts of a verdict-count object; returns their sum. */
static uint64_t vcounts(const mw_jv *o, uint64_t c[NV])
{
    uint64_t sum = 0;
    for (int i = 0; i < NV; i++) {
        c[i] = num(mw_jv_get(o, VKEYS[i]));
        sum = sat_add(sum, c[i]);
    }
    return sum;
}

static double pct(uint64_t k, uint64_t n)
{
    return n ? 100.0 * (double)k / (double)n : 0.0;
}

/* ---- time -------------------------------------------------------------- */

/* A summary time, either form (events with microseconds, certificates
 * without), to seconds since the epoch; the fraction is not shown. */
static bool parse_time(const mw_jv *v, int64_t *out)
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
static void esc_n(FILE *o, const char *str, size_t n)
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

static void esc(FILE *o, const char *s)
{
    if (s)
        esc_n(o, s, strlen(s));
}

/* At most max characters of s, escaped, with an ellipsis if cut: for SVG
 * labels, which do not wrap. */
static void esc_cut(FILE *o, const char *s, size_t max)
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
    esc_n(o, s, i);
    if (i < n)
        fputs("\xe2\x80\xa6", o);
}

/* A scalar as text: strings escaped, numbers as written, null (or absent)
 * as the given HTML. */
static void put_val(FILE *o, const mw_jv *v, const char *null_html)
{
    uint64_t u;
    int64_t i;
    double d;
    bool b;
    switch (mw_jv_type_of(v)) {
    case MW_JV_STRING: esc(o, mw_jv_str(v, NULL)); break;
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

#define DASH "<span class=\"na\">\xe2\x80\x94</span>"
#define UNLABELLED "<i>(unlabelled)</i>"

/* The members of a set, comma-separated; at most max (0: all). */
static void put_set(FILE *o, const mw_jv *set, size_t max, const char *null_html)
{
    size_t n = arr_len(set);
    if (n == 0) {
        fputs(DASH, o);
        return;
    }
    for (size_t i = 0; i < n && (max == 0 || i < max); i++) {
        if (i)
            fputs(", ", o);
        put_val(o, mw_jv_at(set, i), null_html);
    }
    if (max && n > max)
        fprintf(o, " \xe2\x80\xa6 and %zu more", n - max);
}

/* "2019-07-18 08:01:10"; secs false: "2019-07-18 08:01". */
static void put_civil(FILE *o, int64_t t, bool secs)
{
    mw_civil_time c = mw_civil_from_secs(t);
    fprintf(o, "%04" PRId64 "-%02u-%02u %02u:%02u", c.year, c.month, c.day, c.hour, c.minute);
    if (secs)
        fprintf(o, ":%02u", c.second);
}

/* A time member as readable text, or as written if it is no time. */
static void put_time(FILE *o, const mw_jv *v, bool secs)
{
    int64_t t;
    if (parse_time(v, &t))
        put_civil(o, t, secs);
    else
        put_val(o, v, DASH);
}

/* A table cell holding a count, with the count in data-v too. */
static void td_num(FILE *o, const char *k, uint64_t v, const char *cls)
{
    fprintf(o, "<td class=\"n%s%s\" data-k=\"%s\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td>",
            cls ? " " : "", cls ? cls : "", k, v, v);
}

/* A table cell holding a time: data-v is the string as in summary.json
 * (escaped like every text), "" for null. */
static void td_time(FILE *o, const char *k, const mw_jv *v)
{
    fprintf(o, "<td class=\"t\" data-k=\"%s\" data-v=\"", k);
    if (mw_jv_type_of(v) == MW_JV_STRING)
        esc(o, mw_jv_str(v, NULL));
    fputs("\">", o);
    put_time(o, v, false);
    fputs("</td>", o);
}

/* data-vantage="label", or data-vantage="" data-null="true" for null. */
static void attr_vantage(FILE *o, const mw_jv *v)
{
    fputs(" data-vantage=\"", o);
    if (mw_jv_type_of(v) == MW_JV_STRING)
        esc(o, mw_jv_str(v, NULL));
    fputs(mw_jv_type_of(v) == MW_JV_STRING ? "\"" : "\" data-null=\"true\"", o);
}

/* ---- chart helpers ----------------------------------------------------- */

/* A 1-2-5 step giving at most about `want` ticks up to max (>= 1). */
static double nice_step(double max, int want)
{
    double raw = max / want, p = 1;
    if (raw <= 1)
        return 1;
    while (p * 10 <= raw)
        p *= 10;
    double f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

typedef struct taxis {
    int64_t t0, t1; /* domain, seconds; t1 > t0 */
    int64_t end;    /* end of the last bucket (t1 less padding) */
    double x0, w;   /* range in user units */
} taxis;

static double tx(const taxis *a, int64_t t)
{
    return a->x0 + (double)(t - a->t0) / (double)(a->t1 - a->t0) * a->w;
}

/* Vertical grid lines and date labels under a time axis at y. Steps are
 * round spans of time; labels give the hour, and the date when it changes. */
static void time_ticks(FILE *o, const taxis *a, double ytop, double y)
{
    static const int64_t steps[] = {
        60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
        1209600, 2592000, 7776000, 15552000, 31536000, 315360000, 3153600000};
    int64_t span = a->t1 - a->t0, step = steps[sizeof steps / sizeof steps[0] - 1];
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (span / steps[i] <= 8) {
            step = steps[i];
            break;
        }
    }
    int64_t k = a->t0 / step + (a->t0 % step > 0);
    int64_t last_day = INT64_MIN;
    for (int n = 0; n < 40 && k <= a->t1 / step; n++, k++) {
        int64_t t = k * step;
        double x = tx(a, t);
        fprintf(o, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, ytop,
                x, y);
        mw_civil_time c = mw_civil_from_secs(t);
        int64_t day = (t >= 0 ? t : t - 86399) / 86400;
        fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y + 14);
        if (step < 86400)
            fprintf(o, "%02u:%02u", c.hour, c.minute);
        else
            fprintf(o, "%04" PRId64 "-%02u-%02u", c.year, c.month, c.day);
        fputs("</text>", o);
        if (step < 86400 && day != last_day)
            fprintf(o,
                    "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%04" PRId64
                    "-%02u-%02u</text>",
                    x, y + 27, c.year, c.month, c.day);
        last_day = day;
    }
}

/* Horizontal grid and labels of a count axis 0..max over [ytop, ybot]. */
static double count_ticks(FILE *o, double max, double ytop, double ybot, const char *unit)
{
    double step = nice_step(max < 1 ? 1 : max, 4), top = step;
    while (top < max)
        top += step;
    int nt = (int)(top / step + 0.5);
    for (int i = 0; i <= nt; i++) {
        double v = step * i;
        double y = ybot - v / top * (ybot - ytop);
        fprintf(o,
                "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f%s</text>",
                ML, y, ML + PW, y, ML - 6, y + 4, v, unit);
    }
    return top;
}

static void legend(FILE *o, double x, double y)
{
    for (int i = 0; i < NV; i++, x += 110)
        fprintf(o,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">%s</text>",
                x, y - 9, VCOLOR[i], x + 14, y, VKEYS[i]);
}

/* The time domain of the timeline buckets and the vantages' timelines. */
static bool time_domain(const mw_jv *root, int64_t bucket, taxis *a)
{
    bool any = false;
    int64_t lo = 0, hi = 0, t;
    const mw_jv *tl = mw_jv_get(root, "timeline");
    const mw_jv *vs = mw_jv_get(root, "vantages");
    for (size_t i = 0; i < arr_len(tl); i++) {
        if (parse_time(mw_jv_get(mw_jv_at(tl, i), "t"), &t)) {
            lo = any && lo < t ? lo : t;
            hi = any && hi > t ? hi : t;
            any = true;
        }
    }
    for (size_t v = 0; v < arr_len(vs); v++) {
        const mw_jv *vt = mw_jv_get(mw_jv_at(vs, v), "timeline");
        for (size_t i = 0; i < arr_len(vt); i++) {
            if (parse_time(mw_jv_get(mw_jv_at(vt, i), "t"), &t)) {
                lo = any && lo < t ? lo : t;
                hi = any && hi > t ? hi : t;
                any = true;
            }
        }
    }
    /* A few buckets would each fill a large part of the width: show at
     * least MIN_BUCKETS, padding both sides with whole buckets. */
    int64_t nb = (hi - lo) / bucket + 1;
    int64_t pad = nb < MIN_BUCKETS ? (MIN_BUCKETS - nb) / 2 : 0;
    a->t0 = lo - pad * bucket;
    a->t1 = hi + bucket + pad * bucket;
    a->end = hi + bucket;
    a->x0 = ML;
    a->w = PW;
    return any;
}

/* ---- page parts -------------------------------------------------------- */

static const char STYLE[] =
    "body{margin:0;background:#fff;color:#1d1d1d;font:14px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:36px 0 8px;padding-bottom:4px;"
    "border-bottom:1px solid #ddd}h3{font-size:15px;margin:20px 0 6px}h4{font-size:13px;"
    "margin:14px 0 4px}"
    ".sub{color:#555;margin:0 0 16px}.na{color:#999}"
    ".lead{border-left:4px solid #c62828;background:#fdf3f2;padding:10px 14px;margin:12px 0}"
    ".lead.none{border-color:#2e7d32;background:#f2f8f2}.lead p{margin:4px 0}.lead ul{margin:4px 0;"
    "padding-left:20px}"
    ".figs{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}.fig{border:1px solid #ddd;"
    "border-radius:4px;padding:6px 12px;min-width:110px}.fig b{display:block;font-size:20px;"
    "font-variant-numeric:tabular-nums}.fig span{color:#555;font-size:12px}"
    ".warn{background:#fff6dc;border:1px solid #e8a317;padding:6px 10px}"
    "svg.chart{display:block;width:100%;max-width:960px;height:auto;margin:6px 0}"
    "svg.chart text{font-size:11px;fill:#333}svg.chart text.tick{fill:#666}"
    "svg.chart .grid{stroke:#e6e6e6;stroke-width:1}svg.chart .axis{stroke:#888;stroke-width:1}"
    ".cap{color:#555;font-size:12.5px;margin:2px 0 14px;max-width:900px}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;font-size:12.5px;margin:6px 0}"
    "th,td{border-bottom:1px solid #e4e4e4;padding:3px 7px;text-align:left;vertical-align:top}"
    "th{background:#f5f5f5;font-weight:600}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}td.t{white-space:nowrap;font-variant-numeric:tabular-nums}"
    "td.hit{color:#c62828;font-weight:600}tr.unseen td{color:#999}"
    "tr.hit td:first-child{box-shadow:inset 3px 0 #c62828}"
    ".h{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:11.5px;"
    "word-break:break-all}"
    ".wrap{word-break:break-word;min-width:130px;max-width:320px}"
    "details{margin:6px 0}details>summary{cursor:pointer}"
    "details.forged{border:1px solid #ddd;border-radius:4px;padding:6px 10px}"
    "details.forged[open]{background:#fcfcfc}"
    ".badge{display:inline-block;border-radius:3px;padding:0 6px;color:#fff;font-size:12px}"
    ".b-intercepted{background:#c62828}.b-suspicious{background:#b07800}"
    "table.kv th{width:150px;background:none}"
    ".trait{display:inline-block;background:#fdecea;border:1px solid #f3c1bc;border-radius:3px;"
    "padding:0 5px;margin:1px 3px 1px 0}"
    "footer{margin-top:40px;color:#777;font-size:12px}";

static void head(FILE *o)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
          "<meta name=\"referrer\" content=\"no-referrer\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<link rel=\"icon\" href=\"data:,\">\n"
          "<title>mitmwatch report</title>\n<style>",
          o);
    fputs(STYLE, o);
    fputs("</style>\n</head>\n<body>\n<main>\n", o);
}

/* "from A to B" for the on periods the transitions describe. */
static void on_periods(FILE *o, const mw_jv *root)
{
    const mw_jv *tr = mw_jv_get(root, "transitions");
    size_t n = arr_len(tr), shown = 0;
    for (size_t i = 0; i < n; i++) {
        const mw_jv *e = mw_jv_at(tr, i);
        const char *st = mw_jv_str(mw_jv_get(e, "state"), NULL);
        if (!st || strcmp(st, "on") != 0)
            continue;
        const mw_jv *end = NULL;
        for (size_t j = i + 1; j < n && !end; j++) {
            const char *s2 = mw_jv_str(mw_jv_get(mw_jv_at(tr, j), "state"), NULL);
            if (s2 && strcmp(s2, "off") == 0)
                end = mw_jv_get(mw_jv_at(tr, j), "t");
        }
        fputs(shown++ ? "; " : "<p>Interception on: ", o);
        put_time(o, mw_jv_get(e, "t"), false);
        fputs(" \xe2\x80\x93 ", o);
        if (end)
            put_time(o, end, false);
        else
            fputs("end of capture", o);
    }
    if (shown)
        fputs(" (UTC, bucket starts).</p>\n", o);
}

static void fig(FILE *o, const char *id, uint64_t v, const char *what)
{
    fprintf(o, "<div class=\"fig\" data-fig=\"%s\"><b>%" PRIu64 "</b><span>%s</span></div>", id,
            v, what);
}

/* The answer to "which target domains were intercepted, where, when". */
static void headline(FILE *o, const mw_jv *root)
{
    const mw_jv *targets = mw_jv_get(root, "targets");
    const mw_jv *vants = mw_jv_get(root, "vantages");
    size_t nt = arr_len(targets), seen = 0, hit = 0;
    uint64_t c[NV];
    for (size_t i = 0; i < nt; i++) {
        uint64_t s = vcounts(mw_jv_get(mw_jv_at(targets, i), "sessions"), c);
        seen += s > 0;
        hit += c[0] > 0;
    }
    fputs("<header id=\"headline\">\n<h1>TLS interception report</h1>\n<p class=\"sub\">", o);
    const mw_jv *first = mw_jv_get(root, "first_ts"), *last = mw_jv_get(root, "last_ts");
    if (mw_jv_type_of(first) == MW_JV_STRING) {
        fputs("Sessions from ", o);
        put_time(o, first, true);
        fputs(" to ", o);
        put_time(o, last, true);
        fputs(" UTC", o);
    } else {
        fputs("No session", o);
    }
    fputs(" \xc2\xb7 inputs: ", o);
    put_set(o, mw_jv_get(root, "inputs"), 8, DASH);
    fputs("</p>\n", o);

    fprintf(o, "<div class=\"lead%s\">\n", hit ? "" : " none");
    if (hit) {
        fprintf(o,
                "<p><b>Interception found on %zu of %zu target domain%s</b> (%zu seen):</p>\n"
                "<ul>\n",
                hit, nt, nt == 1 ? "" : "s", seen);
        size_t listed = 0;
        for (size_t i = 0; i < nt; i++) {
            const mw_jv *t = mw_jv_at(targets, i);
            uint64_t s = vcounts(mw_jv_get(t, "sessions"), c);
            if (!c[0])
                continue;
            if (listed++ == HEADLINE_MAX) {
                fprintf(o, "<li>\xe2\x80\xa6 and %zu more: see <a href=\"#targets\">Target "
                           "domains</a></li>\n",
                        hit - HEADLINE_MAX);
                break;
            }
            fputs("<li><b>", o);
            put_val(o, mw_jv_get(t, "target"), DASH);
            fprintf(o, "</b>: %" PRIu64 " of %" PRIu64 " sessions intercepted, %zu of %zu servers; at ",
                    c[0], s, arr_len(mw_jv_get(t, "servers_intercepted")),
                    arr_len(mw_jv_get(t, "servers")));
            put_set(o, mw_jv_get(t, "vantages"), 6, UNLABELLED);
            fputs("; ", o);
            const mw_jv *fi = mw_jv_get(t, "first_intercepted");
            const mw_jv *li = mw_jv_get(t, "last_intercepted");
            int64_t t1, t2;
            put_time(o, fi, false);
            /* One time when both fall in the same minute. */
            if (!parse_time(fi, &t1) || !parse_time(li, &t2) || t1 / 60 != t2 / 60) {
                fputs(" \xe2\x80\x93 ", o);
                put_time(o, li, false);
            }
            fputs(" UTC; by ", o);
            put_set(o, mw_jv_get(t, "rogue_issuers"), 3, DASH);
            fputs("</li>\n", o);
        }
        fputs("</ul>\n", o);
        on_periods(o, root);
    } else {
        fprintf(o, "<p><b>No target domain was intercepted</b> (%zu of %zu target domain%s seen).</p>\n",
                seen, nt, nt == 1 ? "" : "s");
    }
    size_t nv = arr_len(vants);
    if (nv) {
        fputs("<p>Share of contacted servers intercepted: ", o);
        for (size_t i = 0; i < nv; i++) {
            const mw_jv *v = mw_jv_at(vants, i);
            size_t k = arr_len(mw_jv_get(v, "servers_intercepted"));
            size_t n = arr_len(mw_jv_get(v, "servers"));
            fputs(i ? "; " : "", o);
            put_val(o, mw_jv_get(v, "vantage"), UNLABELLED);
            fprintf(o, " %.1f\xc2\xa0%% (%zu of %zu)", pct(k, n), k, n);
        }
        fputs(".</p>\n", o);
    }
    fputs("</div>\n<div class=\"figs\">", o);
    const mw_jv *sess = mw_jv_get(root, "sessions");
    const mw_jv *cov = mw_jv_get(root, "coverage");
    fig(o, "sessions", num(mw_jv_get(sess, "total")), "sessions");
    fig(o, "target_sessions", num(mw_jv_get(cov, "target_sessions")), "target sessions");
    fig(o, "intercepted", num(mw_jv_get(sess, "intercepted")), "intercepted");
    fig(o, "suspicious", num(mw_jv_get(sess, "suspicious")), "suspicious");
    fig(o, "forged", arr_len(mw_jv_get(root, "forged_certificates")), "forged certificates");
    fig(o, "vantages", nv, "vantages");
    fputs("</div>\n", o);

    const mw_jv *lim = mw_jv_get(root, "limits");
    uint64_t so = num(mw_jv_get(lim, "set_overflow")), fo = num(mw_jv_get(lim, "forged_overflow")),
             bo = num(mw_jv_get(lim, "buckets_overflow"));
    if (so || fo || bo)
        fprintf(o,
                "<p class=\"warn\" id=\"limits\">The summary's caps left entries out: %" PRIu64
                " set members, %" PRIu64 " forged certificates, %" PRIu64
                " timeline buckets. Counts of servers and certificates below are lower bounds.</p>\n",
                so, fo, bo);
    fputs("</header>\n", o);
}

/* Stacked bars per bucket, "on" periods shaded, transitions marked. */
static void timeline_chart(FILE *o, const mw_jv *root, const taxis *a, int64_t bucket)
{
    const mw_jv *tl = mw_jv_get(root, "timeline");
    size_t n = arr_len(tl);
    double top = 40, bot = 256, H = 306;
    uint64_t max = 0, c[NV];
    for (size_t i = 0; i < n; i++) {
        uint64_t s = vcounts(mw_jv_at(tl, i), c);
        max = s > max ? s : max;
    }
    fprintf(o,
            "<svg class=\"chart\" id=\"timeline-chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"Target sessions per bucket by verdict\">",
            CW, H);
    legend(o, ML, 14);
    double ymax = count_ticks(o, (double)max, top, bot, "");
    time_ticks(o, a, top, bot);

    /* Shade the on periods: from an "on" to the next "off" (or the end). */
    const mw_jv *tr = mw_jv_get(root, "transitions");
    size_t nt = arr_len(tr);
    for (size_t i = 0; i < nt; i++) {
        const mw_jv *e = mw_jv_at(tr, i);
        const char *st = mw_jv_str(mw_jv_get(e, "state"), NULL);
        int64_t t, t2 = a->end;
        if (!st || !parse_time(mw_jv_get(e, "t"), &t))
            continue;
        bool on = strcmp(st, "on") == 0;
        if (on) {
            for (size_t j = i + 1; j < nt; j++) {
                const mw_jv *e2 = mw_jv_at(tr, j);
                const char *s2 = mw_jv_str(mw_jv_get(e2, "state"), NULL);
                if (s2 && strcmp(s2, "off") == 0 && parse_time(mw_jv_get(e2, "t"), &t2))
                    break;
                t2 = a->end;
            }
            if (t >= a->t0 && t2 > t && t2 <= a->t1)
                fprintf(o,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#c62828\" "
                        "fill-opacity=\"0.07\"/>",
                        tx(a, t), top, tx(a, t2) - tx(a, t), bot - top);
        }
        if (t < a->t0 || t > a->t1)
            continue;
        double x = tx(a, t);
        fprintf(o,
                "<g class=\"transition\" data-t=\"%s\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                "y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"3 2\"/><text x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"middle\" fill=\"%s\">%s</text></g>",
                on ? "on" : "off", x, top - 4, x, bot, on ? "#c62828" : "#2e7d32", x, top - 7,
                on ? "#c62828" : "#2e7d32", on ? "on" : "off");
    }

    double bw = (double)bucket / (double)(a->t1 - a->t0) * a->w;
    double gap = bw > 4 ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        const mw_jv *b = mw_jv_at(tl, i);
        int64_t t;
        if (!parse_time(mw_jv_get(b, "t"), &t))
            continue;
        uint64_t s = vcounts(b, c);
        double x = tx(a, t) + gap / 2, y = bot;
        fprintf(o, "<g class=\"bucket\"><title>");
        put_civil(o, t, false);
        fprintf(o, " UTC: %" PRIu64 " target sessions", s);
        for (int k = 0; k < NV; k++)
            if (c[k])
                fprintf(o, ", %" PRIu64 " %s", c[k], VKEYS[k]);
        fputs("</title>", o);
        for (int k = 0; k < NV; k++) {
            if (!c[k])
                continue;
            double h = (double)c[k] / ymax * (bot - top);
            y -= h;
            fprintf(o,
                    "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>",
                    x, y, bw - gap > 1 ? bw - gap : 1, h, VCOLOR[k]);
        }
        fputs("</g>", o);
    }
    fprintf(o, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", ML, bot,
            ML + PW, bot);
    fprintf(o, "<text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 %.1f)\" "
               "text-anchor=\"middle\">target sessions</text>",
            (top + bot) / 2, (top + bot) / 2);
    fputs("</svg>\n", o);
}

static void timeline_section(FILE *o, const mw_jv *root, const taxis *a, bool have, int64_t bucket)
{
    const mw_jv *tl = mw_jv_get(root, "timeline");
    size_t n = arr_len(tl);
    fputs("<section id=\"timeline\">\n<h2>Timeline</h2>\n", o);
    if (!have) {
        fputs("<p class=\"na\">No target session: nothing to draw.</p>\n</section>\n", o);
        return;
    }
    timeline_chart(o, root, a, bucket);
    fprintf(o,
            "<p class=\"cap\">Target sessions per %" PRId64
            "-second bucket (UTC) by verdict. Shaded: interception on (a bucket with an "
            "intercepted target session) until the next bucket with clean or suspicious target "
            "sessions only; dashed lines mark the transitions. Buckets with only opaque or "
            "incomplete sessions leave the state as it was.</p>\n",
            bucket);
    fprintf(o, "<details id=\"timeline-data\"><summary>Per-bucket numbers (%zu buckets)</summary>\n"
               "<div class=\"scroll\"><table><thead><tr><th>bucket start (UTC)</th>",
            n);
    for (int k = 0; k < NV; k++)
        fprintf(o, "<th class=\"n\">%s</th>", VHEAD[k]);
    fputs("<th>state</th></tr></thead><tbody>\n", o);
    /* The state of each bucket, replayed from the counts as the spec
     * defines it (the transitions are derived the same way). */
    const char *state = "";
    for (size_t i = 0; i < n; i++) {
        const mw_jv *b = mw_jv_at(tl, i);
        uint64_t c[NV];
        vcounts(b, c);
        if (c[0])
            state = "on";
        else if (c[1] || c[2])
            state = "off";
        fputs("<tr data-t=\"", o);
        esc(o, mw_jv_str(mw_jv_get(b, "t"), NULL));
        fputs("\">", o);
        td_time(o, "t", mw_jv_get(b, "t"));
        for (int k = 0; k < NV; k++)
            td_num(o, VKEYS[k], c[k], k == 0 && c[0] ? "hit" : NULL);
        fprintf(o, "<td data-k=\"state\">%s</td></tr>\n", state);
    }
    fputs("</tbody></table></div></details>\n", o);

    const mw_jv *tr = mw_jv_get(root, "transitions");
    fputs("<h3>Transitions</h3>\n", o);
    if (!arr_len(tr))
        fputs("<p class=\"na\">None.</p>\n", o);
    else
        fputs("<table id=\"transitions\"><thead><tr><th>time (UTC)</th><th>state</th></tr></thead>"
              "<tbody>\n",
              o);
    for (size_t i = 0; i < arr_len(tr); i++) {
        const mw_jv *e = mw_jv_at(tr, i);
        fputs("<tr>", o);
        td_time(o, "t", mw_jv_get(e, "t"));
        fputs("<td data-k=\"state\">", o);
        put_val(o, mw_jv_get(e, "state"), DASH);
        fputs("</td></tr>\n", o);
    }
    if (arr_len(tr))
        fputs("</tbody></table>\n", o);
    fputs("</section>\n", o);
}

/* 100 %-stacked bar per target seen: the share of each verdict. */
static void targets_chart(FILE *o, const mw_jv *targets)
{
    size_t n = arr_len(targets), seen = 0;
    uint64_t c[NV];
    for (size_t i = 0; i < n; i++)
        seen += vcounts(mw_jv_get(mw_jv_at(targets, i), "sessions"), c) > 0;
    if (!seen)
        return;
    double lx = 190, bw = 560, row = 24, top = 34;
    double H = top + (double)seen * row + 26;
    fprintf(o,
            "<svg class=\"chart\" id=\"targets-chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"Sessions per target domain by verdict\">",
            CW, H);
    legend(o, lx, 14);
    for (int p = 0; p <= 100; p += 25) {
        double x = lx + bw * p / 100;
        fprintf(o,
                "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d\xc2\xa0%%</text>",
                x, top - 4, x, H - 22, x, H - 8, p);
    }
    double y = top;
    for (size_t i = 0; i < n; i++) {
        const mw_jv *t = mw_jv_at(targets, i);
        uint64_t s = vcounts(mw_jv_get(t, "sessions"), c);
        if (!s)
            continue;
        const char *name = mw_jv_str(mw_jv_get(t, "target"), NULL);
        fputs("<g class=\"tbar\"><title>", o);
        esc(o, name);
        fprintf(o, ": %" PRIu64 " sessions", s);
        for (int k = 0; k < NV; k++)
            if (c[k])
                fprintf(o, ", %" PRIu64 " %s", c[k], VKEYS[k]);
        fputs("</title>", o);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"%s>", lx - 8, y + 15,
                c[0] ? " font-weight=\"bold\"" : "");
        esc_cut(o, name, 28);
        fputs("</text>", o);
        double x = lx;
        for (int k = 0; k < NV; k++) {
            if (!c[k])
                continue;
            double w = (double)c[k] / (double)s * bw;
            fprintf(o, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"/>", x,
                    y + 4, w, row - 8, VCOLOR[k]);
            x += w;
        }
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\">n=%" PRIu64, lx + bw + 8, y + 15, s);
        if (c[0])
            fprintf(o, " \xc2\xb7 %.1f\xc2\xa0%% intercepted", pct(c[0], s));
        fputs("</text></g>", o);
        y += row;
    }
    fputs("</svg>\n", o);
}

/* The header and the rows of the targets seen (seen) or never seen. */
static void targets_rows(FILE *o, const mw_jv *targets, bool seen)
{
    size_t n = arr_len(targets);
    fputs("<thead><tr><th>target</th>"
          "<th class=\"n\">sessions</th>",
          o);
    for (int k = 0; k < NV; k++)
        fprintf(o, "<th class=\"n\">%s</th>", VHEAD[k]);
    fputs("<th class=\"n\">servers inter&shy;cepted</th><th class=\"n\">servers</th>"
          "<th>first inter&shy;cepted</th><th>last inter&shy;cepted</th><th>vantages</th>"
          "<th>rogue issuers</th></tr></thead><tbody>\n",
          o);
    for (size_t i = 0; i < n; i++) {
        const mw_jv *t = mw_jv_at(targets, i);
        uint64_t c[NV];
        uint64_t s = vcounts(mw_jv_get(t, "sessions"), c);
        if ((s > 0) != seen)
            continue;
        fputs("<tr data-target=\"", o);
        esc(o, mw_jv_str(mw_jv_get(t, "target"), NULL));
        fprintf(o, "\"%s><td>", c[0] ? " class=\"hit\"" : s ? "" : " class=\"unseen\"");
        put_val(o, mw_jv_get(t, "target"), DASH);
        fputs("</td>", o);
        td_num(o, "seen", s, NULL);
        for (int k = 0; k < NV; k++)
            td_num(o, VKEYS[k], c[k], k == 0 && c[0] ? "hit" : NULL);
        td_num(o, "servers_intercepted", arr_len(mw_jv_get(t, "servers_intercepted")), NULL);
        td_num(o, "servers", arr_len(mw_jv_get(t, "servers")), NULL);
        td_time(o, "first_intercepted", mw_jv_get(t, "first_intercepted"));
        td_time(o, "last_intercepted", mw_jv_get(t, "last_intercepted"));
        fputs("<td class=\"wrap\" data-k=\"vantages\">", o);
        put_set(o, mw_jv_get(t, "vantages"), 0, UNLABELLED);
        fputs("</td><td class=\"wrap\" data-k=\"rogue_issuers\">", o);
        put_set(o, mw_jv_get(t, "rogue_issuers"), 0, DASH);
        fputs("</td></tr>\n", o);
    }
    fputs("</tbody>", o);
}

static void targets_section(FILE *o, const mw_jv *root)
{
    const mw_jv *targets = mw_jv_get(root, "targets");
    size_t n = arr_len(targets);
    fputs("<section id=\"targets\">\n<h2>Target domains</h2>\n", o);
    if (!n) {
        fputs("<p class=\"na\">No target list in force.</p>\n</section>\n", o);
        return;
    }
    targets_chart(o, targets);
    fputs("<p class=\"cap\">Sessions per target domain seen, as shares by verdict (n: sessions). "
          "Servers: addresses contacted for the domain, and those with an intercepted session. "
          "Times are those of the first packet of the first and last intercepted session, "
          "UTC.</p>\n",
          o);
    size_t unseen = 0;
    uint64_t c[NV];
    for (size_t i = 0; i < n; i++)
        unseen += vcounts(mw_jv_get(mw_jv_at(targets, i), "sessions"), c) == 0;
    if (unseen < n) {
        fputs("<div class=\"scroll\"><table id=\"targets-table\">", o);
        targets_rows(o, targets, true);
        fputs("</table></div>\n", o);
    }
    /* Entries never seen are many on a long target list and all zero:
     * folded away, but listed, so the page accounts for every entry. */
    if (unseen) {
        fprintf(o,
                "<details id=\"targets-unseen\"><summary>%zu target entr%s never seen</summary>\n"
                "<div class=\"scroll\"><table id=\"targets-unseen-table\">",
                unseen, unseen == 1 ? "y" : "ies");
        targets_rows(o, targets, false);
        fputs("</table></div></details>\n", o);
    }
    fputs("</section>\n", o);
}

/* One bar per vantage: the share of its contacted servers intercepted. */
static void vantage_rate_chart(FILE *o, const mw_jv *vants)
{
    size_t n = arr_len(vants);
    double lx = 190, bw = 560, row = 26, top = 12, H = top + (double)n * row + 26;
    fprintf(o,
            "<svg class=\"chart\" id=\"vantages-chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"Share of contacted servers intercepted per vantage\">",
            CW, H);
    for (int p = 0; p <= 100; p += 25) {
        double x = lx + bw * p / 100;
        fprintf(o,
                "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d\xc2\xa0%%</text>",
                x, top, x, H - 22, x, H - 8, p);
    }
    for (size_t i = 0; i < n; i++) {
        const mw_jv *v = mw_jv_at(vants, i);
        size_t k = arr_len(mw_jv_get(v, "servers_intercepted"));
        size_t s = arr_len(mw_jv_get(v, "servers"));
        double y = top + (double)i * row, r = pct(k, s);
        fprintf(o, "<g class=\"vbar\"><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", lx - 8,
                y + 17);
        if (mw_jv_type_of(mw_jv_get(v, "vantage")) == MW_JV_STRING)
            esc_cut(o, mw_jv_str(mw_jv_get(v, "vantage"), NULL), 28);
        else
            fputs("(unlabelled)", o);
        fprintf(o,
                "</text><rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"#c62828\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">%.1f\xc2\xa0%% (%zu of %zu servers)</text></g>",
                lx, y + 5, r / 100 * bw, row - 10, lx + r / 100 * bw + 6, y + 17, r, k, s);
    }
    fputs("</svg>\n", o);
}

/* The same share per bucket: a line per vantage over the timeline's axis. */
static void vantage_time_chart(FILE *o, const mw_jv *vants, const taxis *a, int64_t bucket)
{
    size_t n = arr_len(vants);
    size_t legend_rows = (n + 3) / 4;
    double top = 16 + 16 * (double)legend_rows, bot = top + 170, H = bot + 40;
    fprintf(o,
            "<svg class=\"chart\" id=\"vantages-time-chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"Share of servers intercepted per vantage over time\">",
            CW, H);
    for (size_t i = 0; i < n; i++) {
        size_t col = i % 4, lrow = i / 4;
        double lx = ML + (double)col * 220, ly = 14 + 16 * (double)lrow;
        const mw_jv *lab = mw_jv_get(mw_jv_at(vants, i), "vantage");
        fprintf(o,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"2\" stroke-dasharray=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">",
                lx, ly - 4, lx + 24, ly - 4, PALETTE[i % NPALETTE], DASHES[i / NPALETTE % NDASHES],
                lx + 30, ly);
        if (mw_jv_type_of(lab) == MW_JV_STRING)
            esc_cut(o, mw_jv_str(lab, NULL), 24);
        else
            fputs("(unlabelled)", o);
        fputs("</text>", o);
    }
    count_ticks(o, 100, top, bot, "\xc2\xa0%");
    time_ticks(o, a, top, bot);
    for (size_t i = 0; i < n; i++) {
        const mw_jv *v = mw_jv_at(vants, i);
        const mw_jv *tl = mw_jv_get(v, "timeline");
        const char *col = PALETTE[i % NPALETTE];
        /* Lines join adjacent buckets only: a line across a gap would
         * invent the rate in between. */
        fputs("<g class=\"vline\">", o);
        bool open = false;
        int64_t prev = 0;
        for (size_t j = 0; j < arr_len(tl); j++) {
            const mw_jv *b = mw_jv_at(tl, j);
            int64_t t;
            if (!parse_time(mw_jv_get(b, "t"), &t))
                continue;
            double r = pct(arr_len(mw_jv_get(b, "servers_intercepted")),
                           arr_len(mw_jv_get(b, "servers")));
            if (open && (t < prev || t - prev > bucket)) {
                fputs("\"/>", o);
                open = false;
            }
            if (!open)
                fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" "
                           "stroke-dasharray=\"%s\" points=\"",
                        col, DASHES[i / NPALETTE % NDASHES]);
            open = true;
            prev = t;
            fprintf(o, "%.1f,%.1f ", tx(a, t), bot - r / 100 * (bot - top));
        }
        if (open)
            fputs("\"/>", o);
        for (size_t j = 0; j < arr_len(tl); j++) {
            const mw_jv *b = mw_jv_at(tl, j);
            int64_t t;
            if (!parse_time(mw_jv_get(b, "t"), &t))
                continue;
            size_t k = arr_len(mw_jv_get(b, "servers_intercepted"));
            size_t s = arr_len(mw_jv_get(b, "servers"));
            double r = pct(k, s);
            fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\"><title>", tx(a, t),
                    bot - r / 100 * (bot - top), col);
            put_val(o, mw_jv_get(v, "vantage"), "(unlabelled)");
            fputs(", ", o);
            put_civil(o, t, false);
            fprintf(o, " UTC: %zu of %zu servers intercepted (%.1f\xc2\xa0%%)</title></circle>", k,
                    s, r);
        }
        fputs("</g>", o);
    }
    fprintf(o, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></svg>\n", ML,
            bot, ML + PW, bot);
}

static void vantages_section(FILE *o, const mw_jv *root, const taxis *a, bool have,
                             int64_t bucket)
{
    const mw_jv *vants = mw_jv_get(root, "vantages");
    size_t n = arr_len(vants);
    fputs("<section id=\"vantages\">\n<h2>Vantages</h2>\n", o);
    if (!n) {
        fputs("<p class=\"na\">No vantage: no session.</p>\n</section>\n", o);
        return;
    }
    vantage_rate_chart(o, vants);
    fputs("<p class=\"cap\">Share of the servers contacted for target domains from each vantage "
          "whose connections were intercepted at least once (the measure of the 2019 Kazakhstan "
          "study: 7&nbsp;% from outside the country, 24&nbsp;% from inside).</p>\n",
          o);
    if (have) {
        vantage_time_chart(o, vants, a, bucket);
        fputs("<p class=\"cap\">The same share per bucket: servers with an intercepted target "
              "session among those contacted in that bucket.</p>\n",
              o);
    }
    fputs("<div class=\"scroll\"><table id=\"vantages-table\"><thead><tr><th>vantage</th>"
          "<th class=\"n\">target sessions</th>",
          o);
    for (int k = 0; k < NV; k++)
        fprintf(o, "<th class=\"n\">%s</th>", VHEAD[k]);
    fputs("<th class=\"n\">servers intercepted</th><th class=\"n\">servers</th>"
          "<th class=\"n\">share</th></tr></thead><tbody>\n",
          o);
    for (size_t i = 0; i < n; i++) {
        const mw_jv *v = mw_jv_at(vants, i);
        uint64_t c[NV];
        uint64_t s = vcounts(mw_jv_get(v, "sessions"), c);
        size_t k = arr_len(mw_jv_get(v, "servers_intercepted"));
        size_t m = arr_len(mw_jv_get(v, "servers"));
        fputs("<tr", o);
        attr_vantage(o, mw_jv_get(v, "vantage"));
        fputs("><td>", o);
        put_val(o, mw_jv_get(v, "vantage"), UNLABELLED);
        fputs("</td>", o);
        td_num(o, "seen", s, NULL);
        for (int j = 0; j < NV; j++)
            td_num(o, VKEYS[j], c[j], j == 0 && c[0] ? "hit" : NULL);
        td_num(o, "servers_intercepted", k, NULL);
        td_num(o, "servers", m, NULL);
        fprintf(o, "<td class=\"n\" data-k=\"rate\" data-v=\"%.6f\">%.1f\xc2\xa0%%</td></tr>\n",
                pct(k, m), pct(k, m));
    }
    fputs("</tbody></table></div>\n", o);

    fputs("<details id=\"vantages-time-data\"><summary>Per-bucket numbers</summary>\n"
          "<div class=\"scroll\"><table><thead><tr><th>vantage</th><th>bucket start (UTC)</th>"
          "<th class=\"n\">servers intercepted</th><th class=\"n\">servers</th>"
          "<th class=\"n\">share</th></tr></thead><tbody>\n",
          o);
    for (size_t i = 0; i < n; i++) {
        const mw_jv *v = mw_jv_at(vants, i);
        const mw_jv *tl = mw_jv_get(v, "timeline");
        for (size_t j = 0; j < arr_len(tl); j++) {
            const mw_jv *b = mw_jv_at(tl, j);
            size_t k = arr_len(mw_jv_get(b, "servers_intercepted"));
            size_t m = arr_len(mw_jv_get(b, "servers"));
            fputs("<tr", o);
            attr_vantage(o, mw_jv_get(v, "vantage"));
            fputs(" data-t=\"", o);
            esc(o, mw_jv_str(mw_jv_get(b, "t"), NULL));
            fputs("\"><td>", o);
            put_val(o, mw_jv_get(v, "vantage"), UNLABELLED);
            fputs("</td>", o);
            td_time(o, "t", mw_jv_get(b, "t"));
            td_num(o, "servers_intercepted", k, NULL);
            td_num(o, "servers", m, NULL);
            fprintf(o, "<td class=\"n\">%.1f\xc2\xa0%%</td></tr>\n", pct(k, m));
        }
    }
    fputs("</tbody></table></div></details>\n</section>\n", o);
}

static void kv_row(FILE *o, const char *k, const char *label, const mw_jv *v, bool hash)
{
    fprintf(o, "<tr data-k=\"%s\"><th>%s</th><td%s>", k, label, hash ? " class=\"h\"" : "");
    put_val(o, v, DASH);
    fputs("</td></tr>", o);
}

static void kv_set(FILE *o, const char *k, const char *label, const mw_jv *v, const char *null_html)
{
    fprintf(o, "<tr data-k=\"%s\"><th>%s</th><td class=\"wrap\">", k, label);
    put_set(o, v, 0, null_html);
    fputs("</td></tr>", o);
}

static void validity_row(FILE *o, const mw_jv *c)
{
    fputs("<tr data-k=\"validity\"><th>valid</th><td>", o);
    put_val(o, mw_jv_get(c, "not_before"), DASH);
    fputs(" \xe2\x80\x93 ", o);
    put_val(o, mw_jv_get(c, "not_after"), DASH);
    fputs("</td></tr>", o);
}

static void forged_one(FILE *o, const mw_jv *f)
{
    const mw_jv *verdict = mw_jv_get(f, "verdict");
    const char *vs = mw_jv_str(verdict, NULL);
    bool hit = vs && strcmp(vs, "intercepted") == 0;
    fputs("<details class=\"forged\" data-sha256=\"", o);
    esc(o, mw_jv_str(mw_jv_get(f, "sha256"), NULL));
    fprintf(o, "\"><summary><span class=\"badge b-%s\">", hit ? "intercepted" : "suspicious");
    put_val(o, verdict, "?");
    fputs("</span> <b>", o);
    put_val(o, mw_jv_get(f, "subject"), "(unparsable)");
    fputs("</b> issued by ", o);
    put_val(o, mw_jv_get(f, "issuer"), "(unparsable)");
    fprintf(o, " \xe2\x80\x94 <span data-k=\"sessions\">%" PRIu64 "</span> sessions for ",
            num(mw_jv_get(f, "sessions")));
    put_set(o, mw_jv_get(f, "names"), 4, "(no SNI)");
    fputs("</summary>\n<table class=\"kv\">", o);
    kv_row(o, "sha256", "SHA-256", mw_jv_get(f, "sha256"), true);
    kv_row(o, "subject", "subject", mw_jv_get(f, "subject"), false);
    kv_row(o, "issuer", "issuer", mw_jv_get(f, "issuer"), false);
    kv_row(o, "serial", "serial", mw_jv_get(f, "serial"), true);
    validity_row(o, f);
    kv_set(o, "san", "subjectAltName", mw_jv_get(f, "san"), DASH);
    kv_row(o, "key", "key", mw_jv_get(f, "key"), false);
    kv_row(o, "rsa_exponent", "RSA exponent", mw_jv_get(f, "rsa_exponent"), false);
    kv_set(o, "names", "SNIs", mw_jv_get(f, "names"), "(no SNI)");
    kv_set(o, "servers", "servers", mw_jv_get(f, "servers"), DASH);
    kv_set(o, "vantages", "vantages", mw_jv_get(f, "vantages"), UNLABELLED);
    fputs("<tr data-k=\"seen\"><th>seen</th><td>", o);
    put_time(o, mw_jv_get(f, "first_seen"), true);
    fputs(" \xe2\x80\x93 ", o);
    put_time(o, mw_jv_get(f, "last_seen"), true);
    fputs(" UTC</td></tr>", o);
    kv_set(o, "reasons", "reasons", mw_jv_get(f, "reasons"), DASH);
    const mw_jv *traits = mw_jv_get(f, "traits");
    fputs("<tr data-k=\"traits\"><th>traits</th><td>", o);
    if (!arr_len(traits))
        fputs(DASH, o);
    for (size_t i = 0; i < arr_len(traits); i++) {
        fputs("<span class=\"trait\">", o);
        put_val(o, mw_jv_at(traits, i), DASH);
        fputs("</span>", o);
    }
    fputs("</td></tr></table>\n", o);

    const mw_jv *chain = mw_jv_get(f, "chain");
    fprintf(o, "<h4>Chain as sent (%zu)</h4>\n<div class=\"scroll\"><table class=\"chain\">"
               "<thead><tr><th class=\"n\">#</th><th>subject</th><th>issuer</th><th>SHA-256</th>"
               "</tr></thead><tbody>\n",
            arr_len(chain));
    for (size_t i = 0; i < arr_len(chain); i++) {
        const mw_jv *c = mw_jv_at(chain, i);
        fputs("<tr data-sha256=\"", o);
        esc(o, mw_jv_str(mw_jv_get(c, "sha256"), NULL));
        fprintf(o, "\"><td class=\"n\">%zu</td><td class=\"wrap\">", i);
        put_val(o, mw_jv_get(c, "subject"), "(unparsable)");
        fputs("</td><td class=\"wrap\">", o);
        put_val(o, mw_jv_get(c, "issuer"), "(unparsable)");
        fputs("</td><td class=\"h\">", o);
        put_val(o, mw_jv_get(c, "sha256"), DASH);
        fputs("</td></tr>\n", o);
    }
    fputs("</tbody></table></div>\n", o);

    const mw_jv *cl = mw_jv_get(f, "clones");
    if (mw_jv_type_of(cl) == MW_JV_OBJECT) {
        fputs("<h4>Clones this genuine certificate</h4>\n<table class=\"kv clone\">", o);
        kv_row(o, "sha256", "SHA-256", mw_jv_get(cl, "sha256"), true);
        kv_row(o, "subject", "subject", mw_jv_get(cl, "subject"), false);
        kv_row(o, "issuer", "issuer", mw_jv_get(cl, "issuer"), false);
        kv_row(o, "serial", "serial", mw_jv_get(cl, "serial"), true);
        validity_row(o, cl);
        fputs("</table>\n", o);
    } else {
        fputs("<p class=\"na clone-none\">No genuine certificate known to be cloned.</p>\n", o);
    }
    fputs("</details>\n", o);
}

static void forged_section(FILE *o, const mw_jv *root)
{
    const mw_jv *fc = mw_jv_get(root, "forged_certificates");
    size_t n = arr_len(fc);
    fprintf(o, "<section id=\"forged\">\n<h2>Forged certificates (%zu)</h2>\n", n);
    if (!n) {
        fputs("<p class=\"na\">None: no session was intercepted, and no suspicious session had a "
              "chain nobody trusts.</p>\n</section>\n",
              o);
        return;
    }
    fputs("<p class=\"cap\">Distinct leaf certificates of intercepted sessions and of suspicious "
          "sessions with an untrusted chain, by first sighting. Open one for its chain, traits and "
          "the genuine certificate it copies.</p>\n",
          o);
    for (size_t i = 0; i < n; i++)
        forged_one(o, mw_jv_at(fc, i));
    fputs("</section>\n", o);
}

static void coverage_section(FILE *o, const mw_jv *root)
{
    static const char *const keys[] = {"sessions", "judged", "opaque", "incomplete",
                                       "target_sessions", "target_opaque", "target_incomplete",
                                       "quic", "dtls"};
    static const char *const labels[] = {
        "sessions", "judged (clean, suspicious or intercepted)", "opaque (chain encrypted or resumed)",
        "incomplete (handshake not seen)", "target sessions", "target sessions opaque",
        "target sessions incomplete", "QUIC sessions", "DTLS sessions"};
    const mw_jv *cov = mw_jv_get(root, "coverage");
    fputs("<section id=\"coverage\">\n<h2>Coverage</h2>\n<p class=\"cap\">How much could be judged "
          "at all: opaque sessions (TLS 1.3, QUIC, resumed) show no certificate, incomplete ones "
          "were not seen far enough.</p>\n<table id=\"coverage-table\"><tbody>\n",
          o);
    uint64_t total = num(mw_jv_get(cov, "sessions"));
    uint64_t tsess = num(mw_jv_get(cov, "target_sessions"));
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        uint64_t v = num(mw_jv_get(cov, keys[i]));
        uint64_t of = i > 0 && i < 4 ? total : i > 4 && i < 7 ? tsess : 0;
        fprintf(o, "<tr><th>%s</th>", labels[i]);
        td_num(o, keys[i], v, NULL);
        if (of)
            fprintf(o, "<td class=\"n\">%.1f\xc2\xa0%%</td></tr>\n", pct(v, of));
        else
            fputs("<td></td></tr>\n", o);
    }
    fputs("</tbody></table>\n", o);

    const mw_jv *lim = mw_jv_get(root, "limits");
    fputs("<h3>Summary caps</h3>\n<table id=\"limits-table\"><tbody>", o);
    static const char *const lk[] = {"set_overflow", "forged_overflow", "buckets_overflow"};
    for (size_t i = 0; i < 3; i++) {
        fprintf(o, "<tr><th>%s</th>", lk[i]);
        td_num(o, lk[i], num(mw_jv_get(lim, lk[i])), NULL);
        fputs("</tr>", o);
    }
    fputs("</tbody></table>\n", o);

    const mw_jv *rs = mw_jv_get(root, "reasons");
    size_t shown = 0;
    fputs("<h3>Evidence</h3>\n", o);
    for (size_t i = 0; mw_jv_type_of(rs) == MW_JV_OBJECT && i < mw_jv_len(rs); i++) {
        uint64_t v = num(mw_jv_at(rs, i));
        if (!v)
            continue;
        if (!shown++)
            fputs("<table id=\"reasons-table\"><thead><tr><th>reason</th><th class=\"n\">sessions"
                  "</th></tr></thead><tbody>\n",
                  o);
        fputs("<tr data-reason=\"", o);
        esc(o, mw_jv_key_at(rs, i));
        fputs("\"><td>", o);
        esc(o, mw_jv_key_at(rs, i));
        fputs("</td>", o);
        td_num(o, "sessions", v, NULL);
        fputs("</tr>\n", o);
    }
    fputs(shown ? "</tbody></table>\n" : "<p class=\"na\">No reason fired.</p>\n", o);
    fputs("</section>\n", o);
}

static void counters_section(FILE *o, const mw_jv *root)
{
    const mw_jv *cs = mw_jv_get(root, "counters");
    size_t shown = 0;
    fputs("<section id=\"counters\">\n<h2>Pipeline counters</h2>\n<p class=\"cap\">Non-zero "
          "counters of the run (meanings: docs/counters.md).</p>\n",
          o);
    for (size_t g = 0; mw_jv_type_of(cs) == MW_JV_OBJECT && g < mw_jv_len(cs); g++) {
        const mw_jv *grp = mw_jv_at(cs, g);
        if (mw_jv_type_of(grp) != MW_JV_OBJECT)
            continue;
        for (size_t i = 0; i < mw_jv_len(grp); i++) {
            uint64_t v = num(mw_jv_at(grp, i));
            if (!v)
                continue;
            if (!shown++)
                fputs("<div class=\"scroll\"><table id=\"counters-table\"><thead><tr><th>group</th>"
                      "<th>counter</th><th class=\"n\">value</th></tr></thead><tbody>\n",
                      o);
            fputs("<tr data-group=\"", o);
            esc(o, mw_jv_key_at(cs, g));
            fputs("\" data-counter=\"", o);
            esc(o, mw_jv_key_at(grp, i));
            fputs("\"><td>", o);
            esc(o, mw_jv_key_at(cs, g));
            fputs("</td><td>", o);
            esc(o, mw_jv_key_at(grp, i));
            fputs("</td>", o);
            td_num(o, "value", v, NULL);
            fputs("</tr>\n", o);
        }
    }
    fputs(shown ? "</tbody></table></div>\n" : "<p class=\"na\">No counter recorded.</p>\n", o);
    fputs("</section>\n", o);
}

bool mw_report_html_write(const mw_jv *root, FILE *out, char *err, size_t errlen)
{
    uint64_t b = num(mw_jv_get(root, "bucket_seconds"));
    /* A bucket of 0 (absent) or absurd width would only break the axis. */
    int64_t bucket = b >= 1 && b <= 100000000 ? (int64_t)b : 3600;
    taxis a;
    bool have = time_domain(root, bucket, &a);

    head(out);
    headline(out, root);
    timeline_section(out, root, &a, have, bucket);
    targets_section(out, root);
    vantages_section(out, root, &a, have, bucket);
    forged_section(out, root);
    coverage_section(out, root);
    counters_section(out, root);
    fputs("<footer>Written by ", out);
    put_val(out, mw_jv_get(root, "generator"), "mitmwatch");
    fputs(" from summary.json (format ", out);
    put_val(out, mw_jv_get(root, "summary_version"), "?");
    fputs("); every figure is drawn from that file alone. See docs/report.md.</footer>\n"
          "</main>\n</body>\n</html>\n",
          out);
    if (fflush(out) != 0 || ferror(out)) {
        if (errlen)
            snprintf(err, errlen, "writing the report failed");
        return false;
    }
    return true;
}
