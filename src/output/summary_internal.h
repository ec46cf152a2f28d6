/*
 * summary_internal.h - what the pieces of the summary share; not an API.
 *
 *   summary.c       the state: interned strings, sets, the objects and
 *                   their hash indexes; sessions added
 *   summary_json.c  summary.json written, and the sorted views the text
 *                   report uses too
 *   summary_read.c  summary.json read back and merged
 *   summary_text.c  the readable report
 *
 * Layout: every distinct string kept (server, SNI, vantage label, trait,
 * issuer) is interned once; a set is just an id, and a set entry is the
 * pair (set id, string id) in one array with one hash index, so the cap on
 * set entries is a single counter. Targets, vantages, timeline buckets and
 * forged certificates are arrays with a hash index each. Nothing is kept
 * sorted: writing sorts copies, so insertion order never shows.
 *
 * Strings are stored "normalized": the text a JSON reader gets back from
 * what json.c writes for the raw bytes (bytes that are not UTF-8 become the
 * four characters \xNN; a NUL too, since a reader refuses \u0000). Then a
 * summary read back from summary.json holds the very same strings, which is
 * what makes merging give the same bytes as one run.
 */
#ifndef MW_SUMMARY_INTERNAL_H
#define MW_SUMMARY_INTERNAL_H

#include "output/summary.h"

#define NO_ID UINT32_MAX
#define N_KINDS 6
#define GENERATOR "mitmwatch 0.1.0"

/* The five verdict keys in the order summary.json lists them. */
extern const mw_verdict_kind mws_kind_order[N_KINDS];

/* An open-addressing index of array positions; the caller compares keys. */
typedef struct slot {
    uint64_t h;
    uint32_t idx1; /* position + 1; 0 is empty */
} slot;

typedef struct itab {
    slot *slots;
    size_t cap, n;
} itab;

typedef struct sbuf {
    char *p;
    size_t cap;
} sbuf;

typedef struct vcounts {
    uint64_t c[N_KINDS]; /* by mw_verdict_kind */
} vcounts;

typedef struct entry {
    uint32_t set, str;
} entry;

typedef struct target {
    char *name;
    vcounts vc;
    uint32_t servers, servers_int, vantages, rogue;
    bool has_int;
    uint64_t first_int, last_int;
} target;

typedef struct vantage {
    uint32_t label; /* string id; 0 is null */
    vcounts vc;
    uint32_t servers, servers_int;
} vant;

/* One cell of the target x vantage matrix: the target's sessions seen from
 * one vantage. The number of cells is at most targets x vantages, both
 * bounded already (targets by the rules, vantages by the labels given). */
typedef struct tvcell {
    uint32_t target, vantage; /* positions in targets[], vantages[] */
    vcounts vc;
    uint64_t first_seen, last_seen;
    uint64_t first_int, last_int;
    bool has_int;
} tvcell;

typedef struct bucket {
    uint64_t num; /* start / bucket_seconds */
    vcounts vc;
} bucket;

typedef struct vbucket {
    uint32_t vantage;
    uint64_t num;
    uint32_t servers, servers_int;
} vbucket;

typedef struct chain_ent {
    char sha[65];
    char *subject, *issuer;
} chain_ent;

typedef struct clone_info {
    char sha[65];
    char *subject, *issuer, *serial, *not_before, *not_after;
} clone_info;

typedef struct forged {
    char *subject, *issuer, *serial, *not_before, *not_after, *key;
    char **san;
    size_t n_san;
    uint64_t rsa_exp;
    uint64_t sessions;
    uint64_t first_seen, last_seen;
    chain_ent *chain;
    size_t n_chain;
    clone_info clone;
    uint32_t names, servers, vantages, traits;
    uint32_t reasons; /* bit per reason code */
    bool has_san, has_rsa, intercepted, has_clone;
    char sha[65];
} forged;

/* One input counted (summary_sources.c): a file by size and hash, else by
 * run id and name. Strings normalized, vantage NULL for none. */
typedef struct mws_source {
    char *path, *name, *vantage, *run;
    bool has_file;
    uint64_t size;
    char sha[65];
} mws_source;

/* One baseline store sessions were judged against (summary_baselines.c):
 * kind "none", "sqlite", "postgresql" or "unknown"; id hex, "" unknown. */
typedef struct mws_baseline {
    char kind[16];
    char id[65];
} mws_baseline;

struct mw_summary {
    mw_summary_config cfg;
    uint64_t seed;

    char **strs; /* strs[0] is NULL: the null vantage */
    size_t n_strs, cap_strs;
    itab str_idx;

    entry *entries;
    size_t n_entries, cap_entries;
    itab entry_idx;
    uint32_t n_sets;
    uint32_t inputs;

    bool has_ts;
    uint64_t first_ts, last_ts;
    vcounts sessions;
    uint64_t total;
    uint64_t reasons[MW_REASON_COUNT];
    uint64_t target_sessions, target_opaque, target_incomplete, quic, dtls;

    target *targets;
    size_t n_targets, cap_targets;
    itab target_idx;
    vant *vantages;
    size_t n_vantages, cap_vantages;
    itab vantage_idx;
    bucket *buckets;
    size_t n_buckets, cap_buckets;
    itab bucket_idx;
    vbucket *vbuckets;
    size_t n_vbuckets, cap_vbuckets;
    itab vbucket_idx;
    tvcell *tv;
    size_t n_tv, cap_tv;
    itab tv_idx;
    forged **forged;
    size_t n_forged, cap_forged;
    itab forged_idx;

