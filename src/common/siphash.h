/*
 * siphash.h - SipHash (Aumasson and Bernstein, 2012), keyed per run.
 *
 * The flow table's buckets and the thread dispatch are chosen by hashing
 * addresses and ports an attacker picks. With a fixed or known function a
 * crafted capture (or traffic on a live tap) can put every flow in one
 * bucket and make each packet walk a long chain. SipHash with a secret
 * key drawn at start-up makes such collisions a guess.
 *
 * mw_siphash() is the general SipHash-c-d with a 64-bit result; the
 * tables use SipHash-1-3 (the rounds Python and Rust use for their hash
 * tables). Checked in tests/unit/test_siphash.c against the paper's
 * SipHash-2-4 vectors and against OpenSSL's SIPHASH for both round counts.
 */
#ifndef MW_SIPHASH_H
#define MW_SIPHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mw_hashkey {
    uint64_t k0, k1; /* the 16-byte key read little-endian, as in the paper */
} mw_hashkey;

/* The environment variable that fixes the key (32 hex digits, the key's
 * 16 bytes in order). For tests only: a known key brings back the attack
 * this defends against. */
#define MW_HASH_KEY_ENV "MITMWATCH_HASH_KEY"

uint64_t mw_siphash(const mw_hashkey *key, const void *in, size_t len, unsigned c_rounds,
                    unsigned d_rounds);

static inline uint64_t mw_siphash13(const mw_hashkey *key, const void *in, size_t len)
{
    return mw_siphash(key, in, len, 1, 3);
}

/* The 16 key bytes k[0..15] as the paper reads them. */
void mw_hashkey_from_bytes(mw_hashkey *key, const uint8_t k[16]);

/*
 * A fresh key from getrandom(), or the one MITMWATCH_HASH_KEY names.
 * False (key left random or zero) only when the variable is set but not
 * 32 hex digits, or when no random bytes can be had; *why says which.
 */
bool mw_hashkey_init(mw_hashkey *key, const char **why);

#endif /* MW_SIPHASH_H */
