/*
 * crypto.c - see crypto.h.
 */
#include "common/crypto.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>

/* Process-wide but written once, before any reader can see them
 * (pthread_once), and never again: shared read-only state. */
static struct {
    pthread_once_t once;
    EVP_MD *sha256, *sha1, *md5;
    EVP_CIPHER *ecb, *gcm;
    EVP_MAC_CTX *hmac; /* HMAC with SHA-256 set: copied, never keyed */
} fetched = {.once = PTHREAD_ONCE_INIT};

static void fetch_all(void)
{
    fetched.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    fetched.sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    fetched.md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    fetched.ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
    fetched.gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    fetched.hmac = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context holds its own reference */
    char name[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
                           OSSL_PARAM_construct_end()};
    if (fetched.hmac && EVP_MAC_CTX_set_params(fetched.hmac, params) != 1) {
        EVP_MAC_CTX_free(fetched.hmac);
        fetched.hmac = NULL;
    }
}

static void init(void)
{
    (void)pthread_once(&fetched.once, fetch_all);
}

const EVP_MD *mw_md_sha256(void)
{
    init();
    return fetched.sha256 ? fetched.sha256 : EVP_sha256();
}

const EVP_MD *mw_md_sha1(void)
{
    init();
    return fetched.sha1 ? fetched.sha1 : EVP_sha1();
}

const EVP_MD *mw_md_md5(void)
{
    init();
    return fetched.md5 ? fetched.md5 : EVP_md5();
}

const EVP_CIPHER *mw_cipher_aes128_ecb(void)
{
    init();
    return fetched.ecb ? fetched.ecb : EVP_aes_128_ecb();
}

const EVP_CIPHER *mw_cipher_aes128_gcm(void)
{
    init();
    return fetched.gcm ? fetched.gcm : EVP_aes_128_gcm();
}

static bool digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out, size_t outlen)
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == outlen)
        return true;
    memset(out, 0, outlen);
    return false;
}

bool mw_sha256(const void *data, size_t len, uint8_t out[32])
{
    return digest(mw_md_sha256(), data, len, out, 32);
}

bool mw_sha1(const void *data, size_t len, uint8_t out[20])
{
    return digest(mw_md_sha1(), data, len, out, 20);
}

EVP_MAC_CTX *mw_hmac_sha256_new(void)
{
    init();
    return fetched.hmac ? EVP_MAC_CTX_dup(fetched.hmac) : NULL;
}

bool mw_hmac_sha256(EVP_MAC_CTX *ctx, const uint8_t *key, size_t keylen, const uint8_t *data,
                    size_t len, uint8_t out[32])
{
    size_t n = 0;
    static const uint8_t none[1] = {0};
    if (ctx && EVP_MAC_init(ctx, key, keylen, NULL) == 1 &&
        EVP_MAC_update(ctx, len ? data : none, len) == 1 &&
        EVP_MAC_final(ctx, out, &n, 32) == 1 && n == 32)
        return true;
    memset(out, 0, 32);
    return false;
}
