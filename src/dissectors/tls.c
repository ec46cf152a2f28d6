/*
 * tls.c - passive TLS handshake dissector. See tls.h for the contract.
 *
 * Layers: the record loop (per direction, over the stream view) feeds the
 * fragment of each handshake record to the message assembler, which hands
 * complete handshake messages to the message parsers. A message that lies
 * whole inside one record is parsed in place; only one that spans records
 * is copied into the direction's buffer.
 */
#include "dissectors/tls.h"

#include "dissectors/tls_fingerprint.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_MAX_RECORD (16384 + 2048) /* RFC 5246 6.2.3 ciphertext bound */
#define TLS_HDR 5
#define HS_HDR 4
#define BUF_KEEP 16384 /* a larger assembly buffer is released after use */

enum {
    REC_CCS = 20,
    REC_ALERT = 21,
    REC_HANDSHAKE = 22,
    REC_APPDATA = 23,
    REC_HEARTBEAT = 24,
};

enum {
    HS_CLIENT_HELLO = 1,
    HS_SERVER_HELLO = 2,
    HS_HELLO_VERIFY_REQUEST = 3, /* DTLS */
    HS_CERTIFICATE = 11,
    HS_SERVER_HELLO_DONE = 14,
};

enum {
    EXT_SERVER_NAME = 0x0000,
    EXT_SUPPORTED_GROUPS = 0x000a,
    EXT_EC_POINT_FORMATS = 0x000b,
    EXT_SIG_ALGS = 0x000d,
    EXT_ALPN = 0x0010,
    EXT_SUPPORTED_VERSIONS = 0x002b,
};

/* RFC 8446 4.1.3: SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A list of allocations freed together: the facts of one hello or chain. */
typedef union tls_blk {
    union tls_blk *next;
    max_align_t align;
} tls_blk;

typedef struct tls_dir {
    size_t off;          /* next record starts here in the stream view */
    bool started;        /* the first record was recognised */
    bool stopped;        /* encrypted, lost, or not TLS: parse no more */
    uint8_t *buf;        /* a handshake message spanning records */
    size_t buf_len;
    size_t buf_cap;
    size_t msg_total;    /* header + body of the message in buf, 0 = unknown */
    uint64_t skip_left;  /* bytes left of a message over the cap */
} tls_dir;

struct mw_tls_session {
    mw_tls_limits lim;
    mw_tls_facts f;
    tls_dir d[2];
    tls_blk *ch_mem;
    tls_blk *sh_mem;
    tls_blk *cert_mem;
    unsigned ch_count;
    bool any_tls;        /* some direction began with a TLS record */
    bool not_tls;
    bool error;
    bool hrr_pending;    /* HelloRetryRequest seen, final ServerHello not */
    bool hvr_pending;    /* DTLS HelloVerifyRequest seen: a ClientHello
                            with the cookie follows and replaces the first */
    bool resumed;
    bool no_cert;
};

static void *blk_alloc(tls_blk **list, size_t n)
{
    if (n > SIZE_MAX - sizeof(tls_blk))
        return NULL;
    tls_blk *b = malloc(sizeof(tls_blk) + n);
    if (!b)
        return NULL;
    b->next = *list;
    *list = b;
    return b + 1;
}

static void blk_free(tls_blk **list)
{
    tls_blk *b = *list;
    while (b) {
        tls_blk *next = b->next;
        free(b);
        b = next;
    }
    *list = NULL;
}

void mw_tls_limits_default(mw_tls_limits *lim)
{
    lim->max_msg_bytes = 1u << 20;
    lim->max_certs = 64;
    lim->max_chain_bytes = 1u << 20;
    lim->transport = 't';
}

const char *mw_tls_version_name(uint16_t version)
{
    switch (version) {
    case 0x0300: return "SSLv3";
    case 0x0301: return "TLSv1.0";
    case 0x0302: return "TLSv1.1";
    case 0x0303: return "TLSv1.2";
    case 0x0304: return "TLSv1.3";
    case 0xfeff: return "DTLSv1.0";
    case 0xfefd: return "DTLSv1.2";
    case 0xfefc: return "DTLSv1.3";
    default: return NULL;
    }
}

