/*
 * result.h - one judged session, as the run's sinks see it.
 *
 * session.c fills one of these when a session's verdict is known and hands
 * it to whatever wants more than the event line: the summary (summary.h),
 * the certificate directory (certdir.h). Every pointer is valid only during
 * the call; a sink copies what it keeps.
 */
#ifndef MW_RESULT_H
#define MW_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "flow/decode.h"
#include "detect/verdict.h"

typedef struct mw_session_result {
    uint64_t ts_us;          /* the flow's first packet */
    const char *event;       /* "tls", "dtls", "quic" */
    const char *capture;     /* the input's name */
    const char *vantage;     /* NULL when unlabelled */
    uint8_t proto;           /* 6 or 17 */
    const mw_addr *client_ip, *server_ip;
    uint16_t client_port, server_port;
    const uint8_t *sni;      /* NULL when the client sent none */
    size_t sni_len;
    uint16_t version;        /* negotiated, 0 when no ServerHello */
    const mw_verdict *verdict; /* NULL when run without rules */
    /* The chain as sent, leaf first: parsed certificates (an entry is NULL
     * when OpenSSL could not parse it), their DER and its SHA-256. */
    size_t n_chain;
    X509 *const *chain;
    const uint8_t *const *chain_der;
    const size_t *chain_der_len;
    const uint8_t (*chain_sha256)[32];
} mw_session_result;

#endif /* MW_RESULT_H */
