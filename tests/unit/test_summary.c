/*
 * test_summary.c - the summary on sessions made by hand: exact JSON members
 * (read back with jsonparse), transitions of an on/off series, caps and
 * their counts, merge(A) + merge(B) == direct(A and B) byte for byte in
 * any order, merge errors, and the text report's safety.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "check.h"
#include "common/jsonparse.h"
#include "detect/rules.h"
#include "output/summary.h"

#define SAMPLES MW_TEST_DATA_DIR "/../../samples/"
#define T0 1563613200ULL /* 2019-07-20T09:00:00Z */
#define US 1000000ULL

/* Two real leaves (any certificate will do as a forged leaf here). */
typedef struct cert {
    X509 *x;
    uint8_t *der;
    size_t len;
    uint8_t sha[32];
} cert;

static cert kz, corp;

static bool load_cert(cert *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    c->x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!c->x)
        return false;
    unsigned char *d = NULL;
    int n = i2d_X509(c->x, &d);
    if (n <= 0)
        return false;
    c->der = d;
    c->len = (size_t)n;
    unsigned int hl = 32;
    return EVP_Digest(c->der, c->len, c->sha, &hl, EVP_sha256(), NULL) == 1;
}

/* One session and everything it points to. */
typedef struct sess {
    mw_session_result r;
    mw_verdict v;
    mw_addr cip, sip;
    X509 *chain[2];
    const uint8_t *der[2];
    size_t len[2];
    uint8_t sha[2][32];
} sess;

static void mk(sess *x, uint64_t ts_us, const char *vantage, const char *sni,
               const char *server, mw_verdict_kind kind, const char *target, const cert *leaf)
{
    memset(x, 0, sizeof(*x));
    x->r.ts_us = ts_us;
    x->r.event = "tls";
    x->r.capture = "a.pcap";
    x->r.vantage = vantage;
    x->r.proto = 6;
    x->cip.family = 4;
    inet_pton(AF_INET, "10.0.0.1", x->cip.bytes);
    if (strchr(server, ':')) {
        x->sip.family = 6;
        inet_pton(AF_INET6, server, x->sip.bytes);
    } else {
        x->sip.family = 4;
        inet_pton(AF_INET, server, x->sip.bytes);
    }
    x->r.client_ip = &x->cip;
    x->r.server_ip = &x->sip;
    x->r.client_port = 50000;
    x->r.server_port = 443;
    x->r.sni = (const uint8_t *)sni;
    x->r.sni_len = sni ? strlen(sni) : 0;
    x->v.kind = kind;
    x->v.target = target;
    x->r.verdict = &x->v;
    if (leaf) {
        x->chain[0] = leaf->x;
        x->der[0] = leaf->der;
        x->len[0] = leaf->len;
        memcpy(x->sha[0], leaf->sha, 32);
        x->chain[1] = kz.x;
        x->der[1] = kz.der;
        x->len[1] = kz.len;
        memcpy(x->sha[1], kz.sha, 32);
        x->r.n_chain = 2;
        x->r.chain = x->chain;
        x->r.chain_der = x->der;
        x->r.chain_der_len = x->len;
        x->r.chain_sha256 = (const uint8_t(*)[32])x->sha;
    }
}

static void reason(sess *x, mw_reason_code c)
{
    x->v.reasons[x->v.n_reasons++].code = c;
}

static char *json_of(const mw_summary *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    CHECK(f != NULL);
    if (!f)
        return NULL;
    CHECK(mw_summary_write_json(s, f));
    fclose(f);
    return buf;
}

static char *text_of(const mw_summary *s, bool color)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    mw_summary_write_text(s, f, color);
    fclose(f);
    return buf;
}

static mw_jdoc *parse(const char *text)
{
    char err[256] = "";
    mw_jdoc *d = mw_jdoc_parse((const uint8_t *)text, strlen(text), err, sizeof err);
    if (!d)
        fprintf(stderr, "parse: %s\n", err);
    CHECK(d != NULL);
    return d;
}

static uint64_t u64_at(const mw_jv *v, const char *key)
{
    uint64_t x = UINT64_MAX;
    CHECK(mw_jv_u64(mw_jv_get(v, key), &x));
    return x;
}

static mw_rules *rules_with(const char *targets)
{
    char path[] = "/tmp/mw_summary_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    CHECK(write(fd, targets, strlen(targets)) == (ssize_t)strlen(targets));
    close(fd);
    mw_rules *r = mw_rules_new();
    char err[MW_RULES_ERRLEN];
    CHECK(r && mw_rules_load_targets_file(r, path, err, sizeof err));
    unlink(path);
    return r;
}

