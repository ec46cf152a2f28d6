/*
 * dispatch.c - see dispatch.h.
 */
#include "flow/dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "flow/decode.h"

struct mw_dispatch {
    unsigned n;
    uint64_t k0, k1;
    mw_decoder *decoder;
    mw_stats scratch; /* the workers count everything; these are dropped */
};

mw_dispatch *mw_dispatch_new(unsigned n)
{
    mw_dispatch *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->n = n ? n : 1;
    mw_frag_config frag = {.max_datagrams = 1, .max_size = 1, .timeout_us = 1};
    d->decoder = mw_decoder_new(&frag, &d->scratch);
    if (!d->decoder) {
        free(d);
        return NULL;
    }
    mw_decoder_set_dispatch(d->decoder, true);
    /* A fixed key, as the flow table's hash (flow.c): a run places flows
     * the same way every time, so per-worker counters (the peaks) are
     * reproducible. Addresses chosen to land on one worker only slow that
     * run down; they cannot hide or change what is found. */
    d->k0 = 0x6d69746d77617463ull; /* "mitmwatc" */
    d->k1 = 0x6873706c69740a00ull; /* "hsplit" */
    return d;
}

void mw_dispatch_free(mw_dispatch *d)
{
    if (!d)
        return;
    mw_decoder_free(d->decoder);
    free(d);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                             \
    do {                                                                     \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);            \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                               \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                               \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);            \
    } while (0)

/* SipHash-1-3 of len bytes (a multiple of 8 here: the key is padded). */
static uint64_t siphash13(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len)
{
    uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
    uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t m;
        memcpy(&m, in + i, 8);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

unsigned mw_dispatch_worker(mw_dispatch *d, int linktype, const mw_source_packet *p)
{
    if (d->n == 1)
        return 0;
    mw_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.ts_us = p->ts_us;
    pkt.number = p->number;
    pkt.wirelen = p->wirelen;
    mw_decode_status s = mw_decode(d->decoder, linktype, p->data, p->caplen, &pkt);
    if (s != MW_DECODE_OK && s != MW_DECODE_HELD)
        return 0;
    /* The address pair only, ports left out (see dispatch.h): a flow's
     * fragments, whose ports are unknown, must reach its worker. */
    const uint8_t *a = pkt.src.bytes, *b = pkt.dst.bytes;
    if (memcmp(a, b, 16) > 0) {
        const uint8_t *t = a;
        a = b;
        b = t;
    }
    uint8_t key[40] = {0};
    memcpy(key, a, 16);
    memcpy(key + 16, b, 16);
    key[32] = pkt.src.family;
    uint64_t h = siphash13(d->k0, d->k1, key, sizeof key);
    /* Multiply-shift: an unbiased range without a division. */
    return (unsigned)(((h >> 32) * d->n) >> 32);
}
