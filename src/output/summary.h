/*
 * summary.h - the story of a run: which target domains were intercepted,
 * where and when (docs/summary.md describes summary.json).
 *
 * A summary is fed one judged session at a time (mw_summary_add_session,
 * cheap: hash lookups, no sorting), or whole summary.json files
 * (mw_summary_merge_json, for `mitmwatch merge`). It keeps sets, not only
 * their sizes, so merging gives the bytes one run over all inputs would.
 * Everything is sorted only when written, so the output does not depend
 * on the order sessions or files came in.
 *
 * Memory is bounded by the caps of mw_summary_config; what a cap leaves out
 * is counted in the summary's `limits` and in its counters
 * (output.summary_*_overflow).
 */
#ifndef MW_SUMMARY_H
#define MW_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/jsonparse.h"
#include "session/result.h"
#include "detect/rules.h"
#include "common/stats.h"

#define MW_SUMMARY_VERSION 1

typedef struct mw_summary_config {
    uint64_t bucket_seconds; /* timeline bucket width, > 0 (default 3600) */
    size_t max_set_entries;  /* all set entries together (servers, names,
                                vantages, ...); default 1000000 */
    size_t max_forged;       /* distinct forged certificates kept; default 10000 */
    size_t max_buckets;      /* timeline buckets kept (the timeline, and all
                                vantages' timelines together); default 100000 */
} mw_summary_config;

typedef struct mw_summary mw_summary;

void mw_summary_config_defaults(mw_summary_config *cfg);

/* rules: its target entries are listed even when never seen; may be NULL.
 * NULL on out of memory. A bucket_seconds of 0 is taken as the default. */
mw_summary *mw_summary_new(const mw_summary_config *cfg, const mw_rules *rules);
void mw_summary_free(mw_summary *s);

/* A capture name read (base name, "stdin", interface). */
void mw_summary_add_input(mw_summary *s, const char *capture_name);

/* One input with its identity (path as given, size and hash of a regular
 * file, vantage; stdin and live by run id), what `merge` keys inputs by. */
void mw_summary_add_source(mw_summary *s, const char *name, const char *path,
                           const char *vantage, bool is_file);

/* The baseline store the sessions are judged against (mw_baseline_kind,
 * mw_baseline_id; id NULL: unknown). Merged summaries keep every distinct
 * one and say, when there is more than one, which cross-run evidence they
 * cannot have (summary.json "cross_run_evidence"). */
void mw_summary_set_baseline(mw_summary *s, const char *kind, const char *id);

/* One judged session; every pointer is only read during the call. */
void mw_summary_add_session(mw_summary *s, const mw_session_result *r);

/* The run's counters so far (replacing those set before: a live
 * --report is rewritten with the counters of each moment). */
void mw_summary_set_counters(mw_summary *s, const mw_stats *st);

/* Adds one parsed summary.json. On error returns false with a message in
 * err, and s is unchanged. */
bool mw_summary_merge_json(mw_summary *s, const mw_jv *root, char *err, size_t errlen);

/* What mw_summary_merge_json_ex did with a summary.json. */
typedef enum mw_merge_result {
    MW_MERGE_ERROR,     /* err says why; s unchanged */
    MW_MERGE_ADDED,
    MW_MERGE_UNCHECKED, /* added, but it has no "sources" to check */
    MW_MERGE_DUPLICATE  /* every input already merged: skipped (counted) */
} mw_merge_result;

/* As mw_summary_merge_json; a summary some but not all of whose inputs are
 * already merged is an error (its counts cannot be split). */
mw_merge_result mw_summary_merge_json_ex(mw_summary *s, const mw_jv *root, char *err,
                                         size_t errlen);

/* summary.json: one line and a newline. False on a write error (or out of
 * memory). */
bool mw_summary_write_json(const mw_summary *s, FILE *out);

/* The readable report; ANSI colours when color is true. */
void mw_summary_write_text(const mw_summary *s, FILE *out, bool color);

uint64_t mw_summary_bucket_seconds(const mw_summary *s);

#endif /* MW_SUMMARY_H */
