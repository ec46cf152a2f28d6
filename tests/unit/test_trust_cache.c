/*
 * test_trust_cache.c - validation once per distinct chain
 * (detect/trust_cache.h). The oracle is mw_trust_verify itself: a real
 * 2017 chain to GeoTrust Global CA (removed from Mozilla's store in 2020),
 * with the shipped rules/historic-roots/, judged through one cache at
 * times on both sides of, and exactly on, every date the result can
 * depend on (each certificate's notBefore and notAfter, each removed
 * root's dates and end of shipping), forwards and then backwards; every
 * answer must equal a fresh validation's. The key is checked against a
 * SHA-256 computed here, and the counters against the calls made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509_vfy.h>

#include "check.h"
#include "detect/trust.h"
#include "detect/trust_cache.h"

#define HISTORIC MW_TEST_DATA_DIR "/../../rules/historic-roots/removed-roots"
#define WECHAT MW_TEST_DATA_DIR "/trust/wechat-2017-chain.pem"
#define T_WECHAT 1492167648 /* 2017-04-14T11:00:48Z */
#define T_2019_01_01 1546300800

static size_t read_pem_file(const char *path, X509 **out, size_t max)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    X509 *x;
    while (f && n < max && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
        out[n++] = x;
    if (f)
        fclose(f);
    return n;
}

static int64_t secs(const ASN1_TIME *t)
{
    struct tm tm;
    return t && ASN1_TIME_to_tm(t, &tm) == 1 ? (int64_t)timegm(&tm) : 0;
}

static bool same_der(X509 *a, X509 *b)
{
    if (!a || !b)
        return a == b;
    return X509_cmp(a, b) == 0;
}

/* Everything the verdict reads from a result. */
static bool same_result(const mw_trust_result *a, const mw_trust_result *b)
{
    if (a->trusted != b->trusted || a->removed != b->removed || a->error != b->error ||
        a->depth != b->depth || a->via_removed != b->via_removed || !same_der(a->bad, b->bad))
        return false;
    if (sk_X509_num(a->path) != sk_X509_num(b->path))
        return false;
    for (int i = 0; i < sk_X509_num(a->path); i++)
        if (!same_der(sk_X509_value(a->path, i), sk_X509_value(b->path, i)))
            return false;
    return true;
}

static X509 *chain[4];
static STACK_OF(X509) *rest;
static uint8_t digests[4][32];

static void test_key(void)
{
    /* SHA-256 of (mode byte, digest 0, ..., digest 3), made here. */
    uint8_t buf[1 + 4 * 32], want[32], got[32];
    buf[0] = 1;
    memcpy(buf + 1, digests, sizeof digests);
    SHA256(buf, sizeof buf, want);
    mw_trust_cache_key((const uint8_t (*)[32])digests, 4, true, got);
    CHECK_MEM(got, want, 32);
    buf[0] = 0;
    SHA256(buf, sizeof buf, want);
    mw_trust_cache_key((const uint8_t (*)[32])digests, 4, false, got);
    CHECK_MEM(got, want, 32);
    /* The order counts: the chain as sent. */
    uint8_t swapped[4][32];
    memcpy(swapped[0], digests[1], 32);
    memcpy(swapped[1], digests[0], 32);
    memcpy(swapped[2], digests[2], 32);
    memcpy(swapped[3], digests[3], 32);
    uint8_t other[32];
    mw_trust_cache_key((const uint8_t (*)[32])swapped, 4, false, other);
    CHECK(memcmp(other, got, 32) != 0);
}

static size_t times_to_try(const mw_removed_roots *r, int64_t *t, size_t max)
{
    size_t n = 0;
    int64_t dates[3 * 200 + 8];
    size_t nd = 0;
    for (size_t i = 0; i < 4; i++) {
        dates[nd++] = secs(X509_get0_notBefore(chain[i]));
        dates[nd++] = secs(X509_get0_notAfter(chain[i]));
    }
    for (size_t i = 0; i < mw_removed_roots_count(r) && nd + 3 <= sizeof dates / sizeof dates[0];
         i++) {
        const mw_removed_root *x = mw_removed_roots_get(r, i);
        dates[nd++] = secs(X509_get0_notBefore(x->x509));
        dates[nd++] = secs(X509_get0_notAfter(x->x509));
        dates[nd++] = x->until;
    }
    for (size_t i = 0; i < nd && n + 3 <= max; i++) {
        /* Only the dates near the chain's lifetime: the rest only cost time. */
        if (dates[i] < 1104537600 || dates[i] > 1735689600) /* 2005 .. 2025 */
            continue;
        t[n++] = dates[i] - 1;
        t[n++] = dates[i];
        t[n++] = dates[i] + 1;
    }
    for (int64_t x = 1104537600; x < 1735689600 && n < max; x += (int64_t)30 * 86400)
        t[n++] = x;
    return n;
}

