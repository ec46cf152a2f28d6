/*
 * summary_json.c - summary.json written (docs/summary.md), and the sorted
 * views of sets and objects that the text report uses too.
 */
#include "output/summary_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"

/* strcmp with NULL (the null vantage) first. */
static int cmp_nullable(const char *a, const char *b)
{
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    return strcmp(a, b);
}

static int cmp_sorted_entry(const void *pa, const void *pb)
{
    const sorted_entry *a = pa, *b = pb;
    if (a->set != b->set)
        return a->set < b->set ? -1 : 1;
    return cmp_nullable(a->str, b->str);
}

bool mws_view_init(view *w, const mw_summary *s)
{
    w->s = s;
    w->e = malloc((s->n_entries ? s->n_entries : 1) * sizeof(*w->e));
    w->start = calloc((size_t)s->n_sets + 1, sizeof(*w->start));
    if (!w->e || !w->start) {
        free(w->e);
        free(w->start);
        return false;
    }
    for (size_t i = 0; i < s->n_entries; i++) {
        w->e[i].set = s->entries[i].set;
        w->e[i].str = s->strs[s->entries[i].str];
    }
    if (s->n_entries > 1)
        qsort(w->e, s->n_entries, sizeof(*w->e), cmp_sorted_entry);
    size_t j = 0;
    for (uint32_t set = 0; set <= s->n_sets; set++) {
        while (j < s->n_entries && w->e[j].set < set)
            j++;
        w->start[set] = j;
    }
    return true;
}

void mws_view_free(view *w)
{
    free(w->e);
    free(w->start);
}

size_t mws_set_size(const view *w, uint32_t set)
{
    return set == NO_ID || set >= w->s->n_sets ? 0 : w->start[set + 1] - w->start[set];
}

const char *mws_set_at(const view *w, uint32_t set, size_t i)
{
    return w->e[w->start[set] + i].str;
}

static void w_set(mw_json *j, const view *w, const char *key, uint32_t set)
{
    mw_json_key(j, key);
    mw_json_array_begin(j);
    for (size_t i = 0; i < mws_set_size(w, set); i++)
        mw_json_string(j, mws_set_at(w, set, i));
    mw_json_array_end(j);
}

static void w_counts(mw_json *j, const char *key, const vcounts *vc, const uint64_t *total)
{
    mw_json_key(j, key);
    mw_json_object_begin(j);
    /* Untrusted sessions are never target sessions (a target makes them
     * suspicious): only the run's counts have them. */
    for (size_t i = 0; i < N_KINDS; i++)
        if (total || mws_kind_order[i] != MW_VERDICT_UNTRUSTED)
            mw_json_kv_uint(j, mw_verdict_name(mws_kind_order[i]), vc->c[mws_kind_order[i]]);
    if (total)
        mw_json_kv_uint(j, "total", *total);
    mw_json_object_end(j);
}

static void w_time(mw_json *j, const char *key, bool has, uint64_t ts)
{
    mw_json_key(j, key);
    if (has)
        mw_json_timestamp(j, ts);
    else
        mw_json_null(j);
}

static int cmp_target(const void *ctx, size_t a, size_t b)
{
    const mw_summary *s = ctx;
    return strcmp(s->targets[a].name, s->targets[b].name);
}

static int cmp_vantage(const void *ctx, size_t a, size_t b)
{
    const mw_summary *s = ctx;
    return cmp_nullable(s->strs[s->vantages[a].label], s->strs[s->vantages[b].label]);
}

static int cmp_bucket(const void *ctx, size_t a, size_t b)
{
    const mw_summary *s = ctx;
    uint64_t x = s->buckets[a].num, y = s->buckets[b].num;
    return x < y ? -1 : x > y;
}

static int cmp_vbucket(const void *ctx, size_t a, size_t b)
{
    const mw_summary *s = ctx;
    const vbucket *x = &s->vbuckets[a], *y = &s->vbuckets[b];
    int c = cmp_vantage(ctx, x->vantage, y->vantage);
    if (c != 0)
        return c;
    return x->num < y->num ? -1 : x->num > y->num;
}

static int cmp_forged(const void *ctx, size_t a, size_t b)
{
    const mw_summary *s = ctx;
    const forged *x = s->forged[a], *y = s->forged[b];
    if (x->first_seen != y->first_seen)
        return x->first_seen < y->first_seen ? -1 : 1;
    return strcmp(x->sha, y->sha);
}

