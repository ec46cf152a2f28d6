/*
 * test_crypto.c - the fetched-once algorithms against published vectors.
 *
 *  - SHA-256 and SHA-1 of "abc" and of the empty string (FIPS 180-2,
 *    appendix B; the empty-string digests as NIST's examples list them).
 *  - HMAC-SHA256, RFC 4231 test cases 1 and 2, with one context keyed
 *    again between them (the QUIC key schedule does that), and an empty
 *    message (the empty DCID case): RFC 4231 has none, so OpenSSL's
 *    one-shot HMAC() is the reference there.
 *  - The fetched MD5 through EVP_Digest: RFC 1321's "abc".
 *  - The handles are the same from two threads (one fetch per process).
 */
#include <openssl/hmac.h>
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "common/crypto.h"

static void hex_to(const char *hex, uint8_t *out)
{
    for (size_t i = 0; hex[2 * i]; i++) {
        unsigned v = 0;
        (void)sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static void test_digests(void)
{
    uint8_t d[32], want[32];
    CHECK(mw_sha256("abc", 3, d));
    hex_to("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want);
    CHECK_MEM(d, want, 32);
    CHECK(mw_sha256(NULL, 0, d));
    hex_to("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
    CHECK_MEM(d, want, 32);
    CHECK(mw_sha1("abc", 3, d));
    hex_to("a9993e364706816aba3e25717850c26c9cd0d89d", want);
    CHECK_MEM(d, want, 20);
    CHECK(mw_sha1("", 0, d));
    hex_to("da39a3ee5e6b4b0d3255bfef95601890afd80709", want);
    CHECK_MEM(d, want, 20);
    unsigned int n = 0;
    CHECK(EVP_Digest("abc", 3, d, &n, mw_md_md5(), NULL) == 1);
    CHECK_EQ_U(n, 16);
    hex_to("900150983cd24fb0d6963f7d28e17f72", want);
    CHECK_MEM(d, want, 16);
}

static void test_hmac(void)
{
    EVP_MAC_CTX *c = mw_hmac_sha256_new();
    CHECK(c != NULL);
    uint8_t key[20], out[32], want[32];
    memset(key, 0x0b, sizeof key);
    CHECK(mw_hmac_sha256(c, key, 20, (const uint8_t *)"Hi There", 8, out));
    hex_to("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", want);
    CHECK_MEM(out, want, 32);
    CHECK(mw_hmac_sha256(c, (const uint8_t *)"Jefe", 4,
                         (const uint8_t *)"what do ya want for nothing?", 28, out));
    hex_to("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want);
    CHECK_MEM(out, want, 32);
    unsigned int n = 0;
    CHECK(HMAC(EVP_sha256(), key, 20, NULL, 0, want, &n) != NULL);
    CHECK(mw_hmac_sha256(c, key, 20, NULL, 0, out));
    CHECK_MEM(out, want, 32);
    EVP_MAC_CTX_free(c);
}

static void *fetch_in_thread(void *arg)
{
    (void)arg;
    return (void *)mw_md_sha256();
}

static void test_threads(void)
{
    pthread_t t;
    void *other = NULL;
    CHECK(pthread_create(&t, NULL, fetch_in_thread, NULL) == 0);
    const EVP_MD *here = mw_md_sha256();
    CHECK(pthread_join(t, &other) == 0);
    CHECK(other == (const void *)here);
    CHECK(mw_cipher_aes128_gcm() != NULL && mw_cipher_aes128_ecb() != NULL);
}

int main(void)
{
    RUN(test_digests);
    RUN(test_hmac);
    RUN(test_threads);
    return check_summary();
}
