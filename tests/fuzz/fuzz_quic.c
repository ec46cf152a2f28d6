/*
 * fuzz_quic - QUIC Initial packets, header protection and payload
 * decryption included (src/dissectors/quic.c). Input: records of
 * [dir byte][u16 length][UDP payload]. Seeds are real Initials, so the
 * fuzzer starts from datagrams that decrypt (the keys come from the DCID).
 */
#include "dissectors/quic.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mw_quic_session *s = mw_quic_new();
    if (!s)
        return 0;
    mwf_in in = {data, size};
    while (in.left > 0) {
        int dir = mwf_u8(&in) & 1;
        size_t n;
        const uint8_t *p = mwf_take(&in, mwf_u16(&in), &n);
        mw_cursor c;
        mw_cursor_init(&c, p, n);
        (void)mw_quic_looks_like_initial(&c, dir == 0);
        mw_quic_datagram(s, dir, &c);
    }
    (void)mw_quic_get_info(s);
    (void)mw_quic_tls_facts(s);
    mw_quic_free(s);
    return 0;
}
