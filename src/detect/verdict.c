/*
 * verdict.c - see verdict.h; the reasoning is in docs/detection.md.
 */
#include "detect/verdict.h"

#include "common/crypto.h"
#include "detect/baseline.h"
#include "detect/trust_cache.h"
#include "common/json.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

const char *mw_verdict_name(mw_verdict_kind k)
{
    switch (k) {
    case MW_VERDICT_CLEAN: return "clean";
    case MW_VERDICT_SUSPICIOUS: return "suspicious";
    case MW_VERDICT_INTERCEPTED: return "intercepted";
    case MW_VERDICT_OPAQUE: return "opaque";
    case MW_VERDICT_INCOMPLETE: return "incomplete";
    case MW_VERDICT_UNTRUSTED: return "untrusted";
    }
    return "?";
}

const char *mw_reason_name(mw_reason_code c)
{
    switch (c) {
    case MW_REASON_ROGUE_ANCHOR: return "ROGUE_ANCHOR";
    case MW_REASON_ROGUE_NAME: return "ROGUE_NAME";
    case MW_REASON_PIN_MISMATCH: return "PIN_MISMATCH";
    case MW_REASON_CLONED_CERT: return "CLONED_CERT";
    case MW_REASON_CHAIN_CHANGED: return "CHAIN_CHANGED";
    case MW_REASON_VERSION_DOWNGRADE: return "VERSION_DOWNGRADE";
    case MW_REASON_UNTRUSTED_CHAIN: return "UNTRUSTED_CHAIN";
    case MW_REASON_FORGERY_TRAITS: return "FORGERY_TRAITS";
    case MW_REASON_NAME_MISMATCH: return "NAME_MISMATCH";
    case MW_REASON_TTL_ANOMALY: return "TTL_ANOMALY";
    case MW_REASON_INTERCEPTOR_FINGERPRINT: return "INTERCEPTOR_FINGERPRINT";
    case MW_REASON_SERVER_FINGERPRINT_CHANGED: return "SERVER_FINGERPRINT_CHANGED";
    case MW_REASON_INJECTION: return "INJECTION";
    case MW_REASON_COUNT: break;
    }
    return "?";
}

const char *mw_note_name(mw_note_code c)
{
    switch (c) {
    case MW_NOTE_REMOVED_ROOT: return "REMOVED_ROOT";
    case MW_NOTE_COUNT: break;
    }
    return "?";
}

void mw_verdict_write_json(const mw_verdict *v, mw_json *j)
{
    mw_json_kv_string(j, "verdict", v ? mw_verdict_name(v->kind) : NULL);
    mw_json_key(j, "reasons");
    if (v) {
        mw_json_array_begin(j);
        for (size_t i = 0; i < v->n_reasons; i++) {
            mw_json_object_begin(j);
            mw_json_kv_string(j, "code", mw_reason_name(v->reasons[i].code));
            mw_json_kv_string(j, "detail", v->reasons[i].detail);
            mw_json_object_end(j);
        }
        mw_json_array_end(j);
    } else {
        mw_json_null(j);
    }
    mw_json_key(j, "notes");
    if (v) {
        mw_json_array_begin(j);
        for (size_t i = 0; i < v->n_notes; i++) {
            mw_json_object_begin(j);
            mw_json_kv_string(j, "code", mw_note_name(v->notes[i].code));
            mw_json_kv_string(j, "detail", v->notes[i].detail);
            mw_json_object_end(j);
        }
        mw_json_array_end(j);
    } else {
        mw_json_null(j);
    }
    mw_json_kv_string(j, "target", v ? v->target : NULL);
    mw_json_kv_string(j, "target_by",
                      !v || !v->target ? NULL : v->target_by_cert ? "certificate" : "sni");
}

const mw_reason *mw_verdict_reason(const mw_verdict *v, mw_reason_code c)
{
    for (size_t i = 0; i < v->n_reasons; i++)
        if (v->reasons[i].code == c)
            return &v->reasons[i];
    return NULL;
}