/* A scenario: KZ vantage intercepted for facebook.com, clean elsewhere. */
#define N_SC 8
static void scenario(sess *x)
{
    mk(&x[0], (T0 + 5) * US, "kz", "www.facebook.com", "198.18.0.7", MW_VERDICT_INTERCEPTED,
       ".facebook.com", &corp);
    reason(&x[0], MW_REASON_ROGUE_ANCHOR);
    reason(&x[0], MW_REASON_UNTRUSTED_CHAIN);
    x[0].v.rogue_issuer = "CN=Qaznet Trust Network,C=KZ";
    snprintf(x[0].v.traits[0], MW_TRAIT_LEN, "RSA public exponent 3");
    x[0].v.n_traits = 1;
    mk(&x[1], (T0 + 3600 + 7) * US, "kz", "facebook.com", "2001:db8:ffff::1",
       MW_VERDICT_INTERCEPTED, ".facebook.com", &corp);
    reason(&x[1], MW_REASON_ROGUE_ANCHOR);
    x[1].v.clone_of.found = true;
    snprintf(x[1].v.clone_of.sha256, 65, "%064d", 7);
    snprintf(x[1].v.clone_of.subject, 256, "CN=*.facebook.com");
    snprintf(x[1].v.clone_of.issuer, 256, "CN=DigiCert");
    snprintf(x[1].v.clone_of.serial, 100, "0a");
    x[1].v.clone_of.not_before = 1546300800;
    x[1].v.clone_of.not_after = 1577836800;
    mk(&x[2], (T0 + 9) * US, NULL, "www.facebook.com", "198.18.0.8", MW_VERDICT_CLEAN,
       ".facebook.com", NULL);
    mk(&x[3], (T0 + 2ULL * 3600) * US, "kz", "www.facebook.com", "198.18.0.8", MW_VERDICT_CLEAN,
       ".facebook.com", NULL);
    mk(&x[4], (T0 + 20) * US, "kz", "www.example.org", "192.0.2.1", MW_VERDICT_SUSPICIOUS,
       NULL, &kz);
    reason(&x[4], MW_REASON_UNTRUSTED_CHAIN);
    mk(&x[5], (T0 + 30) * US, "kz", "mail.ru", "192.0.2.2", MW_VERDICT_OPAQUE, "mail.ru", NULL);
    x[5].r.event = "quic";
    /* SNI with a control byte, an invalid byte and a NUL */
    static const char odd[] = "a\x1b[31m\xff\0z";
    mk(&x[6], (T0 + 40) * US, "kz", "x", "192.0.2.3", MW_VERDICT_SUSPICIOUS, NULL, &corp);
    reason(&x[6], MW_REASON_UNTRUSTED_CHAIN);
    x[6].r.sni = (const uint8_t *)odd;
    x[6].r.sni_len = sizeof odd - 1;
    mk(&x[7], (T0 + 50) * US, "kz", "x", "192.0.2.4", MW_VERDICT_CLEAN, NULL, NULL);
    x[7].r.verdict = NULL; /* run without rules */
}

