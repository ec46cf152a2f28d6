/*
 * tls.c - genuine TLS connections run in memory: a client and a server
 * SSL over memory BIOs, bytes pumped between them and recorded as flights
 * (maximal runs of bytes in one direction) for wire.c to lay out as TCP.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "mwgen.h"

/*
 * The 2019 box re-originated connections with its own hello: TLS 1.2 at
 * most, 13 suites, no tickets. The exact list is not public; this one is
 * ours and only has to differ from a browser's.
 */
#define MW_KZBOX_CIPHERS                                                   \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:"  \
    "ECDHE-RSA-AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:"            \
    "AES128-SHA:AES256-SHA:DES-CBC3-SHA"

#define MW_CORPBOX_CIPHERS                                                 \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"           \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"

static void
quiet_ctx(SSL_CTX *c)
{
    /* Test keys may be 1024-bit (--fast-pki) and the box offers 3DES. */
    SSL_CTX_set_security_level(c, 0);
    /* Tickets carry the wall clock inside; session IDs do not. */
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(c, 0);
}

SSL_CTX *
mw_client_ctx(int fp)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    int ok = c != NULL;

    if (!ok) {
        return NULL;
    }
    quiet_ctx(c);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    switch (fp) {
    case MW_FP_BROWSER12:
        ok = SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
        break;
    case MW_FP_BROWSER13:
        ok = SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
        break;
    case MW_FP_KZBOX:
        ok = SSL_CTX_set_min_proto_version(c, TLS1_VERSION)
             && SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION)
             && SSL_CTX_set_cipher_list(c, MW_KZBOX_CIPHERS);
        SSL_CTX_set_options(c, SSL_OP_NO_ENCRYPT_THEN_MAC);
        break;
    default:
        ok = SSL_CTX_set_cipher_list(c, MW_CORPBOX_CIPHERS)
             && SSL_CTX_set_ciphersuites(c, "TLS_AES_256_GCM_SHA384");
        break;
    }
    if (ok && fp != MW_FP_KZBOX) {
        static const unsigned char alpn[] = "\x02h2\x08http/1.1";

        ok = SSL_CTX_set_alpn_protos(c, alpn, sizeof(alpn) - 1) == 0;
    }
    if (!ok) {
        SSL_CTX_free(c);
        return NULL;
    }
    return c;
}

static int
alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
            const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *o = NULL;

    (void) s;
    (void) arg;
    if (SSL_select_next_proto(&o, outlen, ours, sizeof(ours) - 1, in, inlen)
        != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = o;
    return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *
mw_server_ctx(const mw_cred_t *leaf, X509 *ca, int max_version)
{
    static const unsigned char sid_ctx[] = "mwgen";
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());

    if (c == NULL) {
        return NULL;
    }
    quiet_ctx(c);
    SSL_CTX_set_mode(c, SSL_MODE_NO_AUTO_CHAIN);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_alpn_select_cb(c, alpn_select, NULL);
    if (!SSL_CTX_set_max_proto_version(c, max_version)
        || !SSL_CTX_set_min_proto_version(c, TLS1_VERSION)
        || !SSL_CTX_set_session_id_context(c, sid_ctx, sizeof(sid_ctx) - 1)
        || !SSL_CTX_use_certificate(c, leaf->cert)
        || !SSL_CTX_use_PrivateKey(c, leaf->key)
        || !SSL_CTX_add1_chain_cert(c, ca)) {
        SSL_CTX_free(c);
        return NULL;
    }
    return c;
}

static int
conv_add(mw_conv_t *cv, int dir, const unsigned char *p, size_t n)
{
    mw_flight_t *f = cv->n ? &cv->fl[cv->n - 1] : NULL;
    unsigned char *nb;

    if (f == NULL || f->dir != dir) {
        if (cv->fl == NULL || cv->n == cv->cap) {
            size_t cap = cv->cap ? cv->cap * 2 : 8;
            mw_flight_t *nf = realloc(cv->fl, cap * sizeof(*nf));

            if (nf == NULL) {
                return -1;
            }
            cv->fl = nf;
            cv->cap = cap;
        }
        f = &cv->fl[cv->n++];
        f->dir = dir;
        f->len = 0;
        f->buf = NULL;
    }
    nb = realloc(f->buf, f->len + n);
    if (nb == NULL) {
        return -1;
    }
    memcpy(nb + f->len, p, n);
    f->buf = nb;
    f->len += n;
    return 0;
}

