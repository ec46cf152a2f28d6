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
#include "output/report_html_internal.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "common/json.h"

/* Column heads: soft hyphens let them break, so that numeric columns stay
 * narrow and the tables fit the page. */
static const char *const VHEAD[NV] = {"inter&shy;cepted", "suspi&shy;cious", "clean", "opaque",
                                      "incom&shy;plete"};
/* Intercepted domains listed in the headline; the table has them all. */
#define HEADLINE_MAX 12

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
    ".wrap{word-break:break-word;overflow-wrap:anywhere;min-width:130px;max-width:320px}"
    "td.mx{text-align:center;white-space:nowrap;font-variant-numeric:tabular-nums}"
    "td.mx.hit{background:#fdecea}td.mx.hit b{color:#c62828}th.v{min-width:90px;max-width:160px}"
    ".d{color:#666;font-size:11px}"
    "@media (max-width:600px){main{padding:12px 10px 32px}h1{font-size:20px}"
    ".fig{min-width:90px}table.kv{width:100%;table-layout:fixed}table.kv th{width:88px}"
    "table.kv td{overflow-wrap:anywhere}}"
    "details{margin:6px 0}details>summary{cursor:pointer}"
    "details.forged{border:1px solid #ddd;border-radius:4px;padding:6px 10px}"
    "details.forged[open]{background:#fcfcfc}details.forged>summary{overflow-wrap:anywhere}"
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
    size_t n = rh_arr_len(tr), shown = 0;
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
        rh_put_time(o, mw_jv_get(e, "t"), false);
        fputs(" \xe2\x80\x93 ", o);
        if (end)
            rh_put_time(o, end, false);
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

/* Summaries judged against separate baselines, merged: what no session of
 * one could be compared with in the others (summary_baselines.c). */
static void cross_run_note(FILE *o, const mw_jv *root)
{
    const mw_jv *x = mw_jv_get(root, "cross_run_evidence");
    bool complete = true;
    if (!mw_jv_bool(mw_jv_get(x, "complete"), &complete) || complete)
        return;
    const char *why = mw_jv_str(mw_jv_get(x, "why"), NULL);
    fputs("<div class=\"warn\" id=\"cross-run\"><p>Cross-run evidence is incomplete: ", o);
    rh_esc(o, why ? why : "separate baselines");
    fprintf(o, " (%zu). Between inputs of different baselines these were never compared, "
               "so their counts are lower bounds:</p>\n<ul>",
            rh_arr_len(mw_jv_get(root, "baselines")));
    const mw_jv *m = mw_jv_get(x, "missing");
    for (size_t i = 0; i < rh_arr_len(m); i++) {
        fputs("<li><code>", o);
        rh_esc(o, mw_jv_str(mw_jv_get(mw_jv_at(m, i), "code"), NULL));
        fputs("</code>: ", o);
        rh_esc(o, mw_jv_str(mw_jv_get(mw_jv_at(m, i), "what"), NULL));
        fputs("</li>", o);
    }
    fputs("</ul>\n<p>One shared baseline (<code>--state</code>, the same file or "
          "PostgreSQL database for every run) gives them.</p></div>\n", o);
}