static void test_members(void)
{
    mw_rules *rules = rules_with(".facebook.com\nmail.ru\nnever.kz\n");
    mw_summary_config cfg;
    mw_summary_config_defaults(&cfg);
    mw_summary *s = mw_summary_new(&cfg, rules);
    sess x[N_SC];
    scenario(x);
    mw_summary_add_input(s, "a.pcap");
    for (size_t i = 0; i < N_SC; i++)
        mw_summary_add_session(s, &x[i].r);
    char *js = json_of(s);
    mw_jdoc *d = js ? parse(js) : NULL;
    const mw_jv *root = mw_jdoc_root(d);
    CHECK(strstr(js, "{\"summary_version\":1,\"generator\":\"mitmwatch 0.1.0\","
                     "\"bucket_seconds\":3600,\"inputs\":[\"a.pcap\"],\"sources\":[],"
                     "\"baselines\":[],\"cross_run_evidence\":{\"complete\":true,"
                     "\"why\":null,\"missing\":[]},"
                     "\"first_ts\":\"2019-07-20T09:00:05.000000Z\","
                     "\"last_ts\":\"2019-07-20T11:00:00.000000Z\","
                     "\"sessions\":{\"intercepted\":2,\"suspicious\":2,\"untrusted\":0,\"clean\":2,"
                     "\"opaque\":1,\"incomplete\":0,\"total\":8}") == js);
    CHECK(strstr(js, "\"reasons\":{\"ROGUE_ANCHOR\":2,\"ROGUE_NAME\":0,") != NULL);
    CHECK(strstr(js, "\"UNTRUSTED_CHAIN\":3,") != NULL);
    const mw_jv *t = mw_jv_get(root, "targets");
    CHECK_EQ_U(mw_jv_len(t), 3);
    const mw_jv *fb = mw_jv_at(t, 0);
    CHECK_EQ_S(mw_jv_str(mw_jv_get(fb, "target"), NULL), ".facebook.com");
    CHECK_EQ_U(u64_at(mw_jv_get(fb, "sessions"), "intercepted"), 2);
    CHECK_EQ_U(u64_at(mw_jv_get(fb, "sessions"), "clean"), 2);
    CHECK(strstr(js, "\"servers\":[\"198.18.0.7\",\"198.18.0.8\",\"2001:db8:ffff::1\"],"
                     "\"servers_intercepted\":[\"198.18.0.7\",\"2001:db8:ffff::1\"],"
                     "\"first_intercepted\":\"2019-07-20T09:00:05.000000Z\","
                     "\"last_intercepted\":\"2019-07-20T10:00:07.000000Z\","
                     "\"vantages\":[\"kz\"],"
                     "\"rogue_issuers\":[\"CN=Qaznet Trust Network,C=KZ\"],"
                     /* the matrix row: null first, as in "vantages" */
                     "\"by_vantage\":[{\"vantage\":null,\"sessions\":{\"intercepted\":0,"
                     "\"suspicious\":0,\"clean\":1,\"opaque\":0,\"incomplete\":0},"
                     "\"first_seen\":\"2019-07-20T09:00:09.000000Z\","
                     "\"last_seen\":\"2019-07-20T09:00:09.000000Z\","
                     "\"first_intercepted\":null,\"last_intercepted\":null},"
                     "{\"vantage\":\"kz\",\"sessions\":{\"intercepted\":2,"
                     "\"suspicious\":0,\"clean\":1,\"opaque\":0,\"incomplete\":0},"
                     "\"first_seen\":\"2019-07-20T09:00:05.000000Z\","
                     "\"last_seen\":\"2019-07-20T11:00:00.000000Z\","
                     "\"first_intercepted\":\"2019-07-20T09:00:05.000000Z\","
                     "\"last_intercepted\":\"2019-07-20T10:00:07.000000Z\"}]}") != NULL);
    CHECK(strstr(js, "{\"target\":\"never.kz\",\"sessions\":{\"intercepted\":0,\"suspicious\":0,"
                     "\"clean\":0,\"opaque\":0,\"incomplete\":0},\"servers\":[],"
                     "\"servers_intercepted\":[],\"first_intercepted\":null,"
                     "\"last_intercepted\":null,\"vantages\":[],\"rogue_issuers\":[],"
                     "\"by_vantage\":[]}") != NULL);
    /* vantages: null first; only target sessions counted */
    const mw_jv *v = mw_jv_get(root, "vantages");
    CHECK_EQ_U(mw_jv_len(v), 2);
    CHECK(mw_jv_type_of(mw_jv_get(mw_jv_at(v, 0), "vantage")) == MW_JV_NULL);
    CHECK_EQ_S(mw_jv_str(mw_jv_get(mw_jv_at(v, 1), "vantage"), NULL), "kz");
    CHECK(strstr(js, "\"vantage\":\"kz\",\"sessions\":{\"intercepted\":2,\"suspicious\":0,"
                     "\"clean\":1,\"opaque\":1,\"incomplete\":0},\"servers\":[\"192.0.2.2\","
                     "\"198.18.0.7\",\"198.18.0.8\",\"2001:db8:ffff::1\"],"
                     "\"servers_intercepted\":[\"198.18.0.7\",\"2001:db8:ffff::1\"],"
                     "\"timeline\":[{\"t\":\"2019-07-20T09:00:00.000000Z\",\"servers\":"
                     "[\"192.0.2.2\",\"198.18.0.7\"],\"servers_intercepted\":[\"198.18.0.7\"]},")
          != NULL);
    CHECK(strstr(js, "\"timeline\":[{\"t\":\"2019-07-20T09:00:00.000000Z\",\"intercepted\":1,"
                     "\"suspicious\":0,\"clean\":1,\"opaque\":1,\"incomplete\":0},"
                     "{\"t\":\"2019-07-20T10:00:00.000000Z\",\"intercepted\":1,"
                     "\"suspicious\":0,\"clean\":0,\"opaque\":0,\"incomplete\":0},"
                     "{\"t\":\"2019-07-20T11:00:00.000000Z\",\"intercepted\":0,"
                     "\"suspicious\":0,\"clean\":1,\"opaque\":0,\"incomplete\":0}],"
                     "\"transitions\":[{\"t\":\"2019-07-20T09:00:00.000000Z\",\"state\":\"on\"},"
                     "{\"t\":\"2019-07-20T11:00:00.000000Z\",\"state\":\"off\"}]") != NULL);
    /* forged: corp leaf (intercepted, 3 sessions), kz leaf (suspicious) */
    const mw_jv *f = mw_jv_get(root, "forged_certificates");
    CHECK_EQ_U(mw_jv_len(f), 2);
    const mw_jv *f0 = mw_jv_at(f, 0), *f1 = mw_jv_at(f, 1);
    CHECK_EQ_S(mw_jv_str(mw_jv_get(f0, "verdict"), NULL), "intercepted");
    CHECK_EQ_U(u64_at(f0, "sessions"), 3);
    CHECK_EQ_S(mw_jv_str(mw_jv_get(f0, "subject"), NULL),
               "CN=Example Corp SSL Inspection CA,O=Example Corp,C=US");
    CHECK_EQ_S(mw_jv_str(mw_jv_get(f0, "key"), NULL), "RSA-2048");
    CHECK_EQ_U(u64_at(f0, "rsa_exponent"), 65537);
    CHECK_EQ_S(mw_jv_str(mw_jv_get(f0, "first_seen"), NULL), "2019-07-20T09:00:05.000000Z");
    CHECK_EQ_S(mw_jv_str(mw_jv_get(f0, "last_seen"), NULL), "2019-07-20T10:00:07.000000Z");
    CHECK_EQ_U(mw_jv_len(mw_jv_get(f0, "chain")), 2);
    CHECK_EQ_U(mw_jv_len(mw_jv_get(f0, "names")), 3);
    /* the odd SNI: raw bytes never reach the JSON; NUL and 0xff as \xNN */
    CHECK(strstr(js, "\"names\":[\"a\\u001b[31m\\\\xff\\\\x00z\",\"facebook.com\","
                     "\"www.facebook.com\"]") != NULL);
    CHECK(strstr(js, "\"reasons\":[\"ROGUE_ANCHOR\",\"UNTRUSTED_CHAIN\"],"
                     "\"traits\":[\"RSA public exponent 3\"]") != NULL);
    CHECK(strstr(js, "\"clones\":{\"sha256\":\"0000000000000000000000000000000000000000000000"
                     "000000000000000007\",\"subject\":\"CN=*.facebook.com\",\"issuer\":"
                     "\"CN=DigiCert\",\"serial\":\"0a\",\"not_before\":\"2019-01-01T00:00:00Z\","
                     "\"not_after\":\"2020-01-01T00:00:00Z\"}") != NULL);
    CHECK_EQ_S(mw_jv_str(mw_jv_get(f1, "verdict"), NULL), "suspicious");
    CHECK(mw_jv_type_of(mw_jv_get(f1, "clones")) == MW_JV_NULL);
    CHECK(strstr(js, "\"coverage\":{\"sessions\":8,\"judged\":6,\"opaque\":1,\"incomplete\":0,"
                     "\"target_sessions\":5,\"target_opaque\":1,\"target_incomplete\":0,"
                     "\"quic\":1,\"dtls\":0},\"limits\":{\"set_overflow\":0,"
                     "\"forged_overflow\":0,\"buckets_overflow\":0},\"counters\":{\"capture\":")
          != NULL);
    CHECK(strchr(js, '\n') == js + strlen(js) - 1);

    /* text: no raw control byte, colour only when asked */
    char *tx = text_of(s, false), *tc = text_of(s, true);
    CHECK(tx && strchr(tx, '\033') == NULL);
    CHECK(tx && strstr(tx, "a\\u001b[31m\\xff\\x00z") != NULL);
    CHECK(tx && strstr(tx, "never seen (1): never.kz") != NULL);
    CHECK(tc && strstr(tc, "\033[31m") != NULL);
    if (getenv("MW_SHOW_TEXT") && tx)
        fputs(tx, stdout);
    free(tx);
    free(tc);
    mw_jdoc_free(d);
    free(js);
    mw_summary_free(s);
    mw_rules_free(rules);
}

