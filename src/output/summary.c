/*
 * summary.c - see summary.h and docs/summary.md; the layout in
 * summary_internal.h. The state: hashing, interned strings, sets, the
 * objects, and sessions added.
 */
#include "output/summary_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "dissectors/x509.h"

const mw_verdict_kind mws_kind_order[N_KINDS] = {
    MW_VERDICT_INTERCEPTED, MW_VERDICT_SUSPICIOUS, MW_VERDICT_UNTRUSTED, MW_VERDICT_CLEAN,
    MW_VERDICT_OPAQUE, MW_VERDICT_INCOMPLETE,
};

/* ---------------------------------------------------------------- hashing */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_str(uint64_t seed, const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

static uint64_t hash_2(uint64_t seed, uint64_t a, uint64_t b)
{
    return mix64(seed ^ mix64(a + 0x9e3779b97f4a7c15ULL) ^ (b * 0xff51afd7ed558ccdULL));
}

/* An open-addressing index of array positions; the caller compares keys. */
typedef bool (*eq_fn)(const void *ctx, uint32_t idx, const void *key);

static uint32_t itab_find(const itab *t, uint64_t h, eq_fn eq, const void *ctx,
                          const void *key)
{
    if (t->cap == 0)
        return NO_ID;
    size_t mask = t->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const slot *sl = &t->slots[i];
        if (sl->idx1 == 0)
            return NO_ID;
        if (sl->h == h && eq(ctx, sl->idx1 - 1, key))
            return sl->idx1 - 1;
    }
}

static void itab_place(slot *slots, size_t cap, uint64_t h, uint32_t idx1)
{
    size_t mask = cap - 1;
    size_t i = (size_t)h & mask;
    while (slots[i].idx1 != 0)
        i = (i + 1) & mask;
    slots[i].h = h;
    slots[i].idx1 = idx1;
}

static bool itab_add(itab *t, uint64_t h, uint32_t idx)
{
    if ((t->n + 1) * 4 > t->cap * 3) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        slot *ns = calloc(cap, sizeof(*ns));
        if (!ns)
            return false;
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].idx1)
                itab_place(ns, cap, t->slots[i].h, t->slots[i].idx1);
        free(t->slots);
        t->slots = ns;
        t->cap = cap;
    }
    itab_place(t->slots, t->cap, h, idx + 1);
    t->n++;
    return true;
}

static void itab_free(itab *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->n = 0;
}

/* Makes room for need elements of size elem in *p (capacity *cap). */
bool mws_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc *= 2;
    if (nc > SIZE_MAX / elem)
        return false;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return false;
    *p = np;
    *cap = nc;
    return true;
}

/* ---------------------------------------------------------- normalizing */

/* Normalized text of n raw bytes in b (see summary_internal.h). */
const char *mws_norm_into(sbuf *b, const void *raw, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = raw;
    if (n > (SIZE_MAX - 1) / 4)
        return NULL;
    if (!mws_grow((void **)&b->p, &b->cap, n * 4 + 1, 1))
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = s[i] ? mw_utf8_decode(s + i, n - i, NULL) : 0;
        if (k == 0) {
            b->p[o++] = '\\';
            b->p[o++] = 'x';
            b->p[o++] = hex[s[i] >> 4];
            b->p[o++] = hex[s[i] & 15];
            i++;
        } else {
            memcpy(b->p + o, s + i, k);
            o += k;
            i += k;
        }
    }
    b->p[o] = '\0';
    return b->p;
}

char *mws_norm_dup(const char *s)
{
    if (!s)
        return NULL;
    sbuf b = {NULL, 0};
    const char *t = mws_norm_into(&b, s, strlen(s));
    if (!t)
        free(b.p);
    return t ? b.p : NULL;
}
void mw_summary_config_defaults(mw_summary_config *cfg)
{
    cfg->bucket_seconds = 3600;
    cfg->max_set_entries = 1000000;
    cfg->max_forged = 10000;
    cfg->max_buckets = 100000;
}

uint64_t mw_summary_bucket_seconds(const mw_summary *s)
{
    return s->cfg.bucket_seconds;
}

/* ----------------------------------------------------------------- strings */

static bool str_eq(const void *ctx, uint32_t idx, const void *key)
{
    const mw_summary *s = ctx;
    return s->strs[idx] && strcmp(s->strs[idx], key) == 0;
}

