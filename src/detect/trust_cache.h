/*
 * trust_cache.h - each distinct chain validated once (issue 11).
 *
 * Popular servers send the same chain in thousands of sessions, and
 * X509_verify_cert costs more than everything else a session needs. This
 * cache keeps mw_trust_verify's result (trust.h) by a key made from the
 * chain as sent: SHA-256 over the trust mode (whether removed roots were
 * given) and the SHA-256 of each certificate's DER, in order.
 *
 * The result also depends on the capture time (validity dates are checked
 * then, and the removed roots that count are those shipped then). So each
 * entry keeps the time it was computed for and the interval around it in
 * which no date the validation could look at changes sides: the notBefore
 * and notAfter of every certificate of the chain, of the validated path
 * and of every certificate of the store or of the removed roots that path
 * building could have looked up (OpenSSL finds issuers and anchors by
 * name: their subject is an issuer or subject name of the chain, the path
 * or of these candidates), and, for those removed roots, the end of their
 * last shipped day (when they stop being anchors). A session whose time
 * falls strictly inside the same interval (or exactly on the computed time
 * when that was itself one of the dates) reuses the result; any other
 * recomputes it. This is finer than "same side of the chain's validity
 * window": it also separates times at which a different certificate of the
 * chain expired first (OpenSSL names the first one it finds). Entries
 * whose dates cannot be read, or sessions without a time, are not cached.
 *
 * Bounded: MW_TRUST_CACHE_SLOTS entries, two-way set associative by key;
 * a chain whose set is full evicts the entry used least recently
 * (counted). An entry holds
 * references to the X509s of its result (the validated path and the
 * failing certificate), nothing else.
 *
 * Not thread-safe: --threads N gives each worker its own cache (one per
 * mw_sessions), so no lock is taken on the per-session path; the store and
 * removed roots it validates against are shared read only (trust.h).
 */
#ifndef MW_TRUST_CACHE_H
#define MW_TRUST_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "detect/trust.h"

#define MW_TRUST_CACHE_SLOTS 4096u

typedef struct mw_trust_cache_stats {
    uint64_t hits;        /* results reused */
    uint64_t misses;      /* validated (and cached when cacheable) */
    uint64_t evictions;   /* entries replaced by another chain */
    uint64_t time_misses; /* of misses: the chain was cached for another interval */
    uint64_t uncacheable; /* of misses: no time or unreadable dates, not cached */
} mw_trust_cache_stats;

typedef struct mw_trust_cache mw_trust_cache;

mw_trust_cache *mw_trust_cache_new(void); /* NULL when out of memory */
void mw_trust_cache_free(mw_trust_cache *c);

const mw_trust_cache_stats *mw_trust_cache_get_stats(const mw_trust_cache *c);

/* The key of a chain as sent: n certificates' DER SHA-256 digests, in
 * order, and whether removed roots take part. */
void mw_trust_cache_key(const uint8_t (*digests)[32], size_t n, bool with_removed,
                        uint8_t key[32]);

/*
 * mw_trust_verify(store, removed, leaf, rest, time, out) through the
 * cache: the same result, in *out (references of its own, release with
 * mw_trust_result_free). key must be mw_trust_cache_key() of the chain
 * leaf and rest came from (with_removed: removed != NULL). c NULL: no
 * cache.
 */
bool mw_trust_cache_verify(mw_trust_cache *c, const uint8_t key[32], X509_STORE *store,
                           const mw_removed_roots *removed, X509 *leaf,
                           STACK_OF(X509) *rest, int64_t time, mw_trust_result *out);

#endif /* MW_TRUST_CACHE_H */
