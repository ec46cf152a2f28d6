/*
 * tls.h - passive TLS handshake dissector (SSL 3.0 to TLS 1.3, plus the
 * SSLv2-compatible ClientHello).
 *
 * The pipeline hands each TCP direction over as one growing contiguous view
 * (offset 0 to the contiguous end). A session keeps, per direction, its own
 * parse offset into that view and parses every record that is now complete,
 * so records spanning segments need no copy. Only a handshake message that
 * spans several records is assembled, in a per-direction buffer.
 *
 * Extracted: ClientHello (lists, SNI, ALPN, JA3, JA4), ServerHello (JA3S,
 * selected version, HelloRetryRequest), the server's certificate chain for
 * TLS <= 1.2, alerts, ChangeCipherSpec and the resulting handshake state.
 * Anything after ChangeCipherSpec (or, for TLS 1.3, after the ServerHello)
 * is encrypted, so parsing of that direction stops there.
 *
 * Caps (mw_tls_limits, defaults from mw_tls_limits_default):
 *   max_msg_bytes   1 MiB  largest handshake message (header included)
 *                          assembled per direction; a larger one is skipped
 *                          and its bytes counted in msg_bytes_over_cap.
 *   max_certs       64     certificates kept per chain; the rest are
 *                          counted in certs_dropped.
 *   max_chain_bytes 1 MiB  DER bytes kept per chain; a certificate that
 *                          does not fit is dropped and counted likewise.
 * Fixed: a record longer than 2^14 + 2048 bytes is invalid (error).
 *
 * Memory: allocation happens when a handshake message must be assembled and
 * when a ClientHello, ServerHello or Certificate is parsed (its facts are
 * copied out), never per record otherwise. Everything a facts pointer refers
 * to stays valid until mw_tls_free (a ClientHello/ServerHello replaced after
 * a HelloRetryRequest frees the first one's facts).
 *
 * DTLS mode (limits.transport 'd', used by dtls.h, which turns DTLS handshake
 * messages into a synthetic TLS record stream): the ClientHello carries a
 * cookie after the session id, a HelloVerifyRequest lets the next
 * ClientHello (the one with the cookie) replace the first, and a selected
 * version 0xfefc (DTLS 1.3) is treated like TLS 1.3. JA3 keeps the wire
 * version numbers (65277 for DTLS 1.2), as other tools do.
 *
 * Wire strings (SNI, ALPN) are raw bytes with a length, never NUL-terminated
 * C strings: they may contain NUL or any other byte.
 */
#ifndef MW_TLS_H
#define MW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"

typedef struct mw_tls_limits {
    uint32_t max_msg_bytes;
    uint32_t max_certs;
    uint32_t max_chain_bytes;
    char transport; /* JA4 first char: 't' TCP, 'q' QUIC, 'd' DTLS */
} mw_tls_limits;

void mw_tls_limits_default(mw_tls_limits *lim);

typedef enum mw_tls_status {
    MW_TLS_NEED_MORE, /* keep feeding */
    MW_TLS_DONE,      /* handshake analysed (state final, or both
                         directions can say no more) */
    MW_TLS_NOT_TLS,   /* the first bytes seen are not TLS */
    MW_TLS_ERROR,     /* malformed: facts->error_reason says why; sticky */
} mw_tls_status;

typedef enum mw_tls_hs_state {
    MW_TLS_HS_INCOMPLETE, /* not (yet) seen enough */
    MW_TLS_HS_COMPLETE,   /* <= 1.2: ClientHello, ServerHello, Certificate */
    MW_TLS_HS_OPAQUE,     /* TLS 1.3 selected: the chain is encrypted */
    MW_TLS_HS_RESUMED,    /* <= 1.2 abbreviated handshake: no chain */
    MW_TLS_HS_NO_CERT,    /* <= 1.2 ServerHelloDone without Certificate */
} mw_tls_hs_state;

typedef struct mw_tls_bytes {
    const uint8_t *data;
    size_t len;
} mw_tls_bytes;

typedef struct mw_tls_u16_list {
    const uint16_t *v;
    size_t n;
} mw_tls_u16_list;

