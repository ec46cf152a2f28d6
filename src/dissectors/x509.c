/*
 * x509.c - certificate facts through OpenSSL (formats: see x509.h).
 */
#include "dissectors/x509.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "common/crypto.h"

static void mw_x509_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

static char *mw_x509_hex_dup(const uint8_t *p, size_t n)
{
    if (n > (SIZE_MAX - 1) / 2)
        return NULL;
    char *s = malloc(2 * n + 1);
    if (s)
        mw_x509_hex(p, n, s);
    return s;
}

static char *mw_x509_memdup_str(const void *p, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Dotted or short-name text of an OID, owned. OBJ_obj2txt returns the full
 * length, so a long OID gets a second, right-sized pass rather than being
 * cut. */
static char *mw_x509_obj_txt(const ASN1_OBJECT *obj, int no_name)
{
    char small[80];
    int n = OBJ_obj2txt(small, sizeof(small), obj, no_name);

    if (n < 0)
        return NULL;
    if ((size_t)n < sizeof(small))
        return mw_x509_memdup_str(small, (size_t)n);
    char *s = malloc((size_t)n + 1);
    if (s && OBJ_obj2txt(s, n + 1, obj, no_name) != n) {
        free(s);
        return NULL;
    }
    return s;
}

static char *mw_x509_name(const X509_NAME *name)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *s = NULL;

    if (!b)
        return NULL;
    /* A value OpenSSL cannot convert fails the whole print. d2i_X509 has
     * already refused such names (it canonicalises them), but should one get
     * through, RFC 4514's "#hex of the BER" form beats losing the name. */
    if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0 &&
        (BIO_reset(b) != 1 ||
         X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 | ASN1_STRFLGS_DUMP_ALL) < 0)) {
        BIO_free(b);
        return NULL;
    }
    char *p;
    long n = BIO_get_mem_data(b, &p);
    if (n >= 0)
        s = mw_x509_memdup_str(p, (size_t)n);
    BIO_free(b);
    return s;
}

static char *mw_x509_serial(const ASN1_INTEGER *ai)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
    char *s = NULL;

    if (!bn)
        return NULL;
    char *hex = BN_bn2hex(bn);
    if (hex) {
        s = mw_x509_memdup_str(hex, strlen(hex));
        for (char *p = s; p && *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
        OPENSSL_free(hex);
    }
    BN_free(bn);
    return s;
}

/* false only on allocation failure; an invalid time leaves NULL/0. */
static bool mw_x509_time(const ASN1_TIME *t, char **iso, int64_t *secs)
{
    struct tm tm;
    char buf[48];

    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return true;
    int n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return true;
    *secs = (int64_t)timegm(&tm);
    *iso = mw_x509_memdup_str(buf, (size_t)n);
    return *iso != NULL;
}

static bool mw_x509_san(mw_x509_facts *f, X509 *x)
{
    int crit = -1;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);

    if (!gens) {
        /* -1: absent; -2: more than one; >= 0: present but undecodable */
        if (crit != -1)
            f->san_bad = true;
        ERR_clear_error();
        return true;
    }

    int total = sk_GENERAL_NAME_num(gens);
    size_t cap = total > 0 ? (size_t)total : 0;
    if (cap > MW_X509_MAX_SAN)
        cap = MW_X509_MAX_SAN;
    bool ok = true;
    if (cap) {
        f->san_dns = calloc(cap, sizeof(*f->san_dns));
        f->san_ip = calloc(cap, sizeof(*f->san_ip));
        ok = f->san_dns && f->san_ip;
    }

    for (int i = 0; ok && i < total; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        int type;
        const ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);

        if (type == GEN_DNS) {
            if (f->n_san_dns == cap) {
                f->san_dropped++;
                continue;
            }
            size_t n = (size_t)ASN1_STRING_length(v);
            char *s = mw_x509_memdup_str(ASN1_STRING_get0_data(v), n);
            if (!s) {
                ok = false;
                break;
            }
            f->san_dns[f->n_san_dns].str = s;
            f->san_dns[f->n_san_dns].len = n;
            f->n_san_dns++;
        } else if (type == GEN_IPADD) {
            int len = ASN1_STRING_length(v);
            char buf[INET6_ADDRSTRLEN];
            int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;

            if (f->n_san_ip == cap || af == 0 ||
                !inet_ntop(af, ASN1_STRING_get0_data(v), buf, sizeof(buf))) {
                f->san_dropped++;
                continue;
            }
            char *s = mw_x509_memdup_str(buf, strlen(buf));
            if (!s) {
                ok = false;
                break;
            }
            f->san_ip[f->n_san_ip++] = s;
        } else {
            f->n_san_other++;
        }
    }
    GENERAL_NAMES_free(gens);
    return ok;
}