/* Merge sort of positions 0..n-1 with a context (qsort has none in C11). */
static void sort_pos(size_t *p, size_t *tmp, size_t n, int (*cmp)(const void *, size_t, size_t),
                     const void *ctx)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_pos(p, tmp, h, cmp, ctx);
    sort_pos(p + h, tmp, n - h, cmp, ctx);
    size_t i = 0, k = h, o = 0;
    while (i < h && k < n)
        tmp[o++] = cmp(ctx, p[k], p[i]) < 0 ? p[k++] : p[i++];
    while (i < h)
        tmp[o++] = p[i++];
    while (k < n)
        tmp[o++] = p[k++];
    memcpy(p, tmp, n * sizeof(*p));
}

static size_t *sorted_positions(size_t n, int (*cmp)(const void *, size_t, size_t),
                                const void *ctx)
{
    size_t *p = malloc((n ? n : 1) * sizeof(*p));
    size_t *tmp = malloc((n ? n : 1) * sizeof(*tmp));
    if (p && tmp) {
        for (size_t i = 0; i < n; i++)
            p[i] = i;
        sort_pos(p, tmp, n, cmp, ctx);
    } else {
        free(p);
        p = NULL;
    }
    free(tmp);
    return p;
}

void mws_order_free(order *o)
{
    free(o->targets);
    free(o->vantages);
    free(o->buckets);
    free(o->vbuckets);
    free(o->forged);
}

bool mws_order_init(order *o, const mw_summary *s)
{
    o->targets = sorted_positions(s->n_targets, cmp_target, s);
    o->vantages = sorted_positions(s->n_vantages, cmp_vantage, s);
    o->buckets = sorted_positions(s->n_buckets, cmp_bucket, s);
    o->vbuckets = sorted_positions(s->n_vbuckets, cmp_vbucket, s);
    o->forged = sorted_positions(s->n_forged, cmp_forged, s);
    if (o->targets && o->vantages && o->buckets && o->vbuckets && o->forged)
        return true;
    mws_order_free(o);
    return false;
}

/* A bucket's state: 1 on, 0 off, -1 leaves it as it was. */
int mws_bucket_state(const bucket *b)
{
    if (b->vc.c[MW_VERDICT_INTERCEPTED])
        return 1;
    if (b->vc.c[MW_VERDICT_CLEAN] || b->vc.c[MW_VERDICT_SUSPICIOUS])
        return 0;
    return -1;
}

uint64_t mws_bucket_start_us(const mw_summary *s, uint64_t num)
{
    return num * s->cfg.bucket_seconds * 1000000u;
}

static void w_forged(mw_json *j, const view *w, const forged *f)
{
    mw_json_object_begin(j);
    mw_json_kv_string(j, "sha256", f->sha);
    mw_json_kv_string(j, "subject", f->subject);
    mw_json_kv_string(j, "issuer", f->issuer);
    mw_json_kv_string(j, "serial", f->serial);
    mw_json_kv_string(j, "not_before", f->not_before);
    mw_json_kv_string(j, "not_after", f->not_after);
    mw_json_key(j, "san");
    if (f->has_san) {
        mw_json_array_begin(j);
        for (size_t i = 0; i < f->n_san; i++)
            mw_json_string(j, f->san[i]);
        mw_json_array_end(j);
    } else {
        mw_json_null(j);
    }
    mw_json_kv_string(j, "key", f->key);
    mw_json_key(j, "rsa_exponent");
    if (f->has_rsa)
        mw_json_uint(j, f->rsa_exp);
    else
        mw_json_null(j);
    mw_json_kv_string(j, "verdict", f->intercepted ? "intercepted" : "suspicious");
    mw_json_kv_uint(j, "sessions", f->sessions);
    w_set(j, w, "names", f->names);
    w_set(j, w, "servers", f->servers);
    w_set(j, w, "vantages", f->vantages);
    w_time(j, "first_seen", true, f->first_seen);
    w_time(j, "last_seen", true, f->last_seen);
    mw_json_key(j, "reasons");
    mw_json_array_begin(j);
    for (unsigned c = 0; c < MW_REASON_COUNT; c++)
        if (f->reasons & (1u << c))
            mw_json_string(j, mw_reason_name((mw_reason_code)c));
    mw_json_array_end(j);
    w_set(j, w, "traits", f->traits);
    mw_json_key(j, "chain");
    mw_json_array_begin(j);
    for (size_t i = 0; i < f->n_chain; i++) {
        mw_json_object_begin(j);
        mw_json_kv_string(j, "sha256", f->chain[i].sha);
        mw_json_kv_string(j, "subject", f->chain[i].subject);
        mw_json_kv_string(j, "issuer", f->chain[i].issuer);
        mw_json_object_end(j);
    }
    mw_json_array_end(j);
    mw_json_key(j, "clones");
    if (f->has_clone) {
        mw_json_object_begin(j);
        mw_json_kv_string(j, "sha256", f->clone.sha);
        mw_json_kv_string(j, "subject", f->clone.subject);
        mw_json_kv_string(j, "issuer", f->clone.issuer);
        mw_json_kv_string(j, "serial", f->clone.serial);
        mw_json_kv_string(j, "not_before", f->clone.not_before);
        mw_json_kv_string(j, "not_after", f->clone.not_after);
        mw_json_object_end(j);
    } else {
        mw_json_null(j);
    }
    mw_json_object_end(j);
}

