/*
 * test_trust.c - trust at capture time (detect/trust.h): a real 2017 chain
 * to GeoTrust Global CA (removed from Mozilla's store in 2020) judged with
 * the shipped rules/historic-roots/, and a small PKI made here with
 * OpenSSL: a root of "today's store" cross-signed by a removed root, the
 * last shipped day as the boundary, expiry found through a removed root,
 * loading errors, and the verdict with its REMOVED_ROOT note.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "check.h"
#include "common/json.h"
#include "detect/rules.h"
#include "detect/trust.h"
#include "detect/verdict.h"
#include "testpki.h"

#define HISTORIC MW_TEST_DATA_DIR "/../../rules/historic-roots/removed-roots"
#define WECHAT MW_TEST_DATA_DIR "/trust/wechat-2017-chain.pem"

/* GeoTrust Global CA: SHA-256 of its DER as published by GeoTrust/DigiCert
 * (FF:85:6A:2D:...:A7:3A), and the moment the wechat.pcap session of the
 * nDPI corpus was captured (2017-04-14T11:00:48Z). */
#define GEOTRUST_SHA "ff856a2d251dcd88d36656f450126798cfabaade40799c722de4d2b5db36a73a"
#define GEOTRUST_SUBJECT "CN=GeoTrust Global CA,O=GeoTrust Inc.,C=US"
#define T_WECHAT 1492167648
#define T_2019_01_01 1546300800
#define T_2019_07_20 1563580800
#define T_2020_01_01 1577836800 /* the day after the test root's last_shipped */
#define T_2021_01_01 1609459200
#define T_2030_01_01 1893456000

static void sha_hex(X509 *x, char out[65])
{
    unsigned char d[32];
    unsigned int len = 0;
    out[0] = '\0';
    if (X509_digest(x, EVP_sha256(), d, &len) == 1)
        for (size_t i = 0; i < 32; i++)
            snprintf(out + 2 * i, 3, "%02x", d[i]);
}

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

/* A store holding only roots made here: the system's plays no part. */
static X509_STORE *store_of(X509 *root)
{
    X509_STORE *s = X509_STORE_new();
    if (s && root)
        X509_STORE_add_cert(s, root);
    return s;
}

/* ---- the shipped list -------------------------------------------------- */

static void test_shipped_list(void)
{
    char err[MW_RULES_ERRLEN] = "";
    mw_removed_roots *r = mw_removed_roots_new();
    CHECK(mw_removed_roots_load(r, HISTORIC ".pem", HISTORIC ".tsv", err, sizeof err));
    if (err[0])
        fprintf(stderr, "  %s\n", err);
    CHECK_EQ_U(mw_removed_roots_count(r), 183);

    /* Every PEM block, hashed here, has its line in the .tsv, read here. */
    static X509 *certs[400];
    size_t n = read_pem_file(HISTORIC ".pem", certs, 400);
    CHECK_EQ_U(n, 183);
    FILE *f = fopen(HISTORIC ".tsv", "r");
    static char tsv[200000];
    size_t len = f ? fread(tsv, 1, sizeof tsv - 1, f) : 0;
    tsv[len] = '\0';
    if (f)
        fclose(f);
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        char hex[66];
        sha_hex(certs[i], hex);
        strcat(hex, "\t");
        found += strstr(tsv, hex) != NULL;
        X509_free(certs[i]);
    }
    CHECK_EQ_U(found, 183);
    const char *line = strstr(tsv, GEOTRUST_SHA "\t");
    CHECK(line && strncmp(line + 65, "2011-12-28\t2020-11-08\t2020-12-05\t" GEOTRUST_SUBJECT,
                          33 + strlen(GEOTRUST_SUBJECT)) == 0);

    /* Latest first; GeoTrust Global CA as the .tsv says. */
    const mw_removed_root *geo = NULL;
    for (size_t i = 0; i < mw_removed_roots_count(r); i++) {
        const mw_removed_root *x = mw_removed_roots_get(r, i);
        if (i > 0)
            CHECK(mw_removed_roots_get(r, i - 1)->until >= x->until);
        if (strcmp(x->sha256, GEOTRUST_SHA) == 0)
            geo = x;
    }
    CHECK(geo != NULL);
    if (geo) {
        CHECK_EQ_S(geo->subject, GEOTRUST_SUBJECT);
        CHECK_EQ_S(geo->last_shipped, "2020-11-08");
        CHECK_EQ_S(geo->removed_in, "2020-12-05");
        CHECK_EQ_U(geo->until, 1604880000); /* 2020-11-09T00:00:00Z */
        char hex[65];
        sha_hex(geo->x509, hex);
        CHECK_EQ_S(hex, GEOTRUST_SHA);
    }
    CHECK(mw_removed_roots_get(r, 183) == NULL);
    mw_removed_roots_free(r);
}