static bool mw_x509_key(mw_x509_facts *f, X509 *x)
{
    X509_PUBKEY *xpk = X509_get_X509_PUBKEY(x);
    unsigned char *der = NULL;
    int n = xpk ? i2d_X509_PUBKEY(xpk, &der) : -1;

    /* Cannot fail for a key d2i_X509 accepted short of memory; leave the
     * pin empty rather than lose the other facts. */
    if (n > 0) {
        (void)mw_sha256(der, (size_t)n, f->spki_sha256_raw);
        mw_x509_hex(f->spki_sha256_raw, sizeof(f->spki_sha256_raw), f->spki_sha256);
    }
    OPENSSL_free(der);

    EVP_PKEY *pk = X509_get0_pubkey(x);
    const char *type = NULL;
    if (pk) {
        switch (EVP_PKEY_get_base_id(pk)) {
        case EVP_PKEY_RSA: type = "RSA"; break;
        case EVP_PKEY_RSA_PSS: type = "RSA-PSS"; break;
        case EVP_PKEY_EC: type = "EC"; break;
        case EVP_PKEY_ED25519: type = "Ed25519"; break;
        case EVP_PKEY_ED448: type = "Ed448"; break;
        case EVP_PKEY_DSA: type = "DSA"; break;
        case EVP_PKEY_X25519: type = "X25519"; break;
        case EVP_PKEY_X448: type = "X448"; break;
        case EVP_PKEY_DH:
        case EVP_PKEY_DHX: type = "DH"; break;
        default: break;
        }
    }
    if (type) {
        f->key_type = mw_x509_memdup_str(type, strlen(type));
        f->key_bits = EVP_PKEY_get_bits(pk);
    } else {
        /* Unknown or undecodable key: name the algorithm it claims. */
        ASN1_OBJECT *alg = NULL;
        if (X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xpk) && alg)
            f->key_type = mw_x509_obj_txt(alg, 0);
        else
            f->key_type = mw_x509_memdup_str("unknown", 7);
        pk = NULL;
    }
    if (!f->key_type)
        return false;

    if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
        BIGNUM *e = NULL;
        if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) && e &&
            !BN_is_negative(e) && BN_num_bytes(e) <= 8) {
            uint8_t be[8];
            if (BN_bn2binpad(e, be, sizeof(be)) == (int)sizeof(be)) {
                uint64_t v = 0;
                for (size_t i = 0; i < sizeof(be); i++)
                    v = (v << 8) | be[i];
                f->rsa_exponent = v;
            }
        }
        BN_free(e);
    } else if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
        char name[80];
        size_t len = 0;
        if (EVP_PKEY_get_group_name(pk, name, sizeof(name), &len) && len < sizeof(name)) {
            f->ec_curve = mw_x509_memdup_str(name, len);
            if (!f->ec_curve)
                return false;
        }
    }
    ERR_clear_error();
    return true;
}

static bool mw_x509_exts(mw_x509_facts *f, X509 *x)
{
    int n = X509_get_ext_count(x);

    if (n <= 0)
        return true;
    f->ext_count = (size_t)n;
    size_t keep = f->ext_count < MW_X509_MAX_EXT ? f->ext_count : MW_X509_MAX_EXT;
    f->ext_oids = calloc(keep, sizeof(*f->ext_oids));
    if (!f->ext_oids)
        return false;
    for (size_t i = 0; i < keep; i++) {
        X509_EXTENSION *ext = X509_get_ext(x, (int)i);
        const ASN1_OBJECT *obj = ext ? X509_EXTENSION_get_object(ext) : NULL;
        int nid = obj ? OBJ_obj2nid(obj) : NID_undef;
        const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
        char *s = sn ? mw_x509_memdup_str(sn, strlen(sn)) : obj ? mw_x509_obj_txt(obj, 1) : NULL;
        if (!s)
            return false;
        f->ext_oids[f->n_ext_oids++] = s;
    }
    return true;
}