static void add_reason(mw_verdict *v, mw_reason_code c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_reason(mw_verdict *v, mw_reason_code c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    /* At most one reason per code, so the array cannot overflow. */
    if (v->n_reasons < MW_REASON_COUNT) {
        mw_reason *r = &v->reasons[v->n_reasons++];
        r->code = c;
        vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    }
    va_end(ap);
}

static void add_trait(mw_verdict *v, const char *t)
{
    for (size_t i = 0; i < v->n_traits; i++)
        if (strcmp(v->traits[i], t) == 0)
            return;
    if (v->n_traits < MW_VERDICT_MAX_TRAITS)
        snprintf(v->traits[v->n_traits++], MW_TRAIT_LEN, "%s", t);
}

/* A name for details; "?" when it cannot be printed. Caller frees. */
static char *name_of(const X509_NAME *n)
{
    char *s = n ? mw_rules_name_text(n) : NULL;
    return s ? s : strdup("?");
}

/* ---- ROGUE_ANCHOR and ROGUE_NAME ------------------------------------- */

static bool rogue_anchor(const mw_rules *rules, const mw_verdict_input *in, mw_verdict *v)
{
    size_t nr = mw_rules_n_roots(rules);
    for (size_t i = 0; i < in->n_chain; i++) {
        X509 *x = in->chain[i];
        unsigned char der[32], spki[32];
        unsigned int len = 0;
        if (!x)
            continue;
        /* The caller's digest of the DER as sent is the same SHA-256. */
        if (in->chain_sha256)
            memcpy(der, in->chain_sha256[i], sizeof der);
        else if (X509_digest(x, mw_md_sha256(), der, &len) != 1)
            continue;
        if (X509_pubkey_digest(x, mw_md_sha256(), spki, &len) != 1)
            continue;
        const X509_NAME *issuer = X509_get_issuer_name(x);
        for (size_t k = 0; k < nr; k++) {
            const mw_rogue_root *root = mw_rules_root(rules, k);
            const char *how = NULL;
            if (memcmp(der, root->der_sha256, sizeof der) == 0)
                how = "is rogue root";
            else if (memcmp(spki, root->spki_sha256, sizeof spki) == 0)
                how = "carries the key of rogue root";
            else if (X509_NAME_cmp(issuer, X509_get_subject_name(root->x509)) == 0) {
                /* The name alone is shared by several ISCA roots: only the
                 * signature says which key issued it. */
                EVP_PKEY *key = X509_get0_pubkey(root->x509);
                if (key && X509_verify(x, key) == 1)
                    how = "is issued by rogue root";
                ERR_clear_error();
            }
            if (how) {
                char *subj = name_of(X509_get_subject_name(x));
                add_reason(v, MW_REASON_ROGUE_ANCHOR, "chain[%zu] %s %s %s (%s)", i,
                           subj, how, root->label, root->subject);
                v->rogue_issuer = root->subject;
                free(subj);
                return true;
            }
        }
    }
    return false;
}

static bool rogue_name(const mw_rules *rules, const mw_verdict_input *in, mw_verdict *v)
{
    /* From the top down: the anchor side of the chain is what the README's
     * "top issuer" means, and the first hit there is the one to name. */
    for (size_t i = in->n_chain; i-- > 0;) {
        if (!in->chain[i])
            continue;
        const char *kept = in->issuer_text ? in->issuer_text[i] : NULL;
        char *printed = kept ? NULL : mw_rules_name_text(X509_get_issuer_name(in->chain[i]));
        const char *iss = kept ? kept : printed;
        const char *label = iss ? mw_rules_rogue_name(rules, iss) : NULL;
        if (label)
            v->rogue_issuer = mw_rules_rogue_name_entry(rules, iss);
        if (label)
            add_reason(v, MW_REASON_ROGUE_NAME,
                       "chain[%zu] is issued by \"%s\", the name of rogue %s, but no "
                       "known rogue key verifies it",
                       i, iss, label);
        free(printed);
        if (label)
            return true;
    }
    return false;
}

/* ---- UNTRUSTED_CHAIN ----------------------------------------------- */

static void fmt_time(const ASN1_TIME *t, char *buf, size_t n)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1 ||
        strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "?");
}

static void fmt_secs(int64_t secs, char *buf, size_t n)
{
    struct tm tm;
    time_t t = (time_t)secs;
    if (!gmtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "?");
}

