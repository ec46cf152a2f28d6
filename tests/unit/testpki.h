/*
 * testpki.h - certificates made with OpenSSL for the unit tests of
 * detection (test_verdict.c, test_trust.c): RSA keys of a chosen public
 * exponent, certificates from a short spec, PEM files in a temporary
 * directory the test creates (tmpdir) and removes.
 */
#ifndef MW_TESTPKI_H
#define MW_TESTPKI_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

static char tmpdir[64];

static EVP_PKEY *rsa_key(unsigned exponent)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    BIGNUM *e = BN_new();
    if (c && e && BN_set_word(e, exponent) && EVP_PKEY_keygen_init(c) == 1 &&
        EVP_PKEY_CTX_set_rsa_keygen_bits(c, 1024) == 1 &&
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(c, e) == 1)
        (void)EVP_PKEY_keygen(c, &k);
    BN_free(e);
    EVP_PKEY_CTX_free(c);
    return k;
}

typedef struct spec {
    const char *subject;  /* "C=KZ/CN=..." pairs separated by '/' */
    EVP_PKEY *key;
    X509 *issuer;         /* NULL: self-signed */
    EVP_PKEY *issuer_key;
    long not_before, not_after;
    bool ca;
    const char *san;      /* "DNS:a.test,IP:192.0.2.7" or NULL */
    bool key_ids;         /* subject and authority key identifiers */
} spec;

static void add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (e) {
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
}

static X509 *make_cert(const spec *s)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s->subject);
    for (char *tok = strtok(buf, "/"); tok; tok = strtok(NULL, "/")) {
        char *eq = strchr(tok, '=');
        *eq = '\0';
        X509_NAME_add_entry_by_txt(n, tok, MBSTRING_ASC, (unsigned char *)(eq + 1), -1,
                                   -1, 0);
    }
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer) : n);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after);
    X509_set_pubkey(x, s->key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, s->issuer ? s->issuer : x, x, NULL, NULL, 0);
    if (s->ca) {
        add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    if (s->san)
        add_ext(x, &ctx, NID_subject_alt_name, s->san);
    if (s->key_ids) {
        add_ext(x, &ctx, NID_subject_key_identifier, "hash");
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    }
    X509_sign(x, s->issuer_key ? s->issuer_key : s->key, EVP_sha256());
    X509_NAME_free(n);
    return x;
}

static const char *write_pem(const char *name, X509 *const *certs, size_t n)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    for (size_t i = 0; f && i < n; i++)
        PEM_write_X509(f, certs[i]);
    if (f)
        fclose(f);
    return path;
}

#endif /* MW_TESTPKI_H */
