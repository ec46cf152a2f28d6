/*
 * dispatch.c - see dispatch.h.
 */
#include "flow/dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "common/siphash.h"
#include "flow/decode.h"

struct mw_dispatch {
    unsigned n;
    mw_hashkey hkey; /* secret, per run */
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
    /* A secret key per run (common/siphash.h): with a known one, addresses
     * chosen to land on one worker would take the other workers out of
     * play. Only the per-worker peaks depend on the placement
     * (docs/output.md); every other output is the same whatever the key. */
    {
        const char *why; /* said once by main */
        (void)mw_hashkey_init(&d->hkey, &why);
    }
    return d;
}

void mw_dispatch_free(mw_dispatch *d)
{
    if (!d)
        return;
    mw_decoder_free(d->decoder);
    free(d);
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
    /* An IPv4 address is its first 4 bytes (the rest are zero). */
    size_t alen = pkt.src.family == 4 && pkt.dst.family == 4 ? 4 : 16;
    uint8_t key[33];
    memcpy(key, a, alen);
    memcpy(key + alen, b, alen);
    key[2 * alen] = pkt.src.family;
    uint64_t h = mw_siphash13(&d->hkey, key, 2 * alen + 1);
    /* Multiply-shift: an unbiased range without a division. */
    return (unsigned)(((h >> 32) * d->n) >> 32);
}
