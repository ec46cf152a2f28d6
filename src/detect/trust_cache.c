/*
 * trust_cache.c - each distinct chain validated once (trust_cache.h).
 */
#include "detect/trust_cache.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/crypto.h"

/* Certificates looked at for an entry's dates; more: not cached. */
#define MAX_DATED 256

typedef struct entry {
    bool used;
    uint8_t key[32];
    X509_STORE *store;
    const mw_removed_roots *removed;
    int64_t t0;       /* the time the result was computed for */
    bool exact;       /* t0 is one of the dates: reused for t0 only */
    int64_t lo, hi;   /* else for lo < t < hi */
    uint64_t used_at; /* the cache's clock when last used: LRU of the pair */
    mw_trust_result res;
} entry;

struct mw_trust_cache {
    entry *slots; /* MW_TRUST_CACHE_SLOTS, in sets of two */
    uint64_t clock;
    mw_trust_cache_stats st;
};

mw_trust_cache *mw_trust_cache_new(void)
{
    mw_trust_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->slots = calloc(MW_TRUST_CACHE_SLOTS, sizeof(*c->slots));
    if (!c->slots) {
        free(c);
        return NULL;
    }
    return c;
}

void mw_trust_cache_free(mw_trust_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < MW_TRUST_CACHE_SLOTS; i++)
        mw_trust_result_free(&c->slots[i].res);
    free(c->slots);
    free(c);
}

const mw_trust_cache_stats *mw_trust_cache_get_stats(const mw_trust_cache *c)
{
    return &c->st;
}

void mw_trust_cache_key(const uint8_t (*digests)[32], size_t n, bool with_removed,
                        uint8_t key[32])
{
    unsigned char mode = with_removed ? 1 : 0;
    unsigned int len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, mw_md_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(md, &mode, 1) != 1 ||
        (n && EVP_DigestUpdate(md, digests, n * 32) != 1) ||
        EVP_DigestFinal_ex(md, key, &len) != 1) {
        /* A key no chain has: that session goes uncached (see below). */
        memset(key, 0, 32);
    }
    EVP_MD_CTX_free(md);
}

/* ---- copying results -------------------------------------------------- */

static bool copy_result(const mw_trust_result *from, mw_trust_result *to)
{
    memset(to, 0, sizeof(*to));
    to->trusted = from->trusted;
    to->removed = from->removed;
    to->error = from->error;
    to->depth = from->depth;
    to->via_removed = from->via_removed;
    if (from->path) {
        to->path = sk_X509_new_null();
        if (!to->path)
            return false;
        for (int i = 0; i < sk_X509_num(from->path); i++) {
            X509 *x = sk_X509_value(from->path, i);
            if (X509_up_ref(x) != 1)
                goto fail;
            if (!sk_X509_push(to->path, x)) {
                X509_free(x);
                goto fail;
            }
        }
    }
    if (from->bad) {
        if (X509_up_ref(from->bad) != 1)
            goto fail;
        to->bad = from->bad;
    }
    return true;
fail:
    mw_trust_result_free(to);
    return false;
}

/* ---- the dates a result depends on ------------------------------------ */

typedef struct dated {
    X509 *certs[MAX_DATED]; /* borrowed, except those in owned[] */
    size_t n;
    STACK_OF(X509) *owned;  /* references the store lookups returned */
    bool overflow;
} dated;

static void dated_add(dated *d, X509 *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < d->n; i++)
        if (d->certs[i] == x || X509_cmp(d->certs[i], x) == 0)
            return;
    if (d->n == MAX_DATED) {
        d->overflow = true;
        return;
    }
    d->certs[d->n++] = x;
}

static bool in_dated(const dated *d, X509 *x)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->certs[i] == x || X509_cmp(d->certs[i], x) == 0)
            return true;
    return false;
}

/* Whether x's subject is the issuer or the subject of a certificate in d:
 * path building looks issuers and trust anchors up by these names only. */
static bool names_meet(const dated *d, X509 *x)
{
    const X509_NAME *subj = X509_get_subject_name(x);
    for (size_t i = 0; i < d->n; i++)
        if (X509_NAME_cmp(subj, X509_get_issuer_name(d->certs[i])) == 0 ||
            X509_NAME_cmp(subj, X509_get_subject_name(d->certs[i])) == 0)
            return true;
    return false;
}

static void add_store_named(dated *d, X509_STORE_CTX *ctx, const X509_NAME *name)
{
    STACK_OF(X509) *found = X509_STORE_CTX_get1_certs(ctx, (X509_NAME *)name);
    while (found && sk_X509_num(found) > 0) {
        X509 *x = sk_X509_pop(found);
        if (!d->owned)
            d->owned = sk_X509_new_null();
        if (!d->owned || !sk_X509_push(d->owned, x)) {
            X509_free(x);
            d->overflow = true;
            continue;
        }
        dated_add(d, x);
    }
    sk_X509_free(found);
}

/* Adds, until none is new, the certificates of the store and the removed
 * roots whose subject is an issuer or subject name of one already in d:
 * every certificate path building may try. */