static uint32_t str_find(const mw_summary *s, const char *str)
{
    if (!str)
        return 0;
    return itab_find(&s->str_idx, hash_str(s->seed, str), str_eq, s, str);
}

static uint32_t str_intern(mw_summary *s, const char *str)
{
    uint32_t id = str_find(s, str);
    if (id != NO_ID)
        return id;
    if (s->n_strs >= NO_ID - 1 ||
        !mws_grow((void **)&s->strs, &s->cap_strs, s->n_strs + 1, sizeof(char *)))
        return NO_ID;
    char *c = strdup(str);
    if (!c)
        return NO_ID;
    id = (uint32_t)s->n_strs;
    if (!itab_add(&s->str_idx, hash_str(s->seed, c), id)) {
        free(c);
        return NO_ID;
    }
    s->strs[s->n_strs++] = c;
    return id;
}

/* -------------------------------------------------------------------- sets */

static uint32_t new_set(mw_summary *s)
{
    return s->n_sets < NO_ID - 1 ? s->n_sets++ : NO_ID;
}

static bool entry_eq(const void *ctx, uint32_t idx, const void *key)
{
    const mw_summary *s = ctx;
    const entry *k = key;
    return s->entries[idx].set == k->set && s->entries[idx].str == k->str;
}

static void set_overflow(mw_summary *s)
{
    s->lim_set++;
    s->stats.output.summary_set_overflow++;
}

/* Adds a normalized string (NULL: null) to a set. */
void mws_set_add(mw_summary *s, uint32_t set, const char *str)
{
    if (set == NO_ID)
        return;
    entry e = {set, str_find(s, str)};
    if (e.str != NO_ID &&
        itab_find(&s->entry_idx, hash_2(s->seed, e.set, e.str), entry_eq, s, &e) != NO_ID)
        return;
    if (s->n_entries >= s->cfg.max_set_entries) {
        set_overflow(s);
        return;
    }
    if (e.str == NO_ID)
        e.str = str_intern(s, str);
    if (e.str == NO_ID ||
        !mws_grow((void **)&s->entries, &s->cap_entries, s->n_entries + 1, sizeof(entry)) ||
        !itab_add(&s->entry_idx, hash_2(s->seed, e.set, e.str), (uint32_t)s->n_entries)) {
        set_overflow(s); /* out of memory: left out all the same */
        return;
    }
    s->entries[s->n_entries++] = e;
}

/* --------------------------------------------------------- the objects */

static bool target_eq(const void *ctx, uint32_t idx, const void *key)
{
    const mw_summary *s = ctx;
    return strcmp(s->targets[idx].name, key) == 0;
}

/* The target of this (normalized) entry, created when new; NULL on OOM. */
target *mws_target_get(mw_summary *s, const char *name)
{
    uint64_t h = hash_str(s->seed, name);
    uint32_t i = itab_find(&s->target_idx, h, target_eq, s, name);
    if (i != NO_ID)
        return &s->targets[i];
    if (!mws_grow((void **)&s->targets, &s->cap_targets, s->n_targets + 1, sizeof(target)))
        return NULL;
    target *t = &s->targets[s->n_targets];
    memset(t, 0, sizeof(*t));
    t->name = strdup(name);
    if (!t->name || !itab_add(&s->target_idx, h, (uint32_t)s->n_targets)) {
        free(t->name);
        return NULL;
    }
    t->servers = new_set(s);
    t->servers_int = new_set(s);
    t->vantages = new_set(s);
    t->rogue = new_set(s);
    s->n_targets++;
    return t;
}

static bool vantage_eq(const void *ctx, uint32_t idx, const void *key)
{
    const mw_summary *s = ctx;
    return s->vantages[idx].label == *(const uint32_t *)key;
}

/* The index of the vantage with this (normalized) label, or NO_ID. */
uint32_t mws_vantage_get(mw_summary *s, const char *label)
{
    uint32_t id = label ? str_intern(s, label) : 0;
    if (id == NO_ID)
        return NO_ID;
    uint64_t h = hash_2(s->seed, 0x7661, id);
    uint32_t i = itab_find(&s->vantage_idx, h, vantage_eq, s, &id);
    if (i != NO_ID)
        return i;
    if (!mws_grow((void **)&s->vantages, &s->cap_vantages, s->n_vantages + 1, sizeof(vant)) ||
        !itab_add(&s->vantage_idx, h, (uint32_t)s->n_vantages))
        return NO_ID;
    vant *v = &s->vantages[s->n_vantages];
    memset(v, 0, sizeof(*v));
    v->label = id;
    v->servers = new_set(s);
    v->servers_int = new_set(s);
    return (uint32_t)s->n_vantages++;
}

