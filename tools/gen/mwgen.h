/*
 * mwgen.h - the traffic generator's internal interfaces: deterministic
 * randomness, the test PKI, in-memory TLS conversations, and the pcap/TCP
 * writer. Nothing here is part of mitmwatch itself.
 */
#ifndef MWGEN_H
#define MWGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* ---- rng.c ------------------------------------------------------------ */

/* xoshiro256**: fast, seedable, not cryptographic (test traffic only). */
typedef struct {
    uint64_t s[4];
} mw_rng_t;

void mw_rng_seed(mw_rng_t *r, uint64_t seed, const char *label, uint64_t n);
uint64_t mw_rng_u64(mw_rng_t *r);
uint32_t mw_rng_below(mw_rng_t *r, uint32_t n);
void mw_rng_fill(mw_rng_t *r, void *buf, size_t n);

/* OpenSSL's RAND_bytes/RAND_priv_bytes from a seeded stream. */
int mw_rand_install(void);
void mw_rand_reseed(uint64_t seed, const char *label, uint64_t n);
void mw_rand_save(mw_rng_t *out);
void mw_rand_restore(const mw_rng_t *in);

/* ---- pki.c ------------------------------------------------------------ */

typedef struct {
    X509     *cert;
    EVP_PKEY *key;
} mw_cred_t;

#define MW_KZ_ERAS 3            /* <19 Jul, 19-29 Jul, >=30 Jul 2019 */

typedef struct mw_host_s mw_host_t;

struct mw_host_s {
    char            name[128];  /* registered domain the cert is for */
    mw_cred_t       leaf;       /* genuine, from the public issuing CA */
    unsigned char   serial[16];
    time_t          not_before, not_after;
    SSL_CTX        *srv;
    mw_cred_t       kz[MW_KZ_ERAS];
    SSL_CTX        *kz_srv[MW_KZ_ERAS];
    mw_cred_t       corp;
    SSL_CTX        *corp_srv;
    char            chain_hex[2][65];   /* genuine leaf, issuing CA */
    char            kz_hex[MW_KZ_ERAS][65];
    char            corp_hex[65];
    mw_host_t      *next;
};

typedef struct {
    uint64_t        seed;
    int             fast;       /* small RSA keys (tests under ASan) */
    mw_cred_t       pub_root, pub_ca;
    mw_cred_t       kz_root, kz_ca;
    mw_cred_t       corp_ca;
    EVP_PKEY       *corp_leaf_key;
    char            pub_ca_hex[65], kz_ca_hex[65], corp_ca_hex[65];
    mw_host_t      *hosts;
} mw_pki_t;

int mw_pki_init(mw_pki_t *pki, uint64_t seed, int fast);
void mw_pki_free(mw_pki_t *pki);
int mw_pki_write(const mw_pki_t *pki, const char *dir);
/* The cert group for a server host name (created on first use). */
mw_host_t *mw_pki_host(mw_pki_t *pki, const char *server_host);
/* The KZ forgery of that host's certificate in an era (created on use). */
SSL_CTX *mw_pki_kz(mw_pki_t *pki, mw_host_t *h, int era);
SSL_CTX *mw_pki_corp(mw_pki_t *pki, mw_host_t *h);
void mw_sha256_hex(X509 *x, char out[65]);

/* ---- tls.c ------------------------------------------------------------ */

enum { MW_C2S = 0, MW_S2C = 1 };

typedef struct {
    int             dir;
    size_t          len;
    unsigned char  *buf;
} mw_flight_t;

typedef struct {
    mw_flight_t    *fl;
    size_t          n, cap;
    size_t          hs_n;       /* flights of the handshake itself */
    const char     *version;    /* NULL when no ServerHello was exchanged */
    int             resumed;
} mw_conv_t;

enum { MW_FP_BROWSER12, MW_FP_BROWSER13, MW_FP_KZBOX, MW_FP_CORPBOX,
       MW_FP_N };

SSL_CTX *mw_client_ctx(int fingerprint);
SSL_CTX *mw_server_ctx(const mw_cred_t *leaf, X509 *ca, int max_version);

/*
 * One TLS connection in memory. resume: a session to offer (or NULL);
 * sess_out: receives the new session (or NULL). hello_only: stop after
 * the ClientHello (an incomplete handshake). Returns 0 or -1.
 */
int mw_tls_talk(SSL_CTX *cctx, SSL_CTX *sctx, const char *sni,
                SSL_SESSION *resume, SSL_SESSION **sess_out, int hello_only,
                const unsigned char *req, size_t reqlen,
                const unsigned char *resp, size_t resplen, mw_conv_t *cv);
void mw_conv_free(mw_conv_t *cv);

/* ---- wire.c ----------------------------------------------------------- */

typedef struct {
    FILE           *f;
    uint64_t        packets;
    unsigned char   pkt[65600];
} mw_pcap_t;

int mw_pcap_open(mw_pcap_t *pc, const char *path);
int mw_pcap_close(mw_pcap_t *pc);

typedef struct {
    int             v6;
    uint8_t         ip[16];     /* IPv4 in the first 4 bytes */
    uint16_t        port;
    uint8_t         mac[6];
    uint8_t         ttl;
    uint16_t        win;
} mw_ep_t;

typedef struct {
    mw_pcap_t      *pc;
    mw_ep_t         ep[2];      /* client, server */
    uint32_t        nxt[2];     /* next sequence number each side sends */
    uint16_t        ipid[2];
    uint64_t        now_us;
    uint64_t        far_ready_us;
    uint32_t        rtt_us;
    int             near;       /* side the capture point sits next to */
    int             last_dir;
    unsigned        unacked[2]; /* segments each side received, not ACKed */
} mw_tcp_t;

void mw_tcp_open(mw_tcp_t *t, mw_pcap_t *pc, const mw_ep_t *client,
                 const mw_ep_t *server, uint32_t isn_c, uint32_t isn_s,
                 uint64_t start_us, uint32_t rtt_us, int near);
/* ttl: 0 for the sender's own. */
void mw_tcp_data(mw_tcp_t *t, int dir, const unsigned char *p, size_t n,
                 uint8_t ttl);
void mw_tcp_idle(mw_tcp_t *t, uint64_t us);
void mw_tcp_close(mw_tcp_t *t);

#endif
