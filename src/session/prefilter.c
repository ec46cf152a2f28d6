/*
 * prefilter.c - see prefilter.h.
 */
#include "session/prefilter.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Text a line protocol may start with: printable ASCII, TAB, CR, LF. */
static bool is_text(uint8_t c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

/* An HTTP request or response that is no upgrade: a method other than
 * CONNECT and OPTIONS, or "HTTP/". Needs the first 8 bytes; fewer: kept. */
static bool is_plain_http(const uint8_t *b, size_t n)
{
    static const char *const plain[] = {"GET ", "POST ", "HEAD ", "PUT ", "DELETE ",
                                        "PATCH ", "HTTP/1."};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        size_t k = strlen(plain[i]);
        if (k <= n && memcmp(b, plain[i], k) == 0)
            return true;
    }
    return false;
}

/* How many of the first bytes are there (at most n), into b. */
static size_t first_bytes(const mw_cursor *c, uint8_t *b, size_t n)
{
    size_t have = mw_cursor_len(c) < n ? mw_cursor_len(c) : n;
    for (size_t i = 0; i < have; i++)
        (void)mw_cursor_peek_u8(c, i, &b[i]);
    return have;
}

mw_prefilter mw_prefilter_tcp(const mw_cursor *first)
{
    uint8_t b[MW_PREFILTER_BYTES] = {0};
    size_t n = first_bytes(first, b, sizeof b);

    if (n == 0)
        return MW_PREFILTER_MORE;
    /* TLS record: type, then major version 3. */
    if (b[0] >= 0x14 && b[0] <= 0x18) {
        if (n < 2)
            return MW_PREFILTER_MORE;
        if (b[1] == 0x03)
            return MW_PREFILTER_KEEP;
    }
    /* SSLv2 record header (2 bytes, top bit set), then type 1. */
    if (b[0] & 0x80) {
        if (n < 3)
            return MW_PREFILTER_MORE;
        if (b[2] == 0x01)
            return MW_PREFILTER_KEEP;
    }
    switch (b[0]) {
    case 0x30: /* LDAP: a BER SEQUENCE (the StartTLS extended request) */
    case 0x04: /* SOCKS4 request */
    case 0x05: /* SOCKS5 greeting or reply */
        return MW_PREFILTER_KEEP;
    case 0x03: /* RDP: TPKT version 3, reserved 0 */
        if (n < 2)
            return MW_PREFILTER_MORE;
        if (b[1] == 0x00)
            return MW_PREFILTER_KEEP;
        break;
    default:
        break;
    }
    /* A TLS record header a few bytes in (a stray byte or a short framing
     * in front; the scan finds it there too). */
    for (size_t i = 1; i + 1 < n; i++)
        if (b[i] == 0x16 && b[i + 1] == 0x03)
            return MW_PREFILTER_KEEP;
    /* OpenVPN over TCP (TLS inside its control channel): a 16-bit length
     * of at least 14, then the opcode of a hard reset (1, 2, 7, 8, 10) or,
     * joined later, a control or ack packet (4, 5), in the top 5 bits. A
     * DNS-over-TCP query whose id looks alike is kept: the scan drops it. */
    if (b[0] == 0x00 && n >= 3 && b[1] >= 14) {
        unsigned op = b[2] >> 3;
        if (op == 1 || op == 2 || op == 4 || op == 5 || op == 7 || op == 8 || op == 10)
            return MW_PREFILTER_KEEP;
    }
    /* PostgreSQL SSLRequest: length 8, code 80877103 (0x04d2162f). */
    static const uint8_t pg[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
    bool pg_so_far = true;
    for (size_t i = 0; i < n; i++)
        pg_so_far = pg_so_far && b[i] == pg[i];
    if (pg_so_far)
        return n < sizeof pg ? MW_PREFILTER_MORE : MW_PREFILTER_KEEP;
    /* A text line: the first bytes all printable. HTTP other than
     * CONNECT and OPTIONS (the RFC 2817 upgrade) cannot turn into TLS;
     * the reply to a CONNECT follows a kept request, so it is never
     * judged alone. */
    bool text = true;
    for (size_t i = 0; i < n; i++)
        text = text && is_text(b[i]);
    if (text && n < 4)
        return MW_PREFILTER_MORE;
    if (text)
        return is_plain_http(b, n) ? MW_PREFILTER_BYPASS : MW_PREFILTER_KEEP;
    /* MySQL packet: 3-byte length, sequence 0 (the server's greeting,
     * protocol 10) or 1 (the client's SSLRequest, 32 bytes and more). */
    if (n < 5)
        return MW_PREFILTER_MORE;
    if (b[3] == 0 && b[4] == 0x0a)
        return MW_PREFILTER_KEEP;
    if (b[3] == 1 && b[0] >= 32 && b[1] == 0 && b[2] == 0)
        return MW_PREFILTER_KEEP;
    return MW_PREFILTER_BYPASS;
}

bool mw_prefilter_udp_ndpi(const mw_cursor *first)
{
    uint8_t b0 = 0;
    uint16_t len16 = 0;
    size_t n = mw_cursor_len(first);
    if (!mw_cursor_peek_u8(first, 0, &b0))
        return false;
    if ((b0 & 0xc0) == 0xc0)
        return n >= 7; /* long header: flags, 4-byte version, DCID length */
    if (b0 >= 20 && b0 <= 23)
        /* version 0xfe.., or 0x0100 (OpenSSL's DTLS1_BAD_VER) */
        return n >= 13 && mw_cursor_peek_u16(first, 1, &len16) &&
               ((len16 >> 8) == 0xfe || len16 == 0x0100);
    if (b0 <= 3)
        return n >= 20 && mw_cursor_peek_u16(first, 2, &len16) && (size_t)len16 + 20 == n;
    if (b0 >= 0x40 && b0 <= 0x7f)
        return n >= 4 && mw_cursor_peek_u16(first, 2, &len16) && (size_t)len16 + 4 <= n;
    return false;
}
