/*
 * summary_read.c - summary.json read back (mw_summary_merge_json), into a
 * summary of its own first, then merged, so a bad file changes nothing.
 */
#include "output/summary_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

/* ---------------------------------------------------------------- merging */

/* Does list a (forged f's chain) come before b's? Both as sha256 texts. */
static int chain_list_cmp(const chain_ent *a, size_t na, const chain_ent *b, size_t nb)
{
    for (size_t i = 0; i < na && i < nb; i++) {
        int c = strcmp(a[i].sha, b[i].sha);
        if (c != 0)
            return c;
    }
    return na < nb ? -1 : na > nb ? 1 : 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void copy_chain(forged *d, const forged *src)
{
    size_t n = src->chain ? src->n_chain : 0;
    chain_ent *c = calloc(n ? n : 1, sizeof(*c));
    if (!c)
        return;
    for (size_t i = 0; i < n; i++) {
        memcpy(c[i].sha, src->chain[i].sha, sizeof c[i].sha);
        c[i].subject = dup_or_null(src->chain[i].subject);
        c[i].issuer = dup_or_null(src->chain[i].issuer);
    }
    mws_chain_free(d->chain, d->n_chain);
    d->chain = c;
    d->n_chain = n;
}

static void copy_clone(forged *d, const forged *src)
{
    mws_clone_clear(&d->clone);
    d->has_clone = true;
    memcpy(d->clone.sha, src->clone.sha, sizeof d->clone.sha);
    d->clone.subject = dup_or_null(src->clone.subject);
    d->clone.issuer = dup_or_null(src->clone.issuer);
    d->clone.serial = dup_or_null(src->clone.serial);
    d->clone.not_before = dup_or_null(src->clone.not_before);
    d->clone.not_after = dup_or_null(src->clone.not_after);
}

/* Adds what src knows of a certificate to d (fresh: d was just created). */
static void forged_absorb(forged *d, const forged *src, bool fresh)
{
    if (fresh) {
        d->subject = dup_or_null(src->subject);
        d->issuer = dup_or_null(src->issuer);
        d->serial = dup_or_null(src->serial);
        d->not_before = dup_or_null(src->not_before);
        d->not_after = dup_or_null(src->not_after);
        d->key = dup_or_null(src->key);
        d->has_rsa = src->has_rsa;
        d->rsa_exp = src->rsa_exp;
        if (src->has_san) {
            d->san = calloc(src->n_san ? src->n_san : 1, sizeof(char *));
            d->has_san = d->san != NULL;
            for (size_t i = 0; d->san && i < src->n_san; i++) {
                d->san[d->n_san] = strdup(src->san[i]);
                if (d->san[d->n_san])
                    d->n_san++;
            }
        }
        d->first_seen = src->first_seen;
        d->last_seen = src->last_seen;
        copy_chain(d, src);
    } else {
        if (src->first_seen < d->first_seen ||
            (src->first_seen == d->first_seen &&
             chain_list_cmp(src->chain, src->n_chain, d->chain, d->n_chain) < 0)) {
            d->first_seen = src->first_seen;
            copy_chain(d, src);
        }
        if (src->last_seen > d->last_seen)
            d->last_seen = src->last_seen;
    }
    if (src->has_clone && (!d->has_clone || strcmp(src->clone.sha, d->clone.sha) < 0))
        copy_clone(d, src);
    d->intercepted |= src->intercepted;
    d->sessions += src->sessions;
    d->reasons |= src->reasons;
}

/* dst += src. Only memory can fail (false, dst unchanged); caps count. */
static bool merge_into(mw_summary *dst, const mw_summary *src)
{
    uint32_t *map = malloc((src->n_sets ? src->n_sets : 1) * sizeof(*map));
    uint32_t *vmap = malloc((src->n_vantages ? src->n_vantages : 1) * sizeof(*vmap));
    uint32_t *tmap = malloc((src->n_targets ? src->n_targets : 1) * sizeof(*tmap));
    if (!map || !vmap || !tmap) {
        free(tmap);
        free(map);
        free(vmap);
        return false;
    }
    for (size_t i = 0; i < src->n_sets; i++)
        map[i] = NO_ID;
    map[src->inputs] = dst->inputs;

    if (src->has_ts) {
        if (!dst->has_ts || src->first_ts < dst->first_ts)
            dst->first_ts = src->first_ts;
        if (!dst->has_ts || src->last_ts > dst->last_ts)
            dst->last_ts = src->last_ts;
        dst->has_ts = true;
    }
    mws_counts_add(&dst->sessions, &src->sessions);
    dst->total += src->total;
    for (size_t i = 0; i < MW_REASON_COUNT; i++)
        dst->reasons[i] += src->reasons[i];
    dst->target_sessions += src->target_sessions;
    dst->target_opaque += src->target_opaque;
    dst->target_incomplete += src->target_incomplete;
    dst->quic += src->quic;
    dst->dtls += src->dtls;
    dst->lim_set += src->lim_set;
    dst->lim_forged += src->lim_forged;
    dst->lim_buckets += src->lim_buckets;
    mw_stats_add(&dst->stats, &src->stats);

    for (size_t i = 0; i < src->n_targets; i++) {
        const target *st = &src->targets[i];
        target *dt = mws_target_get(dst, st->name);
        tmap[i] = dt ? (uint32_t)(dt - dst->targets) : NO_ID;
        if (!dt)
            continue;
        mws_counts_add(&dt->vc, &st->vc);
        if (st->has_int) {
            if (!dt->has_int || st->first_int < dt->first_int)
                dt->first_int = st->first_int;
            if (!dt->has_int || st->last_int > dt->last_int)
                dt->last_int = st->last_int;
            dt->has_int = true;
        }
        map[st->servers] = dt->servers;
        map[st->servers_int] = dt->servers_int;
        map[st->vantages] = dt->vantages;
        map[st->rogue] = dt->rogue;
    }
    for (size_t i = 0; i < src->n_vantages; i++) {
        const vant *sv = &src->vantages[i];
        vmap[i] = mws_vantage_get(dst, src->strs[sv->label]);
        if (vmap[i] == NO_ID)
            continue;
        vant *dv = &dst->vantages[vmap[i]];
        mws_counts_add(&dv->vc, &sv->vc);
        map[sv->servers] = dv->servers;
        map[sv->servers_int] = dv->servers_int;
    }
    for (size_t i = 0; i < src->n_tv; i++) {
        const tvcell *sc = &src->tv[i];
        if (tmap[sc->target] == NO_ID || vmap[sc->vantage] == NO_ID)
            continue;
        tvcell *dc = mws_tvcell_get(dst, tmap[sc->target], vmap[sc->vantage]);
        if (dc)
            mws_tvcell_add(dc, &sc->vc, sc->first_seen, sc->last_seen, sc->has_int,
                           sc->first_int, sc->last_int);
    }
    for (size_t i = 0; i < src->n_buckets; i++) {
        bucket *b = mws_bucket_get(dst, src->buckets[i].num);
        if (b)
            mws_counts_add(&b->vc, &src->buckets[i].vc);
    }
    for (size_t i = 0; i < src->n_vbuckets; i++) {
        const vbucket *sb = &src->vbuckets[i];
        if (vmap[sb->vantage] == NO_ID)
            continue;
        vbucket *db = mws_vbucket_get(dst, vmap[sb->vantage], sb->num);
        if (!db)
            continue;
        map[sb->servers] = db->servers;
        map[sb->servers_int] = db->servers_int;
    }
    for (size_t i = 0; i < src->n_forged; i++) {
        const forged *sf = src->forged[i];
        forged *df = mws_forged_find(dst, sf->sha);
        bool fresh = df == NULL;
        if (fresh)
            df = mws_forged_new(dst, sf->sha);
        if (!df)
            continue;
        forged_absorb(df, sf, fresh);
        map[sf->names] = df->names;
        map[sf->servers] = df->servers;
        map[sf->vantages] = df->vantages;
        map[sf->traits] = df->traits;
    }
    for (size_t i = 0; i < src->n_entries; i++) {
        const entry *e = &src->entries[i];
        if (map[e->set] != NO_ID)
            mws_set_add(dst, map[e->set], src->strs[e->str]);
    }
    free(map);
    free(vmap);
    free(tmap);
    return true;
}

/* ------------------------------------------------- reading summary.json */

typedef struct reader {
    mw_summary *t; /* filled from the file */
    char *err;
    size_t errlen;
    bool failed;
} reader;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static bool fail(reader *r, const char *fmt, ...)
{
    if (!r->failed && r->err && r->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    r->failed = true;
    return false;
}

/* Member paths: "targets[2].servers", or just "inputs" at the top. */
#define DOT(where) ((where)[0] ? "." : "")

static bool rd_u64(reader *r, const mw_jv *obj, const char *key, uint64_t *out,
                   const char *where)
{
    /* Summaries written before the untrusted level have no such count. */
    if (strcmp(key, "untrusted") == 0 && !mw_jv_get(obj, key)) {
        *out = 0;
        return true;
    }
    if (!mw_jv_u64(mw_jv_get(obj, key), out))
        return fail(r, "%s%s%s: expected a non-negative integer", where, DOT(where), key);
    return true;
}

/* A time member: null allowed when has is not NULL. */
static bool rd_time(reader *r, const mw_jv *obj, const char *key, bool *has, uint64_t *out,
                    const char *where)
{
    const mw_jv *v = mw_jv_get(obj, key);
    if (has && mw_jv_type_of(v) == MW_JV_NULL && v) {
        *has = false;
        return true;
    }
    if (!mws_parse_time(mw_jv_str(v, NULL), true, out))
        return fail(r, "%s%s%s: expected a time like \"2019-07-20T09:00:05.000000Z\"%s",
                    where, DOT(where), key, has ? " or null" : "");
    if (has)
        *has = true;
    return true;
}

/* A string or null member, normalized into *out (malloc'd or NULL). */
static bool rd_str(reader *r, const mw_jv *obj, const char *key, char **out, const char *where)
{
    const mw_jv *v = mw_jv_get(obj, key);
    *out = NULL;
    if (v && mw_jv_type_of(v) == MW_JV_NULL)
        return true;
    size_t len;
    const char *s = mw_jv_str(v, &len);
    if (!s)
        return fail(r, "%s%s%s: expected a string or null", where, DOT(where), key);
    const char *n = mws_norm_into(&r->t->nb_tmp, s, len);
    *out = n ? strdup(n) : NULL;
    return *out ? true : fail(r, "out of memory");
}

static bool rd_set(reader *r, const mw_jv *obj, const char *key, uint32_t set, bool nulls,
                   const char *where)
{
    const mw_jv *a = mw_jv_get(obj, key);
    if (mw_jv_type_of(a) != MW_JV_ARRAY)
        return fail(r, "%s%s%s: expected an array of strings", where, DOT(where), key);
    for (size_t i = 0; i < mw_jv_len(a); i++) {
        const mw_jv *v = mw_jv_at(a, i);
        size_t len;
        const char *s = mw_jv_str(v, &len);
        if (!s && !(nulls && mw_jv_type_of(v) == MW_JV_NULL))
            return fail(r, "%s%s%s[%zu]: expected a string%s", where, DOT(where), key, i,
                        nulls ? " or null" : "");
        const char *n = s ? mws_norm_into(&r->t->nb_tmp, s, len) : NULL;
        if (s && !n)
            return fail(r, "out of memory");
        mws_set_add(r->t, set, n);
    }
    return true;
}

static bool rd_counts(reader *r, const mw_jv *obj, const char *key, vcounts *vc,
                      uint64_t *total, const char *where)
{
    const mw_jv *o = mw_jv_get(obj, key);
    char w[160];
    snprintf(w, sizeof w, "%s%s%s", where, DOT(where), key);
    if (mw_jv_type_of(o) != MW_JV_OBJECT)
        return fail(r, "%s: expected an object", w);
    for (size_t i = 0; i < N_KINDS; i++)
        if (!rd_u64(r, o, mw_verdict_name(mws_kind_order[i]), &vc->c[mws_kind_order[i]], w))
            return false;
    return !total || rd_u64(r, o, "total", total, w);
}

static bool rd_object_array(reader *r, const mw_jv *root, const char *key, const mw_jv **out)
{
    *out = mw_jv_get(root, key);
    if (mw_jv_type_of(*out) != MW_JV_ARRAY)
        return fail(r, "%s: expected an array", key);
    for (size_t i = 0; i < mw_jv_len(*out); i++)
        if (mw_jv_type_of(mw_jv_at(*out, i)) != MW_JV_OBJECT)
            return fail(r, "%s[%zu]: expected an object", key, i);
    return true;
}

static bool rd_sha(reader *r, const mw_jv *obj, char out[65], const char *where)
{
    size_t len = 0;
    const char *s = mw_jv_str(mw_jv_get(obj, "sha256"), &len);
    bool ok = s && len == 64;
    for (size_t i = 0; ok && i < 64; i++)
        ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    if (!ok)
        return fail(r, "%s.sha256: expected 64 lowercase hex digits", where);
    memcpy(out, s, 65);
    return true;
}

/* targets[i].by_vantage: the target's row of the matrix. A summary from
 * before the matrix has none; merging it then leaves its sessions out of
 * the matrix only (docs/summary.md). */
static bool rd_by_vantage(reader *r, const mw_jv *o, uint32_t ti, const char *w)
{
    const mw_jv *a = mw_jv_get(o, "by_vantage");
    if (!a)
        return true;
    if (mw_jv_type_of(a) != MW_JV_ARRAY)
        return fail(r, "%s.by_vantage: expected an array", w);
    for (size_t k = 0; k < mw_jv_len(a); k++) {
        const mw_jv *c = mw_jv_at(a, k);
        char wc[128];
        snprintf(wc, sizeof wc, "%s.by_vantage[%zu]", w, k);
        if (mw_jv_type_of(c) != MW_JV_OBJECT)
            return fail(r, "%s: expected an object", wc);
        char *label;
        if (!rd_str(r, c, "vantage", &label, wc))
            return false;
        uint32_t vi = mws_vantage_get(r->t, label);
        free(label);
        tvcell *cell = vi == NO_ID ? NULL : mws_tvcell_get(r->t, ti, vi);
        if (!cell)
            return fail(r, "out of memory");
        vcounts vc = {{0}};
        bool has_fi = false, has_li = false;
        uint64_t first = 0, last = 0, fi = 0, li = 0;
        if (!rd_counts(r, c, "sessions", &vc, NULL, wc) ||
            !rd_time(r, c, "first_seen", NULL, &first, wc) ||
            !rd_time(r, c, "last_seen", NULL, &last, wc) ||
            !rd_time(r, c, "first_intercepted", &has_fi, &fi, wc) ||
            !rd_time(r, c, "last_intercepted", &has_li, &li, wc))
            return false;
        if (has_fi != has_li || first > last)
            return fail(r, "%s: first and last times disagree", wc);
        mws_tvcell_add(cell, &vc, first, last, has_fi, fi, li);
    }
    return true;
}

static bool rd_targets(reader *r, const mw_jv *root)
{
    const mw_jv *a;
    if (!rd_object_array(r, root, "targets", &a))
        return false;
    for (size_t i = 0; i < mw_jv_len(a); i++) {
        const mw_jv *o = mw_jv_at(a, i);
        char w[64];
        snprintf(w, sizeof w, "targets[%zu]", i);
        size_t len;
        const char *name = mw_jv_str(mw_jv_get(o, "target"), &len);
        if (!name)
            return fail(r, "%s.target: expected a string", w);
        const char *n = mws_norm_into(&r->t->nb_tmp, name, len);
        target *t = n ? mws_target_get(r->t, n) : NULL;
        if (!t)
            return fail(r, "out of memory");
        vcounts vc = {{0}};
        bool has_first = false, has_last = false;
        uint64_t first = 0, last = 0;
        if (!rd_counts(r, o, "sessions", &vc, NULL, w) ||
            !rd_set(r, o, "servers", t->servers, false, w) ||
            !rd_set(r, o, "servers_intercepted", t->servers_int, false, w) ||
            !rd_time(r, o, "first_intercepted", &has_first, &first, w) ||
            !rd_time(r, o, "last_intercepted", &has_last, &last, w) ||
            !rd_set(r, o, "vantages", t->vantages, true, w) ||
            !rd_set(r, o, "rogue_issuers", t->rogue, false, w) ||
            !rd_by_vantage(r, o, (uint32_t)(t - r->t->targets), w))
            return false;
        if (has_first != has_last)
            return fail(r, "%s: first_intercepted and last_intercepted disagree", w);
        mws_counts_add(&t->vc, &vc);
        if (has_first) {
            if (!t->has_int || first < t->first_int)
                t->first_int = first;
            if (!t->has_int || last > t->last_int)
                t->last_int = last;
            t->has_int = true;
        }
    }
    return true;
}

static uint64_t bucket_num(reader *r, uint64_t t_us)
{
    return t_us / 1000000u / r->t->cfg.bucket_seconds;
}

static bool on_bucket_edge(reader *r, uint64_t t_us)
{
    return t_us % 1000000u == 0 && (t_us / 1000000u) % r->t->cfg.bucket_seconds == 0;
}

static bool rd_vantages(reader *r, const mw_jv *root)
{
    const mw_jv *a;
    if (!rd_object_array(r, root, "vantages", &a))
        return false;
    for (size_t i = 0; i < mw_jv_len(a); i++) {
        const mw_jv *o = mw_jv_at(a, i);
        char w[64];
        snprintf(w, sizeof w, "vantages[%zu]", i);
        char *label;
        if (!rd_str(r, o, "vantage", &label, w))
            return false;
        uint32_t vi = mws_vantage_get(r->t, label);
        free(label);
        if (vi == NO_ID)
            return fail(r, "out of memory");
        vcounts vc = {{0}};
        if (!rd_counts(r, o, "sessions", &vc, NULL, w) ||
            !rd_set(r, o, "servers", r->t->vantages[vi].servers, false, w) ||
            !rd_set(r, o, "servers_intercepted", r->t->vantages[vi].servers_int, false, w))
            return false;
        mws_counts_add(&r->t->vantages[vi].vc, &vc);
        const mw_jv *tl = mw_jv_get(o, "timeline");
        if (mw_jv_type_of(tl) != MW_JV_ARRAY)
            return fail(r, "%s.timeline: expected an array", w);
        for (size_t k = 0; k < mw_jv_len(tl); k++) {
            const mw_jv *b = mw_jv_at(tl, k);
            char wb[96];
            snprintf(wb, sizeof wb, "%s.timeline[%zu]", w, k);
            uint64_t t;
            if (mw_jv_type_of(b) != MW_JV_OBJECT)
                return fail(r, "%s: expected an object", wb);
            if (!rd_time(r, b, "t", NULL, &t, wb))
                return false;
            if (!on_bucket_edge(r, t))
                return fail(r, "%s.t: not the start of a bucket", wb);
            vbucket *vb = mws_vbucket_get(r->t, vi, bucket_num(r, t));
            if (vb && (!rd_set(r, b, "servers", vb->servers, false, wb) ||
                       !rd_set(r, b, "servers_intercepted", vb->servers_int, false, wb)))
                return false;
        }
    }
    return true;
}

static bool rd_timeline(reader *r, const mw_jv *root)
{
    const mw_jv *a;
    if (!rd_object_array(r, root, "timeline", &a))
        return false;
    for (size_t i = 0; i < mw_jv_len(a); i++) {
        const mw_jv *o = mw_jv_at(a, i);
        char w[64];
        snprintf(w, sizeof w, "timeline[%zu]", i);
        uint64_t t;
        vcounts vc = {{0}};
        if (!rd_time(r, o, "t", NULL, &t, w))
            return false;
        if (!on_bucket_edge(r, t))
            return fail(r, "%s.t: not the start of a bucket", w);
        for (size_t k = 0; k < N_KINDS; k++)
            if (!rd_u64(r, o, mw_verdict_name(mws_kind_order[k]), &vc.c[mws_kind_order[k]], w))
                return false;
        bucket *b = mws_bucket_get(r->t, bucket_num(r, t));
        if (b)
            mws_counts_add(&b->vc, &vc);
    }
    return true;
}

/* The scalar parts of forged_certificates[i] into *f (sets come after). */
static bool rd_forged_fields(reader *r, const mw_jv *o, forged *f, const char *w)
{
    if (!rd_sha(r, o, f->sha, w) || !rd_str(r, o, "subject", &f->subject, w) ||
        !rd_str(r, o, "issuer", &f->issuer, w) || !rd_str(r, o, "serial", &f->serial, w) ||
        !rd_str(r, o, "not_before", &f->not_before, w) ||
        !rd_str(r, o, "not_after", &f->not_after, w) || !rd_str(r, o, "key", &f->key, w) ||
        !rd_u64(r, o, "sessions", &f->sessions, w) ||
        !rd_time(r, o, "first_seen", NULL, &f->first_seen, w) ||
        !rd_time(r, o, "last_seen", NULL, &f->last_seen, w))
        return false;
    const mw_jv *san = mw_jv_get(o, "san");
    if (mw_jv_type_of(san) == MW_JV_ARRAY) {
        f->has_san = true;
        f->san = calloc(mw_jv_len(san) ? mw_jv_len(san) : 1, sizeof(char *));
        if (!f->san)
            return fail(r, "out of memory");
        for (size_t i = 0; i < mw_jv_len(san); i++) {
            size_t len;
            const char *s = mw_jv_str(mw_jv_at(san, i), &len);
            const char *n = s ? mws_norm_into(&r->t->nb_tmp, s, len) : NULL;
            if (!s)
                return fail(r, "%s.san[%zu]: expected a string", w, i);
            f->san[f->n_san] = n ? strdup(n) : NULL;
            if (!f->san[f->n_san])
                return fail(r, "out of memory");
            f->n_san++;
        }
    } else if (!san || mw_jv_type_of(san) != MW_JV_NULL) {
        return fail(r, "%s.san: expected an array or null", w);
    }
    const mw_jv *e = mw_jv_get(o, "rsa_exponent");
    if (e && mw_jv_type_of(e) != MW_JV_NULL) {
        if (!mw_jv_u64(e, &f->rsa_exp))
            return fail(r, "%s.rsa_exponent: expected an integer or null", w);
        f->has_rsa = true;
    }
    const char *verdict = mw_jv_str(mw_jv_get(o, "verdict"), NULL);
    if (!verdict || (strcmp(verdict, "intercepted") != 0 && strcmp(verdict, "suspicious") != 0))
        return fail(r, "%s.verdict: expected \"intercepted\" or \"suspicious\"", w);
    f->intercepted = strcmp(verdict, "intercepted") == 0;
    const mw_jv *rs = mw_jv_get(o, "reasons");
    if (mw_jv_type_of(rs) != MW_JV_ARRAY)
        return fail(r, "%s.reasons: expected an array", w);
    for (size_t i = 0; i < mw_jv_len(rs); i++) {
        const char *code = mw_jv_str(mw_jv_at(rs, i), NULL);
        unsigned c = 0;
        while (code && c < MW_REASON_COUNT && strcmp(mw_reason_name((mw_reason_code)c), code) != 0)
            c++;
        if (!code || c == MW_REASON_COUNT)
            return fail(r, "%s.reasons[%zu]: not a reason code", w, i);
        f->reasons |= 1u << c;
    }
    const mw_jv *ch = mw_jv_get(o, "chain");
    if (mw_jv_type_of(ch) != MW_JV_ARRAY)
        return fail(r, "%s.chain: expected an array", w);
    f->chain = calloc(mw_jv_len(ch) ? mw_jv_len(ch) : 1, sizeof(chain_ent));
    if (!f->chain)
        return fail(r, "out of memory");
    for (size_t i = 0; i < mw_jv_len(ch); i++) {
        const mw_jv *c = mw_jv_at(ch, i);
        char wc[96];
        snprintf(wc, sizeof wc, "%s.chain[%zu]", w, i);
        f->n_chain = i + 1;
        if (mw_jv_type_of(c) != MW_JV_OBJECT)
            return fail(r, "%s: expected an object", wc);
        if (!rd_sha(r, c, f->chain[i].sha, wc) ||
            !rd_str(r, c, "subject", &f->chain[i].subject, wc) ||
            !rd_str(r, c, "issuer", &f->chain[i].issuer, wc))
            return false;
    }
    const mw_jv *cl = mw_jv_get(o, "clones");
    if (cl && mw_jv_type_of(cl) == MW_JV_NULL)
        return true;
    if (mw_jv_type_of(cl) != MW_JV_OBJECT)
        return fail(r, "%s.clones: expected an object or null", w);
    char wc[96];
    snprintf(wc, sizeof wc, "%s.clones", w);
    f->has_clone = true;
    if (!rd_sha(r, cl, f->clone.sha, wc) || !rd_str(r, cl, "subject", &f->clone.subject, wc) ||
        !rd_str(r, cl, "issuer", &f->clone.issuer, wc) ||
        !rd_str(r, cl, "serial", &f->clone.serial, wc) ||
        !rd_str(r, cl, "not_before", &f->clone.not_before, wc) ||
        !rd_str(r, cl, "not_after", &f->clone.not_after, wc))
        return false;
    if ((f->clone.not_before && !mws_parse_time(f->clone.not_before, false, NULL)) ||
        (f->clone.not_after && !mws_parse_time(f->clone.not_after, false, NULL)))
        return fail(r, "%s: expected times like \"2019-07-20T09:00:05Z\"", wc);
    return true;
}

static bool rd_forged(reader *r, const mw_jv *root)
{
    const mw_jv *a;
    if (!rd_object_array(r, root, "forged_certificates", &a))
        return false;
    for (size_t i = 0; i < mw_jv_len(a); i++) {
        const mw_jv *o = mw_jv_at(a, i);
        char w[64];
        snprintf(w, sizeof w, "forged_certificates[%zu]", i);
        forged lf;
        memset(&lf, 0, sizeof lf);
        bool ok = rd_forged_fields(r, o, &lf, w);
        forged *f = NULL;
        if (ok) {
            f = mws_forged_find(r->t, lf.sha);
            bool fresh = f == NULL;
            if (fresh)
                f = mws_forged_new(r->t, lf.sha);
            if (f)
                forged_absorb(f, &lf, fresh);
        }
        mws_forged_clear(&lf);
        if (!ok)
            return false;
        if (f && (!rd_set(r, o, "names", f->names, false, w) ||
                  !rd_set(r, o, "servers", f->servers, false, w) ||
                  !rd_set(r, o, "vantages", f->vantages, true, w) ||
                  !rd_set(r, o, "traits", f->traits, false, w)))
            return false;
    }
    return true;
}

static bool rd_summary(reader *r, const mw_jv *root)
{
    mw_summary *t = r->t;
    const mw_jv *v;
    if (!rd_set(r, root, "inputs", t->inputs, false, ""))
        return false;
    bool has_first = false, has_last = false;
    if (!rd_time(r, root, "first_ts", &has_first, &t->first_ts, "") ||
        !rd_time(r, root, "last_ts", &has_last, &t->last_ts, ""))
        return false;
    if (has_first != has_last)
        return fail(r, "first_ts and last_ts disagree");
    t->has_ts = has_first;
    if (!rd_counts(r, root, "sessions", &t->sessions, &t->total, ""))
        return false;
    v = mw_jv_get(root, "reasons");
    if (mw_jv_type_of(v) != MW_JV_OBJECT)
        return fail(r, "reasons: expected an object");
    for (unsigned c = 0; c < MW_REASON_COUNT; c++) {
        const char *code = mw_reason_name((mw_reason_code)c);
        /* Summaries written before this code existed do not list it. */
        if ((c == MW_REASON_SERVER_FINGERPRINT_CHANGED || c == MW_REASON_INJECTION) &&
            !mw_jv_get(v, code))
            continue;
        if (!rd_u64(r, v, code, &t->reasons[c], "reasons"))
            return false;
    }
    if (!rd_targets(r, root) || !rd_vantages(r, root) || !rd_timeline(r, root) ||
        !rd_forged(r, root))
        return false;
    v = mw_jv_get(root, "coverage");
    if (mw_jv_type_of(v) != MW_JV_OBJECT)
        return fail(r, "coverage: expected an object");
    if (!rd_u64(r, v, "target_sessions", &t->target_sessions, "coverage") ||
        !rd_u64(r, v, "target_opaque", &t->target_opaque, "coverage") ||
        !rd_u64(r, v, "target_incomplete", &t->target_incomplete, "coverage") ||
        !rd_u64(r, v, "quic", &t->quic, "coverage") ||
        !rd_u64(r, v, "dtls", &t->dtls, "coverage"))
        return false;
    v = mw_jv_get(root, "limits");
    if (mw_jv_type_of(v) != MW_JV_OBJECT)
        return fail(r, "limits: expected an object");
    uint64_t ls, lf, lb;
    if (!rd_u64(r, v, "set_overflow", &ls, "limits") ||
        !rd_u64(r, v, "forged_overflow", &lf, "limits") ||
        !rd_u64(r, v, "buckets_overflow", &lb, "limits"))
        return false;
    /* Caps hit while reading are already counted in t, both places. */
    t->lim_set += ls;
    t->lim_forged += lf;
    t->lim_buckets += lb;
    v = mw_jv_get(root, "counters");
    if (mw_jv_type_of(v) != MW_JV_OBJECT)
        return fail(r, "counters: expected an object");
    char e[256];
    if (!mw_stats_add_json(&t->stats, v, e, sizeof e))
        return fail(r, "counters.%s", e);
    return true;
}

/* Counted once: a summary whose inputs are all merged already is skipped;
 * one that overlaps only in part cannot be split, so it is refused. */
static mw_merge_result merge_checked(mw_summary *s, reader *r)
{
    const char *dup = NULL;
    size_t known = mws_sources_known(s, r->t, &dup);
    if (known > 0 && known == r->t->n_srcs) {
        s->stats.output.merge_duplicates++;
        return MW_MERGE_DUPLICATE;
    }
    if (known > 0) {
        (void)fail(r, "%zu of its %zu inputs (%s, ...) are already merged: its counts cannot "
                      "be split; merge the summaries of the single runs",
                   known, r->t->n_srcs, dup);
        return MW_MERGE_ERROR;
    }
    if (!merge_into(s, r->t) || !mws_sources_merge(s, r->t)) {
        (void)fail(r, "out of memory");
        return MW_MERGE_ERROR;
    }
    mws_baselines_merge(s, r->t);
    if (!r->t->has_sources)
        s->stats.output.merge_unchecked++;
    return r->t->has_sources ? MW_MERGE_ADDED : MW_MERGE_UNCHECKED;
}

bool mw_summary_merge_json(mw_summary *s, const mw_jv *root, char *err, size_t errlen)
{
    return mw_summary_merge_json_ex(s, root, err, errlen) != MW_MERGE_ERROR;
}

/* The members that decide whether the file can be merged at all. */
static bool check_header(reader *r, const mw_summary *s, const mw_jv *root)
{
    if (!s)
        return fail(r, "no summary");
    if (mw_jv_type_of(root) != MW_JV_OBJECT || !root)
        return fail(r, "not a summary: expected a JSON object");
    uint64_t version, width;
    const mw_jv *vv = mw_jv_get(root, "summary_version");
    if (!vv)
        return fail(r, "not a summary: no summary_version");
    if (!mw_jv_u64(vv, &version) || version != MW_SUMMARY_VERSION)
        return fail(r, "summary_version is not %d: a summary of another format", MW_SUMMARY_VERSION);
    if (!mw_jv_u64(mw_jv_get(root, "bucket_seconds"), &width) || width == 0)
        return fail(r, "bucket_seconds: expected a positive integer");
    if (width != s->cfg.bucket_seconds)
        return fail(r,
                    "bucket_seconds is %" PRIu64 ", not %" PRIu64
                    ": summaries with different timeline buckets cannot be merged",
                    width, s->cfg.bucket_seconds);
    return true;
}

mw_merge_result mw_summary_merge_json_ex(mw_summary *s, const mw_jv *root, char *err,
                                         size_t errlen)
{
    reader r = {NULL, err, errlen, false};
    if (!check_header(&r, s, root))
        return MW_MERGE_ERROR;
    /* Read into a summary of its own first, so a bad file changes nothing. */
    r.t = mw_summary_new(&s->cfg, NULL);
    if (!r.t) {
        (void)fail(&r, "out of memory");
        return MW_MERGE_ERROR;
    }
    mw_merge_result res = MW_MERGE_ERROR;
    if (rd_summary(&r, root) && mws_sources_read(r.t, root, err, errlen) &&
        mws_baselines_read(r.t, root, err, errlen))
        res = merge_checked(s, &r);
    mw_summary_free(r.t);
    return res;
}
