/*
 * test_siphash.c - SipHash against independent references.
 *
 *  - The SipHash-2-4 example of the paper (Aumasson, Bernstein, "SipHash:
 *    a fast short-input PRF", 2012, appendix A): key 00 01 .. 0f, message
 *    00 01 .. 0e, result a129ca6149be45e5; and the reference
 *    implementation's first vector (empty message): 726fdb47dd0e0e31.
 *  - OpenSSL's own SIPHASH MAC (a separate implementation) for every
 *    message length 0..64, with 2-4 and with 1-3 rounds (its c-rounds and
 *    d-rounds parameters), so the tail handling and the round counts the
 *    tables use are covered.
 *  - The key from MITMWATCH_HASH_KEY, and a malformed one refused.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>

#include "check.h"
#include "common/siphash.h"

static const uint8_t key_bytes[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void test_paper_vectors(void)
{
    mw_hashkey k;
    uint8_t msg[15];

    for (unsigned i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)i;
    mw_hashkey_from_bytes(&k, key_bytes);
    CHECK_EQ_U(k.k0, 0x0706050403020100ull);  /* the paper's k0, k1 */
    CHECK_EQ_U(k.k1, 0x0f0e0d0c0b0a0908ull);
    CHECK_EQ_U(mw_siphash(&k, msg, 15, 2, 4), 0xa129ca6149be45e5ull);
    CHECK_EQ_U(mw_siphash(&k, msg, 0, 2, 4), 0x726fdb47dd0e0e31ull);
}

/* OpenSSL's SipHash-c-d of msg under key_bytes, as a little-endian u64. */
static uint64_t openssl_siphash(const uint8_t *msg, size_t len, unsigned c, unsigned d)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    size_t size = 8, outl = 0;
    unsigned int cr = c, dr = d;
    uint8_t out[16];
    uint64_t v = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
        OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_C_ROUNDS, &cr),
        OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_D_ROUNDS, &dr),
        OSSL_PARAM_construct_end(),
    };

    if (ctx == NULL || !EVP_MAC_init(ctx, key_bytes, sizeof key_bytes, params) ||
        !EVP_MAC_update(ctx, msg, len) || !EVP_MAC_final(ctx, out, &outl, sizeof out) ||
        outl != 8) {
        CHECK(!"OpenSSL SIPHASH failed");
    } else {
        for (int i = 7; i >= 0; i--)
            v = v << 8 | out[i];
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return v;
}

static void test_against_openssl(void)
{
    uint8_t msg[64];
    mw_hashkey k;

    mw_hashkey_from_bytes(&k, key_bytes);
    for (unsigned i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    /* The check of the reference itself: it agrees with the paper. */
    {
        uint8_t m15[15];
        for (unsigned i = 0; i < 15; i++)
            m15[i] = (uint8_t)i;
        CHECK_EQ_U(openssl_siphash(m15, 15, 2, 4), 0xa129ca6149be45e5ull);
    }
    for (size_t len = 0; len <= sizeof msg; len++) {
        CHECK_EQ_U(mw_siphash(&k, msg, len, 2, 4), openssl_siphash(msg, len, 2, 4));
        CHECK_EQ_U(mw_siphash13(&k, msg, len), openssl_siphash(msg, len, 1, 3));
    }
}

static void test_key_from_env(void)
{
    mw_hashkey k, k2;
    const char *why;

    CHECK(setenv(MW_HASH_KEY_ENV, "000102030405060708090a0b0c0d0e0f", 1) == 0);
    CHECK(mw_hashkey_init(&k, &why));
    CHECK(why == NULL);
    CHECK_EQ_U(k.k0, 0x0706050403020100ull);
    CHECK_EQ_U(k.k1, 0x0f0e0d0c0b0a0908ull);

    CHECK(setenv(MW_HASH_KEY_ENV, "0001020304zz", 1) == 0);
    CHECK(!mw_hashkey_init(&k, &why));
    CHECK(why != NULL && strstr(why, MW_HASH_KEY_ENV) != NULL);

    /* Unset: random, so two keys differ (a 2^-128 chance of a false alarm). */
    CHECK(unsetenv(MW_HASH_KEY_ENV) == 0);
    CHECK(mw_hashkey_init(&k, &why));
    CHECK(mw_hashkey_init(&k2, &why));
    CHECK(k.k0 != k2.k0 || k.k1 != k2.k1);
}

int main(void)
{
    RUN(test_paper_vectors);
    RUN(test_against_openssl);
    RUN(test_key_from_env);
    return check_summary();
}
