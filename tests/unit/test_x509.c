/*
 * test_x509.c - certificate facts against values read independently with
 * the openssl CLI and sha256sum (and, for the rogue roots, the SHA-256
 * values published in Chromium's blocklist, see shared/rules-data/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "check.h"
#include "dissectors/x509.h"

/* $env (or dflt when unset, for a run from the source root) / sub / file */
static char *data_path(const char *env, const char *dflt, const char *sub, const char *file)
{
    const char *base = getenv(env);
    if (!base || !*base)
        base = dflt;
    size_t n = strlen(base) + strlen(sub) + strlen(file) + 3;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s/%s", base, sub, file);
    return p;
}

/* Reads a whole file; NULL if it cannot. */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;

    if (!fp) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        if (got == 0)
            break;
        n += got;
    }
    fclose(fp);
    *len = n;
    return buf;
}

static uint8_t *read_fixture(const char *name, size_t *len)
{
    char *p = data_path("MW_TEST_DATA", "tests/data", "x509", name);
    uint8_t *buf = p ? read_file(p, len) : NULL;
    free(p);
    return buf;
}

/* The DER inside a PEM file exactly as base64-decoded (PEM_read_bio does no
 * X.509 parsing, so these are the very bytes the blocklist hashed). */
static uint8_t *read_root_der(const char *file, size_t *len)
{
    char *full = data_path("MW_SHARED", "../shared", "rules-data/rogue-roots", file);
    BIO *b = full ? BIO_new_file(full, "r") : NULL;
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long n = 0;
    uint8_t *out = NULL;

    if (!b)
        fprintf(stderr, "cannot open %s\n", full ? full : file);
    if (b && PEM_read_bio(b, &name, &header, &data, &n) && n > 0 &&
        strcmp(name, "CERTIFICATE") == 0) {
        out = malloc((size_t)n);
        if (out) {
            memcpy(out, data, (size_t)n);
            *len = (size_t)n;
        }
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(b);
    free(full);
    return out;
}

struct root {
    const char *file;
    const char *sha256, *spki;
    const char *subject;
    const char *serial;
    const char *nb, *na;
    int64_t nb_t, na_t;
    int bits;
    const char *sig_alg;
    const char *skid, *akid;
};

#define ISCA "C=KZ,O=ISCA,CN=Information Security Certification Authority"

static const struct root roots[] = {
    {"qaznet-trust-network-2016.pem",
     "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2",
     "b5ba8dd7f89564c2889d3d6453c84998c77824919b64ea0835aa62986591be50",
     "CN=Qaznet Trust Network,C=KZ", "3d957fca1f8c0fc8692c01994eb55231035b9df1",
     "2016-02-02T05:41:00Z", "2046-02-02T05:41:00Z", 1454391660, 2401162860, 4096,
     "sha256WithRSAEncryption", "f494bfde50b6db6b243d9ef7be3aae36d7fb0e05",
     "f494bfde50b6db6b243d9ef7be3aae36d7fb0e05"},
    {"isca-kz-ca-2020.pem",
     "61c0fc2e38b5b6f9071b42cee54a9013d858b6697c68b460948551b3249576a1",
     "8e12d0cb3b7df3ea2257579489fd8658c95603ea6cf4b73163a41eb7b7e93fee",
     ISCA " CA", "287dce0ce3c6f7aaa33ff965e76ea98c824a59db", "2020-02-28T04:08:03Z",
     "2040-02-28T04:08:03Z", 1582862883, 2214014883, 4096, "sha256WithRSAEncryption",
     "a87dce0ce3c6f7aaa33ff965e76ea98c824a59db", "a87dce0ce3c6f7aaa33ff965e76ea98c824a59db"},
    {"isca-kz-2020.pem",
     "1df696f021ab1c3ace9a376b07ed7256a40214cd3396d7934087614924e2d7ef",
     "b13fa2e6131a888a01f3d62056fb0efbe999eb6b6e14927613e02ba8b8fb046e", ISCA,
     "7bc4b832f3a5c223eab091b6da6bf84f710b4240", "2020-02-28T06:43:38Z",
     "2040-02-28T06:43:38Z", 1582872218, 2214024218, 4096, "sha256WithRSAEncryption",
     "7bc4b832f3a5c223eab091b6da6bf84f710b4240", "7bc4b832f3a5c223eab091b6da6bf84f710b4240"},
    {"isca-kz-2020-b.pem",
     "89107c8e50e029b7b5f4ff0ccd2956bcc9d0c8ba2bfb6a58374ed63a6b034a30",
     "8928c59398b0f171c0f96fdae6ab8dd0f48ee06d174da10c404ac00143c7a749", ISCA,
     "320412df4c2fb102f3980caa76ba610ae62c8492", "2020-02-28T06:16:40Z",
     "2050-02-28T06:16:40Z", 1582870600, 2529641800, 4096, "sha256WithRSAEncryption",
     "b20412df4c2fb102f3980caa76ba610ae62c8492", "b20412df4c2fb102f3980caa76ba610ae62c8492"},
    {"isca-kz-2020-c.pem",
     "06fd20629c143b9eab28d2799caefc5d23fde267d16c631e3f5b8b4bab3f68e6",
     "e47c5cd2dc8babb4e53f8a4983920275ef6ffaacb089e87a2c1fbe5a585f05ed", ISCA,
     "5877d30c6f0f3c367f8c34f286fda52843bbb9f3", "2020-02-28T06:30:37Z",
     "2040-02-28T06:30:37Z", 1582871437, 2214023437, 4096, "sha256WithRSAEncryption",
     "d877d30c6f0f3c367f8c34f286fda52843bbb9f3", "d877d30c6f0f3c367f8c34f286fda52843bbb9f3"},
    {"isca-kz-2020-d.pem",
     "0bd39de4793cdc117138f47708aa4d583acf67adb059a0d91f668d1803bf6489",
     "39736588b94a4ce767f731cad53f4cbe44137e321eadcaef8ce79a229bbca989", ISCA,
     "254498fcaadd96de5181472ed07b163ff79e6ad3", "2020-02-28T06:46:02Z",
     "2040-02-28T06:46:02Z", 1582872362, 2214024362, 4096, "sha256WithRSAEncryption",
     "254498fcaadd96de5181472ed07b163ff79e6ad3", "254498fcaadd96de5181472ed07b163ff79e6ad3"},
    {"isca-kz-2020-e.pem",
     "c95c133b68319ee516b5f41e377f589878af1556567cc2834ef03b1d10830fd3",
     "ea12705de7c48f6fcce2cb8dbc542e0fc38ac38e08880dd04a02ef67c93ae135", ISCA,
     "1089fc3f19c903f3839bcf70b97dc7cfaad3d4dd", "2020-02-28T06:48:23Z",
     "2040-02-28T06:48:23Z", 1582872503, 2214024503, 4096, "sha256WithRSAEncryption",
     "9089fc3f19c903f3839bcf70b97dc7cfaad3d4dd", "9089fc3f19c903f3839bcf70b97dc7cfaad3d4dd"},
    {"isca-kz-2020-f.pem",
     "c530fadc9bfa265e63b755cc6ee04c2d70d60bb916ce2f331dc7359362571b25",
     "02a95f43431019e9dc225f05f419330190deb4a3f1869caac9842b403dcbee77", ISCA,
     "451d3270968c19997cf2e4e3b97708efe276f318", "2020-02-28T05:39:51Z",
     "2050-02-28T05:39:51Z", 1582868391, 2529639591, 4096, "sha256WithRSAEncryption",
     "c51d3270968c19997cf2e4e3b97708efe276f318", "c51d3270968c19997cf2e4e3b97708efe276f318"},
    {"isca-kz-2020-g.pem",
     "235150de7df7db2e538d461bc4d210c4e0819be2c4c76969476e3cbe67b723dd",
     "3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1", ISCA,
     "6c47089c34a88e43dde0dee30661558da9cb2e70", "2020-02-28T07:04:41Z",
     "2050-02-28T07:04:41Z", 1582873481, 2529644681, 4096, "sha256WithRSAEncryption",
     "ec47089c34a88e43dde0dee30661558da9cb2e70", "ec47089c34a88e43dde0dee30661558da9cb2e70"},
    {"isca-kz-2021-nur-sultan.pem",
     "0230a604d99220e5612ee7862ab9f7a6e18e4f1ac4c9e27075788cc5220169ab",
     "c56217b7a828c7341c0ae7a590d8790d4def536652e60ae5b8bdfa26978fe09c",
     "CN=Information Security Certification Authority,O=ISCA,L=Nur-Sultan,ST=Nur-Sultan,C=KZ",
     "2309498e297c5ffe", "2021-04-28T13:18:00Z", "2031-04-28T13:18:00Z", 1619615880,
     1935148680, 4096, "sha256WithRSAEncryption", "267e997ccd7b8e88ac3da972cbd4b5625d2b0d6a",
     NULL},
    {"superfish-2014.pem",
     "b6fe9151402bad1c06d7e66db67a26aa7356f2e6c644dbcf9f98968ff632e1b7",
     "4bb8f35ba1e126f8dde1b0c420625ed86dce61a7bddadbdea9aba578ff13145e",
     "CN=Superfish\\, Inc.,C=US,ST=CA,L=SF,O=Superfish\\, Inc.", "d2fc1387a944dce7",
     "2014-05-12T16:25:26Z", "2034-05-07T16:25:26Z", 1399911926, 2030631926, 1024,
     "sha1WithRSAEncryption", "fb98b3537f14442ee8eed5099a5e0e5686a83588",
     "fb98b3537f14442ee8eed5099a5e0e5686a83588"},
};

static void test_rogue_roots(void)
{
    size_t nroots = sizeof(roots) / sizeof(roots[0]);

    CHECK_EQ_U(nroots, 11);
    for (size_t i = 0; i < nroots; i++) {
        const struct root *r = &roots[i];
        size_t len = 0;
        uint8_t *der = read_root_der(r->file, &len);
        mw_x509_facts f;

        CHECK(der != NULL);
        if (!der)
            continue;
        CHECK(mw_x509_parse(&f, der, len));
        CHECK(f.parse_error == NULL);
        CHECK_EQ_S(f.sha256, r->sha256);
        CHECK_EQ_S(f.spki_sha256, r->spki);
        CHECK_EQ_S(f.subject, r->subject);
        CHECK_EQ_S(f.issuer, r->subject);
        CHECK_EQ_S(f.serial, r->serial);
        CHECK_EQ_S(f.not_before, r->nb);
        CHECK_EQ_S(f.not_after, r->na);
        CHECK_EQ_U(f.not_before_t, r->nb_t);
        CHECK_EQ_U(f.not_after_t, r->na_t);
        CHECK_EQ_U(f.version, 3);
        CHECK_EQ_S(f.key_type, "RSA");
        CHECK_EQ_U(f.key_bits, r->bits);
        CHECK_EQ_U(f.rsa_exponent, 65537);
        CHECK(f.ec_curve == NULL);
        CHECK_EQ_S(f.sig_alg, r->sig_alg);
        CHECK(f.has_basic_constraints);
        CHECK(f.ca);
        CHECK(f.self_issued);
        CHECK(f.self_signed);
        CHECK_EQ_S(f.subject_key_id, r->skid);
        if (r->akid)
            CHECK_EQ_S(f.authority_key_id, r->akid);
        else
            CHECK(f.authority_key_id == NULL);
        CHECK_EQ_U(f.n_san_dns, 0);
        CHECK_EQ_U(f.n_san_ip, 0);
        CHECK(!f.san_bad);
        CHECK(mw_x509_get0(&f) != NULL);
        mw_x509_facts_free(&f);
        free(der);
    }
}

static void test_qaznet_details(void)
{
    size_t len = 0;
    uint8_t *der = read_root_der("qaznet-trust-network-2016.pem", &len);
    mw_x509_facts f;
    char pin[45], key[MW_X509_KEY_DESC_LEN];

    CHECK(der != NULL);
    if (!der)
        return;
    mw_cursor c;
    mw_cursor_init(&c, der, len);
    CHECK(mw_x509_parse_cursor(&f, &c));
    CHECK_EQ_U(mw_cursor_len(&c), len);
    /* openssl x509 -pubkey | openssl pkey -pubin -outform der |
     * openssl dgst -sha256 -binary | base64 */
    mw_x509_spki_pin_b64(&f, pin);
    CHECK_EQ_S(pin, "tbqN1/iVZMKInT1kU8hJmMd4JJGbZOoINapimGWRvlA=");
    mw_x509_key_desc(&f, key, sizeof(key));
    CHECK_EQ_S(key, "RSA-4096");
    /* openssl -text order: basicConstraints, SKI, AKI, keyUsage */
    CHECK_EQ_U(f.ext_count, 4);
    CHECK_EQ_U(f.n_ext_oids, 4);
    if (f.n_ext_oids == 4) {
        CHECK_EQ_S(f.ext_oids[0], "basicConstraints");
        CHECK_EQ_S(f.ext_oids[1], "subjectKeyIdentifier");
        CHECK_EQ_S(f.ext_oids[2], "authorityKeyIdentifier");
        CHECK_EQ_S(f.ext_oids[3], "keyUsage");
    }
    mw_x509_facts_free(&f);

    /* Same certificate with the last signature byte flipped: still parses,
     * still self-issued, no longer self-signed. */
    der[len - 1] ^= 0x01;
    CHECK(mw_x509_parse(&f, der, len));
    CHECK(f.self_issued);
    CHECK(!f.self_signed);
    CHECK(strcmp(f.sha256, "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2") != 0);
    CHECK_EQ_S(f.spki_sha256, "b5ba8dd7f89564c2889d3d6453c84998c77824919b64ea0835aa62986591be50");
    mw_x509_facts_free(&f);
    free(der);
}

static void test_test_ca(void)
{
    size_t len = 0;
    uint8_t *der = read_fixture("ca.der", &len);
    mw_x509_facts f;
    char pin[45], key[MW_X509_KEY_DESC_LEN];

    CHECK(der != NULL);
    if (!der)
        return;
    CHECK(mw_x509_parse(&f, der, len));
    CHECK_EQ_S(f.sha256, "dd0ab85cd802fa06cf426462af086d2942e717f8fddb36aca6d16474b8603dd2");
    CHECK_EQ_S(f.spki_sha256, "c6dcf98945eda246ce63eb3a68896b5661a1ff30aeb651c34d572a2d3062bd5e");
    mw_x509_spki_pin_b64(&f, pin);
    CHECK_EQ_S(pin, "xtz5iUXtokbOY+s6aIlrVmGh/zCutlHDTVcqLTBivV4=");
    CHECK_EQ_S(f.subject, "CN=mitmwatch Test CA,O=mitmwatch test,C=ZZ");
    CHECK_EQ_S(f.issuer, "CN=mitmwatch Test CA,O=mitmwatch test,C=ZZ");
    CHECK_EQ_S(f.serial, "7154ca7af74d38a5f35409072be37411af0e164a");
    CHECK_EQ_S(f.not_before, "2026-11-25T15:51:43Z");
    CHECK_EQ_S(f.not_after, "2046-11-20T15:51:43Z");
    CHECK_EQ_U(f.not_before_t, 1795621903);
    CHECK_EQ_U(f.not_after_t, 2426341903);
    CHECK_EQ_S(f.key_type, "EC");
    CHECK_EQ_U(f.key_bits, 256);
    CHECK_EQ_S(f.ec_curve, "prime256v1");
    CHECK_EQ_U(f.rsa_exponent, 0);
    mw_x509_key_desc(&f, key, sizeof(key));
    CHECK_EQ_S(key, "EC-prime256v1");
    CHECK_EQ_S(f.sig_alg, "ecdsa-with-SHA256");
    CHECK(f.has_basic_constraints);
    CHECK(f.ca);
    CHECK(f.self_signed);
    CHECK_EQ_S(f.subject_key_id, "bf977616a6e30e504e72265b7fa3ce6a7e4b01f4");
    CHECK_EQ_S(f.authority_key_id, "bf977616a6e30e504e72265b7fa3ce6a7e4b01f4");
    mw_x509_facts_free(&f);
    free(der);
}

static void test_leaf_san(void)
{
    size_t len = 0;
    uint8_t *der = read_fixture("leaf.der", &len);
    mw_x509_facts f;
    char key[MW_X509_KEY_DESC_LEN];

    CHECK(der != NULL);
    if (!der)
        return;
    CHECK(mw_x509_parse(&f, der, len));
    CHECK_EQ_S(f.sha256, "f8ca5a41444cece8ceaf2092fe5db3b5f14b7d9818021fa3a6ec0a2776908e25");
    CHECK_EQ_S(f.spki_sha256, "26f098e29780b01d327bed9a55f02029bea9ab5bd933028a89492422338b1a77");
    CHECK_EQ_S(f.subject, "CN=www.example.test,C=ZZ");
    CHECK_EQ_S(f.issuer, "CN=mitmwatch Test CA,O=mitmwatch test,C=ZZ");
    CHECK_EQ_S(f.serial, "ff0102");
    CHECK_EQ_S(f.not_before, "2026-11-25T15:51:43Z");
    CHECK_EQ_S(f.not_after, "2036-11-22T15:51:43Z");
    CHECK_EQ_U(f.not_after_t, 2110981903);
    CHECK_EQ_S(f.key_type, "RSA");
    CHECK_EQ_U(f.key_bits, 1024);
    CHECK_EQ_U(f.rsa_exponent, 3);
    mw_x509_key_desc(&f, key, sizeof(key));
    CHECK_EQ_S(key, "RSA-1024");
    CHECK_EQ_S(f.sig_alg, "ecdsa-with-SHA256");
    CHECK(f.has_basic_constraints);
    CHECK(!f.ca);
    CHECK(!f.self_issued);
    CHECK(!f.self_signed);
    CHECK_EQ_S(f.subject_key_id, "f0d10f648cbfde5ece4aec15c539f6e326091876");
    CHECK_EQ_S(f.authority_key_id, "bf977616a6e30e504e72265b7fa3ce6a7e4b01f4");

    CHECK_EQ_U(f.n_san_dns, 2);
    if (f.n_san_dns == 2) {
        CHECK_EQ_U(f.san_dns[0].len, 16);
        CHECK_EQ_S(f.san_dns[0].str, "www.example.test");
        /* The NUL stays: 20 bytes, not the 9 strlen() would see. */
        CHECK_EQ_U(f.san_dns[1].len, 20);
        CHECK_MEM(f.san_dns[1].str, "evil.test\0.good.test", 21);
    }
    CHECK_EQ_U(f.n_san_ip, 2);
    if (f.n_san_ip == 2) {
        CHECK_EQ_S(f.san_ip[0], "192.0.2.1");
        CHECK_EQ_S(f.san_ip[1], "2001:db8::1");
    }
    CHECK_EQ_U(f.n_san_other, 1);
    CHECK_EQ_U(f.san_dropped, 0);
    CHECK(!f.san_bad);

    CHECK_EQ_U(f.ext_count, 4);
    CHECK_EQ_U(f.n_ext_oids, 4);
    if (f.n_ext_oids == 4) {
        CHECK_EQ_S(f.ext_oids[0], "basicConstraints");
        CHECK_EQ_S(f.ext_oids[1], "subjectAltName");
        CHECK_EQ_S(f.ext_oids[2], "subjectKeyIdentifier");
        CHECK_EQ_S(f.ext_oids[3], "authorityKeyIdentifier");
    }

    /* The accessor hands out a usable certificate: verify the leaf with the
     * CA's key. */
    size_t calen = 0;
    uint8_t *cader = read_fixture("ca.der", &calen);
    mw_x509_facts ca;
    CHECK(cader && mw_x509_parse(&ca, cader, calen));
    if (cader) {
        CHECK_EQ_U(X509_verify(mw_x509_get0(&f), X509_get0_pubkey(mw_x509_get0(&ca))), 1);
        mw_x509_facts_free(&ca);
    }
    free(cader);
    mw_x509_facts_free(&f);
    free(der);
}

static void test_bare_v1(void)
{
    size_t len = 0;
    uint8_t *der = read_fixture("bare.der", &len);
    mw_x509_facts f;

    CHECK(der != NULL);
    if (!der)
        return;
    CHECK(mw_x509_parse(&f, der, len));
    CHECK_EQ_S(f.sha256, "860a62c84e05cb633a50d059411de76a5a346d175aa06012e0ea3cfa09cbee67");
    CHECK_EQ_U(f.version, 1);
    CHECK_EQ_S(f.serial, "-05");
    CHECK_EQ_S(f.sig_alg, "ecdsa-with-SHA384");
    CHECK_EQ_S(f.not_after, "2027-11-25T15:51:43Z");
    CHECK_EQ_U(f.not_after_t, 1827157903);
    CHECK_EQ_U(f.ext_count, 0);
    CHECK_EQ_U(f.n_ext_oids, 0);
    CHECK(!f.has_basic_constraints);
    CHECK(!f.ca);
    CHECK(f.subject_key_id == NULL);
    CHECK(f.authority_key_id == NULL);
    CHECK_EQ_U(f.n_san_dns + f.n_san_ip + f.n_san_other, 0);
    mw_x509_facts_free(&f);
    free(der);
}

static void test_utf8_name(void)
{
    size_t len = 0;
    uint8_t *der = read_fixture("utf8.der", &len);
    mw_x509_facts f;

    CHECK(der != NULL);
    if (!der)
        return;
    CHECK(mw_x509_parse(&f, der, len));
    CHECK_EQ_S(f.sha256, "07693c5a477f03dd030b79f18da65c0f54e76fd0f58166ee22fde6545d0ddd5a");
    /* "Қазнет Тест" as UTF-8 bytes (openssl -nameopt RFC2253 prints them
     * escaped: \D2\9A\D0\B0...); kept raw here. */
    CHECK_EQ_S(f.subject, "CN=\xd2\x9a\xd0\xb0\xd0\xb7\xd0\xbd\xd0\xb5\xd1\x82 "
                          "\xd0\xa2\xd0\xb5\xd1\x81\xd1\x82,C=KZ");
    CHECK(f.self_signed);
    mw_x509_facts_free(&f);
    free(der);
}

/* bare.der with the subject's C=ZZ PrintableString (13 02 5a 5a) retagged as
 * a UniversalString (1c), whose length 2 is no multiple of 4: OpenSSL
 * cannot turn the name into text, and d2i_X509 already refuses it (it
 * canonicalises names while decoding), so this is a parse error. */
static void test_unconvertible_name(void)
{
    size_t len = 0;
    uint8_t *der = read_fixture("bare.der", &len);
    mw_x509_facts f;
    size_t at = 0;

    CHECK(der != NULL);
    if (!der)
        return;
    /* Last occurrence: the subject follows the issuer. */
    for (size_t i = 0; i + 4 <= len; i++)
        if (der[i] == 0x13 && der[i + 1] == 0x02 && der[i + 2] == 'Z' && der[i + 3] == 'Z')
            at = i;
    CHECK(at != 0);
    der[at] = 0x1c;
    CHECK(!mw_x509_parse(&f, der, len));
    CHECK(f.parse_error != NULL);
    CHECK(f.subject == NULL && f.issuer == NULL);
    /* sha256sum of the patched file, made once by hand */
    CHECK_EQ_S(f.sha256, "a6b9466cee3e6a1eefc7cffc27fcfa0afe1eb8015a6f68369b52de1502d8aef0");
    mw_x509_facts_free(&f);
    free(der);
}

static void test_parse_errors(void)
{
    mw_x509_facts f;

    /* printf '' | sha256sum */
    CHECK(!mw_x509_parse(&f, NULL, 0));
    CHECK(f.parse_error != NULL);
    CHECK_EQ_S(f.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(mw_x509_get0(&f) == NULL);
    mw_x509_facts_free(&f);

    mw_cursor empty;
    mw_cursor_init(&empty, NULL, 0);
    CHECK(!mw_x509_parse_cursor(&f, &empty));
    CHECK_EQ_S(f.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    mw_x509_facts_free(&f);

    /* printf 'not a certificate' | sha256sum */
    const char *junk = "not a certificate";
    CHECK(!mw_x509_parse(&f, (const uint8_t *)junk, strlen(junk)));
    CHECK(f.parse_error != NULL && f.parse_error[0] != '\0');
    CHECK_EQ_S(f.sha256, "47209c9b7af839de69e9a9cd625e9182c1ad63dae79ed88a2dd680fe34218620");
    CHECK(f.subject == NULL && f.serial == NULL && f.x509 == NULL);
    CHECK_EQ_S(f.spki_sha256, "");
    char pin[45] = "x", key[MW_X509_KEY_DESC_LEN] = "x";
    mw_x509_spki_pin_b64(&f, pin);
    mw_x509_key_desc(&f, key, sizeof(key));
    CHECK_EQ_S(pin, "");
    CHECK_EQ_S(key, "");
    mw_x509_facts_free(&f);

    size_t len = 0;
    uint8_t *der = read_fixture("leaf.der", &len);
    CHECK(der != NULL && len == 591);
    if (!der || len != 591) {
        free(der);
        return;
    }

    /* head -c 100 leaf.der | sha256sum */
    CHECK(!mw_x509_parse(&f, der, 100));
    CHECK(f.parse_error != NULL && f.parse_error[0] != '\0');
    CHECK_EQ_S(f.sha256, "60309fdc438bc0db475712c655d64f1ff85e0fb0783e537d958c45f04d790b14");
    CHECK(f.subject == NULL);
    mw_x509_facts_free(&f);

    /* Every truncation fails cleanly (no crash, no leak under ASan). */
    for (size_t n = 1; n < len; n++) {
        CHECK(!mw_x509_parse(&f, der, n));
        mw_x509_facts_free(&f);
    }

    /* (cat leaf.der; printf '\0\0') | sha256sum */
    uint8_t *longer = malloc(len + 2);
    CHECK(longer != NULL);
    if (longer) {
        memcpy(longer, der, len);
        longer[len] = 0;
        longer[len + 1] = 0;
        CHECK(!mw_x509_parse(&f, longer, len + 2));
        CHECK_EQ_S(f.parse_error, "trailing bytes after certificate");
        CHECK_EQ_S(f.sha256, "910be1b98a1690120a4cce41a6d0a1303ef8c6ed5149ba1a5145bf5af1b2b2b9");
        CHECK(f.x509 == NULL && f.subject == NULL);
        mw_x509_facts_free(&f);
        free(longer);
    }

    /* Single-byte corruption anywhere: parse or fail, never crash or leak. */
    for (size_t i = 0; i < len; i++) {
        der[i] ^= 0xff;
        (void)mw_x509_parse(&f, der, len);
        CHECK(strlen(f.sha256) == 64);
        mw_x509_facts_free(&f);
        der[i] ^= 0xff;
    }
    free(der);
}

static void test_json(void)
{
    size_t len = 0;
    uint8_t *der = read_fixture("leaf.der", &len);
    mw_x509_facts f;
    mw_json j;

    CHECK(der != NULL);
    if (!der)
        return;
    mw_json_init(&j);
    CHECK(mw_x509_parse(&f, der, len));
    mw_x509_write_json(&f, &j);
    CHECK(!j.failed);
    CHECK_EQ_S(mw_json_text(&j),
               "{\"sha256\":\"f8ca5a41444cece8ceaf2092fe5db3b5f14b7d9818021fa3a6ec0a2776908e25\","
               "\"parse_error\":null,"
               "\"subject\":\"CN=www.example.test,C=ZZ\","
               "\"issuer\":\"CN=mitmwatch Test CA,O=mitmwatch test,C=ZZ\","
               "\"serial\":\"ff0102\","
               "\"not_before\":\"2026-11-25T15:51:43Z\","
               "\"not_after\":\"2036-11-22T15:51:43Z\","
               "\"san\":[\"www.example.test\",\"evil.test\\u0000.good.test\","
               "\"192.0.2.1\",\"2001:db8::1\"],"
               "\"spki_sha256\":\"26f098e29780b01d327bed9a55f02029bea9ab5bd933028a89492422338b1a77\","
               "\"key\":\"RSA-1024\",\"rsa_exponent\":3,"
               "\"sig_alg\":\"ecdsa-with-SHA256\",\"ca\":false,\"self_signed\":false,"
               "\"subject_key_id\":\"f0d10f648cbfde5ece4aec15c539f6e326091876\","
               "\"authority_key_id\":\"bf977616a6e30e504e72265b7fa3ce6a7e4b01f4\"}");
    mw_x509_facts_free(&f);

    mw_json_reset(&j);
    CHECK(!mw_x509_parse(&f, der, len - 1));
    mw_x509_write_json(&f, &j);
    const char *t = mw_json_text(&j);
    /* head -c 590 leaf.der | sha256sum */
    const char *head = "{\"sha256\":\"fa54cf2c26cd859a388eebdd10e98c4bf2aa8a3b8c6ec4bdc46e2f8de84d2feb\","
                       "\"parse_error\":\"";
    CHECK(strncmp(t, head, strlen(head)) == 0);
    CHECK(strstr(t, "\"subject\":null,\"issuer\":null,\"serial\":null,"
                    "\"not_before\":null,\"not_after\":null,\"san\":null,"
                    "\"spki_sha256\":null,\"key\":null,\"rsa_exponent\":null,"
                    "\"sig_alg\":null,\"ca\":null,\"self_signed\":null,"
                    "\"subject_key_id\":null,\"authority_key_id\":null}") != NULL);
    mw_x509_facts_free(&f);
    mw_json_free(&j);
    free(der);
}

static void test_free_twice(void)
{
    mw_x509_facts f;

    memset(&f, 0, sizeof(f));
    mw_x509_facts_free(&f);
    mw_x509_facts_free(&f);
    CHECK(f.x509 == NULL && f.parse_error == NULL);
}

int main(void)
{
    RUN(test_rogue_roots);
    RUN(test_qaznet_details);
    RUN(test_test_ca);
    RUN(test_leaf_san);
    RUN(test_bare_v1);
    RUN(test_utf8_name);
    RUN(test_unconvertible_name);
    RUN(test_parse_errors);
    RUN(test_json);
    RUN(test_free_twice);
    return check_summary();
}
