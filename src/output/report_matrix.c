/*
 * report_matrix.c - the vantage x target matrix of report.html: for every
 * target domain seen, from every vantage, how many sessions, how many of
 * them intercepted, and when they were seen. Drawn from each target's
 * "by_vantage" row of summary.json (docs/summary.md); the columns are the
 * "vantages" of the summary in their order, so the page has the same
 * layout whatever order the cells were written in.
 */
#include <string.h>
#include <time.h>

#include "output/report_html_internal.h"

/* A vantage label compared with a cell's: both strings, or both null. */
static bool same_vantage(const mw_jv *a, const mw_jv *b)
{
    size_t la, lb;
    const char *sa = mw_jv_str(a, &la), *sb = mw_jv_str(b, &lb);
    if (!sa || !sb)
        return !sa && !sb && mw_jv_type_of(a) == MW_JV_NULL && mw_jv_type_of(b) == MW_JV_NULL;
    return la == lb && memcmp(sa, sb, la) == 0;
}

static const mw_jv *cell_of(const mw_jv *row, const mw_jv *label)
{
    for (size_t i = 0; i < rh_arr_len(row); i++) {
        const mw_jv *c = mw_jv_at(row, i);
        if (same_vantage(mw_jv_get(c, "vantage"), label))
            return c;
    }
    return NULL;
}

/* "2019-07-17", from a summary time; nothing when unreadable. */
static void put_day(FILE *o, const mw_jv *v)
{
    int64_t t;
    struct tm tm;
    time_t tt;
    if (!rh_parse_time(v, &t))
        return;
    tt = (time_t)t;
    if (!gmtime_r(&tt, &tm))
        return;
    fprintf(o, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Whether any target has a session from the vantage of this label: the
 * unlabelled vantage often has only sessions of other domains. */
static bool column_used(const mw_jv *targets, const mw_jv *label)
{
    for (size_t i = 0; i < rh_arr_len(targets); i++)
        if (cell_of(mw_jv_get(mw_jv_at(targets, i), "by_vantage"), label))
            return true;
    return false;
}

static void put_cell(FILE *o, const mw_jv *c)
{
    uint64_t k[NV];
    uint64_t n = rh_vcounts(mw_jv_get(c, "sessions"), k);
    fprintf(o, "<td class=\"mx%s\"", k[0] ? " hit" : "");
    rh_attr_vantage(o, mw_jv_get(c, "vantage"));
    fprintf(o, " data-sessions=\"%llu\" data-intercepted=\"%llu\">", (unsigned long long)n,
            (unsigned long long)k[0]);
    fprintf(o, "<b>%llu</b> / %llu<br><span class=\"d\">", (unsigned long long)k[0],
            (unsigned long long)n);
    const mw_jv *first = mw_jv_get(c, "first_seen"), *last = mw_jv_get(c, "last_seen");
    put_day(o, first);
    int64_t a, b;
    /* One date when the sessions fell on one day. */
    if (rh_parse_time(first, &a) && rh_parse_time(last, &b) && a / 86400 != b / 86400) {
        fputs(" \xe2\x80\x93 ", o);
        put_day(o, last);
    }
    fputs("</span></td>", o);
}

void rh_matrix_section(FILE *o, const mw_jv *root)
{
    const mw_jv *targets = mw_jv_get(root, "targets");
    const mw_jv *vants = mw_jv_get(root, "vantages");
    size_t rows = 0;
    bool have_rows = false;
    for (size_t i = 0; i < rh_arr_len(targets); i++) {
        const mw_jv *row = mw_jv_get(mw_jv_at(targets, i), "by_vantage");
        rows += rh_arr_len(row) > 0;
        have_rows |= row != NULL;
    }
    fputs("<section id=\"matrix\">\n<h2>Targets by vantage</h2>\n", o);
    if (!rows) {
        fputs(have_rows ? "<p class=\"na\">No session of a target domain.</p>\n"
                        : "<p class=\"na\">This summary has no matrix (written before it "
                          "existed, or merged from such summaries).</p>\n",
              o);
        fputs("</section>\n", o);
        return;
    }
    fputs("<p class=\"cap\">For each target domain and vantage: intercepted sessions / all "
          "sessions, and the days (UTC) of the first and last session. A blank cell: no session "
          "of the domain from that vantage.</p>\n"
          "<div class=\"scroll\"><table id=\"matrix-table\" class=\"matrix\"><thead><tr>"
          "<th>target</th>",
          o);
    for (size_t v = 0; v < rh_arr_len(vants); v++) {
        const mw_jv *label = mw_jv_get(mw_jv_at(vants, v), "vantage");
        if (!column_used(targets, label))
            continue;
        fputs("<th class=\"wrap v\"", o);
        rh_attr_vantage(o, label);
        fputs(">", o);
        rh_put_val(o, label, UNLABELLED);
        fputs("</th>", o);
    }
    fputs("</tr></thead><tbody>\n", o);
    for (size_t i = 0; i < rh_arr_len(targets); i++) {
        const mw_jv *t = mw_jv_at(targets, i);
        const mw_jv *row = mw_jv_get(t, "by_vantage");
        if (!rh_arr_len(row))
            continue;
        fputs("<tr data-target=\"", o);
        rh_esc(o, mw_jv_str(mw_jv_get(t, "target"), NULL));
        fputs("\"><td class=\"wrap\">", o);
        rh_put_val(o, mw_jv_get(t, "target"), DASH);
        fputs("</td>", o);
        for (size_t v = 0; v < rh_arr_len(vants); v++) {
            const mw_jv *label = mw_jv_get(mw_jv_at(vants, v), "vantage");
            const mw_jv *c = cell_of(row, label);
            if (!c && !column_used(targets, label))
                continue;
            if (c)
                put_cell(o, c);
            else
                fputs("<td class=\"mx\"></td>", o);
        }
        fputs("</tr>\n", o);
    }
    fputs("</tbody></table></div>\n</section>\n", o);
}