/* The answer to "which target domains were intercepted, where, when". */
static void headline(FILE *o, const mw_jv *root)
{
    const mw_jv *targets = mw_jv_get(root, "targets");
    const mw_jv *vants = mw_jv_get(root, "vantages");
    size_t nt = rh_arr_len(targets), seen = 0, hit = 0;
    uint64_t c[NV];
    for (size_t i = 0; i < nt; i++) {
        uint64_t s = rh_vcounts(mw_jv_get(mw_jv_at(targets, i), "sessions"), c);
        seen += s > 0;
        hit += c[0] > 0;
    }
    fputs("<header id=\"headline\">\n<h1>TLS interception report</h1>\n<p class=\"sub\">", o);
    const mw_jv *first = mw_jv_get(root, "first_ts"), *last = mw_jv_get(root, "last_ts");
    if (mw_jv_type_of(first) == MW_JV_STRING) {
        fputs("Sessions from ", o);
        rh_put_time(o, first, true);
        fputs(" to ", o);
        rh_put_time(o, last, true);
        fputs(" UTC", o);
    } else {
        fputs("No session", o);
    }
    fputs(" \xc2\xb7 inputs: ", o);
    rh_put_set(o, mw_jv_get(root, "inputs"), 8, DASH);
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
            uint64_t s = rh_vcounts(mw_jv_get(t, "sessions"), c);
            if (!c[0])
                continue;
            if (listed++ == HEADLINE_MAX) {
                fprintf(o, "<li>\xe2\x80\xa6 and %zu more: see <a href=\"#targets\">Target "
                           "domains</a></li>\n",
                        hit - HEADLINE_MAX);
                break;
            }
            fputs("<li><b>", o);
            rh_put_val(o, mw_jv_get(t, "target"), DASH);
            fprintf(o, "</b>: %" PRIu64 " of %" PRIu64 " sessions intercepted, %zu of %zu servers; at ",
                    c[0], s, rh_arr_len(mw_jv_get(t, "servers_intercepted")),
                    rh_arr_len(mw_jv_get(t, "servers")));
            rh_put_set(o, mw_jv_get(t, "vantages"), 6, UNLABELLED);
            fputs("; ", o);
            const mw_jv *fi = mw_jv_get(t, "first_intercepted");
            const mw_jv *li = mw_jv_get(t, "last_intercepted");
            int64_t t1, t2;
            rh_put_time(o, fi, false);
            /* One time when both fall in the same minute. */
            if (!rh_parse_time(fi, &t1) || !rh_parse_time(li, &t2) || t1 / 60 != t2 / 60) {
                fputs(" \xe2\x80\x93 ", o);
                rh_put_time(o, li, false);
            }
            fputs(" UTC; by ", o);
            rh_put_set(o, mw_jv_get(t, "rogue_issuers"), 3, DASH);
            fputs("</li>\n", o);
        }
        fputs("</ul>\n", o);
        on_periods(o, root);
    } else {
        fprintf(o, "<p><b>No target domain was intercepted</b> (%zu of %zu target domain%s seen).</p>\n",
                seen, nt, nt == 1 ? "" : "s");
    }
    size_t nv = rh_arr_len(vants);
    if (nv) {
        fputs("<p>Share of contacted servers intercepted: ", o);
        for (size_t i = 0; i < nv; i++) {
            const mw_jv *v = mw_jv_at(vants, i);
            size_t k = rh_arr_len(mw_jv_get(v, "servers_intercepted"));
            size_t n = rh_arr_len(mw_jv_get(v, "servers"));
            fputs(i ? "; " : "", o);
            rh_put_val(o, mw_jv_get(v, "vantage"), UNLABELLED);
            fprintf(o, " %.1f\xc2\xa0%% (%zu of %zu)", rh_pct(k, n), k, n);
        }
        fputs(".</p>\n", o);
    }
    fputs("</div>\n<div class=\"figs\">", o);
    const mw_jv *sess = mw_jv_get(root, "sessions");
    const mw_jv *cov = mw_jv_get(root, "coverage");
    fig(o, "sessions", rh_num(mw_jv_get(sess, "total")), "sessions");
    fig(o, "target_sessions", rh_num(mw_jv_get(cov, "target_sessions")), "target sessions");
    fig(o, "intercepted", rh_num(mw_jv_get(sess, "intercepted")), "intercepted");
    fig(o, "suspicious", rh_num(mw_jv_get(sess, "suspicious")), "suspicious");
    fig(o, "untrusted", rh_num(mw_jv_get(sess, "untrusted")), "untrusted, no sign of interception");
    fig(o, "forged", rh_arr_len(mw_jv_get(root, "forged_certificates")), "forged certificates");
    fig(o, "vantages", nv, "vantages");
    fputs("</div>\n", o);

    const mw_jv *lim = mw_jv_get(root, "limits");
    uint64_t so = rh_num(mw_jv_get(lim, "set_overflow")), fo = rh_num(mw_jv_get(lim, "forged_overflow")),
             bo = rh_num(mw_jv_get(lim, "buckets_overflow"));
    if (so || fo || bo)
        fprintf(o,
                "<p class=\"warn\" id=\"limits\">The summary's caps left entries out: %" PRIu64
                " set members, %" PRIu64 " forged certificates, %" PRIu64
                " timeline buckets. Counts of servers and certificates below are lower bounds.</p>\n",
                so, fo, bo);
    cross_run_note(o, root);
    fputs("</header>\n", o);
}