/* on/off: clean, int, int, opaque only, clean, suspicious, int. */
static void test_transitions(void)
{
    mw_summary *s = mw_summary_new(NULL, NULL);
    const mw_verdict_kind k[] = {MW_VERDICT_CLEAN,  MW_VERDICT_INTERCEPTED, MW_VERDICT_INTERCEPTED,
                                 MW_VERDICT_OPAQUE, MW_VERDICT_CLEAN,       MW_VERDICT_SUSPICIOUS,
                                 MW_VERDICT_INTERCEPTED};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        sess x;
        mk(&x, (T0 + i * 3600 + 1) * US, NULL, "a.test", "192.0.2.1", k[i], "a.test", NULL);
        mw_summary_add_session(s, &x.r);
    }
    char *js = json_of(s);
    CHECK(js && strstr(js, "\"transitions\":[{\"t\":\"2019-07-20T09:00:00.000000Z\",\"state\":"
                           "\"off\"},{\"t\":\"2019-07-20T10:00:00.000000Z\",\"state\":\"on\"},"
                           "{\"t\":\"2019-07-20T13:00:00.000000Z\",\"state\":\"off\"},"
                           "{\"t\":\"2019-07-20T15:00:00.000000Z\",\"state\":\"on\"}]") != NULL);
    free(js);
    mw_summary_free(s);

    /* only opaque: no transition at all; empty summary: nulls and [] */
    s = mw_summary_new(NULL, NULL);
    char *e = json_of(s);
    CHECK(e && strstr(e, "\"inputs\":[],\"sources\":[],\"baselines\":[],"
                         "\"cross_run_evidence\":{\"complete\":true,\"why\":null,"
                         "\"missing\":[]},\"first_ts\":null,\"last_ts\":null") != NULL);
    CHECK(e && strstr(e, "\"targets\":[],\"vantages\":[],\"timeline\":[],\"transitions\":[],"
                         "\"forged_certificates\":[]") != NULL);
    free(e);
    sess x;
    mk(&x, T0 * US, NULL, "a.test", "192.0.2.1", MW_VERDICT_OPAQUE, "a.test", NULL);
    mw_summary_add_session(s, &x.r);
    js = json_of(s);
    CHECK(js && strstr(js, "\"transitions\":[]") != NULL);
    free(js);
    mw_summary_free(s);
}

