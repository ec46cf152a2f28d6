/*
 * fuzz_dtls - DTLS records and handshake fragment reassembly
 * (src/dissectors/dtls.c). Input: records of [dir byte][u16 length][UDP
 * payload].
 */
#include "dissectors/dtls.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mw_dtls_session *s = mw_dtls_new();
    if (!s)
        return 0;
    mwf_in in = {data, size};
    while (in.left > 0) {
        int dir = mwf_u8(&in) & 1;
        size_t n;
        const uint8_t *p = mwf_take(&in, mwf_u16(&in), &n);
        mw_cursor c;
        mw_cursor_init(&c, p, n);
        (void)mw_dtls_looks_like_handshake(&c);
        mw_dtls_datagram(s, dir, &c);
    }
    (void)mw_dtls_tls_facts(s);
    (void)mw_dtls_get_counters(s);
    (void)mw_dtls_client_dir(s);
    mw_dtls_free(s);
    return 0;
}