static void add_note(mw_verdict *v, mw_note_code c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_note(mw_verdict *v, mw_note_code c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (v->n_notes < MW_NOTE_COUNT) {
        mw_note *n = &v->notes[v->n_notes++];
        n->code = c;
        vsnprintf(n->detail, sizeof n->detail, fmt, ap);
    }
    va_end(ap);
}

/* Trust at capture time (trust.h): today's store, then the removed roots
 * shipped then. On success *verified holds the path OpenSSL built, root
 * included (pins may name a root the server does not send). */
static bool untrusted(const mw_rules *rules, const mw_verdict_input *in, mw_verdict *v,
                      STACK_OF(X509) **verified)
{
    X509_STORE *store = mw_rules_trust_store(rules);
    *verified = NULL;
    if (!store)
        return false;
    if (!in->chain[0]) {
        add_reason(v, MW_REASON_UNTRUSTED_CHAIN, "the leaf certificate could not be parsed");
        return true;
    }
    STACK_OF(X509) *rest = sk_X509_new_null();
    if (!rest)
        return false;
    for (size_t i = 1; i < in->n_chain; i++) {
        if (in->chain[i] && !sk_X509_push(rest, in->chain[i])) {
            sk_X509_free(rest);
            return false;
        }
    }
    mw_trust_result tr;
    const mw_removed_roots *removed = mw_rules_removed_roots(rules);
    bool ok;
    pthread_mutex_t *lock = mw_rules_trust_lock(rules);
    if (lock)
        pthread_mutex_lock(lock);
    if (in->trust_cache && in->chain_sha256) {
        uint8_t key[32];
        mw_trust_cache_key(in->chain_sha256, in->n_chain, removed != NULL, key);
        ok = mw_trust_cache_verify(in->trust_cache, key, store, removed, in->chain[0], rest,
                                   in->time, &tr);
    } else {
        ok = mw_trust_verify(store, removed, in->chain[0], rest, in->time, &tr);
    }
    if (lock)
        pthread_mutex_unlock(lock);
    sk_X509_free(rest);
    if (ok) {
        *verified = tr.path;
        tr.path = NULL;
        if (tr.removed)
            add_note(v, MW_NOTE_REMOVED_ROOT,
                     "trusted at capture time through %s, a root Mozilla's store shipped "
                     "until %s (removed in the release of %s); today's store lacks it",
                     tr.removed->subject, tr.removed->last_shipped, tr.removed->removed_in);
        mw_trust_result_free(&tr);
        return false;
    }
    if (tr.error == 0) { /* out of memory: no verdict on trust either way */
        mw_trust_result_free(&tr);
        return false;
    }
    int err = tr.error, depth = tr.depth;
    char *subj = name_of(tr.bad ? X509_get_subject_name(tr.bad) : NULL);
    const char *via = tr.via_removed ? ", with the removed roots shipped then" : "";
    char when[32];
    if (err == X509_V_ERR_CERT_HAS_EXPIRED && depth > 0 && tr.bad) {
        fmt_time(X509_get0_notAfter(tr.bad), when, sizeof when);
        add_reason(v, MW_REASON_UNTRUSTED_CHAIN,
                   "intermediate %s expired %s and is still being served (OpenSSL: %s%s)",
                   subj, when, X509_verify_cert_error_string(err), via);
    } else if (err == X509_V_ERR_CERT_HAS_EXPIRED && tr.bad) {
        fmt_time(X509_get0_notAfter(tr.bad), when, sizeof when);
        add_reason(v, MW_REASON_UNTRUSTED_CHAIN, "%s (depth %d: %s, notAfter %s%s)",
                   X509_verify_cert_error_string(err), depth, subj, when, via);
    } else {
        add_reason(v, MW_REASON_UNTRUSTED_CHAIN, "%s (depth %d: %s%s)",
                   X509_verify_cert_error_string(err), depth, subj, via);
    }
    free(subj);
    mw_trust_result_free(&tr);
    return true;
}

/* ---- FORGERY_TRAITS -------------------------------------------------- */

static bool rsa_exponent_3(X509 *x)
{
    EVP_PKEY *key = X509_get0_pubkey(x);
    BIGNUM *e = NULL;
    bool three = false;
    if (key && EVP_PKEY_is_a(key, "RSA") &&
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1)
        three = BN_is_word(e, 3);
    BN_free(e);
    ERR_clear_error();
    return three;
}

/* True when every extension is one a forger copies or must add. */
static bool only_basic_extensions(X509 *x)
{
    int n = X509_get_ext_count(x);
    for (int i = 0; i < n; i++) {
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, i)));
        if (nid != NID_subject_alt_name && nid != NID_basic_constraints &&
            nid != NID_key_usage && nid != NID_ext_key_usage)
            return false;
    }
    return true;
}

