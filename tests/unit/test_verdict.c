/*
 * test_verdict.c - evidence and verdicts on certificates made here with
 * OpenSSL: a chain issued by a test root loaded as rogue, a same-name root
 * with another key, exponent-3 leaves, name mismatches, expiry at capture
 * time, an expired intermediate still served, hidden and unseen chains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "detect/baseline.h"
#include "check.h"
#include "testpki.h"
#include "detect/rules.h"
#include "detect/verdict.h"

/* Fixed instants (UTC), worked out with `date -ud @N`. */
#define T_2019_01_01 1546300800
#define T_2019_07_20 1563580800
#define T_2020_01_01 1577836800
#define T_2021_01_01 1609459200
#define T_2022_01_01 1640995200

/* The PKI of the tests, made once. */
static struct {
    EVP_PKEY *k_rogue, *k_rint, *k_rogue2, *k_pub, *k_e3, *k_leaf;
    X509 *rogue_root, *rogue_int, *forged;           /* rogue root -> int -> e=3 leaf */
    X509 *rogue2_root, *rogue2_int, *leaf2;          /* same name, other key */
    X509 *pub_root, *pub_int, *good, *stripped;      /* the trust store's */
    X509 *old_int, *old_leaf;                        /* intermediate expired 2020 */
    X509 *self, *ipleaf;
    mw_rules *rules;
} pki;

static bool setup(void)
{
    pki.k_rogue = rsa_key(65537);
    pki.k_rint = rsa_key(65537);
    pki.k_rogue2 = rsa_key(65537);
    pki.k_pub = rsa_key(65537);
    pki.k_e3 = rsa_key(3);
    pki.k_leaf = rsa_key(65537);
    if (!pki.k_rogue || !pki.k_rint || !pki.k_rogue2 || !pki.k_pub || !pki.k_e3 || !pki.k_leaf)
        return false;
    long nb = T_2019_01_01, na = T_2022_01_01;
    pki.rogue_root = make_cert(&(spec){"C=KZ/CN=Test Rogue Root", pki.k_rogue, NULL, NULL,
                                       nb, na, true, NULL, true});
    pki.rogue_int = make_cert(&(spec){"C=KZ/CN=Test Rogue Int", pki.k_rint, pki.rogue_root,
                                      pki.k_rogue, nb, na, true, NULL, false});
    /* The 2019 forgery's shape: e=3, SAN only, no key identifiers. */
    pki.forged = make_cert(&(spec){"CN=victim.test", pki.k_e3, pki.rogue_int, pki.k_rint,
                                   nb, na, false, "DNS:victim.test", false});
    pki.rogue2_root = make_cert(&(spec){"C=KZ/CN=Test Rogue Root", pki.k_rogue2, NULL, NULL,
                                        nb, na, true, NULL, true});
    pki.rogue2_int = make_cert(&(spec){"C=KZ/CN=Test Rogue Int", pki.k_rogue2,
                                       pki.rogue2_root, pki.k_rogue2, nb, na, true, NULL,
                                       true});
    pki.leaf2 = make_cert(&(spec){"CN=victim.test", pki.k_leaf, pki.rogue2_int,
                                  pki.k_rogue2, nb, na, false, "DNS:victim.test", true});
    pki.pub_root = make_cert(&(spec){"C=US/O=Test PKI/CN=Test Public Root", pki.k_pub, NULL,
                                     NULL, nb, na, true, NULL, true});
    pki.pub_int = make_cert(&(spec){"C=US/O=Test PKI/CN=Test Public CA", pki.k_pub,
                                    pki.pub_root, pki.k_pub, nb, na, true, NULL, true});
    pki.good = make_cert(&(spec){"CN=good.test", pki.k_leaf, pki.pub_int, pki.k_pub, nb,
                                 T_2020_01_01, false, "DNS:good.test,DNS:*.good.test",
                                 true});
    /* Validly issued, but stripped like a forgery (no key ids, SAN only). */
    pki.stripped = make_cert(&(spec){"CN=victim.test", pki.k_leaf, pki.pub_int, pki.k_pub,
                                     nb, na, false, "DNS:victim.test", false});
    pki.old_int = make_cert(&(spec){"C=US/O=Test PKI/CN=Test Short CA", pki.k_pub,
                                    pki.pub_root, pki.k_pub, nb, T_2020_01_01, true, NULL,
                                    true});
    pki.old_leaf = make_cert(&(spec){"CN=good.test", pki.k_leaf, pki.old_int, pki.k_pub, nb,
                                     na, false, "DNS:good.test", true});
    pki.self = make_cert(&(spec){"CN=router.local", pki.k_leaf, NULL, NULL, nb, na, false,
                                 NULL, false});
    pki.ipleaf = make_cert(&(spec){"CN=ip", pki.k_leaf, pki.pub_int, pki.k_pub, nb, na,
                                   false, "IP:192.0.2.7", true});

    char err[MW_RULES_ERRLEN];
    pki.rules = mw_rules_new();
    const char *p = write_pem("rogue.pem", &pki.rogue_root, 1);
    bool ok = mw_rules_load_roots_file(pki.rules, p, err, sizeof err);
    p = write_pem("store.pem", &pki.pub_root, 1);
    ok = ok && mw_rules_set_trust_store(pki.rules, p, err, sizeof err);
    FILE *f = fopen((snprintf(err, sizeof err, "%s/t.txt", tmpdir), err), "w");
    if (f) {
        fputs("victim.test\n.target.test\n", f);
        fclose(f);
    }
    char tpath[128];
    snprintf(tpath, sizeof tpath, "%s/t.txt", tmpdir);
    ok = ok && mw_rules_load_targets_file(pki.rules, tpath, err, sizeof err);
    if (!ok)
        fprintf(stderr, "setup: %s\n", err);
    return ok;
}

static void judge(mw_verdict *v, X509 *a, X509 *b, X509 *c, const char *sni, long when)
{
    X509 *chain[3] = {a, b, c};
    mw_verdict_input in = {
        .state = MW_CHAIN_SEEN,
        .chain = chain,
        .n_chain = c ? 3 : b ? 2 : 1,
        .sni = sni,
        .sni_len = sni ? strlen(sni) : 0,
        .time = when,
    };
    mw_verdict_evaluate(pki.rules, &in, v);
}