static void buckets_overflow(mw_summary *s)
{
    s->lim_buckets++;
    s->stats.output.summary_buckets_overflow++;
}

static bool bucket_eq(const void *ctx, uint32_t idx, const void *key)
{
    const mw_summary *s = ctx;
    return s->buckets[idx].num == *(const uint64_t *)key;
}

bucket *mws_bucket_get(mw_summary *s, uint64_t num)
{
    uint64_t h = hash_2(s->seed, 0x7462, num);
    uint32_t i = itab_find(&s->bucket_idx, h, bucket_eq, s, &num);
    if (i != NO_ID)
        return &s->buckets[i];
    if (s->n_buckets >= s->cfg.max_buckets ||
        !mws_grow((void **)&s->buckets, &s->cap_buckets, s->n_buckets + 1, sizeof(bucket)) ||
        !itab_add(&s->bucket_idx, h, (uint32_t)s->n_buckets)) {
        buckets_overflow(s);
        return NULL;
    }
    bucket *b = &s->buckets[s->n_buckets++];
    memset(b, 0, sizeof(*b));
    b->num = num;
    return b;
}

typedef struct vb_key {
    uint32_t vantage;
    uint64_t num;
} vb_key;

static bool vbucket_eq(const void *ctx, uint32_t idx, const void *key)
{
    const mw_summary *s = ctx;
    const vb_key *k = key;
    return s->vbuckets[idx].vantage == k->vantage && s->vbuckets[idx].num == k->num;
}

vbucket *mws_vbucket_get(mw_summary *s, uint32_t vantage, uint64_t num)
{
    vb_key k = {vantage, num};
    uint64_t h = hash_2(s->seed, vantage, num);
    uint32_t i = itab_find(&s->vbucket_idx, h, vbucket_eq, s, &k);
    if (i != NO_ID)
        return &s->vbuckets[i];
    if (s->n_vbuckets >= s->cfg.max_buckets ||
        !mws_grow((void **)&s->vbuckets, &s->cap_vbuckets, s->n_vbuckets + 1, sizeof(vbucket)) ||
        !itab_add(&s->vbucket_idx, h, (uint32_t)s->n_vbuckets)) {
        buckets_overflow(s);
        return NULL;
    }
    vbucket *b = &s->vbuckets[s->n_vbuckets++];
    b->vantage = vantage;
    b->num = num;
    b->servers = new_set(s);
    b->servers_int = new_set(s);
    return b;
}

typedef struct tv_key {
    uint32_t target, vantage;
} tv_key;

static bool tvcell_eq(const void *ctx, uint32_t idx, const void *key)
{
    const mw_summary *s = ctx;
    const tv_key *k = key;
    return s->tv[idx].target == k->target && s->tv[idx].vantage == k->vantage;
}

/* The cell's position (or NO_ID) and, in *h, its hash. */
static uint32_t tvcell_index(const mw_summary *s, uint32_t ti, uint32_t vi, uint64_t *h)
{
    tv_key k = {ti, vi};
    *h = hash_2(s->seed, ti, vi);
    return itab_find(&s->tv_idx, *h, tvcell_eq, s, &k);
}

const tvcell *mws_tvcell_find(const mw_summary *s, uint32_t ti, uint32_t vi)
{
    uint64_t h;
    uint32_t i = tvcell_index(s, ti, vi, &h);
    return i == NO_ID ? NULL : &s->tv[i];
}

tvcell *mws_tvcell_get(mw_summary *s, uint32_t ti, uint32_t vi)
{
    uint64_t h;
    uint32_t i = tvcell_index(s, ti, vi, &h);
    if (i != NO_ID)
        return &s->tv[i];
    if (!mws_grow((void **)&s->tv, &s->cap_tv, s->n_tv + 1, sizeof(tvcell)) ||
        !itab_add(&s->tv_idx, h, (uint32_t)s->n_tv))
        return NULL;
    tvcell *t = &s->tv[s->n_tv++];
    memset(t, 0, sizeof(*t));
    t->target = ti;
    t->vantage = vi;
    t->first_seen = UINT64_MAX;
    return t;
}