static bool forgery_traits(const mw_verdict_input *in, mw_verdict *v)
{
    X509 *leaf = in->chain[0];
    if (!leaf)
        return false;
    bool e3 = rsa_exponent_3(leaf);
    bool no_skid = X509_get_ext_by_NID(leaf, NID_subject_key_identifier, -1) < 0;
    bool no_akid = X509_get_ext_by_NID(leaf, NID_authority_key_identifier, -1) < 0;
    bool basic = only_basic_extensions(leaf);
    /* A self-issued leaf (appliances, test servers) lacks these for want of
     * an issuer, not because a forger stripped them. */
    bool self = X509_NAME_cmp(X509_get_subject_name(leaf), X509_get_issuer_name(leaf)) == 0;
    bool stripped = !self && no_skid && no_akid && basic;
    if (!e3 && !stripped)
        return false;
    char buf[MW_REASON_DETAIL_LEN];
    size_t o = 0;
    buf[0] = '\0';
#define ADD(s)                                                                 \
    do {                                                                       \
        int w_ = snprintf(buf + o, sizeof buf - o, "%s%s", o ? "; " : "", s);  \
        if (w_ > 0 && (size_t)w_ < sizeof buf - o)                             \
            o += (size_t)w_;                                                   \
    } while (0)
    const char *found[3] = {NULL, NULL, NULL};
    if (e3)
        found[0] = "RSA public exponent 3";
    if (no_skid && no_akid)
        found[1] = "no subject or authority key identifier";
    else if (no_akid)
        found[1] = "no authority key identifier";
    if (basic)
        found[2] = X509_get_ext_count(leaf) ? "no extensions beyond subjectAltName, "
                                              "basicConstraints, keyUsage, extKeyUsage"
                                            : "no extensions at all";
    for (size_t i = 0; i < 3; i++) {
        if (found[i]) {
            ADD(found[i]);
            add_trait(v, found[i]);
        }
    }
#undef ADD
    add_reason(v, MW_REASON_FORGERY_TRAITS, "leaf: %s", buf);
    return true;
}

/* ---- NAME_MISMATCH --------------------------------------------------- */

/* The SNI for a detail: printable ASCII kept, the rest as \xNN. */
static void sni_text(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
    }
    out[o] = '\0';
}

static bool name_mismatch(const mw_verdict_input *in, mw_verdict *v)
{
    X509 *leaf = in->chain[0];
    char name[260], shown[96];
    int rc;
    if (!leaf || !in->sni || in->sni_len == 0)
        return false;
    sni_text(in->sni, in->sni_len < 80 ? in->sni_len : 80, shown, sizeof shown);
    if (in->sni_len >= sizeof name || memchr(in->sni, '\0', in->sni_len)) {
        rc = 0; /* no certificate can cover such a name */
    } else {
        unsigned char ip[16];
        memcpy(name, in->sni, in->sni_len);
        name[in->sni_len] = '\0';
        /* Clients should not send an IP address as SNI, but some do. */
        if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
            rc = X509_check_ip_asc(leaf, name, 0);
        else
            rc = X509_check_host(leaf, name, in->sni_len, 0, NULL);
        ERR_clear_error();
    }
    if (rc == 1)
        return false;
    char *subj = name_of(X509_get_subject_name(leaf));
    add_reason(v, MW_REASON_NAME_MISMATCH, "leaf %s does not cover SNI \"%s\"", subj,
               shown);
    free(subj);
    return true;
}

/* ---- TTL_ANOMALY and INTERCEPTOR_FINGERPRINT ------------------------ */

static bool ttl_anomaly(const mw_verdict_input *in, mw_verdict *v)
{
    int d = (int)in->ttl_flight - (int)in->ttl_first;
    /* Up to MW_TTL_SLACK hops is route noise (ECMP paths of unequal
     * length, a flap): on the nDPI corpus +-1 and +-2 hop differences are
     * common on plain sessions; a box answering for the server differs by
     * its distance to it. */
    if (in->ttl_first == 0 || in->ttl_flight == 0 ||
        (d >= -MW_TTL_SLACK && d <= MW_TTL_SLACK))
        return false;
    add_reason(v, MW_REASON_TTL_ANOMALY, "server's SYN-ACK came with TTL %u, its %s with TTL %u",
               (unsigned)in->ttl_first,
               in->state == MW_CHAIN_SEEN ? "certificate flight" : "ServerHello",
               (unsigned)in->ttl_flight);
    return true;
}

static bool interceptor_fingerprint(const mw_rules *rules, const mw_verdict_input *in,
                                    mw_verdict *v)
{
    const char *label = mw_rules_match_fingerprint(rules, "ja3", in->ja3);
    const char *kind = "JA3", *value = in->ja3;
    if (!label) {
        label = mw_rules_match_fingerprint(rules, "ja4", in->ja4);
        kind = "JA4";
        value = in->ja4;
    }
    const char *hello = "ClientHello";
    if (!label) {
        /* The box's own TLS stack answering the client. */
        label = mw_rules_match_fingerprint(rules, "ja3s", in->ja3s);
        kind = "JA3S";
        value = in->ja3s;
        hello = "ServerHello";
    }
    if (!label)
        return false;
    add_reason(v, MW_REASON_INTERCEPTOR_FINGERPRINT, "%s %s %s is that of %s", hello,
               kind, value, label);
    return true;
}

