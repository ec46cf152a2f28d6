/*
 * report_html_internal.h - what the pieces of report.html share; not an API.
 *
 *   report_html.c    the page: style, headline, sections, tables
 *   report_svg.c     the charts, inline SVG
 *   report_escape.c  values read leniently from the parsed summary.json,
 *                    and text written HTML-escaped
 *   report_matrix.c  the vantage x target matrix
 *
 * Nothing allocates: everything is written straight to the FILE, whose
 * error state is checked once at the end (mw_report_html_write).
 */
#ifndef MW_REPORT_HTML_INTERNAL_H
#define MW_REPORT_HTML_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/jsonparse.h"

/* The verdicts in display order (their colours are in report_svg.c and
 * the CSS). */
enum { NV = 5 };
extern const char *const rh_vkeys[NV];

#define DASH "<span class=\"na\">\xe2\x80\x94</span>"
#define UNLABELLED "<i>(unlabelled)</i>"

/* ---- values (report_escape.c) ------------------------------------------ */

/* A number member, or 0 when absent or of another type. */
uint64_t rh_num(const mw_jv *v);
uint64_t rh_sat_add(uint64_t a, uint64_t b);
/* An array's length, or 0 when it is no array. */
size_t rh_arr_len(const mw_jv *v);
/* The five verdict counts of a verdict-count object; returns their sum. */
uint64_t rh_vcounts(const mw_jv *o, uint64_t c[NV]);
double rh_pct(uint64_t k, uint64_t n);
/* A summary time, either form, to seconds since the epoch. */
bool rh_parse_time(const mw_jv *v, int64_t *out);

/* ---- output (report_escape.c) ------------------------------------------ */

/* HTML text or attribute value (the page quotes attributes with "). */
void rh_esc_n(FILE *o, const char *str, size_t n);
void rh_esc(FILE *o, const char *s);
/* At most max characters of s, escaped, with an ellipsis if cut. */
void rh_esc_cut(FILE *o, const char *s, size_t max);
/* A scalar as text; null (or absent) as null_html. */
void rh_put_val(FILE *o, const mw_jv *v, const char *null_html);
/* The members of a set, comma-separated; at most max (0: all). */
void rh_put_set(FILE *o, const mw_jv *set, size_t max, const char *null_html);
/* "2019-07-18 08:01:10"; secs false: "2019-07-18 08:01". */
void rh_put_civil(FILE *o, int64_t t, bool secs);
void rh_put_time(FILE *o, const mw_jv *v, bool secs);
/* Table cells with the value in data-v too. */
void rh_td_num(FILE *o, const char *k, uint64_t v, const char *cls);
void rh_td_time(FILE *o, const char *k, const mw_jv *v);
/* data-vantage="label", or data-vantage="" data-null="true" for null. */
void rh_attr_vantage(FILE *o, const mw_jv *v);

/* ---- charts (report_svg.c) --------------------------------------------- */

typedef struct taxis {
    int64_t t0, t1; /* domain, seconds; t1 > t0 */
    int64_t end;    /* end of the last bucket (t1 less padding) */
    double x0, w;   /* range in user units */
} taxis;

/* The time domain of the timeline buckets and the vantages' timelines;
 * false when there is none. */
bool rh_time_domain(const mw_jv *root, int64_t bucket, taxis *a);
/* Stacked bars per bucket, "on" periods shaded, transitions marked. */
void rh_timeline_chart(FILE *o, const mw_jv *root, const taxis *a, int64_t bucket);
/* 100 %-stacked bar per target seen. */
void rh_targets_chart(FILE *o, const mw_jv *targets);
/* One bar per vantage: the share of its contacted servers intercepted. */
void rh_vantage_rate_chart(FILE *o, const mw_jv *vants);
/* The same share per bucket: a line per vantage. */
void rh_vantage_time_chart(FILE *o, const mw_jv *vants, const taxis *a, int64_t bucket);

/* ---- the vantage x target matrix (report_matrix.c) -------------------- */
void rh_matrix_section(FILE *o, const mw_jv *root);
#endif /* MW_REPORT_HTML_INTERNAL_H */
