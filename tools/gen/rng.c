/*
 * rng.c - deterministic randomness for the generator.
 *
 * OpenSSL 3.0 deprecates RAND_METHOD, but it is the one hook that routes
 * every draw (hello randoms, ECDHE shares, RSA/EC key generation, PSS
 * salts, session IDs) through our seed without writing a provider; the
 * 3.0 RAND_bytes_ex/RAND_priv_bytes_ex still honour it. Deprecation
 * warnings are silenced for this file only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <string.h>

#include <openssl/rand.h>

#include "mwgen.h"

static uint64_t
splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void
mw_rng_seed(mw_rng_t *r, uint64_t seed, const char *label, uint64_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL, x;
    const char *p;

    for (p = label; p && *p; p++) {
        h = (h ^ (unsigned char) *p) * 0x100000001b3ULL;
    }
    x = seed ^ h ^ (n * 0xd1342543de82ef95ULL);
    r->s[0] = splitmix(&x);
    r->s[1] = splitmix(&x);
    r->s[2] = splitmix(&x);
    r->s[3] = splitmix(&x);
}

static uint64_t
rotl(uint64_t v, int k)
{
    return (v << k) | (v >> (64 - k));
}

uint64_t
mw_rng_u64(mw_rng_t *r)
{
    uint64_t res = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;

    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = rotl(r->s[3], 45);
    return res;
}

uint32_t
mw_rng_below(mw_rng_t *r, uint32_t n)
{
    return n ? (uint32_t) ((mw_rng_u64(r) >> 32) % n) : 0;
}

void
mw_rng_fill(mw_rng_t *r, void *buf, size_t n)
{
    unsigned char *p = buf;
    uint64_t v;

    while (n >= 8) {
        v = mw_rng_u64(r);
        memcpy(p, &v, 8);
        p += 8;
        n -= 8;
    }
    if (n) {
        v = mw_rng_u64(r);
        memcpy(p, &v, n);
    }
}

/* Static because RAND_METHOD callbacks take no context argument. */
static mw_rng_t mw_drbg;

static int
drbg_bytes(unsigned char *buf, int num)
{
    if (num > 0) {
        mw_rng_fill(&mw_drbg, buf, (size_t) num);
    }
    return 1;
}

static int
drbg_seed(const void *buf, int num)
{
    (void) buf;
    (void) num;
    return 1;                   /* outside entropy would break determinism */
}

static int
drbg_add(const void *buf, int num, double entropy)
{
    (void) buf;
    (void) num;
    (void) entropy;
    return 1;
}

static int
drbg_status(void)
{
    return 1;
}

static RAND_METHOD mw_rand_meth = {
    drbg_seed, drbg_bytes, NULL, drbg_add, drbg_bytes, drbg_status
};

int
mw_rand_install(void)
{
    mw_rand_reseed(0, "init", 0);
    return RAND_set_rand_method(&mw_rand_meth) == 1 ? 0 : -1;
}

void
mw_rand_reseed(uint64_t seed, const char *label, uint64_t n)
{
    mw_rng_seed(&mw_drbg, seed, label, n);
}

void
mw_rand_save(mw_rng_t *out)
{
    *out = mw_drbg;
}

void
mw_rand_restore(const mw_rng_t *in)
{
    mw_drbg = *in;
}