/* A server answers the same ClientHello (JA3) the same way (JA3S) until
 * its software changes; a box answering for it has its own TLS stack. Only
 * on a target, against sessions of this server without evidence. */
static bool server_fingerprint_changed(const mw_verdict_input *in, mw_verdict *v)
{
    const mw_history *h = in->history;
    if (!h || !v->target || !in->ja3 || !in->ja3s || h->n_server_fps == 0 ||
        strcmp(h->server_fps[0].ja3s, in->ja3s) == 0)
        return false;
    char last[32];
    fmt_secs(h->server_fps[0].last, last, sizeof last);
    add_reason(v, MW_REASON_SERVER_FINGERPRINT_CHANGED,
               "this server answered ClientHello JA3 %s with JA3S %s (%llu sessions, last %s)%s; "
               "now with %s",
               in->ja3, h->server_fps[0].ja3s, (unsigned long long)h->server_fps[0].sessions,
               last, h->n_server_fps > 1 ? " and others" : "", in->ja3s);
    return true;
}

/* ---- PIN_MISMATCH ---------------------------------------------------- */

static bool spki_in(X509 *x, const mw_pin_set *pins)
{
    unsigned char d[32];
    unsigned int len = 0;
    if (!x || X509_pubkey_digest(x, mw_md_sha256(), d, &len) != 1)
        return false;
    for (size_t k = 0; k < pins->n; k++)
        if (memcmp(d, pins->spki_sha256[k], sizeof d) == 0)
            return true;
    return false;
}

static bool pin_mismatch(const mw_rules *rules, const mw_verdict_input *in,
                         STACK_OF(X509) *verified, mw_verdict *v)
{
    mw_pin_set pins;
    if (!in->sni || !mw_rules_match_pins(rules, in->sni, in->sni_len, &pins))
        return false;
    for (size_t i = 0; i < in->n_chain; i++)
        if (spki_in(in->chain[i], &pins))
            return false;
    for (int i = 0; verified && i < sk_X509_num(verified); i++)
        if (spki_in(sk_X509_value(verified, i), &pins))
            return false;
    ERR_clear_error();
    add_reason(v, MW_REASON_PIN_MISMATCH,
               "no certificate of the chain%s has a key pinned for %s (%zu pins)",
               verified ? " or its validated path" : "", pins.domain, pins.n);
    return true;
}

/* ---- CLONED_CERT ----------------------------------------------------- */

static bool asn1_time_secs(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *out = (int64_t)timegm(&tm);
    return true;
}

/* Serial bytes shared from the top: the 2019 box kept the genuine serial
 * and randomized its last 4 bytes. */
static size_t serial_tail_differs(X509 *a, X509 *b, size_t *len)
{
    BIGNUM *x = ASN1_INTEGER_to_BN(X509_get0_serialNumber(a), NULL);
    BIGNUM *y = ASN1_INTEGER_to_BN(X509_get0_serialNumber(b), NULL);
    unsigned char bx[64], by[64];
    size_t differs = 0;
    *len = 0;
    if (x && y && BN_num_bytes(x) == BN_num_bytes(y) && BN_num_bytes(x) <= 64) {
        size_t n = (size_t)BN_bn2bin(x, bx);
        (void)BN_bn2bin(y, by);
        size_t common = 0;
        while (common < n && bx[common] == by[common])
            common++;
        *len = n;
        differs = n - common;
    }
    BN_free(x);
    BN_free(y);
    return differs;
}