mw_tls_session *mw_tls_new(const mw_tls_limits *lim)
{
    mw_tls_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (lim)
        s->lim = *lim;
    else
        mw_tls_limits_default(&s->lim);
    if (s->lim.transport != 'q' && s->lim.transport != 'd')
        s->lim.transport = 't';
    return s;
}

void mw_tls_free(mw_tls_session *s)
{
    if (!s)
        return;
    for (int i = 0; i < 2; i++)
        free(s->d[i].buf);
    blk_free(&s->ch_mem);
    blk_free(&s->sh_mem);
    blk_free(&s->cert_mem);
    free(s);
}

const mw_tls_facts *mw_tls_get_facts(const mw_tls_session *s)
{
    return &s->f;
}

static void set_error(mw_tls_session *s, const char *reason)
{
    if (!s->f.error_reason)
        s->f.error_reason = reason;
    s->error = true;
}

mw_tls_status mw_tls_status_of(const mw_tls_session *s)
{
    if (s->error)
        return MW_TLS_ERROR;
    if (s->not_tls)
        return MW_TLS_NOT_TLS;
    if (s->f.state != MW_TLS_HS_INCOMPLETE)
        return MW_TLS_DONE;
    if (s->d[0].stopped && s->d[1].stopped)
        return MW_TLS_DONE;
    return MW_TLS_NEED_MORE;
}

/* The negotiated version encrypts the server's chain (TLS 1.3, DTLS 1.3). */
static bool is_v13(const mw_tls_session *s)
{
    return s->f.version == 0x0304 || (s->lim.transport == 'd' && s->f.version == 0xfefc);
}

static void update_state(mw_tls_session *s)
{
    mw_tls_facts *f = &s->f;

    if (f->state != MW_TLS_HS_INCOMPLETE || !f->sh.seen)
        return;
    if (is_v13(s))
        f->state = MW_TLS_HS_OPAQUE;
    else if (f->ch.seen && f->cert_seen)
        f->state = MW_TLS_HS_COMPLETE;
    else if (s->resumed)
        f->state = MW_TLS_HS_RESUMED;
    else if (s->no_cert)
        f->state = MW_TLS_HS_NO_CERT;
}


/* ---- hello parsing ---- */

/* Reads the whole of c as big-endian u16 values into fresh memory. */
static const char *get_u16s(mw_cursor *c, tls_blk **mem, mw_tls_u16_list *out)
{
    size_t len = mw_cursor_len(c);
    if (len % 2)
        return "odd-length u16 list";
    out->n = len / 2;
    out->v = NULL;
    if (!out->n)
        return NULL;
    uint16_t *v = blk_alloc(mem, len);
    if (!v)
        return "out of memory";
    for (size_t i = 0; i < out->n; i++)
        (void)mw_cursor_get_u16(c, &v[i]);
    out->v = v;
    return NULL;
}

static const char *copy_bytes(mw_cursor *c, tls_blk **mem, mw_tls_bytes *out)
{
    size_t len = mw_cursor_len(c);
    out->len = len;
    out->data = NULL;
    if (!len)
        return NULL;
    uint8_t *p = blk_alloc(mem, len);
    if (!p)
        return "out of memory";
    (void)mw_cursor_copy(c, p, len);
    out->data = p;
    return NULL;
}

static const char *parse_sni(mw_cursor *ext, tls_blk **mem, mw_tls_client_hello *ch)
{
    mw_cursor list;
    if (!mw_cursor_get_u16_prefixed(ext, &list))
        return "bad server_name extension";
    while (mw_cursor_len(&list)) {
        uint8_t type;
        mw_cursor name;
        if (!mw_cursor_get_u8(&list, &type) || !mw_cursor_get_u16_prefixed(&list, &name))
            return "bad server_name extension";
        if (type == 0 && !ch->has_sni) {
            const char *err = copy_bytes(&name, mem, &ch->sni);
            if (err)
                return err;
            ch->has_sni = true;
        }
    }
    return NULL;
}

