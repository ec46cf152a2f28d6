/*
 * fuzz_reasm - TCP reassembly (src/flow/reasm.c). The input is split into
 * a sequence of segments on two directions: [flags][u32 seq][u16 length]
 * [bytes]. flags bit 0 is the direction, bits 1-5 the TCP flags FIN SYN RST
 * PSH ACK (MW_TCP_* order, low bits), bit 6 acks the other direction at
 * seq, bit 7 flushes. After each call the contiguous view is read whole.
 * Small buffers and memcap so the caps, the skip-ahead and the memory
 * accounting are all reached.
 */
#include "flow/reasm.h"
#include "common/stats.h"
#include "fuzz_common.h"

static void read_view(const mw_tcp_stream *s)
{
    mw_cursor v = mw_reasm_view(s);
    const uint8_t *b = mw_cursor_data(&v);
    size_t len = mw_cursor_len(&v);
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + b[i]); /* raw on purpose: checks the view */
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mw_reasm_stats st;
    memset(&st, 0, sizeof st);
    mw_reasm_config cfg = {4096, 12288, 2048};
    mw_reasm *r = mw_reasm_new(&cfg, &st);
    if (!r)
        return 0;
    mw_tcp_stream s[2];
    memset(s, 0, sizeof s);
    mwf_in in = {data, size};
    while (in.left > 0) {
        uint8_t fl = mwf_u8(&in);
        uint32_t seq = mwf_u32(&in);
        size_t n;
        const uint8_t *p = mwf_take(&in, mwf_u16(&in), &n);
        int dir = fl & 1;
        mw_cursor c;
        mw_cursor_init(&c, p, n);
        if (fl & 0x40)
            mw_reasm_ack(r, &s[!dir], seq);
        else
            mw_reasm_segment(r, &s[dir], seq, (uint8_t)((fl >> 1) & 0x1f), c);
        if (fl & 0x80)
            mw_reasm_flush(r, &s[dir]);
        read_view(&s[dir]);
        (void)mw_reasm_memory_in_use(r);
    }
    mw_reasm_release(r, &s[0]);
    mw_reasm_release(r, &s[1]);
    mw_reasm_free(r);
    return 0;
}