static void cloned_traits(X509 *leaf, X509 *twin, mw_verdict *v, bool *telling,
                          char *buf, size_t n)
{
    size_t o = 0;
    char t[MW_TRAIT_LEN];
    int64_t lb, la, gb, ga;
    *telling = false;
    buf[0] = '\0';
#define PUT(s)                                                                 \
    do {                                                                       \
        add_trait(v, s);                                                       \
        int w_ = snprintf(buf + o, n - o, "; %s", s);                          \
        if (w_ > 0 && (size_t)w_ < n - o)                                      \
            o += (size_t)w_;                                                   \
    } while (0)
    if (asn1_time_secs(X509_get0_notBefore(leaf), &lb) &&
        asn1_time_secs(X509_get0_notAfter(leaf), &la) &&
        asn1_time_secs(X509_get0_notBefore(twin), &gb) &&
        asn1_time_secs(X509_get0_notAfter(twin), &ga) && gb - lb == ga - la && gb != lb) {
        int64_t d = gb - lb, a = d < 0 ? -d : d;
        if (a % 3600 == 0)
            snprintf(t, sizeof t, "validity shifted %lld hours %s the genuine one's",
                     (long long)(a / 3600), d > 0 ? "earlier than" : "later than");
        else
            snprintf(t, sizeof t, "validity shifted %lld seconds %s the genuine one's",
                     (long long)a, d > 0 ? "earlier than" : "later than");
        PUT(t);
        *telling = true;
    }
    size_t slen;
    size_t differs = serial_tail_differs(leaf, twin, &slen);
    if (slen >= 8 && differs > 0 && differs <= 8 && slen - differs >= 4) {
        snprintf(t, sizeof t, "serial shares all but its last %zu of %zu bytes with the "
                 "genuine one's", differs, slen);
        PUT(t);
        *telling = true;
    }
    /* Extensions of the genuine leaf that the copy lacks. */
    char dropped[MW_TRAIT_LEN] = "extensions dropped: ";
    size_t dn = strlen(dropped), dcount = 0;
    for (int i = 0; i < X509_get_ext_count(twin); i++) {
        const ASN1_OBJECT *obj = X509_EXTENSION_get_object(X509_get_ext(twin, i));
        if (X509_get_ext_by_OBJ(leaf, obj, -1) >= 0)
            continue;
        char name[64];
        int nid = OBJ_obj2nid(obj);
        if (nid != NID_undef)
            snprintf(name, sizeof name, "%s", OBJ_nid2sn(nid));
        else
            OBJ_obj2txt(name, sizeof name, obj, 1);
        int w = snprintf(dropped + dn, sizeof dropped - dn, "%s%s", dcount ? ", " : "", name);
        if (w > 0 && (size_t)w < sizeof dropped - dn)
            dn += (size_t)w;
        dcount++;
    }
    if (dcount)
        PUT(dropped);
#undef PUT
}

static void fill_clone_of(X509 *twin, mw_clone_of *c)
{
    unsigned char d[32];
    unsigned int len = 0;
    c->found = true;
    if (X509_digest(twin, mw_md_sha256(), d, &len) == 1)
        for (size_t i = 0; i < 32; i++)
            snprintf(c->sha256 + 2 * i, 3, "%02x", d[i]);
    char *subj = name_of(X509_get_subject_name(twin));
    char *iss = name_of(X509_get_issuer_name(twin));
    snprintf(c->subject, sizeof c->subject, "%s", subj);
    snprintf(c->issuer, sizeof c->issuer, "%s", iss);
    free(subj);
    free(iss);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(twin), NULL);
    char *h = bn ? BN_bn2hex(bn) : NULL;
    if (h) {
        for (char *p = h; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        snprintf(c->serial, sizeof c->serial, "%s", h);
    }
    OPENSSL_free(h);
    BN_free(bn);
    (void)asn1_time_secs(X509_get0_notBefore(twin), &c->not_before);
    (void)asn1_time_secs(X509_get0_notAfter(twin), &c->not_after);
}

/* The baseline found a genuine leaf with the same names and another key
 * and issuer (baseline.c). A CA switch or a key rotation looks like that
 * too, but validates and shares no serial or validity with the old leaf:
 * so the copy must fail validation or carry a forger's trait. */
static bool cloned_cert(const mw_verdict_input *in, bool bad_chain, mw_verdict *v)
{
    const mw_history *h = in->history;
    X509 *leaf = in->chain[0];
    if (!h || !h->twin || !leaf)
        return false;
    char traits[3 * MW_TRAIT_LEN];
    bool telling;
    mw_verdict probe = *v; /* traits are kept only if the code fires */
    cloned_traits(leaf, h->twin, &probe, &telling, traits, sizeof traits);
    if (!bad_chain && !telling)
        return false;
    memcpy(v->traits, probe.traits, sizeof v->traits);
    v->n_traits = probe.n_traits;
    fill_clone_of(h->twin, &v->clone_of);
    char *iss = name_of(X509_get_issuer_name(leaf));
    char first[32];
    fmt_secs(h->twin_first, first, sizeof first);
    add_reason(v, MW_REASON_CLONED_CERT,
               "leaf copies the subject and SAN of genuine certificate %.16s... (issuer %s; "
               "seen for \"%s\" at %s since %s) with another key and issuer %s%s",
               v->clone_of.sha256, v->clone_of.issuer, h->twin_name, h->twin_server, first,
               iss, traits);
    free(iss);
    return true;
}

/* ---- CHAIN_CHANGED and VERSION_DOWNGRADE ----------------------------- */