void mws_tvcell_add(tvcell *c, const vcounts *vc, uint64_t first, uint64_t last,
                    bool has_int, uint64_t first_int, uint64_t last_int)
{
    mws_counts_add(&c->vc, vc);
    if (first < c->first_seen)
        c->first_seen = first;
    if (last > c->last_seen)
        c->last_seen = last;
    if (has_int) {
        if (!c->has_int || first_int < c->first_int)
            c->first_int = first_int;
        if (!c->has_int || last_int > c->last_int)
            c->last_int = last_int;
        c->has_int = true;
    }
}

static bool forged_eq(const void *ctx, uint32_t idx, const void *key)
{
    const mw_summary *s = ctx;
    return strcmp(s->forged[idx]->sha, key) == 0;
}

forged *mws_forged_find(const mw_summary *s, const char *sha)
{
    uint32_t i = itab_find(&s->forged_idx, hash_str(s->seed, sha), forged_eq, s, sha);
    return i == NO_ID ? NULL : s->forged[i];
}

void mws_chain_free(chain_ent *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].subject);
        free(c[i].issuer);
    }
    free(c);
}

void mws_clone_clear(clone_info *c)
{
    free(c->subject);
    free(c->issuer);
    free(c->serial);
    free(c->not_before);
    free(c->not_after);
    memset(c, 0, sizeof(*c));
}

/* Frees what f holds and zeroes it (f itself stays). */
void mws_forged_clear(forged *f)
{
    free(f->subject);
    free(f->issuer);
    free(f->serial);
    free(f->not_before);
    free(f->not_after);
    free(f->key);
    for (size_t i = 0; i < f->n_san; i++)
        free(f->san[i]);
    free(f->san);
    mws_chain_free(f->chain, f->n_chain);
    mws_clone_clear(&f->clone);
    memset(f, 0, sizeof(*f));
}

static void forged_free(forged *f)
{
    if (!f)
        return;
    mws_forged_clear(f);
    free(f);
}

static void forged_overflow(mw_summary *s)
{
    s->lim_forged++;
    s->stats.output.summary_forged_overflow++;
}

/* A new, empty forged certificate added to s; NULL (counted) at the cap. */
forged *mws_forged_new(mw_summary *s, const char *sha)
{
    if (s->n_forged >= s->cfg.max_forged) {
        forged_overflow(s);
        return NULL;
    }
    forged *f = calloc(1, sizeof(*f));
    if (!f || !mws_grow((void **)&s->forged, &s->cap_forged, s->n_forged + 1, sizeof(forged *)) ||
        !itab_add(&s->forged_idx, hash_str(s->seed, sha), (uint32_t)s->n_forged)) {
        free(f);
        forged_overflow(s);
        return NULL;
    }
    snprintf(f->sha, sizeof f->sha, "%s", sha);
    f->names = new_set(s);
    f->servers = new_set(s);
    f->vantages = new_set(s);
    f->traits = new_set(s);
    s->forged[s->n_forged++] = f;
    return f;
}

/* ------------------------------------------------------------- lifetime */

mw_summary *mw_summary_new(const mw_summary_config *cfg, const mw_rules *rules)
{
    mw_summary *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (cfg)
        s->cfg = *cfg;
    else
        mw_summary_config_defaults(&s->cfg);
    if (s->cfg.bucket_seconds == 0)
        s->cfg.bucket_seconds = 3600;
    /* A seed per summary: hostile SNIs cannot be chosen to collide. */
    s->seed = mix64((uint64_t)(uintptr_t)s ^ (uint64_t)time(NULL));
    if (!mws_grow((void **)&s->strs, &s->cap_strs, 1, sizeof(char *))) {
        free(s);
        return NULL;
    }
    s->strs[0] = NULL;
    s->n_strs = 1;
    s->inputs = new_set(s);
    for (size_t i = 0; rules && i < mw_rules_n_targets(rules); i++) {
        char *n = mws_norm_dup(mw_rules_target(rules, i));
        if (n)
            (void)mws_target_get(s, n);
        free(n);
    }
    return s;
}

