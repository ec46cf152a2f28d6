/*
 * x509.h - the facts mitmwatch needs from one X.509 certificate.
 *
 * The TLS dissector hands over one certificate's DER bytes (as sent in a
 * Certificate message, hostile); mw_x509_parse() fills an mw_x509_facts with
 * plain values the rules and the output layer use without touching OpenSSL.
 * Parsing is OpenSSL's d2i_X509; nothing here indexes the DER itself.
 *
 * Formats (fixed, so facts compare across certificates and runs):
 *
 *   sha256, spki_sha256, subject_key_id, authority_key_id
 *       lowercase hex, no separators.
 *   subject, issuer
 *       RFC 2253/4514 string: X509_NAME_print_ex(bio, name, 0, flags) with
 *       flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB, i.e. most specific
 *       RDN first, "," between RDNs, "+" inside one, short attribute names,
 *       RFC 2253 escaping of ,+"\<>; and leading '#'/space, control bytes
 *       (NUL included) as "\XX", and non-ASCII kept as UTF-8 (not escaped).
 *       Same text as `openssl x509 -noout -subject -nameopt RFC2253` for
 *       ASCII names. Examples: "CN=Qaznet Trust Network,C=KZ",
 *       "CN=Superfish\, Inc.,C=US,ST=CA,L=SF,O=Superfish\, Inc.".
 *       d2i_X509 already refuses a name OpenSSL cannot convert to UTF-8;
 *       should printing still fail, every value is printed as RFC 4514
 *       "#" + hex of its BER (ASN1_STRFLGS_DUMP_ALL) rather than lost.
 *   serial
 *       BN_bn2hex() lowercased: whole bytes, so even length ("ff0102"),
 *       except zero, which is "0"; a negative serial (invalid, but it
 *       occurs) is prefixed "-" ("-05").
 *   not_before, not_after
 *       "YYYY-MM-DDTHH:MM:SSZ" (UTC), plus the same instant as seconds since
 *       the epoch in not_before_t / not_after_t. NULL (and 0) when the time
 *       field does not hold a valid UTCTime/GeneralizedTime.
 *   san_dns
 *       dNSName entries as (bytes, length): a name may carry an embedded
 *       NUL ("evil.test\0.good.test") and must not be cut there. str is also
 *       NUL-terminated for convenience; len is the truth.
 *   san_ip
 *       iPAddress entries as text: dotted IPv4 or RFC 5952 IPv6 (inet_ntop).
 *       An entry of any other length is not kept but counted in san_dropped.
 *
 * Every other string is NUL-free text (hex, OIDs, escaped names). Bytes that
 * came from the certificate may still be any UTF-8: escaping them for JSON
 * is the output layer's job.
 *
 * Caps (bounded memory for a hostile certificate): at most MW_X509_MAX_SAN
 * DNS names and MW_X509_MAX_SAN IP addresses are kept, at most
 * MW_X509_MAX_EXT extension OIDs; the rest is counted (san_dropped,
 * ext_count stays the true count).
 */
#ifndef MW_X509_H
#define MW_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "common/cursor.h"
#include "common/json.h"

#define MW_X509_MAX_SAN 1024
#define MW_X509_MAX_EXT 64

/* Room for mw_x509_key_desc(): "RSA-PSS-16384" or "EC-" plus a curve name. */
#define MW_X509_KEY_DESC_LEN 80

typedef struct mw_x509_str {
    char *str; /* NUL-terminated copy; may contain NULs before len */
    size_t len;
} mw_x509_str;

