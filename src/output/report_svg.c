/*
 * report_svg.c - the charts of report.html as inline SVG (docs/report.md).
 */
#include "output/report_html_internal.h"

#include <inttypes.h>
#include <string.h>

#include "common/json.h"

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
                x, y - 9, VCOLOR[i], x + 14, y, rh_vkeys[i]);
}

/* The time domain of the timeline buckets and the vantages' timelines. */
bool rh_time_domain(const mw_jv *root, int64_t bucket, taxis *a)
{
    bool any = false;
    int64_t lo = 0, hi = 0, t;
    const mw_jv *tl = mw_jv_get(root, "timeline");
    const mw_jv *vs = mw_jv_get(root, "vantages");
    for (size_t i = 0; i < rh_arr_len(tl); i++) {
        if (rh_parse_time(mw_jv_get(mw_jv_at(tl, i), "t"), &t)) {
            lo = any && lo < t ? lo : t;
            hi = any && hi > t ? hi : t;
            any = true;
        }
    }
    for (size_t v = 0; v < rh_arr_len(vs); v++) {
        const mw_jv *vt = mw_jv_get(mw_jv_at(vs, v), "timeline");
        for (size_t i = 0; i < rh_arr_len(vt); i++) {
            if (rh_parse_time(mw_jv_get(mw_jv_at(vt, i), "t"), &t)) {
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

/* Stacked bars per bucket, "on" periods shaded, transitions marked. */
void rh_timeline_chart(FILE *o, const mw_jv *root, const taxis *a, int64_t bucket)
{
    const mw_jv *tl = mw_jv_get(root, "timeline");
    size_t n = rh_arr_len(tl);
    double top = 40, bot = 256, H = 306;
    uint64_t max = 0, c[NV];
    for (size_t i = 0; i < n; i++) {
        uint64_t s = rh_vcounts(mw_jv_at(tl, i), c);
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
    size_t nt = rh_arr_len(tr);
    for (size_t i = 0; i < nt; i++) {
        const mw_jv *e = mw_jv_at(tr, i);
        const char *st = mw_jv_str(mw_jv_get(e, "state"), NULL);
        int64_t t, t2 = a->end;
        if (!st || !rh_parse_time(mw_jv_get(e, "t"), &t))
            continue;
        bool on = strcmp(st, "on") == 0;
        if (on) {
            for (size_t j = i + 1; j < nt; j++) {
                const mw_jv *e2 = mw_jv_at(tr, j);
                const char *s2 = mw_jv_str(mw_jv_get(e2, "state"), NULL);
                if (s2 && strcmp(s2, "off") == 0 && rh_parse_time(mw_jv_get(e2, "t"), &t2))
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
        if (!rh_parse_time(mw_jv_get(b, "t"), &t))
            continue;
        uint64_t s = rh_vcounts(b, c);
        double x = tx(a, t) + gap / 2, y = bot;
        fprintf(o, "<g class=\"bucket\"><title>");
        rh_put_civil(o, t, false);
        fprintf(o, " UTC: %" PRIu64 " target sessions", s);
        for (int k = 0; k < NV; k++)
            if (c[k])
                fprintf(o, ", %" PRIu64 " %s", c[k], rh_vkeys[k]);
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

/* 100 %-stacked bar per target seen: the share of each verdict. */
void rh_targets_chart(FILE *o, const mw_jv *targets)
{
    size_t n = rh_arr_len(targets), seen = 0;
    uint64_t c[NV];
    for (size_t i = 0; i < n; i++)
        seen += rh_vcounts(mw_jv_get(mw_jv_at(targets, i), "sessions"), c) > 0;
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
        uint64_t s = rh_vcounts(mw_jv_get(t, "sessions"), c);
        if (!s)
            continue;
        const char *name = mw_jv_str(mw_jv_get(t, "target"), NULL);
        fputs("<g class=\"tbar\"><title>", o);
        rh_esc(o, name);
        fprintf(o, ": %" PRIu64 " sessions", s);
        for (int k = 0; k < NV; k++)
            if (c[k])
                fprintf(o, ", %" PRIu64 " %s", c[k], rh_vkeys[k]);
        fputs("</title>", o);
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"%s>", lx - 8, y + 15,
                c[0] ? " font-weight=\"bold\"" : "");
        rh_esc_cut(o, name, 28);
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
            fprintf(o, " \xc2\xb7 %.1f\xc2\xa0%% intercepted", rh_pct(c[0], s));
        fputs("</text></g>", o);
        y += row;
    }
    fputs("</svg>\n", o);
}


/* One bar per vantage: the share of its contacted servers intercepted. */
void rh_vantage_rate_chart(FILE *o, const mw_jv *vants)
{
    size_t n = rh_arr_len(vants);
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
        size_t k = rh_arr_len(mw_jv_get(v, "servers_intercepted"));
        size_t s = rh_arr_len(mw_jv_get(v, "servers"));
        double y = top + (double)i * row, r = rh_pct(k, s);
        fprintf(o, "<g class=\"vbar\"><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", lx - 8,
                y + 17);
        if (mw_jv_type_of(mw_jv_get(v, "vantage")) == MW_JV_STRING)
            rh_esc_cut(o, mw_jv_str(mw_jv_get(v, "vantage"), NULL), 28);
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
void rh_vantage_time_chart(FILE *o, const mw_jv *vants, const taxis *a, int64_t bucket)
{
    size_t n = rh_arr_len(vants);
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
            rh_esc_cut(o, mw_jv_str(lab, NULL), 24);
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
        for (size_t j = 0; j < rh_arr_len(tl); j++) {
            const mw_jv *b = mw_jv_at(tl, j);
            int64_t t;
            if (!rh_parse_time(mw_jv_get(b, "t"), &t))
                continue;
            double r = rh_pct(rh_arr_len(mw_jv_get(b, "servers_intercepted")),
                           rh_arr_len(mw_jv_get(b, "servers")));
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
        for (size_t j = 0; j < rh_arr_len(tl); j++) {
            const mw_jv *b = mw_jv_at(tl, j);
            int64_t t;
            if (!rh_parse_time(mw_jv_get(b, "t"), &t))
                continue;
            size_t k = rh_arr_len(mw_jv_get(b, "servers_intercepted"));
            size_t s = rh_arr_len(mw_jv_get(b, "servers"));
            double r = rh_pct(k, s);
            fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\"><title>", tx(a, t),
                    bot - r / 100 * (bot - top), col);
            rh_put_val(o, mw_jv_get(v, "vantage"), "(unlabelled)");
            fputs(", ", o);
            rh_put_civil(o, t, false);
            fprintf(o, " UTC: %zu of %zu servers intercepted (%.1f\xc2\xa0%%)</title></circle>", k,
                    s, r);
        }
        fputs("</g>", o);
    }
    fprintf(o, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></svg>\n", ML,
            bot, ML + PW, bot);
}
