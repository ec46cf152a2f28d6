/*
 * summary.c - see summary.h and docs/summary.md.
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
#include "output/summary.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "dissectors/x509.h"

#define NO_ID UINT32_MAX
#define N_KINDS 5
#define GENERATOR "mitmwatch 0.1.0"

/* The five verdict keys in the order summary.json lists them. */
static const mw_verdict_kind kind_order[N_KINDS] = {
    MW_VERDICT_INTERCEPTED, MW_VERDICT_SUSPICIOUS, MW_VERDICT_CLEAN,
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
typedef struct slot {
    uint64_t h;
    uint32_t idx1; /* position + 1; 0 is empty */
} slot;

typedef struct itab {
    slot *slots;
    size_t cap, n;
} itab;

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
static bool grow(void **p, size_t *cap, size_t need, size_t elem)
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

typedef struct sbuf {
    char *p;
    size_t cap;
} sbuf;

/* Normalized text of n raw bytes in b (see the top of the file). */
static const char *norm_into(sbuf *b, const void *raw, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = raw;
    if (n > (SIZE_MAX - 1) / 4)
        return NULL;
    if (!grow((void **)&b->p, &b->cap, n * 4 + 1, 1))
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

static char *norm_dup(const char *s)
{
    if (!s)
        return NULL;
    sbuf b = {NULL, 0};
    const char *t = norm_into(&b, s, strlen(s));
    if (!t)
        free(b.p);
    return t ? b.p : NULL;
}

/* ------------------------------------------------------------ the state */

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
    forged **forged;
    size_t n_forged, cap_forged;
    itab forged_idx;

    uint64_t lim_set, lim_forged, lim_buckets;
    mw_stats stats;

    sbuf nb_sni, nb_vantage, nb_tmp;
};

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
        !grow((void **)&s->strs, &s->cap_strs, s->n_strs + 1, sizeof(char *)))
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
static void set_add(mw_summary *s, uint32_t set, const char *str)
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
        !grow((void **)&s->entries, &s->cap_entries, s->n_entries + 1, sizeof(entry)) ||
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
static target *target_get(mw_summary *s, const char *name)
{
    uint64_t h = hash_str(s->seed, name);
    uint32_t i = itab_find(&s->target_idx, h, target_eq, s, name);
    if (i != NO_ID)
        return &s->targets[i];
    if (!grow((void **)&s->targets, &s->cap_targets, s->n_targets + 1, sizeof(target)))
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
static uint32_t vantage_get(mw_summary *s, const char *label)
{
    uint32_t id = label ? str_intern(s, label) : 0;
    if (id == NO_ID)
        return NO_ID;
    uint64_t h = hash_2(s->seed, 0x7661, id);
    uint32_t i = itab_find(&s->vantage_idx, h, vantage_eq, s, &id);
    if (i != NO_ID)
        return i;
    if (!grow((void **)&s->vantages, &s->cap_vantages, s->n_vantages + 1, sizeof(vant)) ||
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

static bucket *bucket_get(mw_summary *s, uint64_t num)
{
    uint64_t h = hash_2(s->seed, 0x7462, num);
    uint32_t i = itab_find(&s->bucket_idx, h, bucket_eq, s, &num);
    if (i != NO_ID)
        return &s->buckets[i];
    if (s->n_buckets >= s->cfg.max_buckets ||
        !grow((void **)&s->buckets, &s->cap_buckets, s->n_buckets + 1, sizeof(bucket)) ||
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

static vbucket *vbucket_get(mw_summary *s, uint32_t vantage, uint64_t num)
{
    vb_key k = {vantage, num};
    uint64_t h = hash_2(s->seed, vantage, num);
    uint32_t i = itab_find(&s->vbucket_idx, h, vbucket_eq, s, &k);
    if (i != NO_ID)
        return &s->vbuckets[i];
    if (s->n_vbuckets >= s->cfg.max_buckets ||
        !grow((void **)&s->vbuckets, &s->cap_vbuckets, s->n_vbuckets + 1, sizeof(vbucket)) ||
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

static bool forged_eq(const void *ctx, uint32_t idx, const void *key)
{
    const mw_summary *s = ctx;
    return strcmp(s->forged[idx]->sha, key) == 0;
}

static forged *forged_find(const mw_summary *s, const char *sha)
{
    uint32_t i = itab_find(&s->forged_idx, hash_str(s->seed, sha), forged_eq, s, sha);
    return i == NO_ID ? NULL : s->forged[i];
}

static void chain_free(chain_ent *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].subject);
        free(c[i].issuer);
    }
    free(c);
}

static void clone_clear(clone_info *c)
{
    free(c->subject);
    free(c->issuer);
    free(c->serial);
    free(c->not_before);
    free(c->not_after);
    memset(c, 0, sizeof(*c));
}

static void forged_free(forged *f)
{
    if (!f)
        return;
    free(f->subject);
    free(f->issuer);
    free(f->serial);
    free(f->not_before);
    free(f->not_after);
    free(f->key);
    for (size_t i = 0; i < f->n_san; i++)
        free(f->san[i]);
    free(f->san);
    chain_free(f->chain, f->n_chain);
    clone_clear(&f->clone);
    free(f);
}

static void forged_overflow(mw_summary *s)
{
    s->lim_forged++;
    s->stats.output.summary_forged_overflow++;
}

/* A new, empty forged certificate added to s; NULL (counted) at the cap. */
static forged *forged_new(mw_summary *s, const char *sha)
{
    if (s->n_forged >= s->cfg.max_forged) {
        forged_overflow(s);
        return NULL;
    }
    forged *f = calloc(1, sizeof(*f));
    if (!f || !grow((void **)&s->forged, &s->cap_forged, s->n_forged + 1, sizeof(forged *)) ||
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
    if (!grow((void **)&s->strs, &s->cap_strs, 1, sizeof(char *))) {
        free(s);
        return NULL;
    }
    s->strs[0] = NULL;
    s->n_strs = 1;
    s->inputs = new_set(s);
    for (size_t i = 0; rules && i < mw_rules_n_targets(rules); i++) {
        char *n = norm_dup(mw_rules_target(rules, i));
        if (n)
            (void)target_get(s, n);
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
    for (size_t i = 0; i < s->n_forged; i++)
        forged_free(s->forged[i]);
    free(s->forged);
    itab_free(&s->forged_idx);
    free(s->nb_sni.p);
    free(s->nb_vantage.p);
    free(s->nb_tmp.p);
    free(s);
}

void mw_summary_add_input(mw_summary *s, const char *capture_name)
{
    if (!s || !capture_name)
        return;
    const char *n = norm_into(&s->nb_tmp, capture_name, strlen(capture_name));
    if (n)
        set_add(s, s->inputs, n);
}

void mw_summary_add_counters(mw_summary *s, const mw_stats *st)
{
    if (s && st)
        mw_stats_add(&s->stats, st);
}

/* ---------------------------------------------------------------- times */

/* A time as written (mw_format_timestamp with micro, else
 * mw_format_timestamp_secs), nothing else: see mw_parse_timestamp. */
static bool parse_time(const char *s, bool micro, uint64_t *us)
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
    char *n = norm_dup(raw);
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
    chain_free(f->chain, f->n_chain);
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
        f->subject = norm_dup(fx.subject);
        f->issuer = norm_dup(fx.issuer);
        f->serial = norm_dup(fx.serial);
        f->not_before = norm_dup(fx.not_before);
        f->not_after = norm_dup(fx.not_after);
        mw_x509_key_desc(&fx, key, sizeof key);
        f->key = key[0] ? norm_dup(key) : NULL;
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
                const char *t = norm_into(&b, fx.san_dns[i].str, fx.san_dns[i].len);
                f->san[f->n_san] = t ? strdup(t) : NULL;
                if (f->san[f->n_san])
                    f->n_san++;
            }
            for (size_t i = 0; i < fx.n_san_ip; i++) {
                f->san[f->n_san] = norm_dup(fx.san_ip[i]);
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
    clone_clear(&f->clone);
    f->has_clone = true;
    snprintf(f->clone.sha, sizeof f->clone.sha, "%s", c->sha256);
    f->clone.subject = norm_dup(c->subject);
    f->clone.issuer = norm_dup(c->issuer);
    f->clone.serial = norm_dup(c->serial);
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
    forged *f = forged_find(s, sha);
    if (!f) {
        f = forged_new(s, sha);
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
        set_add(s, f->names, sni);
    if (server)
        set_add(s, f->servers, server);
    set_add(s, f->vantages, vantage);
    for (size_t i = 0; i < v->n_traits && i < MW_VERDICT_MAX_TRAITS; i++) {
        const char *t = norm_into(&s->nb_tmp, v->traits[i], strnlen(v->traits[i], MW_TRAIT_LEN));
        if (t)
            set_add(s, f->traits, t);
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
    const char *sni = r->sni ? norm_into(&s->nb_sni, r->sni, r->sni_len) : NULL;
    const char *vantage =
        r->vantage ? norm_into(&s->nb_vantage, r->vantage, strlen(r->vantage)) : NULL;
    if (r->vantage && !vantage)
        return; /* out of memory */
    uint32_t vi = vantage_get(s, vantage);

    if (v->target) {
        s->target_sessions++;
        s->target_opaque += k == MW_VERDICT_OPAQUE;
        s->target_incomplete += k == MW_VERDICT_INCOMPLETE;
        const char *tn = norm_into(&s->nb_tmp, v->target, strlen(v->target));
        target *t = tn ? target_get(s, tn) : NULL;
        if (t) {
            t->vc.c[k]++;
            if (server)
                set_add(s, t->servers, server);
            if (intercepted) {
                if (server)
                    set_add(s, t->servers_int, server);
                set_add(s, t->vantages, vantage);
                if (!t->has_int || r->ts_us < t->first_int)
                    t->first_int = r->ts_us;
                if (!t->has_int || r->ts_us > t->last_int)
                    t->last_int = r->ts_us;
                t->has_int = true;
            }
            if (v->rogue_issuer) {
                const char *ri = norm_into(&s->nb_tmp, v->rogue_issuer, strlen(v->rogue_issuer));
                if (ri)
                    set_add(s, t->rogue, ri);
            }
        }
        uint64_t num = r->ts_us / 1000000u / s->cfg.bucket_seconds;
        bucket *b = bucket_get(s, num);
        if (b)
            b->vc.c[k]++;
        if (vi != NO_ID) {
            vant *vo = &s->vantages[vi];
            vo->vc.c[k]++;
            vbucket *vb = vbucket_get(s, vi, num);
            if (server) {
                set_add(s, vo->servers, server);
                if (vb)
                    set_add(s, vb->servers, server);
                if (intercepted) {
                    set_add(s, vo->servers_int, server);
                    if (vb)
                        set_add(s, vb->servers_int, server);
                }
            }
        }
    }
    add_forged(s, r, reasons, server, sni, vantage);
}

/* --------------------------------------------------------------- writing */

/* strcmp with NULL (the null vantage) first. */
static int cmp_nullable(const char *a, const char *b)
{
    if (!a || !b)
        return a ? 1 : b ? -1 : 0;
    return strcmp(a, b);
}

typedef struct sorted_entry {
    uint32_t set;
    const char *str;
} sorted_entry;

static int cmp_sorted_entry(const void *pa, const void *pb)
{
    const sorted_entry *a = pa, *b = pb;
    if (a->set != b->set)
        return a->set < b->set ? -1 : 1;
    return cmp_nullable(a->str, b->str);
}

/* Every set's members in order, for writing. */
typedef struct view {
    const mw_summary *s;
    sorted_entry *e;
    size_t *start; /* set i is e[start[i] .. start[i + 1]) */
} view;

static bool view_init(view *w, const mw_summary *s)
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

static void view_free(view *w)
{
    free(w->e);
    free(w->start);
}

static size_t set_size(const view *w, uint32_t set)
{
    return set == NO_ID || set >= w->s->n_sets ? 0 : w->start[set + 1] - w->start[set];
}

static const char *set_at(const view *w, uint32_t set, size_t i)
{
    return w->e[w->start[set] + i].str;
}

static void w_set(mw_json *j, const view *w, const char *key, uint32_t set)
{
    mw_json_key(j, key);
    mw_json_array_begin(j);
    for (size_t i = 0; i < set_size(w, set); i++)
        mw_json_string(j, set_at(w, set, i));
    mw_json_array_end(j);
}

static void w_counts(mw_json *j, const char *key, const vcounts *vc, const uint64_t *total)
{
    mw_json_key(j, key);
    mw_json_object_begin(j);
    for (size_t i = 0; i < N_KINDS; i++)
        mw_json_kv_uint(j, mw_verdict_name(kind_order[i]), vc->c[kind_order[i]]);
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

/* Sorted orders of the objects (arrays of positions). */
typedef struct order {
    size_t *targets, *vantages, *buckets, *vbuckets, *forged;
} order;

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

static void order_free(order *o)
{
    free(o->targets);
    free(o->vantages);
    free(o->buckets);
    free(o->vbuckets);
    free(o->forged);
}

static bool order_init(order *o, const mw_summary *s)
{
    o->targets = sorted_positions(s->n_targets, cmp_target, s);
    o->vantages = sorted_positions(s->n_vantages, cmp_vantage, s);
    o->buckets = sorted_positions(s->n_buckets, cmp_bucket, s);
    o->vbuckets = sorted_positions(s->n_vbuckets, cmp_vbucket, s);
    o->forged = sorted_positions(s->n_forged, cmp_forged, s);
    if (o->targets && o->vantages && o->buckets && o->vbuckets && o->forged)
        return true;
    order_free(o);
    return false;
}

/* A bucket's state: 1 on, 0 off, -1 leaves it as it was. */
static int bucket_state(const bucket *b)
{
    if (b->vc.c[MW_VERDICT_INTERCEPTED])
        return 1;
    if (b->vc.c[MW_VERDICT_CLEAN] || b->vc.c[MW_VERDICT_SUSPICIOUS])
        return 0;
    return -1;
}

static uint64_t bucket_start_us(const mw_summary *s, uint64_t num)
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
            w_time(j, "t", true, bucket_start_us(s, b->num));
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
        w_time(j, "t", true, bucket_start_us(s, b->num));
        for (size_t k = 0; k < N_KINDS; k++)
            mw_json_kv_uint(j, mw_verdict_name(kind_order[k]), b->vc.c[kind_order[k]]);
        mw_json_object_end(j);
    }
    mw_json_array_end(j);

    mw_json_key(j, "transitions");
    mw_json_array_begin(j);
    int state = -1;
    for (size_t i = 0; i < s->n_buckets; i++) {
        const bucket *b = &s->buckets[o->buckets[i]];
        int st = bucket_state(b);
        if (st < 0 || st == state)
            continue;
        state = st;
        mw_json_object_begin(j);
        w_time(j, "t", true, bucket_start_us(s, b->num));
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
                                     c[MW_VERDICT_INTERCEPTED]);
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
    if (!s || !view_init(&w, s))
        return false;
    if (!order_init(&o, s)) {
        view_free(&w);
        return false;
    }
    mw_json j;
    mw_json_init(&j);
    w_summary(&j, s, &w, &o);
    bool ok = mw_json_write_line(&j, out) && fflush(out) == 0;
    mw_json_free(&j);
    order_free(&o);
    view_free(&w);
    return ok;
}

/* --------------------------------------------------------------- merging */

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
    chain_ent *c = calloc(src->n_chain ? src->n_chain : 1, sizeof(*c));
    if (!c)
        return;
    for (size_t i = 0; i < src->n_chain; i++) {
        memcpy(c[i].sha, src->chain[i].sha, sizeof c[i].sha);
        c[i].subject = dup_or_null(src->chain[i].subject);
        c[i].issuer = dup_or_null(src->chain[i].issuer);
    }
    chain_free(d->chain, d->n_chain);
    d->chain = c;
    d->n_chain = src->n_chain;
}

static void copy_clone(forged *d, const forged *src)
{
    clone_clear(&d->clone);
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

static void counts_add(vcounts *d, const vcounts *s)
{
    for (size_t i = 0; i < N_KINDS; i++)
        d->c[i] += s->c[i];
}

/* dst += src. Only memory can fail (false, dst unchanged); caps count. */
static bool merge_into(mw_summary *dst, const mw_summary *src)
{
    uint32_t *map = malloc((src->n_sets ? src->n_sets : 1) * sizeof(*map));
    uint32_t *vmap = malloc((src->n_vantages ? src->n_vantages : 1) * sizeof(*vmap));
    if (!map || !vmap) {
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
    counts_add(&dst->sessions, &src->sessions);
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
        target *dt = target_get(dst, st->name);
        if (!dt)
            continue;
        counts_add(&dt->vc, &st->vc);
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
        vmap[i] = vantage_get(dst, src->strs[sv->label]);
        if (vmap[i] == NO_ID)
            continue;
        vant *dv = &dst->vantages[vmap[i]];
        counts_add(&dv->vc, &sv->vc);
        map[sv->servers] = dv->servers;
        map[sv->servers_int] = dv->servers_int;
    }
    for (size_t i = 0; i < src->n_buckets; i++) {
        bucket *b = bucket_get(dst, src->buckets[i].num);
        if (b)
            counts_add(&b->vc, &src->buckets[i].vc);
    }
    for (size_t i = 0; i < src->n_vbuckets; i++) {
        const vbucket *sb = &src->vbuckets[i];
        if (vmap[sb->vantage] == NO_ID)
            continue;
        vbucket *db = vbucket_get(dst, vmap[sb->vantage], sb->num);
        if (!db)
            continue;
        map[sb->servers] = db->servers;
        map[sb->servers_int] = db->servers_int;
    }
    for (size_t i = 0; i < src->n_forged; i++) {
        const forged *sf = src->forged[i];
        forged *df = forged_find(dst, sf->sha);
        bool fresh = df == NULL;
        if (fresh)
            df = forged_new(dst, sf->sha);
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
            set_add(dst, map[e->set], src->strs[e->str]);
    }
    free(map);
    free(vmap);
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
    if (!parse_time(mw_jv_str(v, NULL), true, out))
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
    const char *n = norm_into(&r->t->nb_tmp, s, len);
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
        const char *n = s ? norm_into(&r->t->nb_tmp, s, len) : NULL;
        if (s && !n)
            return fail(r, "out of memory");
        set_add(r->t, set, n);
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
        if (!rd_u64(r, o, mw_verdict_name(kind_order[i]), &vc->c[kind_order[i]], w))
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
        const char *n = norm_into(&r->t->nb_tmp, name, len);
        target *t = n ? target_get(r->t, n) : NULL;
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
            !rd_set(r, o, "rogue_issuers", t->rogue, false, w))
            return false;
        if (has_first != has_last)
            return fail(r, "%s: first_intercepted and last_intercepted disagree", w);
        counts_add(&t->vc, &vc);
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
        uint32_t vi = vantage_get(r->t, label);
        free(label);
        if (vi == NO_ID)
            return fail(r, "out of memory");
        vcounts vc = {{0}};
        if (!rd_counts(r, o, "sessions", &vc, NULL, w) ||
            !rd_set(r, o, "servers", r->t->vantages[vi].servers, false, w) ||
            !rd_set(r, o, "servers_intercepted", r->t->vantages[vi].servers_int, false, w))
            return false;
        counts_add(&r->t->vantages[vi].vc, &vc);
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
            vbucket *vb = vbucket_get(r->t, vi, bucket_num(r, t));
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
            if (!rd_u64(r, o, mw_verdict_name(kind_order[k]), &vc.c[kind_order[k]], w))
                return false;
        bucket *b = bucket_get(r->t, bucket_num(r, t));
        if (b)
            counts_add(&b->vc, &vc);
    }
    return true;
}

static void forged_fields_free(forged *f)
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
    chain_free(f->chain, f->n_chain);
    clone_clear(&f->clone);
    memset(f, 0, sizeof(*f));
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
            const char *n = s ? norm_into(&r->t->nb_tmp, s, len) : NULL;
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
    if ((f->clone.not_before && !parse_time(f->clone.not_before, false, NULL)) ||
        (f->clone.not_after && !parse_time(f->clone.not_after, false, NULL)))
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
            f = forged_find(r->t, lf.sha);
            bool fresh = f == NULL;
            if (fresh)
                f = forged_new(r->t, lf.sha);
            if (f)
                forged_absorb(f, &lf, fresh);
        }
        forged_fields_free(&lf);
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
    for (unsigned c = 0; c < MW_REASON_COUNT; c++)
        if (!rd_u64(r, v, mw_reason_name((mw_reason_code)c), &t->reasons[c], "reasons"))
            return false;
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

bool mw_summary_merge_json(mw_summary *s, const mw_jv *root, char *err, size_t errlen)
{
    reader r = {NULL, err, errlen, false};
    if (!s)
        return fail(&r, "no summary");
    if (mw_jv_type_of(root) != MW_JV_OBJECT || !root)
        return fail(&r, "not a summary: expected a JSON object");
    uint64_t version, width;
    const mw_jv *vv = mw_jv_get(root, "summary_version");
    if (!vv)
        return fail(&r, "not a summary: no summary_version");
    if (!mw_jv_u64(vv, &version) || version != MW_SUMMARY_VERSION)
        return fail(&r, "summary_version is not %d: a summary of another format", MW_SUMMARY_VERSION);
    if (!mw_jv_u64(mw_jv_get(root, "bucket_seconds"), &width) || width == 0)
        return fail(&r, "bucket_seconds: expected a positive integer");
    if (width != s->cfg.bucket_seconds)
        return fail(&r,
                    "bucket_seconds is %" PRIu64 ", not %" PRIu64
                    ": summaries with different timeline buckets cannot be merged",
                    width, s->cfg.bucket_seconds);
    /* Read into a summary of its own first, so a bad file changes nothing. */
    r.t = mw_summary_new(&s->cfg, NULL);
    if (!r.t)
        return fail(&r, "out of memory");
    bool ok = rd_summary(&r, root);
    if (ok && !merge_into(s, r.t))
        ok = fail(&r, "out of memory");
    mw_summary_free(r.t);
    return ok;
}

/* ------------------------------------------------------------------ text */

#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_GREEN "\033[32m"
#define C_BOLD "\033[1m"
#define C_RESET "\033[0m"

/*
 * A wire string made safe for a terminal: control characters (C0, DEL,
 * C1) and bidirectional overrides become \u00XX / \u20XX escapes, as the
 * JSON writer escapes C0; bytes that were not UTF-8 already read \xNN.
 */
static const char *safe(sbuf *b, const char *s)
{
    if (!s)
        return "(none)";
    size_t n = strlen(s);
    if (n > (SIZE_MAX - 1) / 6 || !grow((void **)&b->p, &b->cap, n * 6 + 1, 1) || !b->p)
        return "(out of memory)";
    size_t o = 0;
    const uint8_t *u = (const uint8_t *)s;
    for (size_t i = 0; i < n; i++) {
        unsigned cp = 0;
        size_t skip = 0;
        if (u[i] < 0x20 || u[i] == 0x7F) {
            cp = u[i];
        } else if (u[i] == 0xC2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F) {
            cp = u[i + 1];
            skip = 1;
        } else if (u[i] == 0xE2 && i + 2 < n &&
                   ((u[i + 1] == 0x80 && u[i + 2] >= 0xAA && u[i + 2] <= 0xAE) ||
                    (u[i + 1] == 0x81 && u[i + 2] >= 0xA6 && u[i + 2] <= 0xA9))) {
            cp = 0x2000u + ((u[i + 1] & 0x3Fu) << 6) + (u[i + 2] & 0x3Fu);
            skip = 2;
        } else {
            b->p[o++] = (char)u[i];
            continue;
        }
        o += (size_t)snprintf(b->p + o, 7, "\\u%04x", cp);
        i += skip;
    }
    b->p[o] = '\0';
    return b->p;
}

/* Columns a string takes (UTF-8 sequences count one). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        w += (*p & 0xC0) != 0x80;
    return w;
}

typedef struct table {
    size_t ncols;
    const char *align; /* 'l' or 'r' per column */
    char **cells;
    const char **colors; /* per row */
    size_t n, cap, rows, cap_rows;
} table;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void cell(table *t, const char *fmt, ...)
{
    if (!grow((void **)&t->cells, &t->cap, t->n + 1, sizeof(char *)))
        return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *c = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (c) {
        va_start(ap, fmt);
        vsnprintf(c, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    t->cells[t->n++] = c;
}

static void row(table *t, const char *color)
{
    if (grow((void **)&t->colors, &t->cap_rows, t->rows + 1, sizeof(char *)))
        t->colors[t->rows++] = color;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->colors);
    memset(t, 0, sizeof(*t));
}

static void table_print(table *t, FILE *out, bool color)
{
    size_t w[16] = {0};
    size_t nc = t->ncols < 16 ? t->ncols : 16;
    for (size_t i = 0; i < t->n; i++)
        if (t->cells[i] && text_width(t->cells[i]) > w[i % t->ncols] && i % t->ncols < nc)
            w[i % t->ncols] = text_width(t->cells[i]);
    for (size_t r = 0; r * t->ncols < t->n; r++) {
        const char *c = r < t->rows ? t->colors[r] : NULL;
        fputs("  ", out);
        if (color && c)
            fputs(c, out);
        for (size_t k = 0; k < nc && r * t->ncols + k < t->n; k++) {
            const char *s = t->cells[r * t->ncols + k] ? t->cells[r * t->ncols + k] : "";
            size_t pad = w[k] - text_width(s);
            bool last = k + 1 == nc;
            if (t->align[k] == 'r')
                fprintf(out, "%*s%s", (int)pad, "", s);
            else
                fprintf(out, "%s%*s", s, last ? 0 : (int)pad, "");
            if (!last)
                fputs("  ", out);
        }
        if (color && c)
            fputs(C_RESET, out);
        fputc('\n', out);
    }
    table_free(t);
}

/* "2019-07-20T09:00:05Z": the events' time without the microseconds. */
static const char *short_time(uint64_t us, char *buf, size_t n)
{
    return mw_format_timestamp_secs((int64_t)(us / 1000000u), buf, n);
}

/* The members of a set, safe and joined by ", " into b (max items). */
static const char *joined(const view *w, uint32_t set, sbuf *b, size_t max)
{
    sbuf one = {NULL, 0};
    size_t n = set_size(w, set), o = 0;
    if (!grow((void **)&b->p, &b->cap, 64, 1))
        return "";
    b->p[0] = '\0';
    for (size_t i = 0; i < n && i < max; i++) {
        const char *s = set_at(w, set, i);
        const char *t = s ? safe(&one, s) : "(unlabelled)";
        size_t tl = strlen(t);
        if (!grow((void **)&b->p, &b->cap, o + tl + 32, 1))
            break;
        o += (size_t)snprintf(b->p + o, b->cap - o, "%s%s", i ? ", " : "", t);
    }
    if (n > max && grow((void **)&b->p, &b->cap, o + 32, 1))
        snprintf(b->p + o, b->cap - o, ", ... (%zu in all)", n);
    free(one.p);
    return b->p;
}

static uint64_t vc_sum(const vcounts *v)
{
    uint64_t t = 0;
    for (size_t i = 0; i < N_KINDS; i++)
        t += v->c[i];
    return t;
}

static void text_targets(const mw_summary *s, const view *w, const order *o, FILE *out,
                         bool color)
{
    table t = {12, "lrrrrrrrllll", NULL, NULL, 0, 0, 0, 0};
    sbuf a = {NULL, 0}, b = {NULL, 0};
    char t1[48], t2[48];
    cell(&t, "TARGET"); cell(&t, "SESSIONS"); cell(&t, "INTERCEPTED"); cell(&t, "SUSPICIOUS");
    cell(&t, "CLEAN"); cell(&t, "OPAQUE"); cell(&t, "INCOMPLETE"); cell(&t, "SERVERS INT/SEEN");
    cell(&t, "FIRST INTERCEPTED"); cell(&t, "LAST INTERCEPTED"); cell(&t, "VANTAGES");
    cell(&t, "ROGUE ISSUER");
    row(&t, C_BOLD);
    size_t never = 0, shown = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->n_targets; i++) {
            const target *tg = &s->targets[o->targets[i]];
            uint64_t n = vc_sum(&tg->vc);
            bool inter = tg->vc.c[MW_VERDICT_INTERCEPTED] > 0;
            if (n == 0 || inter != (pass == 0))
                continue;
            const char *c = inter ? C_RED
                            : tg->vc.c[MW_VERDICT_SUSPICIOUS] ? C_YELLOW
                            : tg->vc.c[MW_VERDICT_CLEAN] ? C_GREEN : NULL;
            cell(&t, "%s", safe(&a, tg->name));
            cell(&t, "%" PRIu64, n);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_INTERCEPTED]);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_SUSPICIOUS]);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_CLEAN]);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_OPAQUE]);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_INCOMPLETE]);
            cell(&t, "%zu/%zu", set_size(w, tg->servers_int), set_size(w, tg->servers));
            cell(&t, "%s", tg->has_int ? short_time(tg->first_int, t1, sizeof t1) : "-");
            cell(&t, "%s", tg->has_int ? short_time(tg->last_int, t2, sizeof t2) : "-");
            cell(&t, "%s", set_size(w, tg->vantages) ? joined(w, tg->vantages, &b, 4) : "-");
            cell(&t, "%s", set_size(w, tg->rogue) ? joined(w, tg->rogue, &b, 2) : "-");
            row(&t, c);
            shown++;
        }
    }
    fprintf(out, "\nTarget domains\n");
    if (shown) {
        table_print(&t, out, color);
    } else {
        table_free(&t);
        fprintf(out, "  (no session to a target domain)\n");
    }
    for (size_t i = 0; i < s->n_targets; i++)
        never += vc_sum(&s->targets[i].vc) == 0;
    if (never) {
        fprintf(out, "  never seen (%zu):", never);
        size_t k = 0;
        for (size_t i = 0; i < s->n_targets; i++) {
            const target *tg = &s->targets[o->targets[i]];
            if (vc_sum(&tg->vc) == 0)
                fprintf(out, "%s %s", k++ ? "," : "", safe(&a, tg->name));
        }
        fputc('\n', out);
    }
    free(a.p);
    free(b.p);
}