    uint64_t lim_set, lim_forged, lim_buckets;
    mw_stats stats;

    sbuf nb_sni, nb_vantage, nb_tmp;

    mws_source *srcs;
    size_t n_srcs, cap_srcs;
    bool has_sources; /* read back: the file had "sources" */
    char run_id[33];

    mws_baseline *bls;
    size_t n_bls, cap_bls;
    bool bls_overflow; /* more stores than kept: separate ones, surely */
};

/* ------------------------------------------------------------ summary.c */

/* Makes room for need elements of size elem in *p (capacity *cap). */
bool mws_grow(void **p, size_t *cap, size_t need, size_t elem);
/* Normalized text of n raw bytes in b (see above); NULL on OOM. */
const char *mws_norm_into(sbuf *b, const void *raw, size_t n);
char *mws_norm_dup(const char *s);
/* Adds a normalized string (NULL: null) to a set; caps are counted. */
void mws_set_add(mw_summary *s, uint32_t set, const char *str);
/* The objects by key, created when new: NULL / NO_ID on OOM or at a cap. */
target *mws_target_get(mw_summary *s, const char *name);
uint32_t mws_vantage_get(mw_summary *s, const char *label);
bucket *mws_bucket_get(mw_summary *s, uint64_t num);
vbucket *mws_vbucket_get(mw_summary *s, uint32_t vantage, uint64_t num);
/* The cell of (target, vantage) positions: created when new (NULL on OOM)
 * or, by mws_tvcell_find, NULL when absent. */
tvcell *mws_tvcell_get(mw_summary *s, uint32_t ti, uint32_t vi);
const tvcell *mws_tvcell_find(const mw_summary *s, uint32_t ti, uint32_t vi);
/* Adds one session (or, merging, a cell) seen at [first, last]. */
void mws_tvcell_add(tvcell *c, const vcounts *vc, uint64_t first, uint64_t last,
                    bool has_int, uint64_t first_int, uint64_t last_int);
forged *mws_forged_find(const mw_summary *s, const char *sha);
forged *mws_forged_new(mw_summary *s, const char *sha);
void mws_chain_free(chain_ent *c, size_t n);
void mws_clone_clear(clone_info *c);
void mws_forged_clear(forged *f);
void mws_counts_add(vcounts *d, const vcounts *s);
/* A time as written (micro: with microseconds), nothing else. */
bool mws_parse_time(const char *s, bool micro, uint64_t *us);

/* ------------------------------------------------------- summary_json.c */

typedef struct sorted_entry {
    uint32_t set;
    const char *str;
} sorted_entry;

/* Every set's members in order, for writing. */
typedef struct view {
    const mw_summary *s;
    sorted_entry *e;
    size_t *start; /* set i is e[start[i] .. start[i + 1]) */
} view;

/* Sorted orders of the objects (arrays of positions). */
typedef struct order {
    size_t *targets, *vantages, *buckets, *vbuckets, *forged;
} order;

bool mws_view_init(view *w, const mw_summary *s);
void mws_view_free(view *w);
size_t mws_set_size(const view *w, uint32_t set);
const char *mws_set_at(const view *w, uint32_t set, size_t i);
bool mws_order_init(order *o, const mw_summary *s);
void mws_order_free(order *o);
/* A bucket's state: 1 on, 0 off, -1 leaves it as it was. */
int mws_bucket_state(const bucket *b);
uint64_t mws_bucket_start_us(const mw_summary *s, uint64_t num);

/* ---------------------------------------------------- summary_sources.c */

struct mw_json;
void mws_sources_free(mw_summary *s);
/* How many of t's inputs s already holds; *first: the path of one. */
size_t mws_sources_known(const mw_summary *s, const mw_summary *t, const char **first);
bool mws_sources_merge(mw_summary *s, const mw_summary *t);
bool mws_sources_write(struct mw_json *j, const mw_summary *s);
/* "sources" of a summary.json into t (absent: nothing, has_sources false). */
bool mws_sources_read(mw_summary *t, const mw_jv *root, char *err, size_t errlen);
/* Sorted by path, vantage, hash, size, run; free() the array. */
const mws_source **mws_sources_sorted(const mw_summary *s);

/* -------------------------------------------------- summary_baselines.c */

void mws_baselines_free(mw_summary *s);
void mws_baselines_merge(mw_summary *s, const mw_summary *t);
/* "baselines" and the derived "cross_run_evidence". */
void mws_baselines_write(struct mw_json *j, const mw_summary *s);
/* "baselines" of a summary.json into t (absent: one unknown store). */
bool mws_baselines_read(mw_summary *t, const mw_jv *root, char *err, size_t errlen);
/* NULL when all inputs were judged against one known store; else
 * "separate" or "unknown". */
const char *mws_baselines_gap(const mw_summary *s);
/* The evidence a gap leaves out: the count, and entry i's reason code and
 * what it would have caught. */
size_t mws_baselines_missing(size_t i, const char **code, const char **what);

#endif /* MW_SUMMARY_INTERNAL_H */
