/*
 * fuzz_ipfrag - IP fragment reassembly (src/flow/ipfrag.c). Input: records
 * of [flags][u16 offset/8][u16 length][bytes]: flags bits 0-2 pick one of
 * eight datagrams (id and family), bit 3 is "more fragments", bit 4
 * advances the clock past the timeout, bit 5 expires. A completed datagram
 * is read whole, so a wrong view length is a sanitizer report.
 */
#include "flow/ipfrag.h"
#include "flow/decode.h"
#include "common/stats.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof st);
    mw_frag_config cfg = {4, 8192, 1000};
    mw_frag_table *t = mw_frag_new(&cfg, &st);
    if (!t)
        return 0;
    mwf_in in = {data, size};
    uint64_t now = 1;
    while (in.left > 0) {
        uint8_t fl = mwf_u8(&in);
        uint32_t off = (uint32_t)mwf_u16(&in) * 8u;
        size_t n;
        const uint8_t *p = mwf_take(&in, mwf_u16(&in), &n);
        mw_frag_key k;
        memset(&k, 0, sizeof k);
        k.src.family = k.dst.family = (fl & 4) ? 6 : 4;
        k.src.bytes[0] = 10;
        k.dst.bytes[0] = 192;
        k.id = fl & 3;
        k.proto = 17;
        mw_cursor c, out;
        mw_cursor_init(&c, p, n);
        if (fl & 16)
            now += 2000;
        if (mw_frag_add(t, &k, off, (fl & 8) != 0, c, now, &out) == MW_FRAG_COMPLETE) {
            volatile uint8_t sum = 0;
            const uint8_t *b = mw_cursor_data(&out);
            size_t len = mw_cursor_len(&out);
            for (size_t i = 0; i < len; i++)
                sum = (uint8_t)(sum + b[i]); /* raw on purpose: checks the view */
            (void)sum;
        }
        if (fl & 32)
            mw_frag_expire(t, now);
        now++;
    }
    mw_frag_flush(t);
    mw_frag_free(t);
    return 0;
}