static void add_candidates(dated *d, X509_STORE *store, const mw_removed_roots *removed)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx || X509_STORE_CTX_init(ctx, store, NULL, NULL) != 1) {
        d->overflow = true; /* cannot tell: not cached */
        X509_STORE_CTX_free(ctx);
        return;
    }
    size_t looked = 0, before;
    do {
        before = d->n;
        for (; looked < d->n && !d->overflow; looked++) {
            add_store_named(d, ctx, X509_get_issuer_name(d->certs[looked]));
            add_store_named(d, ctx, X509_get_subject_name(d->certs[looked]));
        }
        for (size_t i = 0; removed && i < mw_removed_roots_count(removed); i++) {
            X509 *x = mw_removed_roots_get(removed, i)->x509;
            if (!in_dated(d, x) && names_meet(d, x))
                dated_add(d, x);
        }
    } while (d->n != before && !d->overflow);
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
}

static bool asn1_secs(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *out = (int64_t)timegm(&tm);
    return true;
}

typedef struct window {
    int64_t t0, lo, hi;
    bool exact;
} window;

static void window_add(window *w, int64_t b)
{
    if (b == w->t0)
        w->exact = true;
    else if (b < w->t0 && b > w->lo)
        w->lo = b;
    else if (b > w->t0 && b < w->hi)
        w->hi = b;
}

/* The interval around t in which the result of validating leaf and rest
 * holds (trust_cache.h); false when it cannot be told. */
static bool result_window(X509_STORE *store, const mw_removed_roots *removed, X509 *leaf,
                          STACK_OF(X509) *rest, const mw_trust_result *r, int64_t t,
                          window *w)
{
    dated d = {.n = 0};
    dated_add(&d, leaf);
    for (int i = 0; i < sk_X509_num(rest); i++)
        dated_add(&d, sk_X509_value(rest, i));
    for (int i = 0; i < sk_X509_num(r->path); i++)
        dated_add(&d, sk_X509_value(r->path, i));
    dated_add(&d, r->bad);
    add_candidates(&d, store, removed);
    *w = (window){.t0 = t, .lo = INT64_MIN, .hi = INT64_MAX};
    bool ok = !d.overflow;
    for (size_t i = 0; ok && i < d.n; i++) {
        int64_t nb, na;
        ok = asn1_secs(X509_get0_notBefore(d.certs[i]), &nb) &&
             asn1_secs(X509_get0_notAfter(d.certs[i]), &na);
        if (ok) {
            window_add(w, nb);
            window_add(w, na);
        }
    }
    /* A removed root is an anchor until its last shipped day ends. */
    for (size_t i = 0; ok && removed && i < mw_removed_roots_count(removed); i++) {
        const mw_removed_root *root = mw_removed_roots_get(removed, i);
        if (in_dated(&d, root->x509))
            window_add(w, root->until);
    }
    sk_X509_pop_free(d.owned, X509_free);
    return ok;
}

static bool entry_covers(const entry *e, int64_t t)
{
    return e->exact ? t == e->t0 : (t > e->lo && t < e->hi);
}

/* ---- the cache -------------------------------------------------------- */

static const uint8_t no_key[32];

bool mw_trust_cache_verify(mw_trust_cache *c, const uint8_t key[32], X509_STORE *store,
                           const mw_removed_roots *removed, X509 *leaf,
                           STACK_OF(X509) *rest, int64_t time, mw_trust_result *out)
{
    if (!c)
        return mw_trust_verify(store, removed, leaf, rest, time, out);
    /* Two-way set associative: two chains that share a set do not evict
     * each other; a third replaces the one used least recently. */
    size_t first = (size_t)(((uint32_t)key[0] << 8 | key[1]) % (MW_TRUST_CACHE_SLOTS / 2));
    entry *set = &c->slots[first * 2];
    entry *e = NULL;
    for (int i = 0; i < 2 && !e; i++)
        if (set[i].used && memcmp(set[i].key, key, 32) == 0 && set[i].store == store &&
            set[i].removed == removed)
            e = &set[i];
    bool same = e != NULL;
    if (!e)
        e = !set[0].used ? &set[0]
            : !set[1].used ? &set[1]
            : set[0].used_at <= set[1].used_at ? &set[0] : &set[1];
    e->used_at = ++c->clock;
    if (same && time > 0 && entry_covers(e, time) && copy_result(&e->res, out)) {
        c->st.hits++;
        return out->trusted;
    }
    c->st.misses++;
    if (same)
        c->st.time_misses++;
    bool ok = mw_trust_verify(store, removed, leaf, rest, time, out);
    window w;
    mw_trust_result kept;
    /* Out of memory (error 0 and not trusted) is no answer to keep. */
    bool answer = out->trusted || out->error != 0;
    if (time <= 0 || !leaf || !store || memcmp(key, no_key, 32) == 0 || !answer ||
        !result_window(store, removed, leaf, rest, out, time, &w) ||
        !copy_result(out, &kept)) {
        c->st.uncacheable++;
        return ok;
    }
    if (e->used && !same)
        c->st.evictions++;
    mw_trust_result_free(&e->res);
    e->used = true;
    memcpy(e->key, key, 32);
    e->store = store;
    e->removed = removed;
    e->t0 = w.t0;
    e->exact = w.exact;
    e->lo = w.lo;
    e->hi = w.hi;
    e->res = kept;
    return ok;
}