static void check_times(mw_trust_cache *c, X509_STORE *store, const mw_removed_roots *r,
                        const int64_t *t, size_t n, size_t *calls)
{
    uint8_t key[32];
    mw_trust_cache_key((const uint8_t (*)[32])digests, 4, r != NULL, key);
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) {
        mw_trust_result want, got;
        bool w = mw_trust_verify(store, r, chain[0], rest, t[i], &want);
        bool g = mw_trust_cache_verify(c, key, store, r, chain[0], rest, t[i], &got);
        (*calls)++;
        if (w != g || !same_result(&want, &got)) {
            if (wrong++ < 5)
                fprintf(stderr, "  time %lld: cached result differs\n", (long long)t[i]);
        }
        mw_trust_result_free(&want);
        mw_trust_result_free(&got);
    }
    CHECK_EQ_U(wrong, 0);
}

static void test_same_answers(void)
{
    char err[256] = "";
    mw_removed_roots *r = mw_removed_roots_new();
    CHECK(mw_removed_roots_load(r, HISTORIC ".pem", HISTORIC ".tsv", err, sizeof err));
    X509_STORE *store = X509_STORE_new();
    mw_trust_cache *c = mw_trust_cache_new();
    CHECK(c != NULL);
    if (!c || !store)
        return;
    static int64_t t[4000];
    size_t n = times_to_try(r, t, 4000);
    CHECK(n > 100);
    fprintf(stderr, "  %zu times, each forwards and backwards\n", n);
    size_t calls = 0;
    check_times(c, store, r, t, n, &calls);
    int64_t back[4000];
    for (size_t i = 0; i < n; i++)
        back[i] = t[n - 1 - i];
    check_times(c, store, r, back, n, &calls);
    /* --trust-at now: another key, the same answers as without a cache. */
    check_times(c, store, NULL, t, n, &calls);

    const mw_trust_cache_stats *st = mw_trust_cache_get_stats(c);
    CHECK_EQ_U(st->hits + st->misses, calls);
    CHECK_EQ_U(st->uncacheable, 0);
    CHECK(st->time_misses > 0);  /* the times cross the dates */
    CHECK(st->hits > 0);

    /* The same chain at the same moment twice: the second is a hit. */
    uint8_t key[32];
    mw_trust_cache_key((const uint8_t (*)[32])digests, 4, true, key);
    mw_trust_result a, b;
    uint64_t hits = st->hits;
    CHECK(mw_trust_cache_verify(c, key, store, r, chain[0], rest, T_WECHAT, &a));
    CHECK(mw_trust_cache_verify(c, key, store, r, chain[0], rest, T_WECHAT + 60, &b));
    CHECK_EQ_U(st->hits, hits + 1);
    CHECK(a.removed != NULL && a.removed == b.removed);
    mw_trust_result_free(&a);
    mw_trust_result_free(&b);

    /* No time ("now"): validated, never cached. */
    uint64_t unc = st->uncacheable;
    CHECK(!mw_trust_cache_verify(c, key, store, r, chain[0], rest, 0, &a));
    mw_trust_result_free(&a);
    CHECK(!mw_trust_cache_verify(c, key, store, r, chain[0], rest, 0, &a));
    mw_trust_result_free(&a);
    CHECK_EQ_U(st->uncacheable, unc + 2);

    /* Two more chains in the same set (the first two key bytes choose it):
     * the second takes the free way, the third evicts the least recently
     * used entry (the first chain's), whose next call is then a miss that
     * evicts the second's. */
    uint8_t key2[32], key3[32];
    memcpy(key2, key, 32);
    key2[31] ^= 0xff;
    memcpy(key3, key, 32);
    key3[30] ^= 0xff;
    uint64_t ev = st->evictions, miss = st->misses;
    CHECK(!mw_trust_cache_verify(c, key2, store, r, chain[0], rest, T_2019_01_01, &a));
    CHECK_EQ_U(a.error, X509_V_ERR_CERT_HAS_EXPIRED);
    mw_trust_result_free(&a);
    CHECK_EQ_U(st->evictions, ev);
    CHECK(!mw_trust_cache_verify(c, key3, store, r, chain[0], rest, T_2019_01_01, &a));
    mw_trust_result_free(&a);
    CHECK_EQ_U(st->evictions, ev + 1);
    CHECK(mw_trust_cache_verify(c, key, store, r, chain[0], rest, T_WECHAT, &a));
    mw_trust_result_free(&a);
    CHECK_EQ_U(st->evictions, ev + 2);
    CHECK_EQ_U(st->misses, miss + 3);
    /* key3 stayed: a hit. */
    uint64_t h = st->hits;
    CHECK(!mw_trust_cache_verify(c, key3, store, r, chain[0], rest, T_2019_01_01, &a));
    mw_trust_result_free(&a);
    CHECK_EQ_U(st->hits, h + 1);

    mw_trust_cache_free(c);
    X509_STORE_free(store);
    mw_removed_roots_free(r);
}

int main(void)
{
    if (read_pem_file(WECHAT, chain, 4) != 4) {
        fprintf(stderr, "cannot read %s\n", WECHAT);
        return 1;
    }
    rest = sk_X509_new_null();
    for (size_t i = 0; i < 4; i++) {
        unsigned int len = 0;
        X509_digest(chain[i], EVP_sha256(), digests[i], &len);
        if (i)
            sk_X509_push(rest, chain[i]);
    }
    RUN(test_key);
    RUN(test_same_answers);
    sk_X509_free(rest);
    for (size_t i = 0; i < 4; i++)
        X509_free(chain[i]);
    return check_summary();
}
