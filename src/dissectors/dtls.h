/*
 * dtls.h - passive DTLS 1.0/1.2 handshake dissector (RFC 4347, RFC 6347),
 * e.g. WebRTC after STUN, built on the TLS dissector.
 *
 * The caller hands over the UDP payloads of one flow, one datagram at a
 * time, with its direction. Each datagram holds one or more DTLS records:
 * type(1) version(2) epoch(2) sequence(6) length(2) fragment. Handshake
 * records carry message fragments: type(1) length(3) message_seq(2)
 * fragment_offset(3) fragment_length(3) bytes. Fragments are reassembled
 * per direction by offset (retransmitted or overlapping bytes are kept from
 * the first copy and counted), complete messages are delivered in
 * message_seq order, rewritten in TLS form (type + u24 length) and wrapped
 * in synthetic TLS records (type 22, version 0x0303, <= 16384 bytes)
 * appended to a per-direction stream that feeds a TLS session in DTLS mode
 * (mw_tls_limits.transport 'd'). Facts are therefore the TLS ones: SNI,
 * ALPN, JA3 (wire version 65277/65279), JA4 ("dd2..."), ServerHello, JA3S,
 * the server's chain (DTLS 1.2 sends it before ChangeCipherSpec, in clear).
 *
 * A HelloVerifyRequest makes the client's second ClientHello (with the
 * cookie) the one reported. Records of epoch > 0, and DTLS 1.3 unified
 * ciphertext headers, are encrypted: that direction stops. A ServerHello
 * selecting DTLS 1.3 (0xfefc) gives state MW_TLS_HS_OPAQUE.
 *
 * Roles: the first handshake fragment fixes which caller direction is the
 * client (a ClientHello's sender; mw_dtls_client_dir), so a UDP flow whose
 * first packet came from the server is still read right. The
 * TLS facts use roles (0 client, 1 server); the counters below use the
 * caller's directions.
 *
 * Malformed datagrams are discarded and counted, not fatal (RFC 6347
 * 4.1.2.7: invalid records are silently discarded): UDP has no stream to
 * lose sync with. A datagram whose first byte is outside 20..63 (RFC 7983:
 * STUN, RTP, ...) is not DTLS and is only counted. Only a malformed
 * handshake *message* (the TLS parser's verdict) is an ERROR.
 *
 * Caps (fixed):
 *   MW_DTLS_MAX_DATAGRAMS     64 datagrams examined per direction; later
 *                             ones are counted and ignored.
 *   MW_DTLS_MAX_PENDING       8 messages in reassembly per direction, and a
 *                             message_seq at most 32 ahead of the next one
 *                             expected; others are dropped and counted.
 *   MW_DTLS_MAX_REASM_BYTES   1 MiB of message bytes in reassembly per
 *                             session (both directions); a message that
 *                             does not fit, or declares more, is dropped
 *                             (msgs_over_cap) and, being needed for the
 *                             in-order delivery, stops the direction
 *                             (mw_tls_facts.gap).
 *   MW_DTLS_MAX_STREAM_BYTES  1 MiB + 64 KiB of synthetic TLS stream per
 *                             direction; beyond it the direction stops
 *                             likewise.
 * Memory: per session at most the reassembly cap (plus a 1/8 coverage
 * bitmap), two streams, and what the TLS session keeps. Allocation happens
 * when a fragmented message starts and when a stream grows.
 */
#ifndef MW_DTLS_H
#define MW_DTLS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cursor.h"
#include "dissectors/tls.h"

#define MW_DTLS_MAX_DATAGRAMS 64
#define MW_DTLS_MAX_PENDING 8
#define MW_DTLS_SEQ_WINDOW 32
#define MW_DTLS_MAX_REASM_BYTES (1u << 20)
#define MW_DTLS_MAX_STREAM_BYTES ((1u << 20) + (1u << 16))

typedef enum mw_dtls_status {
    MW_DTLS_NEED_MORE, /* keep feeding datagrams */
    MW_DTLS_DONE,      /* handshake analysed, or nothing more can be learnt */
    MW_DTLS_NOT_DTLS,  /* the first DTLS-range datagram is not DTLS */
    MW_DTLS_ERROR,     /* malformed handshake message (see the TLS facts'
                          error_reason) or out of memory; sticky */
} mw_dtls_status;

/* Per caller direction (index dir as passed to mw_dtls_datagram). */
typedef struct mw_dtls_counters {
    uint32_t datagrams[2];       /* examined */
    uint32_t datagrams_over_cap[2]; /* past MW_DTLS_MAX_DATAGRAMS, ignored */
    uint32_t foreign[2];         /* not DTLS (STUN, RTP, ...), skipped */
    uint32_t records[2];         /* well-formed DTLS records */
    uint32_t bad_records[2];     /* malformed or truncated: rest of the
                                    datagram discarded */
    uint32_t encrypted_records[2]; /* epoch > 0 or DTLS 1.3 ciphertext */
    uint32_t fragments[2];       /* handshake fragments */
    uint32_t bad_fragments[2];   /* offset + length beyond the message,
                                    or header disagreeing with earlier
                                    fragments of the same message_seq */
    uint32_t dup_fragments[2];   /* retransmitted: nothing new in them */
    uint32_t messages[2];        /* complete messages delivered */
    uint32_t msgs_dropped[2];    /* out of window, no free slot */
    uint32_t msgs_over_cap[2];   /* over the reassembly cap */
    uint32_t stream_over_cap[2]; /* direction stopped at the stream cap */
} mw_dtls_counters;

typedef struct mw_dtls_session mw_dtls_session;

/* NULL on allocation failure. */
mw_dtls_session *mw_dtls_new(void);
void mw_dtls_free(mw_dtls_session *s);

/* One UDP payload of direction dir (0 or 1, the caller's convention). */
mw_dtls_status mw_dtls_datagram(mw_dtls_session *s, int dir, const mw_cursor *payload);

/* The status the last datagram call would return now. */
mw_dtls_status mw_dtls_status_of(const mw_dtls_session *s);

/* Content check of a datagram's first record: handshake (22), version
 * 0xfeff/0xfefd/0xfefc, epoch 0, a length that fits the datagram and holds
 * a fragment header, a ClientHello/ServerHello/HelloVerifyRequest whose
 * fragment lies inside its message. */
bool mw_dtls_looks_like_handshake(const mw_cursor *payload);

const mw_tls_facts *mw_dtls_tls_facts(const mw_dtls_session *s);
const mw_dtls_counters *mw_dtls_get_counters(const mw_dtls_session *s);

/* The caller direction of the client, fixed by the first handshake
 * fragment: its sender if a ClientHello, the other side if a ServerHello or
 * HelloVerifyRequest, else the caller's dir 0. -1 before any fragment. */
int mw_dtls_client_dir(const mw_dtls_session *s);

#endif /* MW_DTLS_H */