static void text_vantages(const mw_summary *s, const view *w, const order *o, FILE *out,
                          bool color)
{
    if (s->n_vantages == 0)
        return;
    table t = {6, "lrrrrr", NULL, NULL, 0, 0, 0, 0};
    sbuf a = {NULL, 0};
    cell(&t, "VANTAGE"); cell(&t, "TARGET SESSIONS"); cell(&t, "INTERCEPTED");
    cell(&t, "CLEAN"); cell(&t, "SERVERS INTERCEPTED/CONTACTED"); cell(&t, "SHARE");
    row(&t, C_BOLD);
    for (size_t i = 0; i < s->n_vantages; i++) {
        const vant *v = &s->vantages[o->vantages[i]];
        size_t si = set_size(w, v->servers_int), sc = set_size(w, v->servers);
        cell(&t, "%s", s->strs[v->label] ? safe(&a, s->strs[v->label]) : "(unlabelled)");
        cell(&t, "%" PRIu64, vc_sum(&v->vc));
        cell(&t, "%" PRIu64, v->vc.c[MW_VERDICT_INTERCEPTED]);
        cell(&t, "%" PRIu64, v->vc.c[MW_VERDICT_CLEAN]);
        cell(&t, "%zu/%zu", si, sc);
        if (sc)
            cell(&t, "%.1f %%", 100.0 * (double)si / (double)sc);
        else
            cell(&t, "-");
        row(&t, si ? C_RED : sc ? C_GREEN : NULL);
    }
    fprintf(out, "\nVantages (servers of target names whose connections were intercepted)\n");
    table_print(&t, out, color);
    free(a.p);
}