static void w_summary(mw_json *j, const mw_summary *s, const view *w, const order *o)
{
    mw_json_object_begin(j);
    mw_json_kv_uint(j, "summary_version", MW_SUMMARY_VERSION);
    mw_json_kv_string(j, "generator", GENERATOR);
    mw_json_kv_uint(j, "bucket_seconds", s->cfg.bucket_seconds);
    w_set(j, w, "inputs", s->inputs);
    (void)mws_sources_write(j, s);
    mws_baselines_write(j, s);
    w_time(j, "first_ts", s->has_ts, s->first_ts);
    w_time(j, "last_ts", s->has_ts, s->last_ts);
    w_counts(j, "sessions", &s->sessions, &s->total);
    mw_json_key(j, "reasons");
    mw_json_object_begin(j);
    for (unsigned c = 0; c < MW_REASON_COUNT; c++)
        mw_json_kv_uint(j, mw_reason_name((mw_reason_code)c), s->reasons[c]);
    mw_json_object_end(j);

    mw_json_key(j, "targets");
    mw_json_array_begin(j);
    for (size_t i = 0; i < s->n_targets; i++) {
        const target *t = &s->targets[o->targets[i]];
        mw_json_object_begin(j);
        mw_json_kv_string(j, "target", t->name);
        w_counts(j, "sessions", &t->vc, NULL);
        w_set(j, w, "servers", t->servers);
        w_set(j, w, "servers_intercepted", t->servers_int);
        w_time(j, "first_intercepted", t->has_int, t->first_int);
        w_time(j, "last_intercepted", t->has_int, t->last_int);
        w_set(j, w, "vantages", t->vantages);
        w_set(j, w, "rogue_issuers", t->rogue);
        /* The target's row of the vantage x target matrix, in the order of
         * "vantages" below; a vantage with no session of it is left out. */
        mw_json_key(j, "by_vantage");
        mw_json_array_begin(j);
        for (size_t v = 0; v < s->n_vantages; v++) {
            const tvcell *c = mws_tvcell_find(s, (uint32_t)o->targets[i], (uint32_t)o->vantages[v]);
            if (!c)
                continue;
            mw_json_object_begin(j);
            mw_json_kv_string(j, "vantage", s->strs[s->vantages[c->vantage].label]);
            w_counts(j, "sessions", &c->vc, NULL);
            w_time(j, "first_seen", true, c->first_seen);
            w_time(j, "last_seen", true, c->last_seen);
            w_time(j, "first_intercepted", c->has_int, c->first_int);
            w_time(j, "last_intercepted", c->has_int, c->last_int);
            mw_json_object_end(j);
        }
        mw_json_array_end(j);
        mw_json_object_end(j);
    }
    mw_json_array_end(j);

    mw_json_key(j, "vantages");
    mw_json_array_begin(j);
    size_t vb = 0;
    for (size_t i = 0; i < s->n_vantages; i++) {
        size_t vi = o->vantages[i];
        const vant *v = &s->vantages[vi];
        mw_json_object_begin(j);
        mw_json_kv_string(j, "vantage", s->strs[v->label]);
        w_counts(j, "sessions", &v->vc, NULL);
        w_set(j, w, "servers", v->servers);
        w_set(j, w, "servers_intercepted", v->servers_int);
        mw_json_key(j, "timeline");
        mw_json_array_begin(j);
        /* vbuckets are sorted by vantage in the same order as vantages */
        for (; vb < s->n_vbuckets && s->vbuckets[o->vbuckets[vb]].vantage == vi; vb++) {
            const vbucket *b = &s->vbuckets[o->vbuckets[vb]];
            mw_json_object_begin(j);
            w_time(j, "t", true, mws_bucket_start_us(s, b->num));
            w_set(j, w, "servers", b->servers);
            w_set(j, w, "servers_intercepted", b->servers_int);
            mw_json_object_end(j);
        }
        mw_json_array_end(j);
        mw_json_object_end(j);
    }
    mw_json_array_end(j);

    mw_json_key(j, "timeline");
    mw_json_array_begin(j);
    for (size_t i = 0; i < s->n_buckets; i++) {
        const bucket *b = &s->buckets[o->buckets[i]];
        mw_json_object_begin(j);
        w_time(j, "t", true, mws_bucket_start_us(s, b->num));
        for (size_t k = 0; k < N_KINDS; k++)
            if (mws_kind_order[k] != MW_VERDICT_UNTRUSTED)
                mw_json_kv_uint(j, mw_verdict_name(mws_kind_order[k]),
                                b->vc.c[mws_kind_order[k]]);
        mw_json_object_end(j);
    }
    mw_json_array_end(j);

    mw_json_key(j, "transitions");
    mw_json_array_begin(j);
    int state = -1;
    for (size_t i = 0; i < s->n_buckets; i++) {
        const bucket *b = &s->buckets[o->buckets[i]];
        int st = mws_bucket_state(b);
        if (st < 0 || st == state)
            continue;
        state = st;
        mw_json_object_begin(j);
        w_time(j, "t", true, mws_bucket_start_us(s, b->num));
        mw_json_kv_string(j, "state", st ? "on" : "off");
        mw_json_object_end(j);
    }
    mw_json_array_end(j);

    mw_json_key(j, "forged_certificates");
    mw_json_array_begin(j);
    for (size_t i = 0; i < s->n_forged; i++)
        w_forged(j, w, s->forged[o->forged[i]]);
    mw_json_array_end(j);

    const uint64_t *c = s->sessions.c;
    mw_json_key(j, "coverage");
    mw_json_object_begin(j);
    mw_json_kv_uint(j, "sessions", s->total);
    mw_json_kv_uint(j, "judged", c[MW_VERDICT_CLEAN] + c[MW_VERDICT_SUSPICIOUS] +
                                     c[MW_VERDICT_UNTRUSTED] + c[MW_VERDICT_INTERCEPTED]);
    mw_json_kv_uint(j, "opaque", c[MW_VERDICT_OPAQUE]);
    mw_json_kv_uint(j, "incomplete", c[MW_VERDICT_INCOMPLETE]);
    mw_json_kv_uint(j, "target_sessions", s->target_sessions);
    mw_json_kv_uint(j, "target_opaque", s->target_opaque);
    mw_json_kv_uint(j, "target_incomplete", s->target_incomplete);
    mw_json_kv_uint(j, "quic", s->quic);
    mw_json_kv_uint(j, "dtls", s->dtls);
    mw_json_object_end(j);

    mw_json_key(j, "limits");
    mw_json_object_begin(j);
    mw_json_kv_uint(j, "set_overflow", s->lim_set);
    mw_json_kv_uint(j, "forged_overflow", s->lim_forged);
    mw_json_kv_uint(j, "buckets_overflow", s->lim_buckets);
    mw_json_object_end(j);

    mw_json_key(j, "counters");
    mw_json_object_begin(j);
    mw_stats_write_json_members(&s->stats, j);
    mw_json_object_end(j);
    mw_json_object_end(j);
}

bool mw_summary_write_json(const mw_summary *s, FILE *out)
{
    view w;
    order o;
    if (!s || !mws_view_init(&w, s))
        return false;
    if (!mws_order_init(&o, s)) {
        mws_view_free(&w);
        return false;
    }
    mw_json j;
    mw_json_init(&j);
    w_summary(&j, s, &w, &o);
    bool ok = mw_json_write_line(&j, out) && fflush(out) == 0;
    mw_json_free(&j);
    mws_order_free(&o);
    mws_view_free(&w);
    return ok;
}