typedef struct mw_tls_client_hello {
    bool seen;
    bool sslv2;                 /* SSLv2-compatible format */
    uint16_t legacy_version;
    uint8_t random[32];         /* SSLv2: challenge, right-aligned */
    uint8_t session_id_len;
    uint8_t session_id[32];
    uint8_t cookie_len;         /* DTLS: cookie echoed, 0 if none or TLS */
    mw_tls_u16_list ciphers;    /* wire order; SSLv2 specs 00xxxx mapped to
                                   xxxx, other SSLv2-only specs left out */
    mw_tls_bytes compression;
    mw_tls_u16_list extensions; /* types, wire order, GREASE included */
    bool has_sni;               /* a server_name host_name was found */
    mw_tls_bytes sni;           /* the first host_name, raw */
    const mw_tls_bytes *alpn;   /* protocol names, wire order */
    size_t n_alpn;
    mw_tls_u16_list supported_versions;
    mw_tls_u16_list supported_groups;
    mw_tls_bytes ec_point_formats;
    mw_tls_u16_list signature_algorithms;
    const char *ja3;            /* "771,4865-...,0-23-...,29-23,0" */
    char ja3_md5[33];
    char ja4[37];               /* "t13d1516h2_8daaf6152771_e5627efa2ab1" */
} mw_tls_client_hello;

typedef struct mw_tls_server_hello {
    bool seen;
    uint16_t legacy_version;
    uint8_t random[32];
    uint8_t session_id_len;
    uint8_t session_id[32];
    uint16_t cipher;
    uint8_t compression;
    mw_tls_u16_list extensions; /* wire order */
    uint16_t selected_version;  /* supported_versions, 0 if absent */
    mw_tls_bytes alpn;          /* selected protocol, len 0 if none */
    const char *ja3s;           /* "771,4865,43-51" */
    char ja3s_md5[33];
} mw_tls_server_hello;

typedef struct mw_tls_facts {
    mw_tls_client_hello ch;     /* the final one (after an HRR) */
    mw_tls_server_hello sh;     /* the final one (after an HRR) */
    bool hrr;                   /* a HelloRetryRequest was seen */
    bool hello_verify;          /* DTLS: a HelloVerifyRequest was seen */

    uint16_t version;           /* negotiated, 0 until a ServerHello */
    const char *version_name;   /* "SSLv3".."TLSv1.3", "DTLSv1.x", NULL if
                                   unknown */
    mw_tls_hs_state state;

    /* The server's chain, as sent (TLS <= 1.2). */
    const mw_tls_bytes *certs;
    size_t n_certs;
    bool cert_seen;             /* a server Certificate message was seen */
    bool chain_truncated;       /* certificates dropped or message skipped */
    uint32_t certs_dropped;
    uint32_t client_certs;      /* certificates the client sent (mTLS) */

    /* Per direction: 0 client->server, 1 server->client. */
    uint32_t records[2];
    uint32_t handshake_msgs[2];
    uint32_t alerts[2];
    uint8_t alert_level[2];     /* the last unencrypted alert */
    uint8_t alert_desc[2];
    bool ccs[2];                /* ChangeCipherSpec seen */
    bool app_data[2];           /* application data seen */
    bool gap[2];                /* bytes lost: parsing stopped there */
    uint32_t msgs_over_cap[2];  /* handshake messages over max_msg_bytes */
    uint64_t msg_bytes_over_cap[2];

    const char *error_reason;   /* NULL unless malformed */
} mw_tls_facts;

typedef struct mw_tls_session mw_tls_session;

/* lim may be NULL (defaults). NULL on allocation failure. */
mw_tls_session *mw_tls_new(const mw_tls_limits *lim);
void mw_tls_free(mw_tls_session *s);

/* Direction dir (0 client->server, 1 server->client) now views `stream`:
 * every byte from offset 0; bytes before `from` were in an earlier call. */
mw_tls_status mw_tls_feed(mw_tls_session *s, int dir, const mw_cursor *stream,
                          uint32_t from);

/* [offset, offset + len) of dir was lost: that direction stops parsing. */
mw_tls_status mw_tls_gap(mw_tls_session *s, int dir, uint64_t offset, uint64_t len);

/* The status the last feed/gap would return now. */
mw_tls_status mw_tls_status_of(const mw_tls_session *s);

const mw_tls_facts *mw_tls_get_facts(const mw_tls_session *s);

/* Content-based recognition of the first bytes of a direction, any port:
 * a TLS handshake record carrying a ClientHello/ServerHello, or an
 * SSLv2-compatible ClientHello. False when too few bytes to tell (6 for
 * TLS, 5 for SSLv2). */
bool mw_tls_looks_like_handshake(const mw_cursor *c);

/* "SSLv3".."TLSv1.3" for 0x0300..0x0304, "DTLSv1.0"/"DTLSv1.2"/"DTLSv1.3"
 * for 0xfeff/0xfefd/0xfefc, else NULL. */
const char *mw_tls_version_name(uint16_t version);

#endif /* MW_TLS_H */
