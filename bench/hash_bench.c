/*
 * hash_bench.c - the flow hash's cost per packet (issue 13, finding 7).
 *
 * Times the flow table's key hash as it is now (SipHash-1-3 of the 39
 * serialized key bytes, common/siphash.h) against the unkeyed
 * multiply-xorshift mix it replaced (copied here for the comparison only),
 * 20 M hashes each, three rounds. usage: hash-bench
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/siphash.h"

#define KEY_BYTES 39 /* 2 x (family + 16 address bytes) + 2 ports + proto */
#define ROUNDS 20000000

static uint64_t old_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint32_t old_hash(const uint8_t *raw, size_t n)
{
    uint64_t h = 0x6d69746d77617463ull;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, raw + i, 8);
        h = old_mix64(h ^ w);
    }
    for (; i < n; i++)
        h = (h ^ raw[i]) * 0x100000001b3ull;
    return (uint32_t)(old_mix64(h) >> 32);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void)
{
    uint8_t raw[KEY_BYTES] = {4};
    mw_hashkey key;
    const char *why;
    volatile uint32_t sink = 0;

    (void)mw_hashkey_init(&key, &why);
    for (int r = 0; r < 3; r++) {
        double t0 = now_s();
        for (uint32_t i = 0; i < ROUNDS; i++) {
            raw[4] = (uint8_t)i;
            raw[21] = (uint8_t)(i >> 8);
            sink += old_hash(raw, sizeof raw);
        }
        double t1 = now_s();
        for (uint32_t i = 0; i < ROUNDS; i++) {
            raw[4] = (uint8_t)i;
            raw[21] = (uint8_t)(i >> 8);
            sink += (uint32_t)(mw_siphash13(&key, raw, sizeof raw) >> 32);
        }
        double t2 = now_s();
        printf("unkeyed mix %.1f ns/hash, SipHash-1-3 %.1f ns/hash\n",
               (t1 - t0) / ROUNDS * 1e9, (t2 - t1) / ROUNDS * 1e9);
    }
    return sink == 0xffffffffu ? 1 : 0; /* keeps sink alive */
}