static const char *parse_alpn_list(mw_cursor *ext, tls_blk **mem, mw_tls_client_hello *ch)
{
    mw_cursor list, walk, name = {NULL, 0};
    if (!mw_cursor_get_u16_prefixed(ext, &list))
        return "bad ALPN extension";
    size_t n = 0;
    walk = list;
    while (mw_cursor_len(&walk)) {
        if (!mw_cursor_get_u8_prefixed(&walk, &name))
            return "bad ALPN extension";
        n++;
    }
    if (!n)
        return NULL;
    mw_tls_bytes *v = blk_alloc(mem, n * sizeof(*v));
    if (!v)
        return "out of memory";
    for (size_t i = 0; i < n; i++) {
        (void)mw_cursor_get_u8_prefixed(&list, &name);
        const char *err = copy_bytes(&name, mem, &v[i]);
        if (err)
            return err;
    }
    ch->alpn = v;
    ch->n_alpn = n;
    return NULL;
}

static const char *parse_ch_ext(mw_cursor *exts, tls_blk **mem, mw_tls_client_hello *ch)
{
    /* Each extension takes at least 4 bytes: bounds the type list. */
    uint16_t *types = blk_alloc(mem, (mw_cursor_len(exts) / 4 + 1) * sizeof(uint16_t));
    if (!types)
        return "out of memory";
    ch->extensions.v = types;
    ch->extensions.n = 0;

    while (mw_cursor_len(exts)) {
        uint16_t type;
        mw_cursor data, inner;
        const char *err = NULL;
        if (!mw_cursor_get_u16(exts, &type) || !mw_cursor_get_u16_prefixed(exts, &data))
            return "truncated ClientHello extension";
        types[ch->extensions.n++] = type;
        switch (type) {
        case EXT_SERVER_NAME:
            if (mw_cursor_len(&data))
                err = parse_sni(&data, mem, ch);
            break;
        case EXT_ALPN:
            err = parse_alpn_list(&data, mem, ch);
            break;
        case EXT_SUPPORTED_VERSIONS:
            if (!mw_cursor_get_u8_prefixed(&data, &inner))
                return "bad supported_versions extension";
            err = get_u16s(&inner, mem, &ch->supported_versions);
            break;
        case EXT_SUPPORTED_GROUPS:
            if (!mw_cursor_get_u16_prefixed(&data, &inner))
                return "bad supported_groups extension";
            err = get_u16s(&inner, mem, &ch->supported_groups);
            break;
        case EXT_EC_POINT_FORMATS:
            if (!mw_cursor_get_u8_prefixed(&data, &inner))
                return "bad ec_point_formats extension";
            err = copy_bytes(&inner, mem, &ch->ec_point_formats);
            break;
        case EXT_SIG_ALGS:
            if (!mw_cursor_get_u16_prefixed(&data, &inner))
                return "bad signature_algorithms extension";
            err = get_u16s(&inner, mem, &ch->signature_algorithms);
            break;
        default:
            break;
        }
        if (err)
            return err;
    }
    return NULL;
}

/* Computes the fingerprints and makes ch (allocated in *mem) the facts. */
static const char *install_ch(mw_tls_session *s, mw_tls_client_hello *ch, tls_blk **mem)
{
    size_t cap = mw_tls_ja3_cap(ch);
    char *ja3 = blk_alloc(mem, cap);
    if (!ja3 || !mw_tls_ja4(ch, s->lim.transport, ch->ja4))
        return "out of memory";
    mw_tls_ja3(ch, ja3, cap, ch->ja3_md5);
    ch->ja3 = ja3;
    ch->seen = true;
    blk_free(&s->ch_mem);
    s->ch_mem = *mem;
    *mem = NULL;
    s->f.ch = *ch;
    s->ch_count++;
    return NULL;
}

