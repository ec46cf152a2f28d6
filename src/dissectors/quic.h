/*
 * quic.h - passive QUIC Initial dissector: the TLS ClientHello and
 * ServerHello a QUIC connection carries in its Initial packets.
 *
 * Initial packets are encrypted, but with keys anyone can derive from the
 * Destination Connection ID of the client's first Initial (RFC 9001 5.2),
 * so a passive observer can read them. The session walks each UDP datagram
 * (coalesced long-header packets included), removes header and packet
 * protection from the Initial packets, reassembles the CRYPTO frames of each
 * direction by offset (any order, any number of packets) and hands the
 * contiguous prefix to the TLS dissector (tls.h) as a synthetic stream of
 * TLS handshake records, with JA4 transport 'q'. Once TLS 1.3 is selected
 * the TLS facts say MW_TLS_HS_OPAQUE: the chain travels in Handshake
 * packets, which need the TLS secrets and are not decrypted.
 *
 * Versions: 1 (RFC 9001), 2 (RFC 9369: own salt, "quicv2 " labels, packet
 * types rotated), drafts 22..34 (0xff000016..0xff000022) with their salts,
 * Facebook mvfst 0xfaceb001 (draft-22 salt), 0xfaceb002 and 0xfaceb00e
 * (draft-23 salt), Google T050 and T051 (TLS over IETF long headers, own
 * salts), and the reserved 0x?a?a?a?a versions that force Version
 * Negotiation (protected as v1). Salts of the non-IETF versions are the
 * ones Wireshark uses. Others, gQUIC Q050 included (not TLS), are counted
 * and skipped.
 *
 * Keys follow the connection: when a packet fails to decrypt and its DCID
 * differs from the one the keys came from (the client after a Retry, or a
 * client that changed its DCID), keys derived from its own DCID are tried
 * and, if they work, kept for both directions.
 *
 * Caps (fixed):
 *   MW_QUIC_MAX_DATAGRAMS  32 per direction examined; later ones are counted
 *                          in datagrams_over_cap and not parsed.
 *   MW_QUIC_MAX_PACKET     8192 bytes: a longer Initial packet is counted in
 *                          packets_too_large and skipped.
 *   MW_QUIC_MAX_CRYPTO     64 KiB of CRYPTO stream per direction; data past
 *                          it is counted in crypto_bytes_over_cap.
 *
 * Memory: one allocation per session (mw_quic_new), plus, per direction, a
 * CRYPTO reassembly buffer and a record buffer that grow (bounded by
 * MW_QUIC_MAX_CRYPTO) when CRYPTO data arrives, and the TLS session's own.
 * The caller's datagram is never modified: each Initial is copied into the
 * session before it is unprotected.
 */
#ifndef MW_QUIC_H
#define MW_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"
#include "dissectors/tls.h"

#define MW_QUIC_MAX_DATAGRAMS 32
#define MW_QUIC_MAX_PACKET 8192
#define MW_QUIC_MAX_CRYPTO 65536

#define MW_QUIC_V1 0x00000001u
#define MW_QUIC_V2 0x6b3343cfu
#define MW_QUIC_MVFST_D22 0xfaceb001u
#define MW_QUIC_MVFST_D27 0xfaceb002u
#define MW_QUIC_MVFST_EXP 0xfaceb00eu
#define MW_QUIC_T050 0x54303530u /* "T050" */
#define MW_QUIC_T051 0x54303531u /* "T051" */

typedef enum mw_quic_status {
    MW_QUIC_NEED_MORE, /* keep feeding datagrams */
    MW_QUIC_DONE,      /* ClientHello and ServerHello analysed (TLS done),
                          or a direction reached MW_QUIC_MAX_DATAGRAMS */
    MW_QUIC_NOT_QUIC,  /* the first datagram was not a QUIC long header of
                          a known version; sticky */
    MW_QUIC_ERROR,     /* the TLS inside is malformed: info->error_reason */
} mw_quic_status;

/* Per direction: 0 client->server, 1 server->client. */
typedef struct mw_quic_info {
    uint32_t version;             /* of the first Initial decrypted, 0 none */
    const char *error_reason;     /* NULL unless MW_QUIC_ERROR */

    uint32_t datagrams[2];        /* examined */
    uint32_t datagrams_over_cap[2];
    uint32_t initials[2];         /* Initial packets decrypted */
    uint32_t other_long[2];       /* 0-RTT and Handshake packets, skipped */
    uint32_t short_header[2];     /* 1-RTT packets (end a datagram's walk) */
    uint32_t retry;               /* Retry packets */
    uint32_t version_negotiation; /* Version Negotiation packets */
    uint32_t unknown_version[2];  /* long headers of a version not handled */
    uint32_t malformed[2];        /* header or length invalid: walk stopped */
    uint32_t packets_too_large[2];
    uint32_t decrypt_failed[2];   /* AEAD authentication failed */
    uint32_t bad_frames[2];       /* frame malformed or not allowed in an
                                     Initial: rest of the packet skipped */
    uint32_t crypto_frames[2];
    uint32_t crypto_inconsistent[2]; /* overlaps with differing bytes (the
                                        first bytes are kept) */
    uint64_t crypto_bytes_over_cap[2];
    uint32_t crypto_contiguous[2];   /* CRYPTO stream bytes handed to TLS */
    bool connection_close[2];     /* a CONNECTION_CLOSE frame was seen */
} mw_quic_info;

typedef struct mw_quic_session mw_quic_session;

/* NULL on allocation failure. */
mw_quic_session *mw_quic_new(void);
void mw_quic_free(mw_quic_session *s);

/* One UDP payload of direction dir (0 client->server, 1 server->client). */
mw_quic_status mw_quic_datagram(mw_quic_session *s, int dir, const mw_cursor *payload);

/* The status the last mw_quic_datagram would return now. */
mw_quic_status mw_quic_status_of(const mw_quic_session *s);

const mw_quic_info *mw_quic_get_info(const mw_quic_session *s);

/* What TLS learnt from the CRYPTO streams (never NULL for a live session). */
const mw_tls_facts *mw_quic_tls_facts(const mw_quic_session *s);

/* Content-based recognition, any port: a long header with the fixed bit,
 * a handled version (reserved 0x?a?a?a?a ones included), the Initial type,
 * connection IDs of at most 20 bytes, a token and a length that fit in the
 * datagram, and at least 1200 bytes when sent by a client (RFC 9000 14.1). */
bool mw_quic_looks_like_initial(const mw_cursor *payload, bool from_client);

/* True for the versions this module decrypts. */
bool mw_quic_version_known(uint32_t version);

#endif /* MW_QUIC_H */
