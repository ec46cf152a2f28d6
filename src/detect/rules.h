/*
 * rules.h - what detection knows before the first packet: rogue roots,
 * rogue issuer names, target domains, and the trust store.
 *
 * Loaded once at start (docs/rules.md describes the layout), read-only
 * afterwards. A rules directory holds:
 *   rogue-roots/ *.pem   certificates of known interception authorities
 *   rogue-names.txt      extra rogue issuer names (RFC 2253, one a line)
 *   targets/ *.txt       domains interception is known to aim at
 *   fingerprints/ *.txt  ClientHello fingerprints of interception boxes
 *   pins/ *.txt          domains and the SPKI hashes their chains must hold
 *   historic-roots/ *.pem  roots Mozilla's store removed, with a *.tsv of
 *                        the dates it shipped them (trust.h)
 * Loading errors are written to err as "FILE:LINE: what" (or "FILE: what"
 * when no line applies) and the call returns false.
 */
#ifndef MW_RULES_H
#define MW_RULES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "detect/trust.h"

#define MW_RULES_ERRLEN 512

typedef struct mw_rogue_root {
    X509 *x509;          /* owned */
    char *label;         /* file name without ".pem", "#N" appended past the first */
    char *subject;       /* RFC 2253, as src/dissectors/x509.h prints names */
    unsigned char der_sha256[32];
    unsigned char spki_sha256[32];
} mw_rogue_root;

typedef struct mw_rules mw_rules;

mw_rules *mw_rules_new(void);
void mw_rules_free(mw_rules *r);

/* Adds rogue-roots/, rogue-names.txt, fingerprints/, pins/, historic-roots/
 * and (when with_targets) targets/ of dir.
 * Missing parts are fine; a missing dir is an error. */
bool mw_rules_load_dir(mw_rules *r, const char *dir, bool with_targets, char *err,
                       size_t errlen);

/* Every certificate of a PEM file as a rogue root. */
bool mw_rules_load_roots_file(mw_rules *r, const char *path, char *err, size_t errlen);

/* Domains, one a line; "#" starts a comment; ".example.com" also matches
 * its subdomains. Adds to the list (mw_rules_clear_targets() first to
 * replace it). */
bool mw_rules_load_targets_file(mw_rules *r, const char *path, char *err, size_t errlen);
void mw_rules_clear_targets(mw_rules *r);

/* Interceptors' ClientHello fingerprints: "ja3 MD5 LABEL" or
 * "ja4 JA4 LABEL" a line, "#" comments. */
bool mw_rules_load_fingerprints_file(mw_rules *r, const char *path, char *err,
                                     size_t errlen);
/* The label of the entry of kind "ja3" or "ja4" equal to value
 * (case-insensitive), or NULL. */
const char *mw_rules_match_fingerprint(const mw_rules *r, const char *kind,
                                       const char *value);
size_t mw_rules_n_fingerprints(const mw_rules *r);

/*
 * Pins: "DOMAIN PIN" a line, "#" comments; PIN is "sha256/BASE64=" (the
 * HPKP and Chromium form) or 64 hex digits, the SHA-256 of an allowed
 * SubjectPublicKeyInfo; a domain's lines add up. ".example.com" also
 * covers its subdomains; an exact entry wins over a parent's.
 */
#define MW_MAX_PINS 64
typedef struct mw_pin_set {
    const char *domain; /* the entry matched */
    const uint8_t *spki_sha256[MW_MAX_PINS];
    size_t n;
} mw_pin_set;
bool mw_rules_load_pins_file(mw_rules *r, const char *path, char *err, size_t errlen);
/* The pin entry covering the name (filled into *out), or NULL. */
const char *mw_rules_match_pins(const mw_rules *r, const char *name, size_t len,
                                mw_pin_set *out);
size_t mw_rules_n_pins(const mw_rules *r);

/* Rogue issuer names, one RFC 2253 name a line, "#" comments. */
bool mw_rules_load_names_file(mw_rules *r, const char *path, char *err, size_t errlen);

/*
 * The trust store chains are verified against: a PEM file, a hashed
 * directory (c_rehash), or NULL for the system bundle
 * (/etc/ssl/certs/ca-certificates.crt, else OpenSSL's default paths).
 * Replaces any store set before.
 */
bool mw_rules_set_trust_store(mw_rules *r, const char *path, char *err, size_t errlen);

/* The target entry (as written, e.g. "google.com" or ".google.com") the
 * name matches, or NULL. Case-insensitive; an exact entry wins. */
const char *mw_rules_match_target(const mw_rules *r, const char *name, size_t len);

/* Read-only views for the verdict module. */
size_t mw_rules_n_roots(const mw_rules *r);
const mw_rogue_root *mw_rules_root(const mw_rules *r, size_t i);
/* Labels of the rogue roots or names list entry whose name is `name`
 * (RFC 2253), or NULL when it is not a rogue name. */
const char *mw_rules_rogue_name(const mw_rules *r, const char *name);
/* The same entry's name, owned by the rules (stable for their lifetime). */
const char *mw_rules_rogue_name_entry(const mw_rules *r, const char *name);
X509_STORE *mw_rules_trust_store(const mw_rules *r);
/* Held around a validation when the store loads certificates as it is
 * asked (a directory); NULL when it holds them all and validations may run
 * at once in several threads. */
pthread_mutex_t *mw_rules_trust_lock(const mw_rules *r);

/* Removed roots (trust.h): the certificates of pem_path with their dates
 * from tsv_path. */
bool mw_rules_load_removed_roots(mw_rules *r, const char *pem_path, const char *tsv_path,
                                 char *err, size_t errlen);
/* --trust-at (default MW_TRUST_AT_CAPTURE). */
void mw_rules_set_trust_at(mw_rules *r, mw_trust_at at);
mw_trust_at mw_rules_trust_at(const mw_rules *r);
/* The removed roots a chain may anchor at besides the trust store: NULL
 * with MW_TRUST_AT_NOW or when none were loaded. */
const mw_removed_roots *mw_rules_removed_roots(const mw_rules *r);

/* Adds the certificates of a PEM file to the trust store already set
 * (--trust-extra: e.g. a lab's own root on top of the system's). */
bool mw_rules_add_trusted(mw_rules *r, const char *path, char *err, size_t errlen);
size_t mw_rules_n_targets(const mw_rules *r);
/* The i-th target entry as written ("google.com", ".mail.ru"), in sorted
 * order, each once; NULL past the end. */
const char *mw_rules_target(const mw_rules *r, size_t i);

/* Name printed as src/dissectors/x509.h does (malloc'd, NULL on failure). */
char *mw_rules_name_text(const X509_NAME *name);

/*
 * Every CERTIFICATE block of a PEM file, each decoded on its own so an
 * error names the line its block starts on ("FILE:LINE: what"); text
 * outside the blocks is ignored. fn takes ownership of x; when it returns
 * false reading stops ("FILE:LINE: out of memory" unless the caller keeps
 * its own message). A file without a certificate is an error.
 */
typedef bool (*mw_pem_cert_fn)(void *arg, X509 *x, const char *path, unsigned line,
                               size_t nth);
bool mw_rules_read_pem_certs(const char *path, mw_pem_cert_fn fn, void *arg, char *err,
                             size_t errlen);

#endif /* MW_RULES_H */
