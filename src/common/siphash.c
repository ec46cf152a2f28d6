/*
 * siphash.c - SipHash-c-d, and the per-run key.
 *
 * Written from the paper's description (section 2): four 64-bit words of
 * state initialised from the key and "somepseudorandomlygeneratedbytes",
 * c SipRounds per 8-byte message word, the length in the top byte of the
 * last word, then 0xff into v2 and d SipRounds.
 */
#include "common/siphash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static inline uint64_t mw_rotl(uint64_t x, unsigned b) { return (x << b) | (x >> (64 - b)); }

static inline uint64_t mw_le64(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#define MW_SIPROUND                                                                \
    do {                                                                           \
        v0 += v1; v1 = mw_rotl(v1, 13); v1 ^= v0; v0 = mw_rotl(v0, 32);            \
        v2 += v3; v3 = mw_rotl(v3, 16); v3 ^= v2;                                  \
        v0 += v3; v3 = mw_rotl(v3, 21); v3 ^= v0;                                  \
        v2 += v1; v1 = mw_rotl(v1, 17); v1 ^= v2; v2 = mw_rotl(v2, 32);            \
    } while (0)

uint64_t mw_siphash(const mw_hashkey *key, const void *in, size_t len, unsigned c_rounds,
                    unsigned d_rounds)
{
    const uint8_t *p = in;
    uint64_t v0 = 0x736f6d6570736575ull ^ key->k0;
    uint64_t v1 = 0x646f72616e646f6dull ^ key->k1;
    uint64_t v2 = 0x6c7967656e657261ull ^ key->k0;
    uint64_t v3 = 0x7465646279746573ull ^ key->k1;
    size_t i = 0;
    uint64_t m;

    for (; i + 8 <= len; i += 8) {
        m = mw_le64(p + i, 8);
        v3 ^= m;
        for (unsigned r = 0; r < c_rounds; r++)
            MW_SIPROUND;
        v0 ^= m;
    }
    /* The last word: the 0-7 bytes left and the length mod 256 on top. */
    m = mw_le64(p + i, len - i) | ((uint64_t)(len & 0xff) << 56);
    v3 ^= m;
    for (unsigned r = 0; r < c_rounds; r++)
        MW_SIPROUND;
    v0 ^= m;
    v2 ^= 0xff;
    for (unsigned r = 0; r < d_rounds; r++)
        MW_SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

void mw_hashkey_from_bytes(mw_hashkey *key, const uint8_t k[16])
{
    key->k0 = mw_le64(k, 8);
    key->k1 = mw_le64(k + 8, 8);
}

static int mw_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool mw_hashkey_init(mw_hashkey *key, const char **why)
{
    const char *fixed = getenv(MW_HASH_KEY_ENV);
    uint8_t k[16];
    size_t got = 0;

    *why = NULL;
    if (fixed != NULL && *fixed != '\0') {
        bool ok = strlen(fixed) == 32;
        for (size_t i = 0; ok && i < 16; i++) {
            int hi = mw_hexval(fixed[2 * i]), lo = mw_hexval(fixed[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            k[i] = (uint8_t)(hi * 16 + lo);
        }
        if (ok) {
            mw_hashkey_from_bytes(key, k);
            return true;
        }
        *why = MW_HASH_KEY_ENV " is not 32 hex digits (ignored; the key is random)";
    }
    /* Flags 0: waits only until the kernel's pool is first initialised,
     * early at boot; after that it never blocks. */
    while (got < sizeof k) {
        ssize_t n = getrandom(k + got, sizeof k - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            memset(key, 0, sizeof(*key));
            *why = "getrandom() failed: the hash key is not secret";
            return false;
        }
        got += (size_t)n;
    }
    mw_hashkey_from_bytes(key, k);
    return *why == NULL;
}