void
mw_conv_free(mw_conv_t *cv)
{
    size_t i;

    for (i = 0; i < cv->n; i++) {
        free(cv->fl[i].buf);
    }
    free(cv->fl);
    memset(cv, 0, sizeof(*cv));
}

/* Move what one side wrote to the other side, recording it. */
static int
pump(BIO *from, BIO *to, int dir, mw_conv_t *cv)
{
    unsigned char buf[16384];
    int n;

    while ((n = BIO_read(from, buf, (int) sizeof(buf))) > 0) {
        if (BIO_write(to, buf, n) != n || conv_add(cv, dir, buf, (size_t) n)) {
            return -1;
        }
    }
    return 0;
}

static int
step(SSL *s, int *done)
{
    int r;

    if (*done) {
        return 0;
    }
    r = SSL_do_handshake(s);
    if (r == 1) {
        *done = 1;
        return 0;
    }
    return SSL_get_error(s, r) == SSL_ERROR_WANT_READ ? 0 : -1;
}

/* Read everything the peer sent (at least want bytes). */
static int
drain(SSL *s, size_t want)
{
    unsigned char buf[16384];
    size_t got = 0;
    int n;

    while ((n = SSL_read(s, buf, (int) sizeof(buf))) > 0) {
        got += (size_t) n;
    }
    return got >= want ? 0 : -1;
}

int
mw_tls_talk(SSL_CTX *cctx, SSL_CTX *sctx, const char *sni,
            SSL_SESSION *resume, SSL_SESSION **sess_out, int hello_only,
            const unsigned char *req, size_t reqlen,
            const unsigned char *resp, size_t resplen, mw_conv_t *cv)
{
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
    BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
    int cdone = 0, sdone = 0, i, rc = -1;

    memset(cv, 0, sizeof(*cv));
    if (c == NULL || s == NULL || !c_in || !c_out || !s_in || !s_out) {
        BIO_free(c_in);
        BIO_free(c_out);
        BIO_free(s_in);
        BIO_free(s_out);
        goto out;
    }
    SSL_set_bio(c, c_in, c_out);
    SSL_set_bio(s, s_in, s_out);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    if ((sni && !SSL_set_tlsext_host_name(c, sni))
        || (resume && !SSL_set_session(c, resume))) {
        goto out;
    }
    for (i = 0; i < 32 && !(cdone && sdone); i++) {
        if (step(c, &cdone) || pump(c_out, s_in, MW_C2S, cv)) {
            goto out;
        }
        if (hello_only) {
            cv->hs_n = cv->n;
            rc = 0;
            goto out;
        }
        if (step(s, &sdone) || pump(s_out, c_in, MW_S2C, cv)) {
            goto out;
        }
    }
    if (!(cdone && sdone)) {
        goto out;
    }
    cv->hs_n = cv->n;
    cv->version = SSL_get_version(c);
    cv->resumed = SSL_session_reused(c);
    if (SSL_write(c, req, (int) reqlen) != (int) reqlen
        || pump(c_out, s_in, MW_C2S, cv) || drain(s, reqlen)
        || SSL_write(s, resp, (int) resplen) != (int) resplen
        || pump(s_out, c_in, MW_S2C, cv) || drain(c, resplen)) {
        goto out;
    }
    if (sess_out) {
        *sess_out = SSL_get1_session(c);
    }
    /* Both sides say close_notify, as browsers and servers mostly do. */
    SSL_shutdown(c);
    if (pump(c_out, s_in, MW_C2S, cv)) {
        goto out;
    }
    SSL_shutdown(s);
    if (pump(s_out, c_in, MW_S2C, cv)) {
        goto out;
    }
    rc = 0;
out:
    if (rc) {
        ERR_print_errors_fp(stderr);
        mw_conv_free(cv);
    }
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    return rc;
}
