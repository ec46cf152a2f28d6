/*
 * trust.h - whether a chain was trusted when it was captured.
 *
 * A chain is validated (OpenSSL X509_verify_cert, at the capture's time)
 * against today's trust store first. When that fails and removed roots are
 * known (rules/historic-roots/: roots Mozilla's store shipped once and has
 * removed since, with the dates it shipped them), it is validated again
 * with the removed roots still shipped at capture time as the trust
 * anchors: a 2019 chain to GeoTrust Global CA was trusted in 2019, whatever
 * today's store says.
 *
 * Path building is OpenSSL's, with X509_V_FLAG_TRUSTED_FIRST set: at each
 * step an issuer in the trust anchors is preferred to one the server sent,
 * so a cross-signed intermediate leads to the shortest trusted path (a
 * root of today's store rather than the expired or removed root that
 * cross-signed it), and alternative chains are tried when an issuer is
 * missing. The second pass also sets X509_V_FLAG_PARTIAL_CHAIN: any
 * removed root is an anchor, self-signed or not (one of them, PSCProcert,
 * is an intermediate Mozilla shipped as a root). Its anchors are only the
 * removed roots, so a chain it validates always needed one of them.
 *
 * The removed roots are read once at start; afterwards everything here is
 * read only, safe to share between threads.
 */
#ifndef MW_TRUST_H
#define MW_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* --trust-at: which roots count. Validity dates are always checked at
 * capture time (a chain of 2019 is never judged by today's clock). */
typedef enum mw_trust_at {
    MW_TRUST_AT_CAPTURE, /* today's store, and the removed roots shipped then */
    MW_TRUST_AT_NOW,     /* today's store only */
} mw_trust_at;

typedef struct mw_removed_root {
    X509 *x509;               /* owned */
    char *subject;            /* RFC 2253, as src/dissectors/x509.h prints names */
    char sha256[65];          /* of the DER, lowercase hex */
    char first_shipped[11];   /* YYYY-MM-DD, as in the .tsv */
    char last_shipped[11];
    char removed_in[11];
    int64_t until;            /* end of the last_shipped day (seconds): a
                                 capture before it may anchor here */
} mw_removed_root;

typedef struct mw_removed_roots mw_removed_roots;

mw_removed_roots *mw_removed_roots_new(void);
void mw_removed_roots_free(mw_removed_roots *r);

/*
 * Adds the roots of a PEM file (blocks as in rogue-roots/, text outside
 * them ignored) with their dates from a tab-separated file: a header line,
 * then "sha256 first_shipped last_shipped removed_in subject" a line.
 * Every certificate needs its line and every line its certificate; a root
 * already known (same SHA-256) is skipped. Errors as "FILE:LINE: what".
 */
bool mw_removed_roots_load(mw_removed_roots *r, const char *pem_path, const char *tsv_path,
                           char *err, size_t errlen);

size_t mw_removed_roots_count(const mw_removed_roots *r);
/* In order of last_shipped, latest first; NULL past the end. */
const mw_removed_root *mw_removed_roots_get(const mw_removed_roots *r, size_t i);

typedef struct mw_trust_result {
    bool trusted;
    /* The validated path (leaf first, anchor last, references held), or
     * NULL when not trusted. */
    STACK_OF(X509) *path;
    /* The removed root the path anchors at, or NULL (today's store). */
    const mw_removed_root *removed;
    /* Not trusted: OpenSSL's error, its depth and the certificate there
     * (a reference held, may be NULL). When the removed roots got further
     * than today's store (the chain reached one, then failed for another
     * reason, e.g. an expired leaf), their pass's error is the one given
     * and via_removed is set. */
    int error;
    int depth;
    X509 *bad;
    bool via_removed;
} mw_trust_result;

/*
 * Validates leaf with the untrusted certificates rest (may be NULL) at
 * time (seconds since the epoch; 0 or less: now) against store, then, if
 * that fails and removed is not NULL, against the removed roots shipped
 * at that time. Always fills *out; release with mw_trust_result_free.
 * Returns out->trusted; false also when out of memory (error 0 then).
 */
bool mw_trust_verify(X509_STORE *store, const mw_removed_roots *removed, X509 *leaf,
                     STACK_OF(X509) *rest, int64_t time, mw_trust_result *out);
void mw_trust_result_free(mw_trust_result *r);

/* Caches x's extensions now, so that threads sharing it only read it
 * (every certificate of the rules, the store and the removed roots). */
void mw_x509_warm(X509 *x);

#endif /* MW_TRUST_H */