/* ---- a real chain of 2017 ------------------------------------------------ */

static void test_real_chain(void)
{
    char err[MW_RULES_ERRLEN] = "";
    mw_removed_roots *r = mw_removed_roots_new();
    CHECK(mw_removed_roots_load(r, HISTORIC ".pem", HISTORIC ".tsv", err, sizeof err));
    /* wx.qq.com <- GeoTrust SSL CA - G3 <- GeoTrust Global CA (cross-signed
     * by Equifax) <- Equifax Secure CA, as the server sent it. */
    X509 *chain[4];
    CHECK_EQ_U(read_pem_file(WECHAT, chain, 4), 4);
    STACK_OF(X509) *rest = sk_X509_new_null();
    for (size_t i = 1; i < 4; i++)
        sk_X509_push(rest, chain[i]);
    X509_STORE *store = store_of(NULL);
    mw_trust_result tr;

    /* 2017: Equifax was gone (last shipped 2015-09-06), GeoTrust Global CA
     * still shipped: the path ends at the self-signed GeoTrust root, not
     * at the cross-certificate the server sent. */
    CHECK(mw_trust_verify(store, r, chain[0], rest, T_WECHAT, &tr));
    CHECK(tr.removed != NULL);
    if (tr.removed)
        CHECK_EQ_S(tr.removed->sha256, GEOTRUST_SHA);
    CHECK_EQ_U(sk_X509_num(tr.path), 3);
    if (sk_X509_num(tr.path) == 3) {
        char hex[65];
        sha_hex(sk_X509_value(tr.path, 2), hex);
        CHECK_EQ_S(hex, GEOTRUST_SHA);
    }
    mw_trust_result_free(&tr);

    /* Today's view: nothing to anchor at. */
    CHECK(!mw_trust_verify(store, NULL, chain[0], rest, T_WECHAT, &tr));
    CHECK(!tr.via_removed && tr.removed == NULL && tr.path == NULL);
    CHECK(tr.error == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    CHECK_EQ_U(tr.depth, 3);
    mw_trust_result_free(&tr);

    /* 2019: the leaf had expired (notAfter 2018-08-09); the removed root
     * got further than today's store, so its error is the one given. */
    CHECK(!mw_trust_verify(store, r, chain[0], rest, T_2019_01_01, &tr));
    CHECK(tr.via_removed);
    CHECK_EQ_U(tr.error, X509_V_ERR_CERT_HAS_EXPIRED);
    CHECK_EQ_U(tr.depth, 0);
    mw_trust_result_free(&tr);

    /* 2021: GeoTrust Global CA no longer shipped. */
    CHECK(!mw_trust_verify(store, r, chain[0], rest, T_2021_01_01, &tr));
    CHECK(!tr.via_removed && tr.removed == NULL);
    mw_trust_result_free(&tr);

    X509_STORE_free(store);
    sk_X509_free(rest);
    for (size_t i = 0; i < 4; i++)
        X509_free(chain[i]);
    mw_removed_roots_free(r);
}

/* ---- a PKI made here ------------------------------------------------------ */

static struct {
    EVP_PKEY *k_new, *k_old, *k_int, *k_leaf;
    X509 *new_root;  /* in today's store */
    X509 *old_root;  /* removed: last shipped 2019-12-31 */
    X509 *cross;     /* subject and key of new_root, issued by old_root */
    X509 *ca;        /* issued by new_root */
    X509 *leaf, *expired_leaf;
    X509 *other;     /* a root of another today's store */
    char pem[256], tsv[256];
} p;

static bool write_text(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fputs(text, f);
    return fclose(f) == 0;
}

static bool setup(void)
{
    p.k_new = rsa_key(65537);
    p.k_old = rsa_key(65537);
    p.k_int = rsa_key(65537);
    p.k_leaf = rsa_key(65537);
    if (!p.k_new || !p.k_old || !p.k_int || !p.k_leaf)
        return false;
    long nb = T_2019_01_01, na = T_2030_01_01;
    p.new_root = make_cert(&(spec){"C=US/O=Test/CN=Test New Root", p.k_new, NULL, NULL, nb,
                                   na, true, NULL, true});
    p.old_root = make_cert(&(spec){"C=US/O=Test/CN=Test Old Root", p.k_old, NULL, NULL, nb,
                                   na, true, NULL, true});
    p.cross = make_cert(&(spec){"C=US/O=Test/CN=Test New Root", p.k_new, p.old_root,
                                p.k_old, nb, na, true, NULL, true});
    p.ca = make_cert(&(spec){"C=US/O=Test/CN=Test Issuing CA", p.k_int, p.new_root, p.k_new,
                             nb, na, true, NULL, true});
    p.leaf = make_cert(&(spec){"CN=old.test", p.k_leaf, p.ca, p.k_int, nb, na, false,
                               "DNS:old.test", true});
    p.expired_leaf = make_cert(&(spec){"CN=old.test", p.k_leaf, p.ca, p.k_int, nb,
                                       T_2019_07_20 - 86400, false, "DNS:old.test", true});
    p.other = make_cert(&(spec){"C=US/O=Test/CN=Test Other Root", p.k_leaf, NULL, NULL, nb,
                                na, true, NULL, true});
    snprintf(p.pem, sizeof p.pem, "%s", write_pem("removed.pem", &p.old_root, 1));
    char hex[65], line[512];
    sha_hex(p.old_root, hex);
    snprintf(line, sizeof line,
             "sha256\tfirst_shipped\tlast_shipped\tremoved_in\tsubject\n"
             "%s\t2011-12-28\t2019-12-31\t2020-02-01\tCN=Test Old Root,O=Test,C=US\n",
             hex);
    return write_text("removed.tsv", line, p.tsv, sizeof p.tsv);
}

static mw_removed_roots *load_test_roots(void)
{
    char err[MW_RULES_ERRLEN] = "";
    mw_removed_roots *r = mw_removed_roots_new();
    if (!mw_removed_roots_load(r, p.pem, p.tsv, err, sizeof err))
        fprintf(stderr, "  load: %s\n", err);
    return r;
}

static bool verify3(X509_STORE *s, const mw_removed_roots *r, X509 *leaf, int64_t t,
                    mw_trust_result *tr)
{
    STACK_OF(X509) *rest = sk_X509_new_null();
    sk_X509_push(rest, p.ca);
    sk_X509_push(rest, p.cross);
    bool ok = mw_trust_verify(s, r, leaf, rest, t, tr);
    sk_X509_free(rest);
    return ok;
}

static void test_cross_signed(void)
{
    mw_removed_roots *r = load_test_roots();
    CHECK_EQ_U(mw_removed_roots_count(r), 1);
    mw_trust_result tr;

    /* Today's store holds the new root: the shortest path ends there,
     * whatever cross-certificate the server sends, and no removed root
     * is needed (no note). */
    X509_STORE *today = store_of(p.new_root);
    CHECK(verify3(today, r, p.leaf, T_2019_07_20, &tr));
    CHECK(tr.removed == NULL);
    CHECK_EQ_U(sk_X509_num(tr.path), 3);
    CHECK(sk_X509_num(tr.path) == 3 && X509_cmp(sk_X509_value(tr.path, 2), p.new_root) == 0);
    mw_trust_result_free(&tr);
    X509_STORE_free(today);

    /* A store without it: only the old root, through the cross. */
    X509_STORE *other = store_of(p.other);
    CHECK(verify3(other, r, p.leaf, T_2019_07_20, &tr));
    CHECK(tr.removed != NULL);
    if (tr.removed) {
        CHECK_EQ_S(tr.removed->subject, "CN=Test Old Root,O=Test,C=US");
        CHECK_EQ_S(tr.removed->last_shipped, "2019-12-31");
        CHECK_EQ_S(tr.removed->removed_in, "2020-02-01");
    }
    CHECK_EQ_U(sk_X509_num(tr.path), 4);
    mw_trust_result_free(&tr);

    /* The last second of the last shipped day, then the next one. */
    CHECK(verify3(other, r, p.leaf, T_2020_01_01 - 1, &tr));
    mw_trust_result_free(&tr);
    CHECK(!verify3(other, r, p.leaf, T_2020_01_01, &tr));
    CHECK(!tr.via_removed);
    CHECK_EQ_U(tr.error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    mw_trust_result_free(&tr);

    /* --trust-at now: no removed roots. */
    CHECK(!verify3(other, NULL, p.leaf, T_2019_07_20, &tr));
    mw_trust_result_free(&tr);

    /* Expired at capture time, found through the removed root. */
    CHECK(!verify3(other, r, p.expired_leaf, T_2019_07_20, &tr));
    CHECK(tr.via_removed);
    CHECK_EQ_U(tr.error, X509_V_ERR_CERT_HAS_EXPIRED);
    CHECK(tr.bad && X509_cmp(tr.bad, p.expired_leaf) == 0);
    mw_trust_result_free(&tr);

    X509_STORE_free(other);
    mw_removed_roots_free(r);
}

static void test_load_errors(void)
{
    char err[MW_RULES_ERRLEN], path[256], tsv[256];
    mw_removed_roots *r = mw_removed_roots_new();
    /* A certificate without its line. */
    CHECK(write_text("empty.tsv", "sha256\tfirst\tlast\tremoved\tsubject\n", tsv, sizeof tsv));
    CHECK(!mw_removed_roots_load(r, p.pem, tsv, err, sizeof err));
    CHECK(strstr(err, "removed.pem:1: certificate ") && strstr(err, "has no line in"));
    /* A line without its certificate. */
    char hex[65], text[512];
    sha_hex(p.old_root, hex);
    snprintf(text, sizeof text, "h\n%s\t2011-12-28\t2019-12-31\t2020-02-01\tCN=o\n"
             GEOTRUST_SHA "\t2011-12-28\t2020-11-08\t2020-12-05\tCN=x\n", hex);
    CHECK(write_text("extra.tsv", text, tsv, sizeof tsv));
    mw_removed_roots *r2 = mw_removed_roots_new();
    CHECK(!mw_removed_roots_load(r2, p.pem, tsv, err, sizeof err));
    CHECK(strstr(err, "extra.tsv:3: no certificate with this SHA-256 in") != NULL);
    mw_removed_roots_free(r2);
    /* A certificate of another file without its line. */
    snprintf(path, sizeof path, "%s", write_pem("geo-none.pem", &p.other, 1));
    CHECK(!mw_removed_roots_load(r, path, tsv, err, sizeof err));
    CHECK(strstr(err, "geo-none.pem:1: certificate ") != NULL);
    /* A bad date names its line. */
    CHECK(write_text("bad.tsv", "h\n" GEOTRUST_SHA "\t2011-12-28\t2020-13-08\t2020-12-05\tCN=x\n",
                     tsv, sizeof tsv));
    CHECK(!mw_removed_roots_load(r, p.pem, tsv, err, sizeof err));
    CHECK(strstr(err, "bad.tsv:2: expected") != NULL);
    CHECK_EQ_U(mw_removed_roots_count(r), 0);
    mw_removed_roots_free(r);
}

/* The verdict: clean with a note naming the root, or (--trust-at now)
 * UNTRUSTED_CHAIN; and the JSON members of the event. */
static void test_verdict_note(void)
{
    char err[MW_RULES_ERRLEN] = "", store[256];
    mw_rules *rules = mw_rules_new();
    snprintf(store, sizeof store, "%s", write_pem("other.pem", &p.other, 1));
    CHECK(mw_rules_set_trust_store(rules, store, err, sizeof err));
    CHECK(mw_rules_load_removed_roots(rules, p.pem, p.tsv, err, sizeof err));
    X509 *chain[3] = {p.leaf, p.ca, p.cross};
    mw_verdict_input in = {.state = MW_CHAIN_SEEN, .chain = chain, .n_chain = 3,
                           .sni = "old.test", .sni_len = 8, .time = T_2019_07_20};
    mw_verdict v;
    mw_verdict_evaluate(rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "clean");
    CHECK_EQ_U(v.n_reasons, 0);
    CHECK_EQ_U(v.n_notes, 1);
    CHECK(v.genuine);
    CHECK_EQ_S(mw_note_name(v.notes[0].code), "REMOVED_ROOT");
    CHECK(strstr(v.notes[0].detail, "CN=Test Old Root,O=Test,C=US") &&
          strstr(v.notes[0].detail, "until 2019-12-31") &&
          strstr(v.notes[0].detail, "2020-02-01"));
    mw_json j;
    mw_json_init(&j);
    mw_json_object_begin(&j);
    mw_verdict_write_json(&v, &j);
    mw_json_object_end(&j);
    const char *text = mw_json_text(&j);
    static const char want[] = "{\"verdict\":\"clean\",\"reasons\":[],\"notes\":[{\"code\":"
                               "\"REMOVED_ROOT\",\"detail\":\"trusted at capture time "
                               "through CN=Test Old Root";
    CHECK(text && strncmp(text, want, sizeof want - 1) == 0);
    mw_json_free(&j);

    /* After the last shipped day, and with today's view: untrusted. */
    in.time = T_2021_01_01;
    mw_verdict_evaluate(rules, &in, &v);
    CHECK_EQ_S(mw_verdict_name(v.kind), "untrusted");
    CHECK(mw_verdict_reason(&v, MW_REASON_UNTRUSTED_CHAIN) != NULL);
    CHECK_EQ_U(v.n_notes, 0);
    in.time = T_2019_07_20;
    mw_rules_set_trust_at(rules, MW_TRUST_AT_NOW);
    mw_verdict_evaluate(rules, &in, &v);
    CHECK(mw_verdict_reason(&v, MW_REASON_UNTRUSTED_CHAIN) != NULL);
    CHECK_EQ_U(v.n_notes, 0);
    mw_rules_set_trust_at(rules, MW_TRUST_AT_CAPTURE);

    /* The expired leaf says where it failed. */
    chain[0] = p.expired_leaf;
    mw_verdict_evaluate(rules, &in, &v);
    const mw_reason *u = mw_verdict_reason(&v, MW_REASON_UNTRUSTED_CHAIN);
    CHECK(u && strstr(u->detail, "certificate has expired") &&
          strstr(u->detail, "with the removed roots shipped then"));

    /* No verdict (run without rules): every member null. */
    mw_json_init(&j);
    mw_json_object_begin(&j);
    mw_verdict_write_json(NULL, &j);
    mw_json_object_end(&j);
    CHECK_EQ_S(mw_json_text(&j),
               "{\"verdict\":null,\"reasons\":null,\"notes\":null,\"target\":null,"
               "\"target_by\":null}");
    mw_json_free(&j);
    mw_rules_free(rules);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mw_trust_XXXXXX");
    if (!mkdtemp(tmpdir) || !setup()) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    RUN(test_shipped_list);
    RUN(test_real_chain);
    RUN(test_cross_signed);
    RUN(test_load_errors);
    RUN(test_verdict_note);

    X509 *all[] = {p.new_root, p.old_root, p.cross, p.ca, p.leaf, p.expired_leaf, p.other};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        X509_free(all[i]);
    EVP_PKEY *keys[] = {p.k_new, p.k_old, p.k_int, p.k_leaf};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        EVP_PKEY_free(keys[i]);
    const char *names[] = {"removed.pem", "removed.tsv", "empty.tsv", "extra.tsv",
                           "geo-none.pem", "bad.tsv", "other.pem"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    return check_summary();
}
