/*
 * report_html.h - report.html: summary.json drawn as one self-contained page.
 *
 * The page needs nothing but itself: inline CSS, charts as inline SVG, no
 * script, no font or image to fetch, and a Content-Security-Policy that
 * forbids every load, so it can be opened offline and mailed around. Every
 * string of the summary came off the wire (SNI, certificate names) and is
 * HTML-escaped; control characters, bytes that are not UTF-8 and
 * direction-changing characters are shown as \xNN / \u{NNNN} text.
 *
 * Numbers are also in the DOM as data attributes (docs/report.md), which is
 * what the browser test compares with summary.json.
 */
#ifndef MW_REPORT_HTML_H
#define MW_REPORT_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/jsonparse.h"

/* Writes the page for a parsed summary.json root (docs/summary.md). Any
 * parsed JSON is accepted: missing or mistyped members count as absent or
 * 0. Returns false with a message in err only when writing failed. */
bool mw_report_html_write(const mw_jv *summary, FILE *out, char *err, size_t errlen);

#endif /* MW_REPORT_HTML_H */