static bool chain_changed(const mw_verdict_input *in, mw_verdict *v)
{
    const mw_history *h = in->history;
    if (!h || h->n_issuers == 0 || !in->chain[0])
        return false;
    char *iss = name_of(X509_get_issuer_name(in->chain[0]));
    /* The baseline lists this leaf's issuer first when it is known. */
    bool known = strcmp(h->issuers[0].issuer, iss) == 0;
    if (!known) {
        char last[32];
        fmt_secs(h->issuers[0].last, last, sizeof last);
        add_reason(v, MW_REASON_CHAIN_CHANGED,
                   "this name and server were seen with genuine chains issued by %s "
                   "(%llu sessions, last %s)%s; now issued by %s",
                   h->issuers[0].issuer, (unsigned long long)h->issuers[0].sessions, last,
                   h->n_issuers > 1 ? " and other issuers" : "", iss);
    }
    free(iss);
    return !known;
}

static bool version_downgrade(const mw_verdict_input *in, mw_verdict *v)
{
    const mw_history *h = in->history;
    if (!h || !v->target || !in->sni || !in->offered_tls13 || !in->version ||
        in->version >= 0x0304 || h->tls13_name[0] == '\0')
        return false;
    char shown[96];
    sni_text(in->sni, in->sni_len < 80 ? in->sni_len : 80, shown, sizeof shown);
    add_reason(v, MW_REASON_VERSION_DOWNGRADE,
               "the client offered TLS 1.3 and got 0x%04x for target \"%s\"; this server "
               "negotiated TLS 1.3 for \"%s\"",
               (unsigned)in->version, shown, h->tls13_name);
    return true;
}

static int cmp_reason(const void *a, const void *b)
{
    const mw_reason *x = a, *y = b;
    return (int)x->code - (int)y->code;
}

/* ---- targets known by their certificate ------------------------------ */

/* A client that sent no SNI (or a name on no list) may still have been
 * answered with a forged certificate for a target: the box names its leaf
 * after the real server. The leaf's DNS names, else its CN (as
 * X509_check_host reads them); "*.example.com" matches ".example.com"
 * entries. */
static bool sni_is_absent_or_ip(const mw_verdict_input *in)
{
    char name[64];
    unsigned char ip[16];
    if (!in->sni || in->sni_len == 0)
        return true;
    if (in->sni_len >= sizeof name || memchr(in->sni, '\0', in->sni_len))
        return false;
    memcpy(name, in->sni, in->sni_len);
    name[in->sni_len] = '\0';
    return inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;
}

static const char *leaf_target(const mw_rules *rules, X509 *leaf)
{
    const char *hit = NULL;
    GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int n_dns = 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(sans) && !hit; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (g->type != GEN_DNS)
            continue;
        n_dns++;
        const ASN1_IA5STRING *s = g->d.dNSName;
        hit = mw_rules_match_target(rules, (const char *)ASN1_STRING_get0_data(s),
                                    (size_t)ASN1_STRING_length(s));
    }
    GENERAL_NAMES_free(sans);
    if (!hit && n_dns == 0) {
        const X509_NAME *subj = X509_get_subject_name(leaf);
        int k = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
        const ASN1_STRING *cn =
            k >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, k)) : NULL;
        if (cn && ASN1_STRING_type(cn) != V_ASN1_BMPSTRING &&
            ASN1_STRING_type(cn) != V_ASN1_UNIVERSALSTRING)
            hit = mw_rules_match_target(rules, (const char *)ASN1_STRING_get0_data(cn),
                                        (size_t)ASN1_STRING_length(cn));
    }
    ERR_clear_error();
    return hit;
}

/* ---- TLS 1.3 and resumed sessions: no chain ---------------------------- */

/* What stays visible when the chain is encrypted: the ServerHello's hop
 * count against the SYN-ACK's, and the ClientHello's fingerprint. On a
 * target, a TTL step is a sign (suspicious) and a known box's hello is its
 * upstream leg (intercepted, as with a chain); elsewhere the reasons are
 * reported and the session stays opaque: with no chain there is nothing
 * else to weigh them against (docs/detection.md). */
static void judge_hidden(const mw_rules *rules, const mw_verdict_input *in, mw_verdict *v)
{
    bool ttl = ttl_anomaly(in, v);
    bool fp = interceptor_fingerprint(rules, in, v);
    bool changed = server_fingerprint_changed(in, v);
    qsort(v->reasons, v->n_reasons, sizeof(v->reasons[0]), cmp_reason);
    if (fp && v->target)
        v->kind = MW_VERDICT_INTERCEPTED;
    else if ((ttl || changed) && v->target)
        v->kind = MW_VERDICT_SUSPICIOUS;
}