typedef struct mw_x509_facts {
    char sha256[65]; /* SHA-256 of the DER given, always set */

    /*
     * NULL when the certificate parsed. Otherwise a short static message
     * (OpenSSL's reason, "trailing bytes after certificate", "out of
     * memory", ...) and every field below is zero/NULL/false. Not owned.
     */
    const char *parse_error;

    X509 *x509; /* owned; see mw_x509_get0() */

    long version;  /* 1, 2 or 3 (as printed, not the raw 0..2) */
    char *subject; /* see the format above */
    char *issuer;
    char *serial;

    char *not_before; /* "2016-02-02T05:41:00Z" or NULL */
    char *not_after;
    int64_t not_before_t;
    int64_t not_after_t;

    mw_x509_str *san_dns;
    size_t n_san_dns;
    char **san_ip;
    size_t n_san_ip;
    size_t n_san_other;  /* email, URI, dirName, ...: counted, not kept */
    size_t san_dropped;  /* over the cap, or an IP of a bad length */
    bool san_bad;        /* SAN present but undecodable or duplicated */

    char spki_sha256[65];        /* HPKP pin value, hex */
    uint8_t spki_sha256_raw[32]; /* the same digest, for mw_x509_spki_pin_b64 */

    /*
     * "RSA", "RSA-PSS", "EC", "Ed25519", "Ed448", "DSA", "X25519", "X448",
     * "DH", or the SPKI algorithm OID (short name or dotted) when OpenSSL
     * cannot load the key; key_bits is 0 then.
     */
    char *key_type;
    int key_bits;          /* EVP_PKEY_get_bits(): modulus/order size */
    uint64_t rsa_exponent; /* RSA only; 0 if not RSA or wider than 64 bits */
    char *ec_curve;        /* EC only: OpenSSL group name, "prime256v1" */

    /* Long name of the signature algorithm ("sha256WithRSAEncryption"),
     * or the dotted OID when OpenSSL does not know it. */
    char *sig_alg;

    bool has_basic_constraints;
    bool ca;          /* basicConstraints present with CA:TRUE */
    bool self_issued; /* subject and issuer names compare equal */
    /*
     * Self-signed: X509_check_issued(x, x) == X509_V_OK (names equal, the
     * authority key identifier, if any, matches this certificate, and
     * keyUsage, if present, allows keyCertSign) AND X509_verify() succeeds
     * with the certificate's own public key.
     */
    bool self_signed;

    char *subject_key_id;   /* NULL when absent */
    char *authority_key_id; /* keyIdentifier only; NULL when absent */

    size_t ext_count; /* all extensions, even past the cap */
    char **ext_oids;  /* short name ("basicConstraints") or dotted OID */
    size_t n_ext_oids;
} mw_x509_facts;

/*
 * Parses len bytes of DER (exactly one certificate; trailing bytes are an
 * error). f is overwritten: no need to initialise it, but call
 * mw_x509_facts_free() after every call. Returns true when the certificate
 * parsed (parse_error == NULL). Only allocates: safe from any thread.
 */
bool mw_x509_parse(mw_x509_facts *f, const uint8_t *der, size_t len);

/* The same, taking all remaining bytes of a cursor (which is not moved). */
bool mw_x509_parse_cursor(mw_x509_facts *f, const mw_cursor *c);

/* Frees what f owns and zeroes it; safe on a zeroed or freed struct. */
void mw_x509_facts_free(mw_x509_facts *f);

/* The parsed certificate (NULL after a parse error), still owned by f:
 * X509_up_ref() it to keep it past mw_x509_facts_free(). */
X509 *mw_x509_get0(const mw_x509_facts *f);

/* Base64 of spki_sha256_raw (the HPKP pin-sha256 value, 44 chars + NUL).
 * Writes "" after a parse error. */
void mw_x509_spki_pin_b64(const mw_x509_facts *f, char out[45]);

/*
 * One short key description, as the JSON "key" field:
 *   RSA, RSA-PSS, DSA, DH:  "<type>-<bits>"   ("RSA-2048")
 *   EC:                     "EC-<curve>"      ("EC-prime256v1"), or
 *                           "EC-<bits>" when the curve has no name
 *   anything else:          "<type>"          ("Ed25519")
 * "" after a parse error. Truncated to n-1 bytes (MW_X509_KEY_DESC_LEN is
 * always enough for OpenSSL's names).
 */
void mw_x509_key_desc(const mw_x509_facts *f, char *buf, size_t n);

/*
 * Writes one JSON object value for f (call mw_json_key() first when it is a
 * member). Every key is always present, null when unknown, so consumers
 * see one schema:
 *   sha256, parse_error, subject, issuer, serial, not_before, not_after,
 *   san (array: the DNS names, then the IP addresses; a name with odd bytes
 *   goes through mw_json_string_n, so a NUL is escaped, never a cut),
 *   spki_sha256, key (mw_x509_key_desc), rsa_exponent (RSA only, else
 *   null), sig_alg, ca, self_signed, subject_key_id, authority_key_id.
 * After a parse error only sha256 and parse_error are non-null.
 */
void mw_x509_write_json(const mw_x509_facts *f, mw_json *j);

#endif /* MW_X509_H */