static bool mw_x509_facts_fill(mw_x509_facts *f, X509 *x)
{
    f->version = X509_get_version(x) + 1;
    f->subject = mw_x509_name(X509_get_subject_name(x));
    f->issuer = mw_x509_name(X509_get_issuer_name(x));
    f->serial = mw_x509_serial(X509_get0_serialNumber(x));
    if (!f->subject || !f->issuer || !f->serial)
        return false;
    if (!mw_x509_time(X509_get0_notBefore(x), &f->not_before, &f->not_before_t) ||
        !mw_x509_time(X509_get0_notAfter(x), &f->not_after, &f->not_after_t))
        return false;
    if (!mw_x509_san(f, x) || !mw_x509_key(f, x) || !mw_x509_exts(f, x))
        return false;

    int sig_nid = X509_get_signature_nid(x);
    if (sig_nid != NID_undef) {
        const char *ln = OBJ_nid2ln(sig_nid);
        f->sig_alg = ln ? mw_x509_memdup_str(ln, strlen(ln)) : NULL;
    } else {
        const X509_ALGOR *alg = NULL;
        const ASN1_OBJECT *obj = NULL;
        X509_get0_signature(NULL, &alg, x);
        if (alg)
            X509_ALGOR_get0(&obj, NULL, NULL, alg);
        f->sig_alg = obj ? mw_x509_obj_txt(obj, 1) : mw_x509_memdup_str("unknown", 7);
    }
    if (!f->sig_alg)
        return false;

    /* Read the extension directly: X509_get_extension_flags() folds a
     * malformed one into "invalid" and we want presence and value apart. */
    int crit = -1;
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    f->has_basic_constraints = X509_get_ext_by_NID(x, NID_basic_constraints, -1) >= 0;
    f->ca = bc && bc->ca;
    BASIC_CONSTRAINTS_free(bc);

    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(x);
    if (skid) {
        f->subject_key_id = mw_x509_hex_dup(ASN1_STRING_get0_data(skid),
                                            (size_t)ASN1_STRING_length(skid));
        if (!f->subject_key_id)
            return false;
    }
    const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(x);
    if (akid) {
        f->authority_key_id = mw_x509_hex_dup(ASN1_STRING_get0_data(akid),
                                              (size_t)ASN1_STRING_length(akid));
        if (!f->authority_key_id)
            return false;
    }

    f->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    if (f->self_issued && X509_check_issued(x, x) == X509_V_OK) {
        EVP_PKEY *pk = X509_get0_pubkey(x);
        f->self_signed = pk && X509_verify(x, pk) == 1;
    }
    ERR_clear_error();
    return true;
}

bool mw_x509_parse(mw_x509_facts *f, const uint8_t *der, size_t len)
{
    static const uint8_t empty[1];
    uint8_t md[SHA256_DIGEST_LENGTH];

    memset(f, 0, sizeof(*f));
    if (!der)
        len = 0;
    (void)mw_sha256(len ? der : empty, len, md);
    mw_x509_hex(md, sizeof(md), f->sha256);

    if (len == 0) {
        f->parse_error = "empty certificate";
        return false;
    }
    if (len > LONG_MAX) {
        f->parse_error = "certificate too large";
        return false;
    }

    const unsigned char *p = der;
    ERR_clear_error();
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x) {
        const char *r = ERR_reason_error_string(ERR_peek_last_error());
        f->parse_error = r ? r : "malformed certificate";
        ERR_clear_error();
        return false;
    }
    if ((size_t)(p - der) != len) {
        X509_free(x);
        f->parse_error = "trailing bytes after certificate";
        return false;
    }

    f->x509 = x;
    if (!mw_x509_facts_fill(f, x)) {
        char sha[65];
        memcpy(sha, f->sha256, sizeof(sha));
        mw_x509_facts_free(f);
        memcpy(f->sha256, sha, sizeof(sha));
        f->parse_error = "out of memory";
        ERR_clear_error();
        return false;
    }
    return true;
}