void mw_summary_free(mw_summary *s)
{
    if (!s)
        return;
    for (size_t i = 1; i < s->n_strs; i++)
        free(s->strs[i]);
    free(s->strs);
    itab_free(&s->str_idx);
    free(s->entries);
    itab_free(&s->entry_idx);
    for (size_t i = 0; i < s->n_targets; i++)
        free(s->targets[i].name);
    free(s->targets);
    itab_free(&s->target_idx);
    free(s->vantages);
    itab_free(&s->vantage_idx);
    free(s->buckets);
    itab_free(&s->bucket_idx);
    free(s->vbuckets);
    itab_free(&s->vbucket_idx);
    free(s->tv);
    itab_free(&s->tv_idx);
    for (size_t i = 0; i < s->n_forged; i++)
        forged_free(s->forged[i]);
    free(s->forged);
    itab_free(&s->forged_idx);
    free(s->nb_sni.p);
    free(s->nb_vantage.p);
    free(s->nb_tmp.p);
    mws_sources_free(s);
    mws_baselines_free(s);
    free(s);
}

void mw_summary_add_input(mw_summary *s, const char *capture_name)
{
    if (!s || !capture_name)
        return;
    const char *n = mws_norm_into(&s->nb_tmp, capture_name, strlen(capture_name));
    if (n)
        mws_set_add(s, s->inputs, n);
}

void mw_summary_set_counters(mw_summary *s, const mw_stats *st)
{
    if (s && st)
        s->stats = *st;
}

void mws_counts_add(vcounts *d, const vcounts *s)
{
    for (size_t i = 0; i < N_KINDS; i++)
        d->c[i] += s->c[i];
}

/* ---------------------------------------------------------------- times */

/* A time as written (mw_format_timestamp with micro, else
 * mw_format_timestamp_secs), nothing else: see mw_parse_timestamp. */
bool mws_parse_time(const char *s, bool micro, uint64_t *us)
{
    int64_t t;
    uint32_t frac;
    if (!s || !mw_parse_timestamp(s, strlen(s), micro ? MW_TS_USEC : MW_TS_SECS, &t, &frac))
        return false;
    if (us)
        *us = (uint64_t)t * 1000000u + frac;
    return true;
}

/* ------------------------------------------------------------- sessions */

static void hex32(const uint8_t sha[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = hex[sha[i] >> 4];
        out[2 * i + 1] = hex[sha[i] & 15];
    }
    out[64] = '\0';
}

static char *x509_name(X509 *x, bool subject)
{
    if (!x)
        return NULL;
    char *raw = mw_rules_name_text(subject ? X509_get_subject_name(x) : X509_get_issuer_name(x));
    char *n = mws_norm_dup(raw);
    free(raw);
    return n;
}

/* Negative, zero, positive as the session's (ts, chain) comes before the
 * certificate's chosen one (the earliest session; ties: smaller list). */
static int chain_cmp(const forged *f, uint64_t ts, const mw_session_result *r)
{
    if (ts != f->first_seen)
        return ts < f->first_seen ? -1 : 1;
    for (size_t i = 0; i < r->n_chain && i < f->n_chain; i++) {
        char h[65];
        hex32(r->chain_sha256[i], h);
        int c = strcmp(h, f->chain[i].sha);
        if (c != 0)
            return c;
    }
    return r->n_chain < f->n_chain ? -1 : r->n_chain > f->n_chain ? 1 : 0;
}

static void forged_take_chain(forged *f, const mw_session_result *r)
{
    size_t n = r->n_chain > MW_VERDICT_MAX_CHAIN ? MW_VERDICT_MAX_CHAIN : r->n_chain;
    chain_ent *c = calloc(n, sizeof(*c));
    if (!c)
        return;
    for (size_t i = 0; i < n; i++) {
        hex32(r->chain_sha256[i], c[i].sha);
        X509 *x = r->chain ? r->chain[i] : NULL;
        c[i].subject = x509_name(x, true);
        c[i].issuer = x509_name(x, false);
    }
    mws_chain_free(f->chain, f->n_chain);
    f->chain = c;
    f->n_chain = n;
}