/* ---- combination ----------------------------------------------------- */

/*
 * Two steps, so that a caller with threads can take the first outside the
 * turn in which sessions are judged in order (cli/parallel.c): begin needs
 * nothing but the rules and the trust store, read-only; finish reads the
 * history (in->history) and decides. The checks that run in each are
 * listed below; the reasons end in code order and at most one per code, so
 * which step found one does not change the verdict or its text.
 */
void mw_verdict_begin(const mw_rules *rules, const mw_verdict_input *in, mw_verdict *out)
{
    memset(out, 0, sizeof(*out));
    if (in->sni && in->sni_len)
        out->target = mw_rules_match_target(rules, in->sni, in->sni_len);
    if (in->state != MW_CHAIN_SEEN || in->n_chain == 0) {
        out->kind = in->state == MW_CHAIN_NOT_SEEN ? MW_VERDICT_INCOMPLETE
                                                   : MW_VERDICT_OPAQUE;
        out->pre.hidden = true;
        return;
    }
    /* Only without a name to go by: a client that named another server
     * and got a target's certificate is NAME_MISMATCH, not a target. */
    if (!out->target && in->chain[0] && sni_is_absent_or_ip(in)) {
        out->target = leaf_target(rules, in->chain[0]);
        out->target_by_cert = out->target != NULL;
    }
    STACK_OF(X509) *verified = NULL;
    out->pre.anchor = rogue_anchor(rules, in, out);
    out->pre.name = !out->pre.anchor && rogue_name(rules, in, out);
    out->pre.bad_chain = untrusted(rules, in, out, &verified);
    out->pre.pin = pin_mismatch(rules, in, verified, out);
    sk_X509_pop_free(verified, X509_free);
}

void mw_verdict_finish(const mw_rules *rules, const mw_verdict_input *in, mw_verdict *out)
{
    if (out->pre.hidden) {
        if (out->kind == MW_VERDICT_OPAQUE)
            judge_hidden(rules, in, out);
        return;
    }
    bool anchor = out->pre.anchor, name = out->pre.name, bad_chain = out->pre.bad_chain;
    bool pin = out->pre.pin;
    /* CLONED_CERT before FORGERY_TRAITS: the traits are listed in that
     * order. */
    bool clone = cloned_cert(in, bad_chain, out);
    bool traits = forgery_traits(in, out);
    (void)name_mismatch(in, out);
    bool changed = chain_changed(in, out);
    bool downgrade = version_downgrade(in, out);
    bool fp_changed = server_fingerprint_changed(in, out);
    (void)ttl_anomaly(in, out);
    bool fp = interceptor_fingerprint(rules, in, out);
    /* Reasons are listed in code order whatever order they were found in. */
    qsort(out->reasons, out->n_reasons, sizeof(out->reasons[0]), cmp_reason);
    out->genuine = !bad_chain && !anchor && !name && !pin && !clone;

    /* Strong evidence alone, or weaker signals that agree: an untrusted
     * chain with two weak signals, or one where the target list says who
     * would forge it (docs/detection.md). A known box's ClientHello toward
     * a target is its upstream leg: the chain is the genuine one, so
     * untrusted is not required. TTL_ANOMALY never upgrades: routes
     * change. */
    int weak = (int)name + (int)traits + (int)changed + (int)downgrade + (int)fp_changed;
    bool agree = bad_chain && (weak >= 2 || (weak >= 1 && out->target));
    /* An untrusted chain alone is no sign of interception: self-signed
     * appliances and applications' own PKIs look like that. It is one on a
     * target, whose real chains are public, or with any other evidence
     * but NAME_MISMATCH (default virtual hosts of the same devices). */
    size_t only = (size_t)bad_chain + (mw_verdict_reason(out, MW_REASON_NAME_MISMATCH) != NULL);
    if (anchor || pin || clone || agree || (fp && out->target))
        out->kind = MW_VERDICT_INTERCEPTED;
    else if (bad_chain && !out->target && out->n_reasons == only)
        out->kind = MW_VERDICT_UNTRUSTED;
    else if (out->n_reasons)
        out->kind = MW_VERDICT_SUSPICIOUS;
    else
        out->kind = MW_VERDICT_CLEAN;
}

void mw_verdict_evaluate(const mw_rules *rules, const mw_verdict_input *in,
                         mw_verdict *out)
{
    mw_verdict_begin(rules, in, out);
    mw_verdict_finish(rules, in, out);
}
