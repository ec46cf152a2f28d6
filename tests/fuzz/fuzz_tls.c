/*
 * fuzz_tls - TLS handshake messages (src/dissectors/tls.c).
 * Input: records of [dir byte][u16 length][bytes]; each direction's bytes
 * accumulate into its stream, fed after every record as reassembly would.
 * A dir byte with bit 1 set reports a gap instead (the stream stops).
 */
#include "dissectors/tls.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mw_tls_session *s = mw_tls_new(NULL);
    if (!s)
        return 0;
    uint8_t *buf[2] = {malloc(size + 1), malloc(size + 1)};
    size_t len[2] = {0, 0};
    mwf_in in = {data, size};
    while (buf[0] && buf[1] && in.left > 0) {
        uint8_t h = mwf_u8(&in);
        int dir = h & 1;
        size_t n;
        const uint8_t *p = mwf_take(&in, mwf_u16(&in), &n);
        if (h & 2) {
            mw_tls_gap(s, dir, len[dir], n);
            continue;
        }
        memcpy(buf[dir] + len[dir], p, n);
        uint32_t from = (uint32_t)len[dir];
        len[dir] += n;
        mw_cursor c;
        mw_cursor_init(&c, buf[dir], len[dir]);
        mw_tls_feed(s, dir, &c, from);
    }
    const mw_tls_facts *f = mw_tls_get_facts(s);
    (void)mw_tls_version_name(f->version);
    mw_cursor whole;
    mw_cursor_init(&whole, data, size);
    (void)mw_tls_looks_like_handshake(&whole);
    mw_tls_free(s);
    free(buf[0]);
    free(buf[1]);
    return 0;
}