bool mw_x509_parse_cursor(mw_x509_facts *f, const mw_cursor *c)
{
    return mw_x509_parse(f, mw_cursor_data(c), mw_cursor_len(c));
}

void mw_x509_facts_free(mw_x509_facts *f)
{
    X509_free(f->x509);
    free(f->subject);
    free(f->issuer);
    free(f->serial);
    free(f->not_before);
    free(f->not_after);
    for (size_t i = 0; i < f->n_san_dns; i++)
        free(f->san_dns[i].str);
    free(f->san_dns);
    for (size_t i = 0; i < f->n_san_ip; i++)
        free(f->san_ip[i]);
    free(f->san_ip);
    free(f->key_type);
    free(f->ec_curve);
    free(f->sig_alg);
    free(f->subject_key_id);
    free(f->authority_key_id);
    for (size_t i = 0; i < f->n_ext_oids; i++)
        free(f->ext_oids[i]);
    free(f->ext_oids);
    memset(f, 0, sizeof(*f));
}

X509 *mw_x509_get0(const mw_x509_facts *f)
{
    return f->x509;
}

void mw_x509_spki_pin_b64(const mw_x509_facts *f, char out[45])
{
    if (f->parse_error || !f->x509) {
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, f->spki_sha256_raw, (int)sizeof(f->spki_sha256_raw));
}

void mw_x509_key_desc(const mw_x509_facts *f, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    if (f->parse_error || !f->key_type)
        return;
    const char *t = f->key_type;
    if (strcmp(t, "EC") == 0) {
        if (f->ec_curve)
            snprintf(buf, n, "EC-%s", f->ec_curve);
        else
            snprintf(buf, n, "EC-%d", f->key_bits);
    } else if (strcmp(t, "RSA") == 0 || strcmp(t, "RSA-PSS") == 0 ||
               strcmp(t, "DSA") == 0 || strcmp(t, "DH") == 0) {
        snprintf(buf, n, "%s-%d", t, f->key_bits);
    } else {
        snprintf(buf, n, "%s", t);
    }
}

void mw_x509_write_json(const mw_x509_facts *f, mw_json *j)
{
    bool ok = f->parse_error == NULL && f->x509 != NULL;
    char key[MW_X509_KEY_DESC_LEN];

    mw_json_object_begin(j);
    mw_json_kv_string(j, "sha256", f->sha256);
    mw_json_kv_string(j, "parse_error", f->parse_error);
    mw_json_kv_string(j, "subject", f->subject);
    mw_json_kv_string(j, "issuer", f->issuer);
    mw_json_kv_string(j, "serial", f->serial);
    mw_json_kv_string(j, "not_before", f->not_before);
    mw_json_kv_string(j, "not_after", f->not_after);
    mw_json_key(j, "san");
    if (ok) {
        mw_json_array_begin(j);
        for (size_t i = 0; i < f->n_san_dns; i++)
            mw_json_string_n(j, f->san_dns[i].str, f->san_dns[i].len);
        for (size_t i = 0; i < f->n_san_ip; i++)
            mw_json_string(j, f->san_ip[i]);
        mw_json_array_end(j);
    } else {
        mw_json_null(j);
    }
    mw_json_kv_string(j, "spki_sha256", ok ? f->spki_sha256 : NULL);
    mw_x509_key_desc(f, key, sizeof(key));
    mw_json_kv_string(j, "key", ok && key[0] ? key : NULL);
    if (ok && f->key_type && strcmp(f->key_type, "RSA") == 0 && f->rsa_exponent)
        mw_json_kv_uint(j, "rsa_exponent", f->rsa_exponent);
    else
        mw_json_kv_null(j, "rsa_exponent");
    mw_json_kv_string(j, "sig_alg", f->sig_alg);
    if (ok) {
        mw_json_kv_bool(j, "ca", f->ca);
        mw_json_kv_bool(j, "self_signed", f->self_signed);
    } else {
        mw_json_kv_null(j, "ca");
        mw_json_kv_null(j, "self_signed");
    }
    mw_json_kv_string(j, "subject_key_id", f->subject_key_id);
    mw_json_kv_string(j, "authority_key_id", f->authority_key_id);
    mw_json_object_end(j);
}