static const char *parse_ch_fields(mw_cursor *m, tls_blk **mem, mw_tls_client_hello *ch,
                                   bool dtls)
{
    mw_cursor sid, cookie, ciphers, comp, exts;
    if (!mw_cursor_get_u16(m, &ch->legacy_version) || !mw_cursor_copy(m, ch->random, 32))
        return "truncated ClientHello";
    if (!mw_cursor_get_u8_prefixed(m, &sid) || mw_cursor_len(&sid) > 32)
        return "bad ClientHello session id";
    ch->session_id_len = (uint8_t)mw_cursor_len(&sid);
    (void)mw_cursor_copy(&sid, ch->session_id, ch->session_id_len);
    /* RFC 6347 4.2.1: DTLS puts cookie<0..2^8-1> before the suites. */
    if (dtls) {
        if (!mw_cursor_get_u8_prefixed(m, &cookie))
            return "truncated ClientHello cookie";
        ch->cookie_len = (uint8_t)mw_cursor_len(&cookie);
    }
    if (!mw_cursor_get_u16_prefixed(m, &ciphers))
        return "truncated ClientHello cipher suites";
    const char *err = get_u16s(&ciphers, mem, &ch->ciphers);
    if (err)
        return err;
    if (!mw_cursor_get_u8_prefixed(m, &comp))
        return "truncated ClientHello compression";
    if ((err = copy_bytes(&comp, mem, &ch->compression)) != NULL)
        return err;
    if (!mw_cursor_len(m))
        return NULL; /* SSL 3.0 style: no extensions */
    if (!mw_cursor_get_u16_prefixed(m, &exts))
        return "truncated ClientHello extensions";
    return parse_ch_ext(&exts, mem, ch);
}

static const char *parse_client_hello(mw_tls_session *s, mw_cursor *m)
{
    mw_tls_client_hello ch;
    tls_blk *mem = NULL;
    memset(&ch, 0, sizeof(ch));
    const char *err = parse_ch_fields(m, &mem, &ch, s->lim.transport == 'd');
    if (!err)
        err = install_ch(s, &ch, &mem);
    blk_free(&mem);
    return err;
}

/* SSLv2 CLIENT-HELLO body (after the 2-byte record header). RFC 5246 E.2. */
static const char *parse_sslv2_hello(mw_tls_session *s, mw_cursor *m)
{
    mw_tls_client_hello ch;
    tls_blk *mem = NULL;
    uint8_t type;
    uint16_t cs_len, sid_len, chal_len;
    mw_cursor specs, sid, chal;
    const char *err = NULL;

    memset(&ch, 0, sizeof(ch));
    ch.sslv2 = true;
    if (!mw_cursor_get_u8(m, &type) || type != 1 || !mw_cursor_get_u16(m, &ch.legacy_version) ||
        !mw_cursor_get_u16(m, &cs_len) || !mw_cursor_get_u16(m, &sid_len) ||
        !mw_cursor_get_u16(m, &chal_len))
        return "truncated SSLv2 ClientHello";
    if (cs_len % 3 || sid_len > 32 || chal_len < 16 || chal_len > 32)
        return "bad SSLv2 ClientHello lengths";
    if (!mw_cursor_get_bytes(m, &specs, cs_len) || !mw_cursor_get_bytes(m, &sid, sid_len) ||
        !mw_cursor_get_bytes(m, &chal, chal_len))
        return "truncated SSLv2 ClientHello";

    uint16_t *v = blk_alloc(&mem, (cs_len / 3 + 1) * sizeof(uint16_t));
    if (!v)
        return "out of memory";
    size_t n = 0;
    uint8_t hi;
    uint16_t lo;
    /* Specs 00xxxx are TLS suites; others exist only in SSLv2. */
    while (mw_cursor_get_u8(&specs, &hi) && mw_cursor_get_u16(&specs, &lo))
        if (hi == 0)
            v[n++] = lo;
    ch.ciphers.v = n ? v : NULL;
    ch.ciphers.n = n;
    ch.session_id_len = (uint8_t)sid_len;
    (void)mw_cursor_copy(&sid, ch.session_id, sid_len);
    (void)mw_cursor_copy(&chal, ch.random + 32 - chal_len, chal_len);

    err = install_ch(s, &ch, &mem);
    blk_free(&mem);
    return err;
}