static void forged_take_leaf(forged *f, const mw_session_result *r)
{
    mw_x509_facts fx;
    unsigned char *der = NULL;
    bool ok;
    if (r->chain_der && r->chain_der[0] && r->chain_der_len) {
        ok = mw_x509_parse(&fx, r->chain_der[0], r->chain_der_len[0]);
    } else {
        int len = r->chain && r->chain[0] ? i2d_X509(r->chain[0], &der) : -1;
        ok = len > 0 && mw_x509_parse(&fx, der, (size_t)len);
        if (len <= 0)
            memset(&fx, 0, sizeof(fx));
    }
    OPENSSL_free(der);
    if (ok) {
        char key[MW_X509_KEY_DESC_LEN];
        f->subject = mws_norm_dup(fx.subject);
        f->issuer = mws_norm_dup(fx.issuer);
        f->serial = mws_norm_dup(fx.serial);
        f->not_before = mws_norm_dup(fx.not_before);
        f->not_after = mws_norm_dup(fx.not_after);
        mw_x509_key_desc(&fx, key, sizeof key);
        f->key = key[0] ? mws_norm_dup(key) : NULL;
        if (fx.key_type && strcmp(fx.key_type, "RSA") == 0 && fx.rsa_exponent) {
            f->has_rsa = true;
            f->rsa_exp = fx.rsa_exponent;
        }
        size_t n = fx.n_san_dns + fx.n_san_ip;
        f->san = calloc(n ? n : 1, sizeof(char *));
        if (f->san) {
            sbuf b = {NULL, 0};
            f->has_san = true;
            for (size_t i = 0; i < fx.n_san_dns; i++) {
                const char *t = mws_norm_into(&b, fx.san_dns[i].str, fx.san_dns[i].len);
                f->san[f->n_san] = t ? strdup(t) : NULL;
                if (f->san[f->n_san])
                    f->n_san++;
            }
            for (size_t i = 0; i < fx.n_san_ip; i++) {
                f->san[f->n_san] = mws_norm_dup(fx.san_ip[i]);
                if (f->san[f->n_san])
                    f->n_san++;
            }
            free(b.p);
        }
    }
    mw_x509_facts_free(&fx);
}

static void forged_take_clone(forged *f, const mw_clone_of *c)
{
    char t[48];
    if (!c->found || (f->has_clone && strcmp(c->sha256, f->clone.sha) >= 0))
        return;
    mws_clone_clear(&f->clone);
    f->has_clone = true;
    snprintf(f->clone.sha, sizeof f->clone.sha, "%s", c->sha256);
    f->clone.subject = mws_norm_dup(c->subject);
    f->clone.issuer = mws_norm_dup(c->issuer);
    f->clone.serial = mws_norm_dup(c->serial);
    f->clone.not_before = strdup(mw_format_timestamp_secs(c->not_before, t, sizeof t));
    f->clone.not_after = strdup(mw_format_timestamp_secs(c->not_after, t, sizeof t));
}

static void add_forged(mw_summary *s, const mw_session_result *r, uint32_t reasons,
                       const char *server, const char *sni, const char *vantage)
{
    const mw_verdict *v = r->verdict;
    bool intercepted = v->kind == MW_VERDICT_INTERCEPTED;
    if (r->n_chain == 0 || !r->chain_sha256 ||
        !(intercepted || (v->kind == MW_VERDICT_SUSPICIOUS &&
                          (reasons & (1u << MW_REASON_UNTRUSTED_CHAIN)))))
        return;
    char sha[65];
    hex32(r->chain_sha256[0], sha);
    forged *f = mws_forged_find(s, sha);
    if (!f) {
        f = mws_forged_new(s, sha);
        if (!f)
            return;
        forged_take_leaf(f, r);
        f->first_seen = f->last_seen = r->ts_us;
        forged_take_chain(f, r);
    } else {
        if (chain_cmp(f, r->ts_us, r) < 0) {
            f->first_seen = r->ts_us;
            forged_take_chain(f, r);
        }
        if (r->ts_us > f->last_seen)
            f->last_seen = r->ts_us;
    }
    f->intercepted |= intercepted;
    f->sessions++;
    f->reasons |= reasons;
    if (sni)
        mws_set_add(s, f->names, sni);
    if (server)
        mws_set_add(s, f->servers, server);
    mws_set_add(s, f->vantages, vantage);
    for (size_t i = 0; i < v->n_traits && i < MW_VERDICT_MAX_TRAITS; i++) {
        const char *t = mws_norm_into(&s->nb_tmp, v->traits[i], strnlen(v->traits[i], MW_TRAIT_LEN));
        if (t)
            mws_set_add(s, f->traits, t);
    }
    forged_take_clone(f, &v->clone_of);
}