static void timeline_section(FILE *o, const mw_jv *root, const taxis *a, bool have, int64_t bucket)
{
    const mw_jv *tl = mw_jv_get(root, "timeline");
    size_t n = rh_arr_len(tl);
    fputs("<section id=\"timeline\">\n<h2>Timeline</h2>\n", o);
    if (!have) {
        fputs("<p class=\"na\">No target session: nothing to draw.</p>\n</section>\n", o);
        return;
    }
    rh_timeline_chart(o, root, a, bucket);
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
        rh_vcounts(b, c);
        if (c[0])
            state = "on";
        else if (c[1] || c[2])
            state = "off";
        fputs("<tr data-t=\"", o);
        rh_esc(o, mw_jv_str(mw_jv_get(b, "t"), NULL));
        fputs("\">", o);
        rh_td_time(o, "t", mw_jv_get(b, "t"));
        for (int k = 0; k < NV; k++)
            rh_td_num(o, rh_vkeys[k], c[k], k == 0 && c[0] ? "hit" : NULL);
        fprintf(o, "<td data-k=\"state\">%s</td></tr>\n", state);
    }
    fputs("</tbody></table></div></details>\n", o);

    const mw_jv *tr = mw_jv_get(root, "transitions");
    fputs("<h3>Transitions</h3>\n", o);
    if (!rh_arr_len(tr))
        fputs("<p class=\"na\">None.</p>\n", o);
    else
        fputs("<table id=\"transitions\"><thead><tr><th>time (UTC)</th><th>state</th></tr></thead>"
              "<tbody>\n",
              o);
    for (size_t i = 0; i < rh_arr_len(tr); i++) {
        const mw_jv *e = mw_jv_at(tr, i);
        fputs("<tr>", o);
        rh_td_time(o, "t", mw_jv_get(e, "t"));
        fputs("<td data-k=\"state\">", o);
        rh_put_val(o, mw_jv_get(e, "state"), DASH);
        fputs("</td></tr>\n", o);
    }
    if (rh_arr_len(tr))
        fputs("</tbody></table>\n", o);
    fputs("</section>\n", o);
}

/* The header and the rows of the targets seen (seen) or never seen. */
static void targets_rows(FILE *o, const mw_jv *targets, bool seen)
{
    size_t n = rh_arr_len(targets);
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
        uint64_t s = rh_vcounts(mw_jv_get(t, "sessions"), c);
        if ((s > 0) != seen)
            continue;
        fputs("<tr data-target=\"", o);
        rh_esc(o, mw_jv_str(mw_jv_get(t, "target"), NULL));
        fprintf(o, "\"%s><td class=\"wrap\">",
                c[0] ? " class=\"hit\"" : s ? "" : " class=\"unseen\"");
        rh_put_val(o, mw_jv_get(t, "target"), DASH);
        fputs("</td>", o);
        rh_td_num(o, "seen", s, NULL);
        for (int k = 0; k < NV; k++)
            rh_td_num(o, rh_vkeys[k], c[k], k == 0 && c[0] ? "hit" : NULL);
        rh_td_num(o, "servers_intercepted", rh_arr_len(mw_jv_get(t, "servers_intercepted")), NULL);
        rh_td_num(o, "servers", rh_arr_len(mw_jv_get(t, "servers")), NULL);
        rh_td_time(o, "first_intercepted", mw_jv_get(t, "first_intercepted"));
        rh_td_time(o, "last_intercepted", mw_jv_get(t, "last_intercepted"));
        fputs("<td class=\"wrap\" data-k=\"vantages\">", o);
        rh_put_set(o, mw_jv_get(t, "vantages"), 0, UNLABELLED);
        fputs("</td><td class=\"wrap\" data-k=\"rogue_issuers\">", o);
        rh_put_set(o, mw_jv_get(t, "rogue_issuers"), 0, DASH);
        fputs("</td></tr>\n", o);
    }
    fputs("</tbody>", o);
}