static const char *parse_sh_fields(mw_cursor *m, tls_blk **mem, mw_tls_server_hello *sh)
{
    mw_cursor sid, exts;
    if (!mw_cursor_get_u16(m, &sh->legacy_version) || !mw_cursor_copy(m, sh->random, 32))
        return "truncated ServerHello";
    if (!mw_cursor_get_u8_prefixed(m, &sid) || mw_cursor_len(&sid) > 32)
        return "bad ServerHello session id";
    sh->session_id_len = (uint8_t)mw_cursor_len(&sid);
    (void)mw_cursor_copy(&sid, sh->session_id, sh->session_id_len);
    if (!mw_cursor_get_u16(m, &sh->cipher) || !mw_cursor_get_u8(m, &sh->compression))
        return "truncated ServerHello";
    if (!mw_cursor_len(m))
        return NULL;
    if (!mw_cursor_get_u16_prefixed(m, &exts))
        return "truncated ServerHello extensions";
    uint16_t *types = blk_alloc(mem, (mw_cursor_len(&exts) / 4 + 1) * sizeof(uint16_t));
    if (!types)
        return "out of memory";
    sh->extensions.v = types;
    while (mw_cursor_len(&exts)) {
        uint16_t type;
        mw_cursor data, list, name;
        if (!mw_cursor_get_u16(&exts, &type) || !mw_cursor_get_u16_prefixed(&exts, &data))
            return "truncated ServerHello extension";
        types[sh->extensions.n++] = type;
        if (type == EXT_SUPPORTED_VERSIONS) {
            if (!mw_cursor_get_u16(&data, &sh->selected_version) || mw_cursor_len(&data))
                return "bad ServerHello supported_versions";
        } else if (type == EXT_ALPN) {
            if (!mw_cursor_get_u16_prefixed(&data, &list) ||
                !mw_cursor_get_u8_prefixed(&list, &name))
                return "bad ServerHello ALPN";
            const char *err = copy_bytes(&name, mem, &sh->alpn);
            if (err)
                return err;
        }
    }
    return NULL;
}

static const char *parse_server_hello(mw_tls_session *s, mw_cursor *m)
{
    mw_tls_server_hello sh;
    tls_blk *mem = NULL;
    memset(&sh, 0, sizeof(sh));
    const char *err = parse_sh_fields(m, &mem, &sh);
    if (err) {
        blk_free(&mem);
        return err;
    }
    if (memcmp(sh.random, hrr_random, 32) == 0) {
        /* Another ClientHello/ServerHello pair follows; keep the final. */
        s->f.hrr = true;
        s->hrr_pending = true;
        blk_free(&mem);
        return NULL;
    }

    size_t cap = mw_tls_ja3s_cap(&sh);
    char *ja3s = blk_alloc(&mem, cap);
    if (!ja3s) {
        blk_free(&mem);
        return "out of memory";
    }
    mw_tls_ja3s(&sh, ja3s, cap, sh.ja3s_md5);
    sh.ja3s = ja3s;
    if (!sh.extensions.n)
        sh.extensions.v = NULL;

    sh.seen = true;
    blk_free(&s->sh_mem);
    s->sh_mem = mem;
    s->f.sh = sh;
    s->hrr_pending = false;
    s->f.version = sh.selected_version ? sh.selected_version : sh.legacy_version;
    s->f.version_name = mw_tls_version_name(s->f.version);

    if (is_v13(s)) {
        s->d[1].stopped = true; /* the rest of the server's flight is encrypted */
    } else if (s->f.ch.seen && s->f.ch.session_id_len &&
               s->f.ch.session_id_len == sh.session_id_len &&
               memcmp(s->f.ch.session_id, sh.session_id, sh.session_id_len) == 0) {
        s->resumed = true; /* RFC 5246 7.4.1.3: echoed id = resumption */
    }
    return NULL;
}

static const char *parse_certificate(mw_tls_session *s, mw_cursor *m)
{
    mw_tls_facts *f = &s->f;
    mw_cursor list, walk, cert;
    if (!mw_cursor_get_u24_prefixed(m, &list))
        return "bad Certificate length";

    /* Pass 1: validate, and decide what fits the caps. */
    size_t keep = 0, keep_bytes = 0;
    uint32_t dropped = 0;
    walk = list;
    while (mw_cursor_len(&walk)) {
        if (!mw_cursor_get_u24_prefixed(&walk, &cert))
            return "truncated certificate";
        size_t len = mw_cursor_len(&cert);
        if (!len)
            return "empty certificate";
        if (keep < s->lim.max_certs && !dropped && len <= s->lim.max_chain_bytes - keep_bytes) {
            keep++;
            keep_bytes += len;
        } else {
            dropped++; /* keep a prefix of the chain: order matters */
        }
    }

    tls_blk *mem = NULL;
    mw_tls_bytes *v = NULL;
    if (keep) {
        v = blk_alloc(&mem, keep * sizeof(*v));
        uint8_t *der = v ? blk_alloc(&mem, keep_bytes) : NULL;
        if (!der) {
            blk_free(&mem);
            return "out of memory";
        }
        for (size_t i = 0; i < keep; i++) {
            (void)mw_cursor_get_u24_prefixed(&list, &cert);
            v[i].data = der;
            v[i].len = mw_cursor_len(&cert);
            (void)mw_cursor_copy(&cert, der, v[i].len);
            der += v[i].len;
        }
    }
    blk_free(&s->cert_mem);
    s->cert_mem = mem;
    f->certs = v;
    f->n_certs = keep;
    f->certs_dropped = dropped;
    f->chain_truncated = dropped > 0;
    f->cert_seen = true;
    return NULL;
}