static void test_caps(void)
{
    mw_summary_config cfg;
    mw_summary_config_defaults(&cfg);
    cfg.max_set_entries = 3;
    cfg.max_forged = 1;
    cfg.max_buckets = 2;
    mw_summary *s = mw_summary_new(&cfg, NULL);
    char ip[32];
    for (unsigned i = 0; i < 3; i++) {
        sess x;
        snprintf(ip, sizeof ip, "192.0.2.%u", i + 1);
        mk(&x, (T0 + (uint64_t)i * 3600) * US, NULL, "a.test", ip, MW_VERDICT_INTERCEPTED, "a.test",
           i == 1 ? &kz : &corp);
        mw_summary_add_session(s, &x.r);
    }
    char *js = json_of(s);
    mw_jdoc *d = js ? parse(js) : NULL;
    const mw_jv *root = mw_jdoc_root(d);
    const mw_jv *lim = mw_jv_get(root, "limits");
    /* sets: 3 kept of 1 (servers) + 1 (servers_int) + 1 (vantages) for the first
     * session; each later one wants servers, servers_int, 2 vantage bucket sets,
     * vantage servers... all refused */
    CHECK(u64_at(lim, "set_overflow") > 0);
    CHECK_EQ_U(u64_at(lim, "forged_overflow"), 1);
    CHECK_EQ_U(u64_at(lim, "buckets_overflow"), 2); /* timeline and vantage timeline */
    const mw_jv *out = mw_jv_get(mw_jv_get(root, "counters"), "output");
    CHECK_EQ_U(u64_at(out, "summary_set_overflow"), u64_at(lim, "set_overflow"));
    CHECK_EQ_U(u64_at(out, "summary_forged_overflow"), 1);
    CHECK_EQ_U(u64_at(out, "summary_buckets_overflow"), 2);
    CHECK_EQ_U(mw_jv_len(mw_jv_get(root, "timeline")), 2);
    CHECK_EQ_U(mw_jv_len(mw_jv_get(root, "forged_certificates")), 1);
    /* the forged one kept got all three sessions? no: one of them was the other leaf */
    CHECK_EQ_U(u64_at(mw_jv_at(mw_jv_get(root, "forged_certificates"), 0), "sessions"), 2);
    char *tx = text_of(s, false);
    CHECK(tx && strstr(tx, "Limits: left out by the summary's caps") != NULL);
    free(tx);
    mw_jdoc_free(d);
    free(js);
    mw_summary_free(s);
}

/* Merges the JSON of a summary into m; asserts success. */
static void merge_text(mw_summary *m, const char *js)
{
    mw_jdoc *d = parse(js);
    char err[256] = "";
    bool ok = d && mw_summary_merge_json(m, mw_jdoc_root(d), err, sizeof err);
    if (!ok)
        fprintf(stderr, "merge: %s\n", err);
    CHECK(ok);
    mw_jdoc_free(d);
}

static void test_merge_equals_direct(void)
{
    mw_rules *rules = rules_with(".facebook.com\nmail.ru\nnever.kz\n");
    sess x[N_SC];
    scenario(x);
    /* A: sessions 0,2,4,6; B: 1,3,5,7 (also a second copy of the leaf) */
    mw_summary *a = mw_summary_new(NULL, rules), *b = mw_summary_new(NULL, rules);
    mw_summary *direct = mw_summary_new(NULL, rules);
    mw_stats sa, sb;
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    sa.capture.packets = 10;
    sa.flow.active_peak = 7;
    sb.capture.packets = 5;
    sb.flow.active_peak = 9;
    mw_summary_add_input(a, "a.pcap");
    mw_summary_add_input(b, "b.pcap");
    mw_summary_set_counters(a, &sa);
    mw_summary_set_counters(b, &sb);
    for (size_t i = 0; i < N_SC; i++)
        mw_summary_add_session(i % 2 ? b : a, &x[i].r);
    /* direct sees them in another order */
    mw_summary_add_input(direct, "b.pcap");
    mw_summary_add_input(direct, "a.pcap");
    /* direct's counters are those of the run over both */
    mw_stats sd = sb;
    mw_stats_add(&sd, &sa);
    mw_summary_set_counters(direct, &sd);
    for (size_t i = N_SC; i-- > 0;)
        mw_summary_add_session(direct, &x[i].r);

    char *ja = json_of(a), *jb = json_of(b), *jd = json_of(direct);
    mw_summary *m1 = mw_summary_new(NULL, NULL), *m2 = mw_summary_new(NULL, NULL);
    merge_text(m1, ja);
    merge_text(m1, jb);
    merge_text(m2, jb);
    merge_text(m2, ja);
    char *j1 = json_of(m1), *j2 = json_of(m2);
    CHECK(j1 && jd && strcmp(j1, jd) == 0);
    CHECK(j2 && jd && strcmp(j2, jd) == 0);
    if (j1 && jd && strcmp(j1, jd) != 0)
        fprintf(stderr, "merged: %s\ndirect: %s\n", j1, jd);
    CHECK(jd && strstr(jd, "\"packets\":15,") != NULL);
    CHECK(jd && strstr(jd, "\"active_peak\":9,") != NULL);

    /* merging a summary into itself's copy: sets unchanged, counts double */
    mw_summary *m3 = mw_summary_new(NULL, NULL);
    merge_text(m3, j1);
    char *j3 = json_of(m3);
    CHECK(j3 && strcmp(j3, j1) == 0); /* merging into an empty one is identity */
    free(j3);
    mw_summary_free(m3);

    free(ja);
    free(jb);
    free(jd);
    free(j1);
    free(j2);
    mw_summary_free(a);
    mw_summary_free(b);
    mw_summary_free(direct);
    mw_summary_free(m1);
    mw_summary_free(m2);
    mw_rules_free(rules);
}

