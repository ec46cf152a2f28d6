/*
 * fuzz_decode - link, IP (with fragments), TCP and UDP decoding, tunnels
 * included (src/flow/decode.c: VLAN, MPLS, PPPoE, GRE, IP-in-IP, ...).
 * Input: a linktype selector byte, then frames as [u16 length][bytes],
 * decoded in order one millisecond apart (so fragments can reassemble and
 * expire), then what the decoder still holds is flushed.
 */
#include "flow/decode.h"
#include "common/stats.h"
#include "fuzz_common.h"

static const int linktypes[] = {0, 1, 9, 12, 14, 101, 104, 108, 113, 228, 229, 276};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mw_stats st; /* counters only; reset per input */
    memset(&st, 0, sizeof st);
    /* A small table and datagram size so the caps are reached too. */
    mw_frag_config fc = {8, 65535, 5000};
    mw_decoder *d = mw_decoder_new(&fc, &st);
    if (!d)
        return 0;
    mwf_in in = {data, size};
    uint8_t sel = mwf_u8(&in);
    int lt = linktypes[(sel & 0x7f) % (sizeof linktypes / sizeof linktypes[0])];
    mw_decoder_set_dispatch(d, (sel & 0x80) != 0);
    uint64_t now = 1000000;
    uint64_t number = 0;
    while (in.left > 0) {
        size_t n;
        const uint8_t *p = mwf_take(&in, mwf_u16(&in), &n);
        /* An exact copy, so a read past the frame is a sanitizer report. */
        uint8_t *frame = malloc(n ? n : 1);
        if (!frame)
            break;
        memcpy(frame, p, n);
        mw_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        pkt.ts_us = now;
        pkt.number = ++number;
        pkt.wirelen = (uint32_t)n;
        pkt.capture = "fuzz";
        if (mw_decode(d, lt, frame, n, &pkt) == MW_DECODE_ERROR)
            (void)mw_decoder_error(d);
        free(frame);
        now += 1000;
        if ((number & 15) == 0)
            mw_decoder_expire(d, now);
    }
    mw_decoder_flush(d);
    mw_decoder_free(d);
    return 0;
}
