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

#endif
