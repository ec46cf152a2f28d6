/*
 * prefilter.h - the fast path: can this TCP direction carry a handshake?
 *
 * At the first payload bytes of a TCP direction, before anything is
 * reassembled or classified, says whether the flow can still lead to a
 * TLS handshake mitmwatch judges. Accepted first bytes (docs/performance.md):
 *   - a TLS record header: content type 0x14..0x18, major version 0x03
 *     (a handshake, or a flow joined mid-stream that may renegotiate);
 *   - an SSLv2-framed ClientHello (length with the top bit set, type 1);
 *   - printable ASCII text: every line protocol that can upgrade (SMTP,
 *     IMAP, POP3, FTP, XMPP, IRC, NNTP, ...) and HTTP CONNECT;
 *   - the binary preambles the scan finds TLS after: LDAP (a BER
 *     SEQUENCE, 0x30), PostgreSQL SSLRequest, a MySQL handshake packet,
 *     RDP (TPKT 0x03 0x00), SOCKS4 and SOCKS5, OpenVPN over TCP (a 16-bit
 *     length and a control opcode), and a TLS record header 0x16 0x03
 *     within the first bytes (a short framing in front of it).
 * HTTP requests other than CONNECT and OPTIONS, and HTTP responses, are
 * text but given up: they do not turn into TLS.
 * Anything else is given up at once: no reassembly, no scan.
 */
#ifndef MW_PREFILTER_H
#define MW_PREFILTER_H

#include "common/cursor.h"

typedef enum mw_prefilter {
    MW_PREFILTER_MORE,   /* too few bytes to tell: ask again with more */
    MW_PREFILTER_KEEP,   /* may carry a handshake: reassemble and scan */
    MW_PREFILTER_BYPASS, /* cannot: give the flow up */
} mw_prefilter;

/* The bytes a decision needs at most. */
#define MW_PREFILTER_BYTES 8u

/* Judges the first bytes of one TCP direction's stream (offset 0). */
mw_prefilter mw_prefilter_tcp(const mw_cursor *first);

/*
 * Judges a UDP flow's first datagram for nDPI's sake: true when it can be
 * the start of a session this program reports, so nDPI's answer (the
 * session's "app") is worth computing: a QUIC long header (fixed bit set,
 * any version: an Initial, or a version negotiation before one), a DTLS
 * record header (content type 20..23, version 0xfe.. or OpenSSL's
 * pre-RFC 0x0100 that Cisco AnyConnect speaks), or STUN/TURN, which
 * WebRTC sends before DTLS (a STUN header, first byte 0..3, whose length
 * field is the rest of the datagram; a TURN ChannelData, 0x40..0x7f, whose
 * length fits the datagram). Session recognition itself is not changed by
 * it: the datagrams are still searched for DTLS and QUIC.
 */
bool mw_prefilter_udp_ndpi(const mw_cursor *first);

#endif
