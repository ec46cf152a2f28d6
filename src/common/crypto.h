/*
 * crypto.h - OpenSSL algorithms fetched once.
 *
 * OpenSSL 3 resolves a legacy handle such as EVP_sha256() to a provider
 * implementation on every use: a name lookup in a locked table that cost
 * more than hashing a ClientHello (perf, docs/performance.md). These are
 * fetched once per process, on first use (pthread_once), and are then
 * immutable, so any thread may use them. If a fetch fails (a provider
 * configuration without the default provider), the legacy handle is
 * returned: slower, never wrong.
 */
#ifndef MW_CRYPTO_H
#define MW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

const EVP_MD *mw_md_sha256(void);
const EVP_MD *mw_md_sha1(void);
const EVP_MD *mw_md_md5(void);
const EVP_CIPHER *mw_cipher_aes128_ecb(void);
const EVP_CIPHER *mw_cipher_aes128_gcm(void);

/* One-shot digests; false (out zeroed) only if OpenSSL fails. */
bool mw_sha256(const void *data, size_t len, uint8_t out[32]);
bool mw_sha1(const void *data, size_t len, uint8_t out[20]);

/* An HMAC-SHA256 context of the caller's own (contexts are not shared
 * between threads), keyed anew at each mw_hmac_sha256; NULL when out of
 * memory. Free with EVP_MAC_CTX_free. */
EVP_MAC_CTX *mw_hmac_sha256_new(void);
bool mw_hmac_sha256(EVP_MAC_CTX *ctx, const uint8_t *key, size_t keylen, const uint8_t *data,
                    size_t len, uint8_t out[32]);

#endif /* MW_CRYPTO_H */