/* One complete handshake message of direction dir. */
static void handle_message(mw_tls_session *s, int dir, mw_cursor *msg)
{
    mw_tls_facts *f = &s->f;
    uint8_t type = 0;
    uint32_t len = 0;
    const char *err = NULL;

    (void)mw_cursor_get_u8(msg, &type);
    (void)mw_cursor_get_u24(msg, &len);
    f->handshake_msgs[dir]++;

    if (dir == 0) {
        if (type == HS_CLIENT_HELLO &&
            (s->ch_count == 0 || (f->hrr && s->ch_count == 1) || s->hvr_pending)) {
            s->hvr_pending = false;
            err = parse_client_hello(s, msg);
        }
        else if (type == HS_CERTIFICATE) {
            mw_cursor list, cert;
            if (mw_cursor_get_u24_prefixed(msg, &list))
                while (mw_cursor_get_u24_prefixed(&list, &cert))
                    f->client_certs++;
        }
    } else {
        if (type == HS_SERVER_HELLO && !f->sh.seen)
            err = parse_server_hello(s, msg);
        else if (type == HS_CERTIFICATE && !f->cert_seen && !is_v13(s))
            err = parse_certificate(s, msg);
        else if (type == HS_HELLO_VERIFY_REQUEST && s->lim.transport == 'd' && !f->sh.seen) {
            f->hello_verify = true;
            s->hvr_pending = true;
        }
        else if (type == HS_SERVER_HELLO_DONE && !f->cert_seen)
            s->no_cert = true;
    }
    if (err)
        set_error(s, err);
    update_state(s);
}

/* A message whose header says it exceeds the cap: count and skip it. */
static void begin_skip(mw_tls_session *s, int dir, uint8_t type, uint64_t total)
{
    tls_dir *d = &s->d[dir];
    s->f.msgs_over_cap[dir]++;
    d->skip_left = total;
    if (dir == 1 && type == HS_CERTIFICATE && !s->f.cert_seen && !is_v13(s)) {
        s->f.cert_seen = true;
        s->f.chain_truncated = true;
        update_state(s);
    }
}

static bool buf_reserve(tls_dir *d, size_t need)
{
    if (need <= d->buf_cap)
        return true;
    size_t cap = d->buf_cap ? d->buf_cap : 256;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(d->buf, cap);
    if (!p)
        return false;
    d->buf = p;
    d->buf_cap = cap;
    return true;
}

/* Appends up to want bytes of frag to the assembly buffer. */
static bool buf_take(tls_dir *d, mw_cursor *frag, size_t want)
{
    size_t n = mw_cursor_len(frag) < want ? mw_cursor_len(frag) : want;
    if (!buf_reserve(d, d->buf_len + n))
        return false;
    (void)mw_cursor_copy(frag, d->buf + d->buf_len, n);
    d->buf_len += n;
    return true;
}