static bool has(const mw_verdict *v, mw_reason_code c, const char *in_detail)
{
    const mw_reason *r = mw_verdict_reason(v, c);
    if (!r)
        return false;
    if (in_detail && !strstr(r->detail, in_detail)) {
        fprintf(stderr, "  %s detail \"%s\" lacks \"%s\"\n", mw_reason_name(c), r->detail,
                in_detail);
        return false;
    }
    return true;
}

static void test_rogue_anchor(void)
{
    mw_verdict v;
    /* As interception boxes send it: leaf + intermediate, no root. */
    judge(&v, pki.forged, pki.rogue_int, NULL, "victim.test", T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    CHECK(has(&v, MW_REASON_ROGUE_ANCHOR,
              "chain[1] CN=Test Rogue Int,C=KZ is issued by rogue root rogue "
              "(CN=Test Rogue Root,C=KZ)"));
    CHECK(has(&v, MW_REASON_UNTRUSTED_CHAIN, "unable to get local issuer certificate"));
    CHECK(has(&v, MW_REASON_FORGERY_TRAITS, "RSA public exponent 3"));
    CHECK(has(&v, MW_REASON_FORGERY_TRAITS, "no subject or authority key identifier"));
    CHECK(!has(&v, MW_REASON_NAME_MISMATCH, NULL));
    CHECK(!has(&v, MW_REASON_ROGUE_NAME, NULL));
    CHECK_EQ_U(v.n_reasons, 3);
    CHECK_EQ_S(v.target, "victim.test");

    /* The root itself in the chain. */
    judge(&v, pki.forged, pki.rogue_int, pki.rogue_root, "other.test", T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    CHECK(has(&v, MW_REASON_ROGUE_ANCHOR, "chain[1] CN=Test Rogue Int,C=KZ is issued by"));
    CHECK(has(&v, MW_REASON_NAME_MISMATCH,
              "leaf CN=victim.test does not cover SNI \"other.test\""));
    CHECK(v.target == NULL);

    /* The root alone (a self-signed rogue root sent as the leaf). */
    judge(&v, pki.rogue_root, NULL, NULL, NULL, T_2019_07_20);
    CHECK(has(&v, MW_REASON_ROGUE_ANCHOR, "chain[0] CN=Test Rogue Root,C=KZ is rogue root"));
}

static void test_rogue_name_other_key(void)
{
    mw_verdict v;
    /* Same names as the rogue PKI, another key: the name is evidence, not
     * proof. This leaf has no forgery traits. */
    judge(&v, pki.leaf2, pki.rogue2_int, NULL, "plain.test", T_2019_07_20);
    CHECK(!has(&v, MW_REASON_ROGUE_ANCHOR, NULL));
    CHECK(has(&v, MW_REASON_ROGUE_NAME,
              "chain[1] is issued by \"CN=Test Rogue Root,C=KZ\", the name of rogue rogue"));
    CHECK(has(&v, MW_REASON_UNTRUSTED_CHAIN, NULL));
    CHECK(!has(&v, MW_REASON_FORGERY_TRAITS, NULL));
    CHECK(has(&v, MW_REASON_NAME_MISMATCH, NULL));
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    /* On a target name, rogue name + untrusted chain agree: intercepted. */
    judge(&v, pki.leaf2, pki.rogue2_int, NULL, "victim.test", T_2019_07_20);
    CHECK_EQ_S(v.target, "victim.test");
    CHECK_EQ_U(v.n_reasons, 2);
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
}

static void test_clean_and_mismatch(void)
{
    mw_verdict v;
    judge(&v, pki.good, pki.pub_int, NULL, "good.test", T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    CHECK_EQ_U(v.n_reasons, 0);
    judge(&v, pki.good, pki.pub_int, NULL, "www.good.test", T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    judge(&v, pki.good, pki.pub_int, NULL, NULL, T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean"); /* no SNI: nothing to compare */
    /* A wildcard covers one label only. */
    judge(&v, pki.good, pki.pub_int, NULL, "a.b.good.test", T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    CHECK_EQ_U(v.n_reasons, 1);
    CHECK(has(&v, MW_REASON_NAME_MISMATCH,
              "leaf CN=good.test does not cover SNI \"a.b.good.test\""));
    /* Hostile SNI bytes are escaped in the detail, and never match. */
    X509 *chain[2] = {pki.good, pki.pub_int};
    mw_verdict_input in = {.state = MW_CHAIN_SEEN, .chain = chain, .n_chain = 2,
                           .sni = "good.test\0x", .sni_len = 11, .time = T_2019_07_20};
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK(has(&v, MW_REASON_NAME_MISMATCH, "SNI \"good.test\\x00x\""));
    /* IP address SNI. */
    judge(&v, pki.ipleaf, pki.pub_int, NULL, "192.0.2.7", T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    judge(&v, pki.ipleaf, pki.pub_int, NULL, "192.0.2.8", T_2019_07_20);
    CHECK(has(&v, MW_REASON_NAME_MISMATCH, "192.0.2.8"));
}

static void test_expiry_at_capture_time(void)
{
    mw_verdict v;
    /* good expires 2020-01-01: clean in 2019, untrusted in 2021. */
    judge(&v, pki.good, pki.pub_int, NULL, "good.test", T_2021_01_01);
    CHECK_EQ_S(mw_verdict_name(v.kind), "untrusted");
    CHECK(has(&v, MW_REASON_UNTRUSTED_CHAIN,
              "certificate has expired (depth 0: CN=good.test, notAfter "
              "2020-01-01T00:00:00Z)"));
    /* Not yet valid before 2019. */
    judge(&v, pki.good, pki.pub_int, NULL, "good.test", T_2019_01_01 - 86400);
    CHECK(has(&v, MW_REASON_UNTRUSTED_CHAIN, "certificate is not yet valid"));
    /* An intermediate expired but still served. */
    judge(&v, pki.old_leaf, pki.old_int, NULL, "good.test", T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    judge(&v, pki.old_leaf, pki.old_int, NULL, "good.test", T_2021_01_01);
    CHECK(has(&v, MW_REASON_UNTRUSTED_CHAIN,
              "intermediate CN=Test Short CA,O=Test PKI,C=US expired "
              "2020-01-01T00:00:00Z and is still being served"));
}

static void test_forgery_traits_combination(void)
{
    mw_verdict v;
    /* Stripped but validly issued: traits alone are only suspicious... */
    judge(&v, pki.stripped, pki.pub_int, NULL, "victim.test", T_2019_07_20);
    CHECK_EQ_U(v.n_reasons, 1);
    CHECK(has(&v, MW_REASON_FORGERY_TRAITS,
              "leaf: no subject or authority key identifier; no extensions beyond"));
    CHECK(strstr(mw_verdict_reason(&v, MW_REASON_FORGERY_TRAITS)->detail, "exponent") == NULL);
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    /* ...untrusted + traits off the target list: suspicious... */
    judge(&v, pki.forged, NULL, NULL, "victim2.test", T_2019_07_20);
    CHECK(has(&v, MW_REASON_UNTRUSTED_CHAIN, NULL));
    CHECK(has(&v, MW_REASON_FORGERY_TRAITS, NULL));
    CHECK(!has(&v, MW_REASON_ROGUE_ANCHOR, NULL)); /* the leaf alone: int not sent */
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    /* ...and on a target (suffix entry ".target.test"): intercepted. */
    X509 *fk = make_cert(&(spec){"CN=a.target.test", pki.k_e3, pki.rogue2_int,
                                 pki.k_rogue2, T_2019_01_01, T_2022_01_01, false,
                                 "DNS:a.target.test", false});
    judge(&v, fk, NULL, NULL, "a.target.test", T_2019_07_20);
    CHECK_EQ_S(v.target, ".target.test");
    /* Its issuer's name is not a rogue name (only the root's is). */
    CHECK(!has(&v, MW_REASON_ROGUE_NAME, NULL));
    CHECK_EQ_U(v.n_reasons, 2);
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    X509_free(fk);
    /* A self-signed appliance certificate: untrusted, but its missing
     * extensions are not forgery traits. */
    judge(&v, pki.self, NULL, NULL, "router.local", T_2019_07_20);
    CHECK_EQ_U(v.n_reasons, 1);
    CHECK(has(&v, MW_REASON_UNTRUSTED_CHAIN, "self-signed certificate"));
    CHECK_EQ_S(mw_verdict_name(v.kind), "untrusted");
    /* Its default name does not cover the SNI: still no sign of
     * interception... */
    judge(&v, pki.self, NULL, NULL, "nas.local", T_2019_07_20);
    CHECK_EQ_U(v.n_reasons, 2);
    CHECK_EQ_S(mw_verdict_name(v.kind), "untrusted");
    /* ...but for a target, whose real chains are public, it is one. */
    judge(&v, pki.self, NULL, NULL, "victim.test", T_2019_07_20);
    CHECK_EQ_S(v.target, "victim.test");
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    /* So is another piece of evidence (TTL_ANOMALY). */
    X509 *chain[1] = {pki.self};
    mw_verdict_input in = {.state = MW_CHAIN_SEEN, .chain = chain, .n_chain = 1,
                           .sni = "router.local", .sni_len = 12, .time = T_2019_07_20,
                           .ttl_first = 60, .ttl_flight = 57};
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK(has(&v, MW_REASON_TTL_ANOMALY, NULL));
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
}

/* No SNI: the target is found in the forged leaf's names. */
static void test_target_by_certificate(void)
{
    mw_verdict v;
    /* The e=3 leaf for victim.test, its intermediate not sent: untrusted
     * + traits, and the target known from its SAN. */
    judge(&v, pki.forged, NULL, NULL, NULL, T_2019_07_20);
    CHECK_EQ_S(v.target, "victim.test");
    CHECK(v.target_by_cert);
    CHECK(!has(&v, MW_REASON_NAME_MISMATCH, NULL));
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    /* The SNI comes first, even when the leaf names a target too. */
    judge(&v, pki.forged, NULL, NULL, "victim.test", T_2019_07_20);
    CHECK(!v.target_by_cert);
    /* An IP address as SNI names no server: the leaf's names count. */
    judge(&v, pki.forged, NULL, NULL, "192.0.2.9", T_2019_07_20);
    CHECK_EQ_S(v.target, "victim.test");
    CHECK(v.target_by_cert);
    /* A name on no list: the client asked for another server; the leaf's
     * names are only NAME_MISMATCH. */
    judge(&v, pki.forged, NULL, NULL, "other.test", T_2019_07_20);
    CHECK(v.target == NULL && !v.target_by_cert);
    CHECK(has(&v, MW_REASON_NAME_MISMATCH, NULL));
    /* The CN when there is no DNS SAN; a wildcard matches a suffix entry. */
    X509 *cn = make_cert(&(spec){"CN=b.target.test", pki.k_leaf, NULL, NULL, T_2019_01_01,
                                 T_2022_01_01, false, NULL, false});
    X509 *wild = make_cert(&(spec){"CN=x", pki.k_leaf, NULL, NULL, T_2019_01_01,
                                   T_2022_01_01, false, "DNS:*.target.test", false});
    X509 *none = make_cert(&(spec){"CN=victim.test", pki.k_leaf, NULL, NULL, T_2019_01_01,
                                   T_2022_01_01, false, "DNS:elsewhere.test", false});
    judge(&v, cn, NULL, NULL, NULL, T_2019_07_20);
    CHECK_EQ_S(v.target, ".target.test");
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious"); /* untrusted on a target */
    judge(&v, wild, NULL, NULL, NULL, T_2019_07_20);
    CHECK_EQ_S(v.target, ".target.test");
    /* A DNS SAN present: the CN is not read (as X509_check_host). */
    judge(&v, none, NULL, NULL, NULL, T_2019_07_20);
    CHECK(v.target == NULL && !v.target_by_cert);
    CHECK_EQ_S(mw_verdict_name(v.kind), "untrusted");
    mw_json j;
    mw_json_init(&j);
    mw_json_object_begin(&j);
    judge(&v, wild, NULL, NULL, NULL, T_2019_07_20);
    mw_verdict_write_json(&v, &j);
    mw_json_object_end(&j);
    CHECK(strstr(mw_json_text(&j), "\"target\":\".target.test\",\"target_by\":\"certificate\"}"));
    mw_json_free(&j);
    X509_free(cn);
    X509_free(wild);
    X509_free(none);
}

static void test_hidden_and_unseen(void)
{
    mw_verdict v;
    mw_verdict_input in = {.state = MW_CHAIN_HIDDEN, .sni = "x.target.test", .sni_len = 13};
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "opaque");
    CHECK_EQ_U(v.n_reasons, 0);
    CHECK_EQ_S(v.target, ".target.test");
    /* TLS 1.3: the ServerHello 3 hops nearer than the SYN-ACK. On a
     * target a sign of interception; elsewhere reported, still opaque. */
    in.ttl_first = 52;
    in.ttl_flight = 61;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    CHECK(has(&v, MW_REASON_TTL_ANOMALY,
              "server's SYN-ACK came with TTL 52, its ServerHello with TTL 61"));
    in.sni = "plain.test";
    in.sni_len = 10;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "opaque");
    CHECK(has(&v, MW_REASON_TTL_ANOMALY, NULL));
    in.ttl_flight = 54; /* within MW_TTL_SLACK */
    in.sni = "x.target.test";
    in.sni_len = 13;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "opaque");
    CHECK_EQ_U(v.n_reasons, 0);
    in.ttl_first = in.ttl_flight = 0;
    in.state = MW_CHAIN_NOT_SEEN;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "incomplete");
    /* An unparsable leaf cannot be validated. */
    X509 *chain[1] = {NULL};
    mw_verdict_input bad = {.state = MW_CHAIN_SEEN, .chain = chain, .n_chain = 1,
                            .time = T_2019_07_20};
    mw_verdict_evaluate(pki.rules, &bad, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "untrusted");
    CHECK(has(&v, MW_REASON_UNTRUSTED_CHAIN, "could not be parsed"));
}

static void test_ttl_anomaly(void)
{
    mw_verdict v;
    X509 *chain[2] = {pki.good, pki.pub_int};
    mw_verdict_input in = {.state = MW_CHAIN_SEEN, .chain = chain, .n_chain = 2,
                           .sni = "good.test", .sni_len = 9, .time = T_2019_07_20,
                           .ttl_first = 52, .ttl_flight = 61};
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_U(v.n_reasons, 1);
    CHECK(has(&v, MW_REASON_TTL_ANOMALY,
              "server's SYN-ACK came with TTL 52, its certificate flight with TTL 61"));
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    /* Weak: with an untrusted chain on a target it still does not make
     * intercepted (a stripped-but-trusted leaf on a target: suspicious). */
    X509 *sel[1] = {pki.self};
    in.chain = sel;
    in.n_chain = 1;
    in.sni = "victim.test";
    in.sni_len = 11;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK(has(&v, MW_REASON_TTL_ANOMALY, NULL));
    CHECK(has(&v, MW_REASON_UNTRUSTED_CHAIN, NULL));
    CHECK_EQ_S(v.target, "victim.test");
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    /* Same TTL, or one side unknown (UDP, or not seen): nothing. */
    in.chain = chain;
    in.n_chain = 2;
    in.sni = "good.test";
    in.sni_len = 9;
    in.ttl_flight = 0;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    in.ttl_first = 0;
    in.ttl_flight = 61;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    in.ttl_first = 61;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    /* Two hops either way are route noise; three are not. */
    in.ttl_first = 59;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    in.ttl_first = 63;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    in.ttl_first = 58;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK(has(&v, MW_REASON_TTL_ANOMALY, "TTL 58, its certificate flight with TTL 61"));
    /* Lower order than the certificate codes in the reasons list. */
    in.ttl_first = 64;
    in.sni = "other.test";
    in.sni_len = 10;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_U(v.n_reasons, 2);
    CHECK_EQ_S(mw_reason_name(v.reasons[0].code), "NAME_MISMATCH");
    CHECK_EQ_S(mw_reason_name(v.reasons[1].code), "TTL_ANOMALY");
    CHECK(has(&v, MW_REASON_TTL_ANOMALY, "TTL 64, its certificate flight with TTL 61"));
}

static bool write_file(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fputs(text, f);
    return fclose(f) == 0;
}

static void test_interceptor_fingerprint(void)
{
    char path[256], err[MW_RULES_ERRLEN];
    mw_rules *r = mw_rules_new();
    CHECK(write_file("fp.txt",
                     "# box\n"
                     "ja3 0123456789ABCDEF0123456789abcdef  KZ box 2019  # upstream leg\n"
                     "\n"
                     "JA4 t13d1516h2_8daaf6152771_e5627efa2ab1 other box\n"
                     "ja3s 15AF977CE25DE452B96AFFA2ADDB1036 box's own stack\n",
                     path, sizeof path));
    CHECK(mw_rules_load_fingerprints_file(r, path, err, sizeof err));
    CHECK_EQ_U(mw_rules_n_fingerprints(r), 3);
    CHECK_EQ_S(mw_rules_match_fingerprint(r, "ja3s", "15af977ce25de452b96affa2addb1036"),
               "box's own stack");
    /* Kinds do not mix: a JA3S is no JA3. */
    CHECK(mw_rules_match_fingerprint(r, "ja3", "15af977ce25de452b96affa2addb1036") == NULL);
    CHECK_EQ_S(mw_rules_match_fingerprint(r, "ja3", "0123456789abcdef0123456789ABCDEF"),
               "KZ box 2019");
    CHECK_EQ_S(mw_rules_match_fingerprint(r, "ja4", "t13d1516h2_8daaf6152771_e5627efa2ab1"),
               "other box");
    CHECK(mw_rules_match_fingerprint(r, "ja4", "0123456789abcdef0123456789abcdef") == NULL);
    CHECK(mw_rules_match_fingerprint(r, "ja3", NULL) == NULL);
    CHECK(mw_rules_match_fingerprint(r, "ja3", "") == NULL);
    CHECK(mw_rules_load_targets_file(r, (snprintf(err, sizeof err, "%s/t.txt", tmpdir), err),
                                     err, sizeof err));
    CHECK(mw_rules_set_trust_store(r, (snprintf(path, sizeof path, "%s/store.pem", tmpdir),
                                       path), err, sizeof err));

    /* The genuine, trusted chain (server-side vantage) on a target: the
     * fingerprint alone makes it intercepted. */
    mw_verdict v;
    X509 *chain[2] = {pki.stripped, pki.pub_int};
    mw_verdict_input in = {.state = MW_CHAIN_SEEN, .chain = chain, .n_chain = 2,
                           .sni = "victim.test", .sni_len = 11, .time = T_2019_07_20,
                           .ja3 = "0123456789abcdef0123456789abcdef",
                           .ja4 = "t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb"};
    mw_verdict_evaluate(r, &in, &v);
    CHECK(has(&v, MW_REASON_INTERCEPTOR_FINGERPRINT,
              "ClientHello JA3 0123456789abcdef0123456789abcdef is that of KZ box 2019"));
    CHECK(!has(&v, MW_REASON_UNTRUSTED_CHAIN, NULL));
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    /* Off the target list: only suspicious (a box also relays names it
     * does not intercept, and a list entry may collide with a client). */
    chain[0] = pki.good;
    in.sni = "good.test";
    in.sni_len = 9;
    mw_verdict_evaluate(r, &in, &v);
    CHECK_EQ_U(v.n_reasons, 1);
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    /* JA4 matches when JA3 does not. */
    in.ja3 = "ffffffffffffffffffffffffffffffff";
    in.ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
    mw_verdict_evaluate(r, &in, &v);
    CHECK(has(&v, MW_REASON_INTERCEPTOR_FINGERPRINT, "JA4 t13d1516h2_8daaf6152771_e5627efa2ab1 "
                                                     "is that of other box"));
    /* Neither: clean. */
    in.ja4 = NULL;
    mw_verdict_evaluate(r, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    /* TLS 1.3, chain hidden: the box's hello toward a target is still its
     * upstream leg; off the list the session stays opaque. */
    in.state = MW_CHAIN_HIDDEN;
    in.n_chain = 0;
    in.ja3 = "0123456789abcdef0123456789abcdef";
    in.sni = "victim.test";
    in.sni_len = 11;
    mw_verdict_evaluate(r, &in, &v);
    CHECK(has(&v, MW_REASON_INTERCEPTOR_FINGERPRINT, NULL));
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    in.sni = "good.test";
    in.sni_len = 9;
    mw_verdict_evaluate(r, &in, &v);
    CHECK(has(&v, MW_REASON_INTERCEPTOR_FINGERPRINT, NULL));
    CHECK_EQ_S(mw_verdict_name(v.kind), "opaque");
    /* The box's ServerHello (client side, TLS 1.3) on a target. */
    in.ja3 = "ffffffffffffffffffffffffffffffff";
    in.ja3s = "15af977ce25de452b96affa2addb1036";
    in.sni = "victim.test";
    in.sni_len = 11;
    mw_verdict_evaluate(r, &in, &v);
    CHECK(has(&v, MW_REASON_INTERCEPTOR_FINGERPRINT,
              "ServerHello JA3S 15af977ce25de452b96affa2addb1036 is that of box's own stack"));
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    mw_rules_free(r);

    /* Errors name the file and line. */
    const char *bad[][2] = {
        {"ja3 0123\n", ":1: expected \"ja3 FINGERPRINT LABEL\""},
        {"# x\nja5 0123456789abcdef0123456789abcdef box\n", ":2: expected \"ja3\", \"ja4\" or"},
        {"ja3s 0123456789abcdef box\n", ":1: not a ja3s fingerprint"},
        {"ja3 0123456789abcdef0123456789abcdeg box\n", ":1: not a ja3 fingerprint"},
        {"ja3 0123456789abcdef0123456789abcde box\n", ":1: not a ja3 fingerprint"},
        {"ja4 t13d1516h2_8daaf6152771 box\n", ":1: not a ja4 fingerprint"},
        {"ja4 t13d1516h2__8daaf6152771_e5 box\n", ":1: not a ja4 fingerprint"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = mw_rules_new();
        CHECK(write_file("bad.txt", bad[i][0], path, sizeof path));
        err[0] = '\0';
        CHECK(!mw_rules_load_fingerprints_file(r, path, err, sizeof err));
        CHECK(strncmp(err, path, strlen(path)) == 0);
        if (!strstr(err, bad[i][1]))
            fprintf(stderr, "  case %zu: \"%s\"\n", i, err);
        CHECK(strstr(err, bad[i][1]) != NULL);
        mw_rules_free(r);
    }
}


/* ---- evidence from pins and history ---------------------------------- */

static X509 *with_serial_and_times(X509 *x, const char *serial_hex, long nb, long na,
                                   EVP_PKEY *signer)
{
    BIGNUM *bn = NULL;
    BN_hex2bn(&bn, serial_hex);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
    X509_sign(x, signer, EVP_sha256());
    return x;
}

static void test_pin_mismatch(void)
{
    /* Pins of the public root's key for .target.test (it is in the
     * validated path, not on the wire) and of nothing for victim.test. */
    unsigned char d[32];
    unsigned int len = 0;
    char hexpin[65], line[256], path[256];
    X509_pubkey_digest(pki.pub_root, EVP_sha256(), d, &len);
    for (size_t i = 0; i < 32; i++)
        snprintf(hexpin + 2 * i, 3, "%02x", d[i]);
    /* victim.test is pinned to the e=3 key, which no chain below holds. */
    unsigned char d3[32], b64[64];
    X509_pubkey_digest(pki.forged, EVP_sha256(), d3, &len);
    EVP_EncodeBlock(b64, d3, 32);
    snprintf(path, sizeof path, "%s/pins.txt", tmpdir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    snprintf(line, sizeof line, "# test pins\n.target.test %s\nvictim.test sha256/%s\n"
             "victim.test %064d\n", hexpin, b64, 0);
    fputs(line, f);
    fclose(f);
    char err[MW_RULES_ERRLEN];
    CHECK(mw_rules_load_pins_file(pki.rules, path, err, sizeof err));
    CHECK_EQ_U(mw_rules_n_pins(pki.rules), 3);
    mw_pin_set ps;
    CHECK_EQ_S(mw_rules_match_pins(pki.rules, "a.b.TARGET.test", 15, &ps), ".target.test");
    CHECK_EQ_U(ps.n, 1);
    CHECK_MEM(ps.spki_sha256[0], d, 32);
    CHECK_EQ_S(mw_rules_match_pins(pki.rules, "victim.test", 11, &ps), "victim.test");
    CHECK_EQ_U(ps.n, 2);
    CHECK(mw_rules_match_pins(pki.rules, "other.test", 10, &ps) == NULL);

    mw_verdict v;
    /* good.test leaf re-issued for x.target.test by the public CA: the
     * pinned root is in its validated path, so no mismatch. */
    X509 *tleaf = make_cert(&(spec){"CN=x.target.test", pki.k_leaf, pki.pub_int, pki.k_pub,
                                    T_2019_01_01, T_2022_01_01, false, "DNS:x.target.test",
                                    true});
    judge(&v, tleaf, pki.pub_int, NULL, "x.target.test", T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    CHECK(v.genuine);
    /* victim.test with a validly issued chain whose keys are not pinned:
     * PIN_MISMATCH is strong on its own (a trusted CA mis-issued). */
    judge(&v, pki.stripped, pki.pub_int, NULL, "victim.test", T_2019_07_20);
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    CHECK(has(&v, MW_REASON_PIN_MISMATCH, "has a key pinned for victim.test (2 pins)"));
    CHECK(!v.genuine);
    X509_free(tleaf);
    /* Bad lines name file and line. */
    f = fopen(path, "w");
    if (f) {
        fputs("ok.test 0000000000000000000000000000000000000000000000000000000000000000\n"
              "bad.test sha256/short=\n",
              f);
        fclose(f);
    }
    mw_rules *r2 = mw_rules_new();
    CHECK(!mw_rules_load_pins_file(r2, path, err, sizeof err));
    CHECK(strstr(err, "pins.txt:2: not a pin") != NULL);
    mw_rules_free(r2);
}

static void judge_h(mw_verdict *v, X509 *a, X509 *b, const char *sni, long when,
                    const mw_history *h, uint16_t version, bool offered13)
{
    X509 *chain[2] = {a, b};
    mw_verdict_input in = {
        .state = MW_CHAIN_SEEN,
        .chain = chain,
        .n_chain = b ? 2 : 1,
        .sni = sni,
        .sni_len = strlen(sni),
        .time = when,
        .history = h,
        .version = version,
        .offered_tls13 = offered13,
    };
    mw_verdict_evaluate(pki.rules, &in, v);
}

/* The genuine leaf of shop.test and a 2019-style copy: same names, e=3
 * key, a corporate-looking untrusted issuer, validity 6 hours earlier, the
 * serial's last 4 bytes changed, key identifiers gone; and a history that
 * knows the genuine one. */
typedef struct clone_case {
    EVP_PKEY *kc;
    X509 *corp, *genuine, *copy;
    mw_history h;
} clone_case;

static void clone_case_make(clone_case *c)
{
    c->kc = rsa_key(65537);
    c->corp = make_cert(&(spec){"CN=Unknown Inspection CA", c->kc, NULL, NULL, T_2019_01_01,
                                T_2022_01_01, true, NULL, true});
    c->genuine = make_cert(&(spec){"CN=shop.test", pki.k_leaf, pki.pub_int, pki.k_pub, 0, 0,
                                   false, "DNS:shop.test,DNS:www.shop.test", true});
    with_serial_and_times(c->genuine, "0A1B2C3D4E5F60718293A4B5C6D7E8F9", T_2019_01_01,
                          T_2020_01_01, pki.k_pub);
    c->copy = make_cert(&(spec){"CN=shop.test", pki.k_e3, c->corp, c->kc, 0, 0, false,
                                "DNS:www.shop.test,DNS:shop.test", false});
    with_serial_and_times(c->copy, "0A1B2C3D4E5F60718293A4B5DEADBEEF",
                          T_2019_01_01 - 6 * 3600, T_2020_01_01 - 6 * 3600, c->kc);
    memset(&c->h, 0, sizeof c->h);
    c->h.twin = c->genuine;
    snprintf(c->h.twin_name, sizeof c->h.twin_name, "shop.test");
    snprintf(c->h.twin_server, sizeof c->h.twin_server, "192.0.2.9:443");
    c->h.twin_first = T_2019_01_01 + 86400;
}

static void clone_case_free(clone_case *c)
{
    X509_free(c->copy);
    X509_free(c->genuine);
    X509_free(c->corp);
    EVP_PKEY_free(c->kc);
}

static void test_cloned_cert(void)
{
    clone_case cc;
    clone_case_make(&cc);
    X509 *corp = cc.corp, *copy = cc.copy;
    mw_history h = cc.h;
    mw_verdict v;
    judge_h(&v, copy, corp, "shop.test", T_2019_07_20, &h, 0x0303, false);
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    CHECK(has(&v, MW_REASON_CLONED_CERT, "seen for \"shop.test\" at 192.0.2.9:443 since "
                                         "2019-01-02T00:00:00Z"));
    CHECK(has(&v, MW_REASON_CLONED_CERT, "validity shifted 6 hours earlier than the genuine"));
    CHECK(has(&v, MW_REASON_CLONED_CERT, "serial shares all but its last 4 of 16 bytes"));
    CHECK(has(&v, MW_REASON_CLONED_CERT,
              "extensions dropped: subjectKeyIdentifier, authorityKeyIdentifier"));
    CHECK(v.clone_of.found);
    CHECK_EQ_S(v.clone_of.serial, "0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    CHECK_EQ_S(v.clone_of.issuer, "CN=Test Public CA,O=Test PKI,C=US");
    CHECK(v.clone_of.not_before == T_2019_01_01);
    CHECK(v.n_traits >= 4);
    CHECK(!v.genuine);
    /* Reasons stay in code order: CLONED_CERT before UNTRUSTED_CHAIN. */
    CHECK(v.reasons[0].code == MW_REASON_CLONED_CERT);
    CHECK(v.reasons[1].code == MW_REASON_UNTRUSTED_CHAIN);

    /* A legitimate re-issue by another trusted CA: new key, new issuer,
     * its own serial and validity. It validates and shows no copied
     * trait, so it is no clone. */
    X509 *reissue = make_cert(&(spec){"CN=shop.test", pki.k_e3, pki.old_int, pki.k_pub, 0, 0,
                                      false, "DNS:shop.test,DNS:www.shop.test", true});
    with_serial_and_times(reissue, "77", T_2019_01_01 + 1234, T_2020_01_01 + 4321,
                          pki.k_pub);
    judge_h(&v, reissue, pki.old_int, "shop.test", T_2019_07_20, &h, 0x0303, false);
    CHECK(!has(&v, MW_REASON_CLONED_CERT, NULL));
    /* No history: nothing to compare. */
    judge_h(&v, copy, corp, "shop.test", T_2019_07_20, NULL, 0x0303, false);
    CHECK(!has(&v, MW_REASON_CLONED_CERT, NULL));
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    X509_free(reissue);
    clone_case_free(&cc);
}

/* The two steps judge.c takes, with the verdict copied between them and
 * the first's copy overwritten (as a held judgement is), give what
 * evaluate gives: here with history (CLONED_CERT), traits from both steps
 * and an untrusted chain, and with no chain at all. */
static void test_two_steps(void)
{
    clone_case cc;
    clone_case_make(&cc);
    X509 *corp = cc.corp, *copy = cc.copy;
    mw_history h = cc.h;
    X509 *chain[2] = {copy, corp};
    mw_verdict_input in = {
        .state = MW_CHAIN_SEEN, .chain = chain, .n_chain = 2, .sni = "shop.test",
        .sni_len = 9, .time = T_2019_07_20, .history = &h, .version = 0x0303,
    };
    mw_verdict whole, first, held, two;
    mw_verdict_evaluate(pki.rules, &in, &whole);
    CHECK_EQ_S(mw_verdict_name(whole.kind), "intercepted");
    CHECK(whole.n_traits >= 4);
    CHECK(has(&whole, MW_REASON_CLONED_CERT, NULL));
    CHECK(has(&whole, MW_REASON_UNTRUSTED_CHAIN, NULL));
    mw_verdict_begin(pki.rules, &in, &first);
    CHECK(first.pre.bad_chain && !first.pre.hidden);
    CHECK(!has(&first, MW_REASON_CLONED_CERT, NULL)); /* history: second step only */
    held = first;
    memset(&first, 0xa5, sizeof first);
    two = held;
    mw_verdict_finish(pki.rules, &in, &two);
    CHECK(two.kind == whole.kind && two.n_reasons == whole.n_reasons &&
          two.n_traits == whole.n_traits && two.genuine == whole.genuine);
    for (size_t i = 0; i < whole.n_reasons; i++) {
        CHECK(two.reasons[i].code == whole.reasons[i].code);
        CHECK_EQ_S(two.reasons[i].detail, whole.reasons[i].detail);
    }
    for (size_t i = 0; i < whole.n_traits; i++)
        CHECK_EQ_S(two.traits[i], whole.traits[i]);
    /* No chain: the first step says so, the second judges what is left. */
    mw_verdict_input none = {.state = MW_CHAIN_HIDDEN, .sni = "shop.test", .sni_len = 9};
    mw_verdict_begin(pki.rules, &none, &held);
    CHECK(held.pre.hidden);
    mw_verdict_finish(pki.rules, &none, &held);
    mw_verdict_evaluate(pki.rules, &none, &whole);
    CHECK(held.kind == whole.kind && held.kind == MW_VERDICT_OPAQUE);
    clone_case_free(&cc);
}

static void test_chain_changed_and_downgrade(void)
{
    mw_history h;
    memset(&h, 0, sizeof h);
    h.n_issuers = 1;
    snprintf(h.issuers[0].issuer, sizeof h.issuers[0].issuer, "CN=Old CA,C=US");
    h.issuers[0].sessions = 12;
    h.issuers[0].last = T_2019_07_20 - 86400;
    mw_verdict v;
    /* Self-signed on a target name where a genuine chain was seen before:
     * untrusted + changed + target agree. */
    EVP_PKEY *k = rsa_key(65537);
    X509 *self = make_cert(&(spec){"CN=victim.test", k, NULL, NULL, T_2019_01_01,
                                   T_2022_01_01, false, "DNS:victim.test", true});
    judge_h(&v, self, NULL, "victim.test", T_2019_07_20, &h, 0x0303, false);
    CHECK(has(&v, MW_REASON_CHAIN_CHANGED, "issued by CN=Old CA,C=US (12 sessions, last "
                                           "2019-07-19T00:00:00Z); now issued by "
                                           "CN=victim.test"));
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted");
    /* The same off the target lists: only suspicious. */
    X509 *self2 = make_cert(&(spec){"CN=plain.test", k, NULL, NULL, T_2019_01_01,
                                    T_2022_01_01, false, "DNS:plain.test", true});
    judge_h(&v, self2, NULL, "plain.test", T_2019_07_20, &h, 0x0303, false);
    CHECK(has(&v, MW_REASON_CHAIN_CHANGED, NULL));
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
    /* A known issuer listed first: no change. */
    snprintf(h.issuers[0].issuer, sizeof h.issuers[0].issuer, "CN=victim.test");
    judge_h(&v, self, NULL, "victim.test", T_2019_07_20, &h, 0x0303, false);
    CHECK(!has(&v, MW_REASON_CHAIN_CHANGED, NULL));

    /* VERSION_DOWNGRADE: offered 1.3, got 1.2, for a target, where the
     * server gave 1.3 to another name. */
    memset(&h, 0, sizeof h);
    snprintf(h.tls13_name, sizeof h.tls13_name, "other.test");
    judge_h(&v, self, NULL, "victim.test", T_2019_07_20, &h, 0x0303, true);
    CHECK(has(&v, MW_REASON_VERSION_DOWNGRADE,
              "offered TLS 1.3 and got 0x0303 for target \"victim.test\"; this server "
              "negotiated TLS 1.3 for \"other.test\""));
    CHECK_EQ_S(mw_verdict_name(v.kind), "intercepted"); /* + UNTRUSTED_CHAIN + target */
    judge_h(&v, self, NULL, "victim.test", T_2019_07_20, &h, 0x0303, false);
    CHECK(!has(&v, MW_REASON_VERSION_DOWNGRADE, NULL)); /* 1.3 not offered */
    judge_h(&v, self2, NULL, "plain.test", T_2019_07_20, &h, 0x0303, true);
    CHECK(!has(&v, MW_REASON_VERSION_DOWNGRADE, NULL)); /* not a target */
    /* Downgrade on a chain that validates: reported, not intercepted. */
    judge_h(&v, pki.stripped, pki.pub_int, "victim.test", T_2019_07_20, &h, 0x0303, true);
    CHECK(has(&v, MW_REASON_VERSION_DOWNGRADE, NULL));
    CHECK(!has(&v, MW_REASON_UNTRUSTED_CHAIN, NULL));
    X509_free(self);
    X509_free(self2);
    EVP_PKEY_free(k);
}

/* SERVER_FINGERPRINT_CHANGED: on record, this server answered the JA3
 * with another JA3S. */
static void test_server_fingerprint_changed(void)
{
    mw_history h;
    memset(&h, 0, sizeof h);
    snprintf(h.server_fps[0].ja3s, sizeof h.server_fps[0].ja3s,
             "eb1d94daa7e0344597e756a1fb6e7054");
    h.server_fps[0].sessions = 12;
    h.server_fps[0].last = T_2019_07_20 - 86400;
    h.n_server_fps = 1;
    mw_verdict v;
    mw_verdict_input in = {.state = MW_CHAIN_HIDDEN, .sni = "victim.test", .sni_len = 11,
                           .time = T_2019_07_20, .history = &h,
                           .ja3 = "0123456789abcdef0123456789abcdef",
                           .ja3s = "15af977ce25de452b96affa2addb1036"};
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK(has(&v, MW_REASON_SERVER_FINGERPRINT_CHANGED,
              "this server answered ClientHello JA3 0123456789abcdef0123456789abcdef with "
              "JA3S eb1d94daa7e0344597e756a1fb6e7054 (12 sessions, last "
              "2019-07-19T00:00:00Z); now with 15af977ce25de452b96affa2addb1036"));
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious"); /* TLS 1.3 on a target */
    /* Off the target lists it is not judged at all. */
    in.sni = "plain.test";
    in.sni_len = 10;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_U(v.n_reasons, 0);
    CHECK_EQ_S(mw_verdict_name(v.kind), "opaque");
    /* The same JA3S as on record (listed first when known): nothing. */
    in.sni = "victim.test";
    in.sni_len = 11;
    in.ja3s = "eb1d94daa7e0344597e756a1fb6e7054";
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_U(v.n_reasons, 0);
    /* Without a ClientHello fingerprint there is nothing to compare. */
    in.ja3s = "15af977ce25de452b96affa2addb1036";
    in.ja3 = NULL;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK_EQ_U(v.n_reasons, 0);
    /* With a chain: one weak signal; with an untrusted chain on a target
     * it is already intercepted, on a trusted one suspicious. */
    X509 *chain[2] = {pki.stripped, pki.pub_int};
    in.ja3 = "0123456789abcdef0123456789abcdef";
    in.state = MW_CHAIN_SEEN;
    in.chain = chain;
    in.n_chain = 2;
    mw_verdict_evaluate(pki.rules, &in, &v);
    CHECK(has(&v, MW_REASON_SERVER_FINGERPRINT_CHANGED, NULL));
    CHECK(!has(&v, MW_REASON_UNTRUSTED_CHAIN, NULL));
    CHECK_EQ_S(mw_verdict_name(v.kind), "suspicious");
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mw_verdict_XXXXXX");
    if (!mkdtemp(tmpdir) || !setup()) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    RUN(test_server_fingerprint_changed);
    RUN(test_rogue_anchor);
    RUN(test_rogue_name_other_key);
    RUN(test_clean_and_mismatch);
    RUN(test_expiry_at_capture_time);
    RUN(test_forgery_traits_combination);
    RUN(test_hidden_and_unseen);
    RUN(test_target_by_certificate);
    RUN(test_ttl_anomaly);
    RUN(test_interceptor_fingerprint);
    RUN(test_cloned_cert);
    RUN(test_two_steps);
    RUN(test_chain_changed_and_downgrade);
    RUN(test_pin_mismatch);

    mw_rules_free(pki.rules);
    X509 *all[] = {pki.rogue_root, pki.rogue_int, pki.forged, pki.rogue2_root,
                   pki.rogue2_int, pki.leaf2, pki.pub_root, pki.pub_int, pki.good,
                   pki.stripped, pki.old_int, pki.old_leaf, pki.self, pki.ipleaf};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        X509_free(all[i]);
    EVP_PKEY *keys[] = {pki.k_rogue, pki.k_rint, pki.k_rogue2, pki.k_pub, pki.k_e3, pki.k_leaf};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        EVP_PKEY_free(keys[i]);
    const char *names[] = {"rogue.pem", "store.pem", "t.txt", "fp.txt", "bad.txt", "pins.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return check_summary();
}