/* The global bucket's column for bucket number num (buckets are sorted). */
static size_t bucket_column(const mw_summary *s, const order *o, uint64_t num)
{
    size_t lo = 0, hi = s->n_buckets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->buckets[o->buckets[mid]].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Each vantage's share of servers intercepted per bucket, one character a
 * timeline bucket, so on/off periods line up across vantages. */
static void text_vantage_rates(const mw_summary *s, const view *w, const order *o, FILE *out)
{
    if (s->n_vantages == 0 || s->n_buckets == 0 || s->n_buckets > 200)
        return;
    sbuf a = {NULL, 0};
    char *line = malloc(s->n_buckets + 1);
    int width = 12;
    for (size_t i = 0; i < s->n_vantages; i++) {
        const char *name = s->strs[s->vantages[i].label];
        int l = name ? (int)strlen(safe(&a, name)) : 12;
        width = l > width ? l : width;
    }
    fprintf(out, "  rate over time, a column per timeline bucket: # half or more of the "
                 "servers contacted intercepted, + fewer, . none, blank: no target session\n");
    size_t vb = 0;
    for (size_t i = 0; line && i < s->n_vantages; i++) {
        size_t vi = o->vantages[i];
        memset(line, ' ', s->n_buckets);
        line[s->n_buckets] = '\0';
        /* vbuckets are sorted by vantage in the same order as vantages */
        for (; vb < s->n_vbuckets && s->vbuckets[o->vbuckets[vb]].vantage == vi; vb++) {
            const vbucket *b = &s->vbuckets[o->vbuckets[vb]];
            size_t col = bucket_column(s, o, b->num);
            size_t si = set_size(w, b->servers_int), sc = set_size(w, b->servers);
            if (col < s->n_buckets && sc)
                line[col] = 2 * si >= sc && si ? '#' : si ? '+' : '.';
        }
        const char *name = s->strs[s->vantages[vi].label];
        fprintf(out, "  %-*s |%s|\n", width, name ? safe(&a, name) : "(unlabelled)", line);
    }
    free(line);
    free(a.p);
}

#define BAR_WIDTH 40

static void text_timeline(const mw_summary *s, const order *o, FILE *out, bool color)
{
    if (s->n_buckets == 0)
        return;
    uint64_t max = 1;
    for (size_t i = 0; i < s->n_buckets; i++)
        if (vc_sum(&s->buckets[i].vc) > max)
            max = vc_sum(&s->buckets[i].vc);
    fprintf(out, "\nTimeline (target sessions per %" PRIu64 " s; # intercepted, + suspicious, "
                 ". clean, ? opaque/incomplete)\n", s->cfg.bucket_seconds);
    char tb[48];
    for (size_t i = 0; i < s->n_buckets; i++) {
        const bucket *b = &s->buckets[o->buckets[i]];
        const uint64_t *c = b->vc.c;
        uint64_t other = c[MW_VERDICT_OPAQUE] + c[MW_VERDICT_INCOMPLETE];
        fprintf(out, "  %s  intercepted %6" PRIu64 "  clean %6" PRIu64 "  suspicious %4" PRIu64
                     "  other %4" PRIu64 "  |",
                short_time(bucket_start_us(s, b->num), tb, sizeof tb), c[MW_VERDICT_INTERCEPTED],
                c[MW_VERDICT_CLEAN], c[MW_VERDICT_SUSPICIOUS], other);
        const uint64_t parts[4] = {c[MW_VERDICT_INTERCEPTED], c[MW_VERDICT_SUSPICIOUS],
                                   c[MW_VERDICT_CLEAN], other};
        const char marks[4] = {'#', '+', '.', '?'};
        const char *colors[4] = {C_RED, C_YELLOW, C_GREEN, NULL};
        uint64_t acc = 0;
        size_t drawn = 0;
        for (size_t k = 0; k < 4; k++) {
            acc += parts[k];
            /* cumulative rounding, so the parts add up to the bar */
            size_t upto = (size_t)((acc * BAR_WIDTH + max - 1) / max);
            if (color && colors[k] && upto > drawn)
                fputs(colors[k], out);
            for (; drawn < upto; drawn++)
                fputc(marks[k], out);
            if (color && colors[k])
                fputs(C_RESET, out);
        }
        fprintf(out, "%*s|\n", (int)(BAR_WIDTH - drawn), "");
    }
    fprintf(out, "  transitions:");
    int state = -1;
    size_t n = 0;
    for (size_t i = 0; i < s->n_buckets; i++) {
        const bucket *b = &s->buckets[o->buckets[i]];
        int st = bucket_state(b);
        if (st < 0 || st == state)
            continue;
        state = st;
        fprintf(out, "%s %s%s%s from %s", n++ ? "," : "", color ? (st ? C_RED : C_GREEN) : "",
                st ? "on" : "off", color ? C_RESET : "",
                short_time(bucket_start_us(s, b->num), tb, sizeof tb));
    }
    fprintf(out, "%s\n", n ? "" : " none (only opaque or incomplete sessions)");
}

static void text_forged(const mw_summary *s, const view *w, const order *o, FILE *out,
                        bool color)
{
    if (s->n_forged == 0)
        return;
    sbuf a = {NULL, 0}, b = {NULL, 0};
    char t1[48], t2[48];
    /* Intercepted first: a suspicious untrusted leaf may be a forgery or
     * just a server's own mistake (a missing intermediate, self-signed). */
    fprintf(out, "\nForged certificates (%zu): leaves of intercepted sessions, then of "
                 "suspicious ones whose chain is untrusted\n",
            s->n_forged);
    for (size_t k = 0; k < 2 * s->n_forged; k++) {
        const forged *f = s->forged[o->forged[k % s->n_forged]];
        if (f->intercepted != (k < s->n_forged))
            continue;
        const char *c = f->intercepted ? C_RED : C_YELLOW;
        fprintf(out, "  %s[%s]%s %s\n", color ? c : "",
                f->intercepted ? "intercepted" : "suspicious", color ? C_RESET : "",
                f->subject ? safe(&a, f->subject) : "(unparsable certificate)");
        fprintf(out, "      issuer %s\n", f->issuer ? safe(&a, f->issuer) : "-");
        fprintf(out, "      first seen %s, last seen %s, %" PRIu64 " session%s, sha256 %s\n",
                short_time(f->first_seen, t1, sizeof t1), short_time(f->last_seen, t2, sizeof t2),
                f->sessions, f->sessions == 1 ? "" : "s", f->sha);
        if (set_size(w, f->names))
            fprintf(out, "      names: %s\n", joined(w, f->names, &b, 8));
        if (set_size(w, f->traits))
            fprintf(out, "      traits: %s\n", joined(w, f->traits, &b, 8));
        if (f->has_clone)
            fprintf(out, "      clones: %s (issuer %s, sha256 %s)\n",
                    f->clone.subject ? safe(&a, f->clone.subject) : "-",
                    f->clone.issuer ? safe(&b, f->clone.issuer) : "-", f->clone.sha);
    }
    free(a.p);
    free(b.p);
}

void mw_summary_write_text(const mw_summary *s, FILE *out, bool color)
{
    view w;
    order o;
    if (!s || !view_init(&w, s))
        return;
    if (!order_init(&o, s)) {
        view_free(&w);
        return;
    }
    sbuf b = {NULL, 0};
    char t1[48], t2[48];
    const uint64_t *c = s->sessions.c;
    fprintf(out, "%smitmwatch summary%s: %zu input%s (%s)", color ? C_BOLD : "",
            color ? C_RESET : "", set_size(&w, s->inputs), set_size(&w, s->inputs) == 1 ? "" : "s",
            set_size(&w, s->inputs) ? joined(&w, s->inputs, &b, 6) : "none");
    if (s->has_ts)
        fprintf(out, ", %s .. %s", short_time(s->first_ts, t1, sizeof t1),
                short_time(s->last_ts, t2, sizeof t2));
    fprintf(out, "\n  %" PRIu64 " sessions: %s%" PRIu64 " intercepted%s, %s%" PRIu64
                 " suspicious%s, %s%" PRIu64 " clean%s, %" PRIu64 " opaque, %" PRIu64
                 " incomplete\n",
            s->total, color ? C_RED : "", c[MW_VERDICT_INTERCEPTED], color ? C_RESET : "",
            color ? C_YELLOW : "", c[MW_VERDICT_SUSPICIOUS], color ? C_RESET : "",
            color ? C_GREEN : "", c[MW_VERDICT_CLEAN], color ? C_RESET : "",
            c[MW_VERDICT_OPAQUE], c[MW_VERDICT_INCOMPLETE]);
    text_targets(s, &w, &o, out, color);
    text_vantages(s, &w, &o, out, color);
    text_vantage_rates(s, &w, &o, out);
    text_timeline(s, &o, out, color);
    text_forged(s, &w, &o, out, color);

    uint64_t judged = c[MW_VERDICT_CLEAN] + c[MW_VERDICT_SUSPICIOUS] + c[MW_VERDICT_INTERCEPTED];
    fprintf(out, "\nCoverage\n  %" PRIu64 " sessions, %" PRIu64 " judged. %" PRIu64
                 " opaque and %" PRIu64 " incomplete sessions could not be judged (the chain "
                 "was encrypted, resumed or not sent, or the handshake was not seen).\n",
            s->total, judged, c[MW_VERDICT_OPAQUE], c[MW_VERDICT_INCOMPLETE]);
    fprintf(out, "  target sessions %" PRIu64 ", of which %" PRIu64 " opaque and %" PRIu64
                 " incomplete; QUIC %" PRIu64 ", DTLS %" PRIu64 "\n",
            s->target_sessions, s->target_opaque, s->target_incomplete, s->quic, s->dtls);
    if (s->total > judged + c[MW_VERDICT_OPAQUE] + c[MW_VERDICT_INCOMPLETE])
        fprintf(out, "  %" PRIu64 " session(s) had no verdict (run without rules)\n",
                s->total - judged - c[MW_VERDICT_OPAQUE] - c[MW_VERDICT_INCOMPLETE]);
    if (s->lim_set || s->lim_forged || s->lim_buckets)
        fprintf(out, "%s\nLimits%s: left out by the summary's caps: %" PRIu64
                     " set entries, %" PRIu64 " forged certificates, %" PRIu64
                     " timeline buckets (the report is incomplete)\n",
                color ? C_YELLOW : "", color ? C_RESET : "", s->lim_set, s->lim_forged,
                s->lim_buckets);
    else
        fprintf(out, "\nLimits: none reached\n");
    free(b.p);
    order_free(&o);
    view_free(&w);
}