/* The fragment of one handshake record. */
static void handshake_fragment(mw_tls_session *s, int dir, mw_cursor *frag)
{
    tls_dir *d = &s->d[dir];

    while (mw_cursor_len(frag) && !d->stopped && !s->error) {
        if (d->skip_left) {
            size_t n = mw_cursor_len(frag);
            if (n > d->skip_left)
                n = (size_t)d->skip_left;
            (void)mw_cursor_skip(frag, n);
            d->skip_left -= n;
            s->f.msg_bytes_over_cap[dir] += n;
            continue;
        }
        if (!d->buf_len) {
            /* Fast path: the whole message is in this record. */
            uint32_t len;
            mw_cursor hdr = *frag, msg;
            if (mw_cursor_skip(&hdr, 1) && mw_cursor_get_u24(&hdr, &len) &&
                (size_t)len <= mw_cursor_len(&hdr)) {
                (void)mw_cursor_get_bytes(frag, &msg, HS_HDR + (size_t)len);
                handle_message(s, dir, &msg);
                continue;
            }
        }
        if (d->buf_len < HS_HDR) {
            if (!buf_take(d, frag, HS_HDR - d->buf_len)) {
                set_error(s, "out of memory");
                return;
            }
            if (d->buf_len < HS_HDR)
                return;
            mw_cursor hdr;
            uint8_t type = 0;
            uint32_t len = 0;
            mw_cursor_init(&hdr, d->buf, d->buf_len);
            (void)mw_cursor_get_u8(&hdr, &type);
            (void)mw_cursor_get_u24(&hdr, &len);
            uint64_t total = (uint64_t)HS_HDR + len;
            if (total > s->lim.max_msg_bytes) {
                d->buf_len = 0;
                s->f.msg_bytes_over_cap[dir] += HS_HDR;
                begin_skip(s, dir, type, len);
                continue;
            }
            d->msg_total = (size_t)total;
        }
        if (!buf_take(d, frag, d->msg_total - d->buf_len)) {
            set_error(s, "out of memory");
            return;
        }
        if (d->buf_len == d->msg_total) {
            mw_cursor msg;
            mw_cursor_init(&msg, d->buf, d->buf_len);
            d->buf_len = 0;
            d->msg_total = 0;
            handle_message(s, dir, &msg);
            if (d->buf_cap > BUF_KEEP) {
                free(d->buf);
                d->buf = NULL;
                d->buf_cap = 0;
            }
        }
    }
}

static void change_cipher_spec(mw_tls_session *s, int dir)
{
    s->f.ccs[dir] = true;
    /* TLS 1.3 middlebox compatibility (RFC 8446 D.4): a dummy CCS around a
     * HelloRetryRequest; plaintext hellos still follow. */
    if (s->hrr_pending)
        return;
    s->d[dir].stopped = true;
    if (dir == 1 && s->f.sh.seen && !s->f.cert_seen && !is_v13(s))
        s->resumed = true;
    update_state(s);
}

static void alert(mw_tls_session *s, int dir, mw_cursor *frag)
{
    uint8_t level, desc;
    while (mw_cursor_get_u8(frag, &level) && mw_cursor_get_u8(frag, &desc)) {
        s->f.alerts[dir]++;
        s->f.alert_level[dir] = level;
        s->f.alert_desc[dir] = desc;
    }
}

/* The first bytes of a direction are not TLS. */
static void not_tls(mw_tls_session *s, int dir)
{
    s->d[dir].stopped = true;
    if (s->any_tls)
        set_error(s, "not a TLS record");
    else
        s->not_tls = true;
}

/* Returns false when more bytes are needed. */
static bool sslv2_first(mw_tls_session *s, mw_cursor *c)
{
    tls_dir *d = &s->d[0];
    uint16_t hdr;
    mw_cursor body;
    if (!mw_cursor_get_u16(c, &hdr))
        return false;
    size_t len = hdr & 0x7fff;
    if (len < 9 || len > TLS_MAX_RECORD) {
        not_tls(s, 0);
        return true;
    }
    if (!mw_cursor_get_bytes(c, &body, len))
        return false;
    const char *err = parse_sslv2_hello(s, &body);
    if (err) {
        if (s->any_tls) {
            set_error(s, err);
        } else {
            s->f.error_reason = err;
            not_tls(s, 0);
        }
        return true;
    }
    s->any_tls = true;
    d->started = true;
    d->off += 2 + len;
    s->f.records[0]++;
    update_state(s);
    return true;
}

