/*
 * decode_tunnel.c - tunnels over UDP: VXLAN and GTP-U (see
 * decode_internal.h). Every read goes through the cursor; a malformed
 * header leaves the packet as plain UDP and is counted (bad_tunnel).
 */
#include "flow/decode_internal.h"

#define MW_VXLAN_FLAG_I 0x08
#define MW_GTP_GPDU 0xFF

/*
 * UDP tunnels. Each checks its whole header on a copy of the layer before
 * consuming anything, so that a malformed one leaves the datagram as it was
 * (*crossed false, bad_tunnel counted) to end as plain UDP. Once crossed,
 * the inner packet replaces the outer one's addresses and ports, as for
 * IP-in-IP, and its own errors are the packet's.
 */

/* VXLAN (RFC 7348): flags (I set), 3 reserved, VNI, 1 reserved; then an
 * Ethernet frame. */
mw_decode_status mwd_decode_vxlan(mw_dstate *s, bool *crossed)
{
    mw_cursor c = s->c, eth;
    uint8_t flags = 0;
    uint16_t type = 0;

    *crossed = false;
    if (!mw_cursor_get_u8(&c, &flags) || !mw_cursor_skip(&c, 7) ||
        !(flags & MW_VXLAN_FLAG_I) || !mw_cursor_get_bytes(&c, &eth, 14)) {
        s->st->bad_tunnel++;
        return MW_DECODE_OK;
    }
    *crossed = true;
    if (!mwd_deeper(s))
        return MW_FAIL(s, &s->st->err_too_deep, "more than %d encapsulations", MW_MAX_DEPTH);
    s->st->vxlan++;
    (void)mw_cursor_skip(&eth, 12); /* destination, source */
    (void)mw_cursor_get_u16(&eth, &type);
    mwd_consume(s, 8 + 14);
    return mwd_decode_ethertype(s, type);
}

/*
 * GTP-U (3GPP TS 29.281) G-PDUs only: flags (version 1, PT 1), type 0xFF,
 * length of what follows the first 8 bytes, TEID; with any of E/S/PN, then
 * sequence number, N-PDU number and the first extension header type; each
 * extension header is its length in 4-byte units, content, next type. What
 * remains is the user's IP packet. Echo and other signalling on the port
 * stay plain UDP without a count.
 */
mw_decode_status mwd_decode_gtpu(mw_dstate *s, bool *crossed)
{
    mw_cursor c = s->c, body;
    uint8_t flags = 0, type = 0, next = 0, b = 0;
    uint16_t len = 0;

    *crossed = false;
    if (mw_cursor_peek_u8(&c, 0, &flags) && mw_cursor_peek_u8(&c, 1, &type) &&
        (flags >> 4 != 0x3 || type != MW_GTP_GPDU))
        return MW_DECODE_OK;
    if (mw_cursor_len(&c) < 8)
        goto bad;
    (void)mw_cursor_skip(&c, 2);
    (void)mw_cursor_get_u16(&c, &len);
    (void)mw_cursor_skip(&c, 4); /* TEID */
    /* The claimed payload is known: UDP set it. */
    if (len > s->claimed - 8)
        goto bad;
    if (mw_cursor_len(&c) > len)
        (void)mw_cursor_truncate(&c, len);
    body = c;
    if (flags & 0x07) {
        if (!mw_cursor_skip(&c, 3) || !mw_cursor_get_u8(&c, &next))
            goto bad;
        /* Each header is at least 4 bytes of a bounded length: this ends. */
        while (next != 0) {
            uint8_t units = 0;
            if (!mw_cursor_get_u8(&c, &units) || units == 0 ||
                !mw_cursor_skip(&c, (size_t)units * 4 - 2) || !mw_cursor_get_u8(&c, &next))
                goto bad;
        }
    }
    if (!mw_cursor_peek_u8(&c, 0, &b))
        goto bad;
    *crossed = true;
    if (!mwd_deeper(s))
        return MW_FAIL(s, &s->st->err_too_deep, "more than %d encapsulations", MW_MAX_DEPTH);
    s->st->gtp++;
    mwd_consume(s, 8);
    (void)mwd_set_claimed(s, len);
    mwd_consume(s, mw_cursor_len(&body) - mw_cursor_len(&c)); /* optional fields */
    if (b >> 4 == 4 || b >> 4 == 6)
        return mwd_decode_ip(s, b >> 4);
    return mwd_skip_non_ip(s); /* an Ethernet or unstructured PDU session */

bad:
    s->st->bad_tunnel++;
    return MW_DECODE_OK;
}