/* The error of merging text into a fresh summary (NULL when it merges). */
static bool merge_fails(const char *text, const char *want)
{
    mw_summary_config cfg;
    mw_summary_config_defaults(&cfg);
    mw_summary *m = mw_summary_new(&cfg, NULL);
    char *before = json_of(m);
    char err[256] = "";
    mw_jdoc *d = parse(text);
    bool failed = d && !mw_summary_merge_json(m, mw_jdoc_root(d), err, sizeof err);
    if (failed && !strstr(err, want))
        fprintf(stderr, "merge error \"%s\" lacks \"%s\"\n", err, want);
    failed = failed && strstr(err, want) != NULL;
    char *after = json_of(m);
    CHECK(before && after && strcmp(before, after) == 0); /* unchanged */
    free(before);
    free(after);
    mw_jdoc_free(d);
    mw_summary_free(m);
    return failed;
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    if (!p)
        return NULL;
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
    return r;
}

static void test_merge_errors(void)
{
    CHECK(merge_fails("[1,2]", "not a summary"));
    CHECK(merge_fails("{\"a\":1}", "no summary_version"));
    sess x[N_SC];
    scenario(x);
    mw_summary *s = mw_summary_new(NULL, NULL);
    for (size_t i = 0; i < N_SC; i++)
        mw_summary_add_session(s, &x[i].r);
    char *js = json_of(s);
    struct {
        const char *from, *to, *want;
    } bad[] = {
        {"\"summary_version\":1", "\"summary_version\":2", "summary_version is not 1"},
        {"\"bucket_seconds\":3600", "\"bucket_seconds\":60", "bucket_seconds is 60, not 3600"},
        {"\"first_ts\":\"2019-07-20T09:00:05.000000Z\"", "\"first_ts\":\"2019-07-20T09:00:05Z\"",
         "first_ts"},
        {"\"first_ts\":\"2019-07-20T09:00:05.000000Z\"",
         "\"first_ts\":\"2019-02-30T09:00:05.000000Z\"", "first_ts"},
        {"\"t\":\"2019-07-20T09:00:00.000000Z\",\"intercepted\"",
         "\"t\":\"2019-07-20T09:00:01.000000Z\",\"intercepted\"", "not the start of a bucket"},
        {"\"verdict\":\"suspicious\"", "\"verdict\":\"maybe\"", "forged_certificates[1].verdict"},
        {"\"servers\":[", "\"servers\":[1,", "servers[0]: expected a string"},
        {"\"reasons\":[\"", "\"reasons\":[\"NOPE\",\"", "not a reason code"},
        {"\"counters\":{\"capture\":{\"inputs_opened\":0",
         "\"counters\":{\"capture\":{\"inputs_opened\":-1", "counters."},
        {"\"limits\":{", "\"limitz\":{", "limits: expected an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = js ? replace(js, bad[i].from, bad[i].to) : NULL;
        CHECK(t != NULL);
        if (t && !merge_fails(t, bad[i].want)) {
            fprintf(stderr, "case %zu (%s) merged\n", i, bad[i].to);
            CHECK(false);
        }
        free(t);
    }
    free(js);
    mw_summary_free(s);

    /* another bucket width at the other end */
    mw_summary_config cfg;
    mw_summary_config_defaults(&cfg);
    cfg.bucket_seconds = 60;
    mw_summary *m = mw_summary_new(&cfg, NULL);
    CHECK_EQ_U(mw_summary_bucket_seconds(m), 60);
    mw_jdoc *d = parse("{\"summary_version\":1,\"bucket_seconds\":3600}");
    char err[256];
    CHECK(d && !mw_summary_merge_json(m, mw_jdoc_root(d), err, sizeof err));
    CHECK(strstr(err, "bucket_seconds is 3600, not 60") != NULL);
    mw_jdoc_free(d);
    mw_summary_free(m);
}

/* A leaf OpenSSL cannot parse: its hash and nulls. */
static void test_unparsable_leaf(void)
{
    mw_summary *s = mw_summary_new(NULL, NULL);
    sess x;
    mk(&x, T0 * US, NULL, NULL, "192.0.2.9", MW_VERDICT_INTERCEPTED, NULL, &kz);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    x.chain[0] = NULL;
    x.der[0] = junk;
    x.len[0] = sizeof junk;
    memset(x.sha[0], 0xab, 32);
    x.r.n_chain = 1;
    mw_summary_add_session(s, &x.r);
    char *js = json_of(s);
    CHECK(js && strstr(js, "\"forged_certificates\":[{\"sha256\":\"abababababababababab"
                           "abababababababababababababababababababababab\",\"subject\":null,"
                           "\"issuer\":null,\"serial\":null,\"not_before\":null,"
                           "\"not_after\":null,\"san\":null,\"key\":null,"
                           "\"rsa_exponent\":null,\"verdict\":\"intercepted\",\"sessions\":1,"
                           "\"names\":[],\"servers\":[\"192.0.2.9\"],\"vantages\":[null],")
          != NULL);
    CHECK(js && strstr(js, "\"chain\":[{\"sha256\":\"abab") != NULL);
    if (getenv("MW_SHOW_TEXT") && js)
        fputs(js, stdout);
    CHECK(js && strstr(js, "\",\"subject\":null,\"issuer\":null}],\"clones\":null}") != NULL);
    /* and it reads back */
    mw_summary *m = mw_summary_new(NULL, NULL);
    if (js)
        merge_text(m, js);
    char *j2 = json_of(m);
    CHECK(js && j2 && strcmp(js, j2) == 0);
    free(j2);
    free(js);
    mw_summary_free(m);
    mw_summary_free(s);
}

/* tests/data/summary/scenario.json pins the format (MW_REGEN=1 rewrites it). */
static void test_fixture(void)
{
    const char *path = MW_TEST_DATA_DIR "/summary/scenario.json";
    mw_rules *rules = rules_with(".facebook.com\nmail.ru\nnever.kz\n");
    mw_summary *s = mw_summary_new(NULL, rules);
    sess x[N_SC];
    scenario(x);
    mw_summary_add_input(s, "a.pcap");
    for (size_t i = 0; i < N_SC; i++)
        mw_summary_add_session(s, &x[i].r);
    char *js = json_of(s);
    if (getenv("MW_REGEN") && js) {
        FILE *f = fopen(path, "w");
        CHECK(f && fputs(js, f) >= 0);
        if (f)
            fclose(f);
    }
    char err[256] = "";
    mw_jdoc *d = mw_jdoc_load_file(path, 1 << 20, err, sizeof err);
    if (!d)
        fprintf(stderr, "%s\n", err);
    CHECK(d != NULL);
    mw_summary *m = mw_summary_new(NULL, NULL);
    CHECK(d && mw_summary_merge_json(m, mw_jdoc_root(d), err, sizeof err));
    char *j2 = json_of(m);
    CHECK(js && j2 && strcmp(js, j2) == 0);
    free(j2);
    /* A summary from before the matrix (no "by_vantage") still merges: the
     * same counts, an empty matrix. */
    mw_jdoc *old = mw_jdoc_load_file(MW_TEST_DATA_DIR "/summary/scenario-nomatrix.json", 1 << 20,
                                     err, sizeof err);
    mw_summary *mo = mw_summary_new(NULL, NULL);
    CHECK(old && mw_summary_merge_json(mo, mw_jdoc_root(old), err, sizeof err));
    char *j3 = json_of(mo);
    CHECK(j3 && strstr(j3, "\"by_vantage\":[{") == NULL);
    CHECK(j3 && strstr(j3, "\"sessions\":{\"intercepted\":2,\"suspicious\":2,\"untrusted\":0,"
                           "\"clean\":2,\"opaque\":1,\"incomplete\":0,\"total\":8}") != NULL);
    free(j3);
    mw_summary_free(mo);
    mw_jdoc_free(old);
    free(js);
    mw_jdoc_free(d);
    mw_summary_free(m);
    mw_summary_free(s);
    mw_rules_free(rules);
}

static char *summary_with_baseline(const char *input, const char *kind, const char *id)
{
    mw_summary *s = mw_summary_new(NULL, NULL);
    mw_summary_add_input(s, input);
    mw_summary_set_baseline(s, kind, id);
    char *js = json_of(s);
    mw_summary_free(s);
    return js;
}

#define ID_A "0123456789abcdef0123456789abcdef"
#define ID_B "fedcba9876543210fedcba9876543210"
#define MISSING_ALL                                                                            \
    "\"missing\":[{\"code\":\"CLONED_CERT\",\"what\":\"a certificate copying one that only "  \
    "an input of another baseline saw\"},{\"code\":\"CHAIN_CHANGED\",\"what\":\"a chain that " \
    "differs from the one an input of another baseline saw first for the same name and "     \
    "server\"},{\"code\":\"VERSION_DOWNGRADE\",\"what\":\"a server negotiating less than the " \
    "TLS 1.3 it negotiated in an input of another baseline\"},{\"code\":"                      \
    "\"SERVER_FINGERPRINT_CHANGED\",\"what\":\"a server answering with another JA3S than in " \
    "an input of another baseline (across vantage points and runs)\"}]"

/* Summaries of one shared baseline merge into a complete one; separate
 * baselines (or an unknown one) make the merge say what it cannot have. */
static void test_baselines(void)
{
    char *a1 = summary_with_baseline("a.pcap", "postgresql", ID_A);
    char *a2 = summary_with_baseline("b.pcap", "postgresql", ID_A);
    char *b = summary_with_baseline("c.pcap", "sqlite", ID_B);
    CHECK(a1 && strstr(a1, "\"baselines\":[{\"kind\":\"postgresql\",\"id\":\"" ID_A "\"}],"
                           "\"cross_run_evidence\":{\"complete\":true,\"why\":null,"
                           "\"missing\":[]}") != NULL);
    mw_summary *m = mw_summary_new(NULL, NULL);
    merge_text(m, a1);
    merge_text(m, a2);
    char *js = json_of(m);
    CHECK(js && strstr(js, "\"baselines\":[{\"kind\":\"postgresql\",\"id\":\"" ID_A "\"}],"
                           "\"cross_run_evidence\":{\"complete\":true,") != NULL);
    char *txt = text_of(m, false);
    CHECK(txt && !strstr(txt, "Cross-run evidence"));
    free(txt);
    free(js);
    merge_text(m, b);
    js = json_of(m);
    CHECK(js && strstr(js, "\"baselines\":[{\"kind\":\"postgresql\",\"id\":\"" ID_A "\"},"
                           "{\"kind\":\"sqlite\",\"id\":\"" ID_B "\"}],"
                           "\"cross_run_evidence\":{\"complete\":false,\"why\":\"inputs judged "
                           "against separate baselines\"," MISSING_ALL "}") != NULL);
    txt = text_of(m, false);
    CHECK(txt && strstr(txt, "Cross-run evidence: incomplete, inputs judged against separate "
                             "baselines (2)") != NULL);
    CHECK(txt && strstr(txt, "\n  CHAIN_CHANGED: a chain that differs") != NULL);
    free(txt);
    /* Written again and read back: the same (the derived member is recomputed). */
    mw_summary *m2 = mw_summary_new(NULL, NULL);
    merge_text(m2, js);
    char *j2 = json_of(m2);
    CHECK(js && j2 && strcmp(js, j2) == 0);
    free(j2);
    mw_summary_free(m2);
    free(js);
    mw_summary_free(m);

    /* From before summaries recorded it: unknown, so incomplete. */
    char *cut = a1 ? strstr(a1, "\"baselines\":") : NULL;
    char *end = cut ? strstr(cut, "\"first_ts\"") : NULL;
    if (cut && end)
        memmove(cut, end, strlen(end) + 1);
    m = mw_summary_new(NULL, NULL);
    merge_text(m, a1);
    js = json_of(m);
    CHECK(js && strstr(js, "\"baselines\":[{\"kind\":\"unknown\",\"id\":null}],"
                           "\"cross_run_evidence\":{\"complete\":false,\"why\":\"the baseline "
                           "of some inputs is unknown\"," MISSING_ALL "}") != NULL);
    free(js);
    mw_summary_free(m);
    /* No identity given (an unreadable store): unknown too. */
    m = mw_summary_new(NULL, NULL);
    mw_summary_set_baseline(m, "sqlite", NULL);
    js = json_of(m);
    CHECK(js && strstr(js, "\"baselines\":[{\"kind\":\"sqlite\",\"id\":null}],"
                           "\"cross_run_evidence\":{\"complete\":false,") != NULL);
    free(js);
    mw_summary_free(m);

    /* A malformed member is an error, not an unknown baseline. */
    char *bad = b ? strstr(b, ID_B) : NULL;
    if (bad)
        bad[0] = 'X';
    m = mw_summary_new(NULL, NULL);
    mw_jdoc *d = b ? parse(b) : NULL;
    char err[256] = "";
    CHECK(d && !mw_summary_merge_json(m, mw_jdoc_root(d), err, sizeof err));
    CHECK(strstr(err, "baselines[0]: expected kind") != NULL);
    mw_jdoc_free(d);
    mw_summary_free(m);
    free(a1);
    free(a2);
    free(b);
}

int main(void)
{
    if (!load_cert(&kz, SAMPLES "kz-2019-intermediate.pem") ||
        !load_cert(&corp, SAMPLES "corporate-ca.pem")) {
        fprintf(stderr, "cannot load the sample certificates\n");
        return 1;
    }
    RUN(test_members);
    RUN(test_transitions);
    RUN(test_caps);
    RUN(test_merge_equals_direct);
    RUN(test_merge_errors);
    RUN(test_baselines);
    RUN(test_unparsable_leaf);
    RUN(test_fixture);
    X509_free(kz.x);
    X509_free(corp.x);
    OPENSSL_free(kz.der);
    OPENSSL_free(corp.der);
    return check_summary();
}
