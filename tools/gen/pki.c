/*
 * pki.c - the generator's test PKI, made at run time from the seed:
 * a "public" root and issuing CA (the tests' trust store), a look-alike of
 * the 2019 Kazakh hierarchy (names only: these keys are ours), and a
 * corporate inspection CA. Every time is fixed (no wall clock) so output
 * is byte-identical run to run.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "mwgen.h"

/* 2019-06-01T00:00:00Z: every certificate's validity hangs off this. */
#define MW_PKI_EPOCH   1559347200
#define MW_DAY         ((time_t) 86400)

static EVP_PKEY *
rsa_key(unsigned bits, unsigned long e)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
    EVP_PKEY *k = NULL;
    BIGNUM *bn = BN_new();

    if (c == NULL || bn == NULL || EVP_PKEY_keygen_init(c) <= 0
        || EVP_PKEY_CTX_set_rsa_keygen_bits(c, (int) bits) <= 0
        || !BN_set_word(bn, e)
        || EVP_PKEY_CTX_set1_rsa_keygen_pubexp(c, bn) <= 0
        || EVP_PKEY_keygen(c, &k) <= 0) {
        k = NULL;
    }
    BN_free(bn);
    EVP_PKEY_CTX_free(c);
    return k;
}

static X509_NAME *
mk_name(const char *c, const char *o, const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    if (n == NULL) {
        return NULL;
    }
    if (c) {
        X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8,
                                   (const unsigned char *) c, -1, -1, 0);
    }
    if (o) {
        X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                                   (const unsigned char *) o, -1, -1, 0);
    }
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                               (const unsigned char *) cn, -1, -1, 0);
    return n;
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ex;
    int ok;

    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ex == NULL) {
        return -1;
    }
    ok = X509_add_ext(x, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

static int
set_serial(X509 *x, const unsigned char *s, size_t n)
{
    BIGNUM *bn = BN_bin2bn(s, (int) n, NULL);
    ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    int ok = ai != NULL && X509_set_serialNumber(x, ai);

    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return ok ? 0 : -1;
}

static void
rand_serial(unsigned char s[16])
{
    /* OpenSSL's RAND is ours: draw through it to stay in one stream. */
    RAND_bytes(s, 16);
    s[0] &= 0x7f;               /* positive, full length */
    if (s[0] == 0) {
        s[0] = 1;
    }
}

/* A certificate shell: version 3, serial, names, validity, public key. */
static X509 *
mk_cert(X509_NAME *subj, X509_NAME *iss, EVP_PKEY *pub,
        const unsigned char *serial, time_t nb, time_t na)
{
    X509 *x = X509_new();

    if (x == NULL || !X509_set_version(x, 2) || set_serial(x, serial, 16)
        || !X509_set_subject_name(x, subj) || !X509_set_issuer_name(x, iss)
        || !ASN1_TIME_set(X509_getm_notBefore(x), nb)
        || !ASN1_TIME_set(X509_getm_notAfter(x), na)
        || !X509_set_pubkey(x, pub)) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int
mk_ca(mw_cred_t *out, const mw_cred_t *parent, const char *c, const char *o,
      const char *cn, unsigned bits, time_t nb, time_t na, int key_ids)
{
    X509_NAME *n = mk_name(c, o, cn);
    unsigned char serial[16];
    X509 *x;

    out->key = rsa_key(bits, RSA_F4);
    if (n == NULL || out->key == NULL) {
        X509_NAME_free(n);
        return -1;
    }
    rand_serial(serial);
    x = mk_cert(n, parent ? X509_get_subject_name(parent->cert) : n,
                out->key, serial, nb, na);
    X509_NAME_free(n);
    if (x == NULL
        || add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE")
        || add_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign")
        || (key_ids && add_ext(x, NULL, NID_subject_key_identifier, "hash"))
        || (key_ids && parent
            && add_ext(x, parent->cert, NID_authority_key_identifier,
                       "keyid:always"))
        || !X509_sign(x, parent ? parent->key : out->key, EVP_sha256())) {
        X509_free(x);
        return -1;
    }
    out->cert = x;
    return 0;
}

void
mw_sha256_hex(X509 *x, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0, i;

    if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32) {
        memset(md, 0, sizeof(md));
    }
    for (i = 0; i < 32; i++) {
        snprintf(out + (size_t) 2 * i, 3, "%02x", md[i]);
    }
    out[64] = '\0';
}

int
mw_pki_init(mw_pki_t *pki, uint64_t seed, int fast)
{
    time_t e = MW_PKI_EPOCH;
    mw_rng_t saved;
    int rc;

    memset(pki, 0, sizeof(*pki));
    pki->seed = seed;
    pki->fast = fast;
    mw_rand_save(&saved);
    mw_rand_reseed(seed, "pki", 0);
    rc = mk_ca(&pki->pub_root, NULL, "US", "mwgen Test Trust Services",
               "mwgen Test Public Root R1", fast ? 1024 : 2048,
               e - 2000 * MW_DAY, e + 5000 * MW_DAY, 1)
      || mk_ca(&pki->pub_ca, &pki->pub_root, "US", "mwgen Test Trust Services",
               "mwgen Test Issuing CA 1O1", fast ? 1024 : 2048,
               e - 600 * MW_DAY, e + 1200 * MW_DAY, 1)
      /* Look-alike of the 2019 hierarchy: same names and sizes only. */
      || mk_ca(&pki->kz_root, NULL, "KZ", NULL, "Qaznet Trust Network",
               fast ? 1024 : 4096, e - 1100 * MW_DAY, e + 9900 * MW_DAY, 0)
      || mk_ca(&pki->kz_ca, &pki->kz_root, "KZ", NULL, "Security Certificate",
               fast ? 1024 : 2048, e - 200 * MW_DAY, e + 895 * MW_DAY, 0)
      || mk_ca(&pki->corp_ca, NULL, "US", "Example Corp",
               "Example Corp SSL Inspection CA", fast ? 1024 : 2048,
               e - 400 * MW_DAY, e + 3250 * MW_DAY, 1);
    if (rc == 0) {
        /* Inspection proxies commonly reuse one key for every leaf. */
        pki->corp_leaf_key = rsa_key(fast ? 1024 : 2048, RSA_F4);
        rc = pki->corp_leaf_key ? 0 : -1;
    }
    if (rc == 0) {
        mw_sha256_hex(pki->pub_ca.cert, pki->pub_ca_hex);
        mw_sha256_hex(pki->kz_ca.cert, pki->kz_ca_hex);
        mw_sha256_hex(pki->corp_ca.cert, pki->corp_ca_hex);
    }
    mw_rand_restore(&saved);
    return rc ? -1 : 0;
}

static void
cred_free(mw_cred_t *c)
{
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    c->cert = NULL;
    c->key = NULL;
}

void
mw_pki_free(mw_pki_t *pki)
{
    mw_host_t *h, *next;
    int i;

    for (h = pki->hosts; h; h = next) {
        next = h->next;
        cred_free(&h->leaf);
        SSL_CTX_free(h->srv);
        for (i = 0; i < MW_KZ_ERAS; i++) {
            cred_free(&h->kz[i]);
            SSL_CTX_free(h->kz_srv[i]);
        }
        X509_free(h->corp.cert);    /* key is pki->corp_leaf_key */
        SSL_CTX_free(h->corp_srv);
        free(h);
    }
    cred_free(&pki->pub_root);
    cred_free(&pki->pub_ca);
    cred_free(&pki->kz_root);
    cred_free(&pki->kz_ca);
    cred_free(&pki->corp_ca);
    EVP_PKEY_free(pki->corp_leaf_key);
    memset(pki, 0, sizeof(*pki));
}

static int
write_pem(const char *dir, const char *file, X509 *a, X509 *b)
{
    char path[4096];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    ok = PEM_write_X509(f, a) && (b == NULL || PEM_write_X509(f, b));
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int
mw_pki_write(const mw_pki_t *pki, const char *dir)
{
    return (write_pem(dir, "trust-store.pem", pki->pub_root.cert,
                      pki->pub_ca.cert)
            || write_pem(dir, "kz-2019-root.pem", pki->kz_root.cert, NULL)
            || write_pem(dir, "kz-2019-intermediate.pem", pki->kz_ca.cert,
                         NULL)
            || write_pem(dir, "corporate-ca.pem", pki->corp_ca.cert, NULL))
           ? -1 : 0;
}

/* The cert's name: the last two labels ("mail.google.com" -> google.com). */
static void
registered_domain(const char *host, char *out, size_t n)
{
    const char *last = strrchr(host, '.'), *p = host, *prev = NULL;

    if (last == NULL) {
        snprintf(out, n, "%s", host);
        return;
    }
    for (p = host; p < last; p++) {
        if (*p == '.') {
            prev = p;
        }
    }
    snprintf(out, n, "%s", prev ? prev + 1 : host);
}

mw_host_t *
mw_pki_host(mw_pki_t *pki, const char *server_host)
{
    char name[128], buf[300];
    mw_host_t *h;
    X509_NAME *subj;
    EVP_PKEY *k;
    mw_rng_t saved;
    time_t nb;
    unsigned off;

    registered_domain(server_host, name, sizeof(name));
    for (h = pki->hosts; h; h = h->next) {
        if (strcmp(h->name, name) == 0) {
            return h;
        }
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return NULL;
    }
    snprintf(h->name, sizeof(h->name), "%s", name);
    /* Per-host stream: a host's certificate is the same in every scenario. */
    mw_rand_save(&saved);
    mw_rand_reseed(pki->seed, name, 1);
    k = EVP_EC_gen("P-256");
    rand_serial(h->serial);
    off = (unsigned) (h->serial[1] % 20) * MW_DAY + (h->serial[2] << 8)
          + h->serial[3];
    nb = MW_PKI_EPOCH - 40 * MW_DAY + (time_t) off;
    h->not_before = nb;
    h->not_after = nb + 180 * MW_DAY;
    snprintf(buf, sizeof(buf), "*.%s", name);
    subj = mk_name("US", name, buf);
    h->leaf.key = k;
    h->leaf.cert = (k && subj) ? mk_cert(subj,
                                         X509_get_subject_name(pki->pub_ca.cert),
                                         k, h->serial, h->not_before,
                                         h->not_after) : NULL;
    X509_NAME_free(subj);
    snprintf(buf, sizeof(buf), "DNS:*.%s,DNS:%s", name, name);
    if (h->leaf.cert == NULL
        || add_ext(h->leaf.cert, NULL, NID_basic_constraints, "CA:FALSE")
        || add_ext(h->leaf.cert, NULL, NID_key_usage,
                   "critical,digitalSignature")
        || add_ext(h->leaf.cert, NULL, NID_ext_key_usage, "serverAuth")
        || add_ext(h->leaf.cert, NULL, NID_subject_alt_name, buf)
        || add_ext(h->leaf.cert, NULL, NID_subject_key_identifier, "hash")
        || add_ext(h->leaf.cert, pki->pub_ca.cert,
                   NID_authority_key_identifier, "keyid:always")
        || !X509_sign(h->leaf.cert, pki->pub_ca.key, EVP_sha256())
        || (h->srv = mw_server_ctx(&h->leaf, pki->pub_ca.cert,
                                   TLS1_3_VERSION)) == NULL) {
        mw_rand_restore(&saved);
        cred_free(&h->leaf);
        free(h);
        return NULL;
    }
    mw_rand_restore(&saved);
    mw_sha256_hex(h->leaf.cert, h->chain_hex[0]);
    mw_sha256_hex(pki->pub_ca.cert, h->chain_hex[1]);
    h->next = pki->hosts;
    pki->hosts = h;
    return h;
}

/*
 * The 2019 forgery of h's certificate: subject and SAN copied from the
 * genuine leaf, a fresh RSA key with e=3 (1024 bits before 19 July, 2048
 * after), validity shifted 6 hours earlier (24 from 30 July), the genuine
 * serial with its last 4 bytes randomized, no other extension.
 */
SSL_CTX *
mw_pki_kz(mw_pki_t *pki, mw_host_t *h, int era)
{
    static const time_t shift[MW_KZ_ERAS] = {
        (time_t) 6 * 3600, (time_t) 6 * 3600, (time_t) 24 * 3600
    };
    unsigned char serial[16];
    mw_rng_t saved;
    X509 *x = NULL;
    int loc;

    if (era < 0 || era >= MW_KZ_ERAS) {
        return NULL;
    }
    if (h->kz_srv[era]) {
        return h->kz_srv[era];
    }
    mw_rand_save(&saved);
    mw_rand_reseed(pki->seed, h->name, 10 + (uint64_t) era);
    h->kz[era].key = rsa_key(pki->fast || era == 0 ? 1024 : 2048, 3);
    memcpy(serial, h->serial, sizeof(serial));
    RAND_bytes(serial + 12, 4);
    loc = X509_get_ext_by_NID(h->leaf.cert, NID_subject_alt_name, -1);
    if (h->kz[era].key && loc >= 0) {
        x = mk_cert(X509_get_subject_name(h->leaf.cert),
                    X509_get_subject_name(pki->kz_ca.cert), h->kz[era].key,
                    serial, h->not_before - shift[era],
                    h->not_after - shift[era]);
    }
    if (x == NULL || !X509_add_ext(x, X509_get_ext(h->leaf.cert, loc), -1)
        || !X509_sign(x, pki->kz_ca.key, EVP_sha256())) {
        X509_free(x);
        mw_rand_restore(&saved);
        return NULL;
    }
    h->kz[era].cert = x;
    /* The box answers clients with TLS 1.2 at most: the chain is seen. */
    h->kz_srv[era] = mw_server_ctx(&h->kz[era], pki->kz_ca.cert,
                                   TLS1_2_VERSION);
    mw_rand_restore(&saved);
    mw_sha256_hex(x, h->kz_hex[era]);
    return h->kz_srv[era];
}

/* A corporate proxy's leaf: a normal-looking certificate from its CA. */
SSL_CTX *
mw_pki_corp(mw_pki_t *pki, mw_host_t *h)
{
    unsigned char serial[16];
    char san[300];
    mw_rng_t saved;
    X509 *x;

    if (h->corp_srv) {
        return h->corp_srv;
    }
    mw_rand_save(&saved);
    mw_rand_reseed(pki->seed, h->name, 20);
    rand_serial(serial);
    x = mk_cert(X509_get_subject_name(h->leaf.cert),
                X509_get_subject_name(pki->corp_ca.cert), pki->corp_leaf_key,
                serial, MW_PKI_EPOCH - 2 * MW_DAY, MW_PKI_EPOCH + 365 * MW_DAY);
    snprintf(san, sizeof(san), "DNS:*.%s,DNS:%s", h->name, h->name);
    if (x == NULL || add_ext(x, NULL, NID_basic_constraints, "CA:FALSE")
        || add_ext(x, NULL, NID_ext_key_usage, "serverAuth")
        || add_ext(x, NULL, NID_subject_alt_name, san)
        || add_ext(x, pki->corp_ca.cert, NID_authority_key_identifier,
                   "keyid:always")
        || !X509_sign(x, pki->corp_ca.key, EVP_sha256())) {
        X509_free(x);
        mw_rand_restore(&saved);
        return NULL;
    }
    h->corp.cert = x;
    h->corp.key = pki->corp_leaf_key;
    h->corp_srv = mw_server_ctx(&h->corp, pki->corp_ca.cert, TLS1_3_VERSION);
    h->corp.key = NULL;         /* owned by pki */
    mw_rand_restore(&saved);
    mw_sha256_hex(x, h->corp_hex);
    return h->corp_srv;
}
