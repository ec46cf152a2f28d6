/*
 * tls_fingerprint.h - client and server fingerprints of parsed hellos:
 * JA3 and JA3S (Salesforce: decimal lists, GREASE left out, MD5), and JA4
 * (FoxIO's spec: "t13d1516h2_8daaf6152771_e5627efa2ab1", sorted lists,
 * truncated SHA-256). Pure functions of the hello's facts (tls.h), so they
 * can be tested and fuzzed on their own.
 */
#ifndef MW_TLS_FINGERPRINT_H
#define MW_TLS_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dissectors/tls.h"

/* RFC 8701 GREASE values (0x0a0a, 0x1a1a, ..., 0xfafa). */
bool mw_tls_is_grease(uint16_t v);

/* The JA3 string needs at most mw_tls_ja3_cap(ch) bytes (NUL included);
 * mw_tls_ja3 writes it into buf and its MD5 as 32 hex digits into md5. */
size_t mw_tls_ja3_cap(const mw_tls_client_hello *ch);
void mw_tls_ja3(const mw_tls_client_hello *ch, char *buf, size_t cap, char md5[33]);

/* Likewise JA3S of a ServerHello. */
size_t mw_tls_ja3s_cap(const mw_tls_server_hello *sh);
void mw_tls_ja3s(const mw_tls_server_hello *sh, char *buf, size_t cap, char md5[33]);

/* JA4 into out; transport 't' TCP, 'q' QUIC, 'd' DTLS. False only when
 * out of memory (out untouched). */
bool mw_tls_ja4(const mw_tls_client_hello *ch, char transport, char out[37]);

#endif /* MW_TLS_FINGERPRINT_H */