static void parse_records(mw_tls_session *s, int dir, const mw_cursor *stream)
{
    tls_dir *d = &s->d[dir];
    mw_cursor c = *stream;

    if (!mw_cursor_skip(&c, d->off)) {
        set_error(s, "stream view shorter than parsed");
        return;
    }
    while (!d->stopped && !s->error && !s->not_tls) {
        uint8_t b0;
        if (!mw_cursor_peek_u8(&c, 0, &b0))
            return;
        if (!d->started && dir == 0 && (b0 & 0x80)) {
            mw_cursor v2 = c;
            if (!sslv2_first(s, &v2))
                return;
            c = v2;
            continue;
        }

        mw_cursor rec = c, frag;
        uint8_t type, major, minor;
        uint16_t len;
        if (!mw_cursor_get_u8(&rec, &type) || !mw_cursor_get_u8(&rec, &major) ||
            !mw_cursor_get_u8(&rec, &minor) || !mw_cursor_get_u16(&rec, &len))
            return;
        bool ok_type = type >= REC_CCS && type <= REC_HEARTBEAT;
        if (!ok_type || major != 3 || minor > 4 || len > TLS_MAX_RECORD) {
            if (!d->started)
                not_tls(s, dir);
            else
                set_error(s, len > TLS_MAX_RECORD ? "record too long" : "bad record header");
            return;
        }
        if (!mw_cursor_get_bytes(&rec, &frag, len))
            return;
        c = rec;
        d->off += TLS_HDR + (size_t)len;
        d->started = true;
        s->any_tls = true;
        s->f.records[dir]++;

        switch (type) {
        case REC_HANDSHAKE:
            handshake_fragment(s, dir, &frag);
            break;
        case REC_CCS:
            change_cipher_spec(s, dir);
            break;
        case REC_ALERT:
            alert(s, dir, &frag);
            break;
        case REC_APPDATA:
            s->f.app_data[dir] = true;
            d->stopped = true; /* the visible handshake is over */
            break;
        default:
            break; /* heartbeat: nothing to learn */
        }
    }
}

mw_tls_status mw_tls_feed(mw_tls_session *s, int dir, const mw_cursor *stream, uint32_t from)
{
    if (!s)
        return MW_TLS_ERROR;
    if (dir != 0 && dir != 1) {
        set_error(s, "bad direction");
        return MW_TLS_ERROR;
    }
    if (!stream || from > mw_cursor_len(stream)) {
        set_error(s, "bad stream view");
        return MW_TLS_ERROR;
    }
    if (!s->error && !s->not_tls && !s->d[dir].stopped)
        parse_records(s, dir, stream);
    return mw_tls_status_of(s);
}

mw_tls_status mw_tls_gap(mw_tls_session *s, int dir, uint64_t offset, uint64_t len)
{
    (void)offset;
    (void)len;
    if (!s)
        return MW_TLS_ERROR;
    if (dir != 0 && dir != 1) {
        set_error(s, "bad direction");
        return MW_TLS_ERROR;
    }
    /* Records cannot be resynchronised reliably after a hole. */
    if (!s->d[dir].stopped) {
        s->f.gap[dir] = true;
        s->d[dir].stopped = true;
    }
    return mw_tls_status_of(s);
}

bool mw_tls_looks_like_handshake(const mw_cursor *c)
{
    uint8_t b0, b1, b2, b5;
    uint16_t len;

    if (!mw_cursor_peek_u8(c, 0, &b0) || !mw_cursor_peek_u8(c, 1, &b1))
        return false;
    if (b0 & 0x80) {
        /* SSLv2 record header, CLIENT-HELLO, version 2.0 or 3.x */
        uint8_t type, vmaj, vmin;
        size_t rlen = (size_t)((b0 & 0x7f) << 8 | b1);
        if (!mw_cursor_peek_u8(c, 2, &type) || !mw_cursor_peek_u8(c, 3, &vmaj) ||
            !mw_cursor_peek_u8(c, 4, &vmin))
            return false;
        return type == 1 && rlen >= 9 + 3 + 16 &&
               ((vmaj == 0 && vmin == 2) || (vmaj == 3 && vmin <= 4));
    }
    if (!mw_cursor_peek_u8(c, 2, &b2) || !mw_cursor_peek_u16(c, 3, &len) ||
        !mw_cursor_peek_u8(c, 5, &b5))
        return false;
    if (b0 != REC_HANDSHAKE || b1 != 3 || b2 > 4 || len < HS_HDR || len > TLS_MAX_RECORD)
        return false;
    if (b5 != HS_CLIENT_HELLO && b5 != HS_SERVER_HELLO)
        return false;
    uint8_t hv;
    /* Hello body version, when present, is 3.x as well. */
    if (mw_cursor_peek_u8(c, 9, &hv) && hv != 3)
        return false;
    return true;
}