void mw_summary_add_session(mw_summary *s, const mw_session_result *r)
{
    if (!s || !r)
        return;
    s->total++;
    if (!s->has_ts || r->ts_us < s->first_ts)
        s->first_ts = r->ts_us;
    if (!s->has_ts || r->ts_us > s->last_ts)
        s->last_ts = r->ts_us;
    s->has_ts = true;
    const mw_verdict *v = r->verdict;
    if (!v || (unsigned)v->kind >= N_KINDS)
        return; /* not judged: only the total and the time span */
    mw_verdict_kind k = v->kind;
    bool intercepted = k == MW_VERDICT_INTERCEPTED;
    s->sessions.c[k]++;
    uint32_t reasons = 0;
    for (size_t i = 0; i < v->n_reasons && i < MW_REASON_COUNT; i++) {
        if ((unsigned)v->reasons[i].code < MW_REASON_COUNT &&
            !(reasons & (1u << v->reasons[i].code))) {
            reasons |= 1u << v->reasons[i].code;
            s->reasons[v->reasons[i].code]++;
        }
    }
    if (r->event && strcmp(r->event, "quic") == 0)
        s->quic++;
    else if (r->event && strcmp(r->event, "dtls") == 0)
        s->dtls++;

    char server_buf[64];
    const char *server = r->server_ip ? mw_addr_format(r->server_ip, server_buf, sizeof server_buf)
                                      : NULL;
    const char *sni = r->sni ? mws_norm_into(&s->nb_sni, r->sni, r->sni_len) : NULL;
    const char *vantage =
        r->vantage ? mws_norm_into(&s->nb_vantage, r->vantage, strlen(r->vantage)) : NULL;
    if (r->vantage && !vantage)
        return; /* out of memory */
    uint32_t vi = mws_vantage_get(s, vantage);

    if (v->target) {
        s->target_sessions++;
        s->target_opaque += k == MW_VERDICT_OPAQUE;
        s->target_incomplete += k == MW_VERDICT_INCOMPLETE;
        const char *tn = mws_norm_into(&s->nb_tmp, v->target, strlen(v->target));
        target *t = tn ? mws_target_get(s, tn) : NULL;
        if (t) {
            t->vc.c[k]++;
            if (server)
                mws_set_add(s, t->servers, server);
            if (intercepted) {
                if (server)
                    mws_set_add(s, t->servers_int, server);
                mws_set_add(s, t->vantages, vantage);
                if (!t->has_int || r->ts_us < t->first_int)
                    t->first_int = r->ts_us;
                if (!t->has_int || r->ts_us > t->last_int)
                    t->last_int = r->ts_us;
                t->has_int = true;
            }
            if (v->rogue_issuer) {
                const char *ri = mws_norm_into(&s->nb_tmp, v->rogue_issuer, strlen(v->rogue_issuer));
                if (ri)
                    mws_set_add(s, t->rogue, ri);
            }
        }
        tvcell *cell = t && vi != NO_ID
                           ? mws_tvcell_get(s, (uint32_t)(t - s->targets), vi) : NULL;
        if (cell) {
            vcounts one = {{0}};
            one.c[k] = 1;
            mws_tvcell_add(cell, &one, r->ts_us, r->ts_us, intercepted, r->ts_us, r->ts_us);
        }
        uint64_t num = r->ts_us / 1000000u / s->cfg.bucket_seconds;
        bucket *b = mws_bucket_get(s, num);
        if (b)
            b->vc.c[k]++;
        if (vi != NO_ID) {
            vant *vo = &s->vantages[vi];
            vo->vc.c[k]++;
            vbucket *vb = mws_vbucket_get(s, vi, num);
            if (server) {
                mws_set_add(s, vo->servers, server);
                if (vb)
                    mws_set_add(s, vb->servers, server);
                if (intercepted) {
                    mws_set_add(s, vo->servers_int, server);
                    if (vb)
                        mws_set_add(s, vb->servers_int, server);
                }
            }
        }
    }
    add_forged(s, r, reasons, server, sni, vantage);
}