static void targets_section(FILE *o, const mw_jv *root)
{
    const mw_jv *targets = mw_jv_get(root, "targets");
    size_t n = rh_arr_len(targets);
    fputs("<section id=\"targets\">\n<h2>Target domains</h2>\n", o);
    if (!n) {
        fputs("<p class=\"na\">No target list in force.</p>\n</section>\n", o);
        return;
    }
    rh_targets_chart(o, targets);
    fputs("<p class=\"cap\">Sessions per target domain seen, as shares by verdict (n: sessions). "
          "Servers: addresses contacted for the domain, and those with an intercepted session. "
          "Times are those of the first packet of the first and last intercepted session, "
          "UTC.</p>\n",
          o);
    size_t unseen = 0;
    uint64_t c[NV];
    for (size_t i = 0; i < n; i++)
        unseen += rh_vcounts(mw_jv_get(mw_jv_at(targets, i), "sessions"), c) == 0;
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


static void vantages_section(FILE *o, const mw_jv *root, const taxis *a, bool have,
                             int64_t bucket)
{
    const mw_jv *vants = mw_jv_get(root, "vantages");
    size_t n = rh_arr_len(vants);
    fputs("<section id=\"vantages\">\n<h2>Vantages</h2>\n", o);
    if (!n) {
        fputs("<p class=\"na\">No vantage: no session.</p>\n</section>\n", o);
        return;
    }
    rh_vantage_rate_chart(o, vants);
    fputs("<p class=\"cap\">Share of the servers contacted for target domains from each vantage "
          "whose connections were intercepted at least once (the measure of the 2019 Kazakhstan "
          "study: 7&nbsp;% from outside the country, 24&nbsp;% from inside).</p>\n",
          o);
    if (have) {
        rh_vantage_time_chart(o, vants, a, bucket);
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
        uint64_t s = rh_vcounts(mw_jv_get(v, "sessions"), c);
        size_t k = rh_arr_len(mw_jv_get(v, "servers_intercepted"));
        size_t m = rh_arr_len(mw_jv_get(v, "servers"));
        fputs("<tr", o);
        rh_attr_vantage(o, mw_jv_get(v, "vantage"));
        fputs("><td>", o);
        rh_put_val(o, mw_jv_get(v, "vantage"), UNLABELLED);
        fputs("</td>", o);
        rh_td_num(o, "seen", s, NULL);
        for (int j = 0; j < NV; j++)
            rh_td_num(o, rh_vkeys[j], c[j], j == 0 && c[0] ? "hit" : NULL);
        rh_td_num(o, "servers_intercepted", k, NULL);
        rh_td_num(o, "servers", m, NULL);
        fprintf(o, "<td class=\"n\" data-k=\"rate\" data-v=\"%.6f\">%.1f\xc2\xa0%%</td></tr>\n",
                rh_pct(k, m), rh_pct(k, m));
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
        for (size_t j = 0; j < rh_arr_len(tl); j++) {
            const mw_jv *b = mw_jv_at(tl, j);
            size_t k = rh_arr_len(mw_jv_get(b, "servers_intercepted"));
            size_t m = rh_arr_len(mw_jv_get(b, "servers"));
            fputs("<tr", o);
            rh_attr_vantage(o, mw_jv_get(v, "vantage"));
            fputs(" data-t=\"", o);
            rh_esc(o, mw_jv_str(mw_jv_get(b, "t"), NULL));
            fputs("\"><td>", o);
            rh_put_val(o, mw_jv_get(v, "vantage"), UNLABELLED);
            fputs("</td>", o);
            rh_td_time(o, "t", mw_jv_get(b, "t"));
            rh_td_num(o, "servers_intercepted", k, NULL);
            rh_td_num(o, "servers", m, NULL);
            fprintf(o, "<td class=\"n\">%.1f\xc2\xa0%%</td></tr>\n", rh_pct(k, m));
        }
    }
    fputs("</tbody></table></div></details>\n</section>\n", o);
}

static void kv_row(FILE *o, const char *k, const char *label, const mw_jv *v, bool hash)
{
    fprintf(o, "<tr data-k=\"%s\"><th>%s</th><td%s>", k, label, hash ? " class=\"h\"" : "");
    rh_put_val(o, v, DASH);
    fputs("</td></tr>", o);
}

static void kv_set(FILE *o, const char *k, const char *label, const mw_jv *v, const char *null_html)
{
    fprintf(o, "<tr data-k=\"%s\"><th>%s</th><td class=\"wrap\">", k, label);
    rh_put_set(o, v, 0, null_html);
    fputs("</td></tr>", o);
}

static void validity_row(FILE *o, const mw_jv *c)
{
    fputs("<tr data-k=\"validity\"><th>valid</th><td>", o);
    rh_put_val(o, mw_jv_get(c, "not_before"), DASH);
    fputs(" \xe2\x80\x93 ", o);
    rh_put_val(o, mw_jv_get(c, "not_after"), DASH);
    fputs("</td></tr>", o);
}

static void forged_one(FILE *o, const mw_jv *f)
{
    const mw_jv *verdict = mw_jv_get(f, "verdict");
    const char *vs = mw_jv_str(verdict, NULL);
    bool hit = vs && strcmp(vs, "intercepted") == 0;
    fputs("<details class=\"forged\" data-sha256=\"", o);
    rh_esc(o, mw_jv_str(mw_jv_get(f, "sha256"), NULL));
    fprintf(o, "\"><summary><span class=\"badge b-%s\">", hit ? "intercepted" : "suspicious");
    rh_put_val(o, verdict, "?");
    fputs("</span> <b>", o);
    rh_put_val(o, mw_jv_get(f, "subject"), "(unparsable)");
    fputs("</b> issued by ", o);
    rh_put_val(o, mw_jv_get(f, "issuer"), "(unparsable)");
    fprintf(o, " \xe2\x80\x94 <span data-k=\"sessions\">%" PRIu64 "</span> sessions for ",
            rh_num(mw_jv_get(f, "sessions")));
    rh_put_set(o, mw_jv_get(f, "names"), 4, "(no SNI)");
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
    rh_put_time(o, mw_jv_get(f, "first_seen"), true);
    fputs(" \xe2\x80\x93 ", o);
    rh_put_time(o, mw_jv_get(f, "last_seen"), true);
    fputs(" UTC</td></tr>", o);
    kv_set(o, "reasons", "reasons", mw_jv_get(f, "reasons"), DASH);
    const mw_jv *traits = mw_jv_get(f, "traits");
    fputs("<tr data-k=\"traits\"><th>traits</th><td>", o);
    if (!rh_arr_len(traits))
        fputs(DASH, o);
    for (size_t i = 0; i < rh_arr_len(traits); i++) {
        fputs("<span class=\"trait\">", o);
        rh_put_val(o, mw_jv_at(traits, i), DASH);
        fputs("</span>", o);
    }
    fputs("</td></tr></table>\n", o);

    const mw_jv *chain = mw_jv_get(f, "chain");
    fprintf(o, "<h4>Chain as sent (%zu)</h4>\n<div class=\"scroll\"><table class=\"chain\">"
               "<thead><tr><th class=\"n\">#</th><th>subject</th><th>issuer</th><th>SHA-256</th>"
               "</tr></thead><tbody>\n",
            rh_arr_len(chain));
    for (size_t i = 0; i < rh_arr_len(chain); i++) {
        const mw_jv *c = mw_jv_at(chain, i);
        fputs("<tr data-sha256=\"", o);
        rh_esc(o, mw_jv_str(mw_jv_get(c, "sha256"), NULL));
        fprintf(o, "\"><td class=\"n\">%zu</td><td class=\"wrap\">", i);
        rh_put_val(o, mw_jv_get(c, "subject"), "(unparsable)");
        fputs("</td><td class=\"wrap\">", o);
        rh_put_val(o, mw_jv_get(c, "issuer"), "(unparsable)");
        fputs("</td><td class=\"h\">", o);
        rh_put_val(o, mw_jv_get(c, "sha256"), DASH);
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
    size_t n = rh_arr_len(fc);
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
    uint64_t total = rh_num(mw_jv_get(cov, "sessions"));
    uint64_t tsess = rh_num(mw_jv_get(cov, "target_sessions"));
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        uint64_t v = rh_num(mw_jv_get(cov, keys[i]));
        uint64_t of = i > 0 && i < 4 ? total : i > 4 && i < 7 ? tsess : 0;
        fprintf(o, "<tr><th>%s</th>", labels[i]);
        rh_td_num(o, keys[i], v, NULL);
        if (of)
            fprintf(o, "<td class=\"n\">%.1f\xc2\xa0%%</td></tr>\n", rh_pct(v, of));
        else
            fputs("<td></td></tr>\n", o);
    }
    fputs("</tbody></table>\n", o);

    const mw_jv *lim = mw_jv_get(root, "limits");
    fputs("<h3>Summary caps</h3>\n<table id=\"limits-table\"><tbody>", o);
    static const char *const lk[] = {"set_overflow", "forged_overflow", "buckets_overflow"};
    for (size_t i = 0; i < 3; i++) {
        fprintf(o, "<tr><th>%s</th>", lk[i]);
        rh_td_num(o, lk[i], rh_num(mw_jv_get(lim, lk[i])), NULL);
        fputs("</tr>", o);
    }
    fputs("</tbody></table>\n", o);

    const mw_jv *rs = mw_jv_get(root, "reasons");
    size_t shown = 0;
    fputs("<h3>Evidence</h3>\n", o);
    for (size_t i = 0; mw_jv_type_of(rs) == MW_JV_OBJECT && i < mw_jv_len(rs); i++) {
        uint64_t v = rh_num(mw_jv_at(rs, i));
        if (!v)
            continue;
        if (!shown++)
            fputs("<table id=\"reasons-table\"><thead><tr><th>reason</th><th class=\"n\">sessions"
                  "</th></tr></thead><tbody>\n",
                  o);
        fputs("<tr data-reason=\"", o);
        rh_esc(o, mw_jv_key_at(rs, i));
        fputs("\"><td>", o);
        rh_esc(o, mw_jv_key_at(rs, i));
        fputs("</td>", o);
        rh_td_num(o, "sessions", v, NULL);
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
            uint64_t v = rh_num(mw_jv_at(grp, i));
            if (!v)
                continue;
            if (!shown++)
                fputs("<div class=\"scroll\"><table id=\"counters-table\"><thead><tr><th>group</th>"
                      "<th>counter</th><th class=\"n\">value</th></tr></thead><tbody>\n",
                      o);
            fputs("<tr data-group=\"", o);
            rh_esc(o, mw_jv_key_at(cs, g));
            fputs("\" data-counter=\"", o);
            rh_esc(o, mw_jv_key_at(grp, i));
            fputs("\"><td>", o);
            rh_esc(o, mw_jv_key_at(cs, g));
            fputs("</td><td>", o);
            rh_esc(o, mw_jv_key_at(grp, i));
            fputs("</td>", o);
            rh_td_num(o, "value", v, NULL);
            fputs("</tr>\n", o);
        }
    }
    fputs(shown ? "</tbody></table></div>\n" : "<p class=\"na\">No counter recorded.</p>\n", o);
    fputs("</section>\n", o);
}

bool mw_report_html_write(const mw_jv *root, FILE *out, char *err, size_t errlen)
{
    uint64_t b = rh_num(mw_jv_get(root, "bucket_seconds"));
    /* A bucket of 0 (absent) or absurd width would only break the axis. */
    int64_t bucket = b >= 1 && b <= 100000000 ? (int64_t)b : 3600;
    taxis a;
    bool have = rh_time_domain(root, bucket, &a);

    head(out);
    headline(out, root);
    timeline_section(out, root, &a, have, bucket);
    targets_section(out, root);
    rh_matrix_section(out, root);
    vantages_section(out, root, &a, have, bucket);
    forged_section(out, root);
    coverage_section(out, root);
    counters_section(out, root);
    fputs("<footer>Written by ", out);
    rh_put_val(out, mw_jv_get(root, "generator"), "mitmwatch");
    fputs(" from summary.json (format ", out);
    rh_put_val(out, mw_jv_get(root, "summary_version"), "?");
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
