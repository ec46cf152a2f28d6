/*
 * quic.c - QUIC Initial packets to TLS handshake messages (see quic.h).
 */
#include "dissectors/quic.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/crypto.h"

#define QUIC_MAX_CID 20
#define QUIC_TAG 16
#define QUIC_SAMPLE 16
#define QUIC_KEY 16
#define QUIC_IV 12
#define QUIC_MIN_CLIENT_DGRAM 1200
#define TLS_REC_MAX 16384

enum { PT_INITIAL, PT_0RTT, PT_HANDSHAKE, PT_RETRY };

typedef struct quic_keys {
    uint8_t key[QUIC_KEY];
    uint8_t iv[QUIC_IV];
    uint8_t hp[QUIC_KEY];
} quic_keys;

typedef struct quic_dir {
    uint8_t *crypto;      /* CRYPTO stream, by offset */
    uint8_t *have;        /* bitmap of the bytes of crypto received */
    size_t crypto_cap;    /* bytes allocated for crypto */
    size_t have_cap;      /* bytes allocated for have */
    size_t contig;        /* contiguous prefix length */
    size_t hi;            /* highest end received */
    uint8_t *rec;         /* synthetic TLS record stream */
    size_t rec_len, rec_cap;
    uint64_t largest_pn;
    bool any_pn;
} quic_dir;

struct mw_quic_session {
    mw_quic_info info;
    mw_tls_session *tls;
    bool not_quic;
    bool started;         /* a datagram was examined */
    bool have_keys;
    uint32_t key_version;
    uint8_t key_dcid[QUIC_MAX_CID];
    uint8_t key_dcid_len;
    quic_keys keys[2];    /* [dir] */
    quic_dir d[2];
    EVP_CIPHER_CTX *ecb;
    EVP_CIPHER_CTX *gcm;
    EVP_MAC_CTX *hmac; /* made at the first key derivation */
    uint8_t pkt[MW_QUIC_MAX_PACKET];
};

/* Per-version constants: salt, label prefix, and whether types rotate. */
typedef struct quic_version_params {
    const uint8_t *salt;
    const char *key_label, *iv_label, *hp_label;
    bool v2;
    bool gquic_frames; /* T05x: gQUIC frames inside IETF packets */
} quic_version_params;

static const uint8_t salt_v1[20] = {
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[20] = {
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
static const uint8_t salt_d29[20] = {
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
    0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
static const uint8_t salt_d23[20] = {
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
    0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
static const uint8_t salt_d22[20] = {
    0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a,
    0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd, 0x7a, 0x02, 0x64, 0x4a};
/* Google's TLS-based gQUIC versions; salts as in Wireshark's
 * packet-quic.c (no public specification). */
static const uint8_t salt_t50[20] = {
    0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80,
    0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c, 0x60, 0x48, 0x83, 0x10};
static const uint8_t salt_t51[20] = {
    0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50,
    0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc, 0xda, 0x6e, 0x03, 0x3d};

/* 0x?a?a?a?a versions are reserved to force Version Negotiation (RFC 9000
 * 6.3, 15): no server accepts them, yet the client's Initial carries a
 * real ClientHello, with the v1 header and protected with the salt of the
 * version the client actually speaks, which the version does not say:
 * v1's, or draft-29's for clients of that era (quic_interop_V.pcapng).
 * The AEAD tag tells which one is right. */
static bool version_reserved(uint32_t v)
{
    return (v & 0x0f0f0f0fu) == 0x0a0a0a0au;
}

#define QUIC_MAX_SALTS 2

/* Parameters of version v; alt > 0 asks for the next candidate salt (only
 * reserved versions have one). False when there is none. */
static bool version_params(uint32_t v, int alt, quic_version_params *p)
{
    p->key_label = "quic key";
    p->iv_label = "quic iv";
    p->hp_label = "quic hp";
    p->v2 = false;
    p->gquic_frames = false;
    if (version_reserved(v)) {
        if (alt >= QUIC_MAX_SALTS)
            return false;
        p->salt = alt == 0 ? salt_v1 : salt_d29;
        return true;
    }
    if (alt != 0)
        return false;
    if (v == MW_QUIC_V1 || v == 0xff000021u || v == 0xff000022u) {
        p->salt = salt_v1;
    } else if (v == MW_QUIC_V2) {
        p->salt = salt_v2;
        p->key_label = "quicv2 key";
        p->iv_label = "quicv2 iv";
        p->hp_label = "quicv2 hp";
        p->v2 = true;
    } else if (v >= 0xff00001du && v <= 0xff000020u) {
        p->salt = salt_d29;
    } else if ((v >= 0xff000017u && v <= 0xff00001cu) || v == MW_QUIC_MVFST_D27 ||
               v == MW_QUIC_MVFST_EXP) {
        /* mvfst's are draft-27 based, as Wireshark maps them */
        p->salt = salt_d23;
    } else if (v == 0xff000016u || v == MW_QUIC_MVFST_D22) {
        p->salt = salt_d22;
    } else if (v == MW_QUIC_T050 || v == MW_QUIC_T051) {
        p->salt = v == MW_QUIC_T050 ? salt_t50 : salt_t51;
        p->gquic_frames = true;
    } else {
        return false;
    }
    return true;
}

bool mw_quic_version_known(uint32_t version)
{
    quic_version_params p;
    return version_params(version, 0, &p);
}

/* The 2-bit long-header type field, as the v1 type it means. */
static int packet_type(uint8_t b0, bool v2)
{
    int t = (b0 >> 4) & 3;
    if (!v2)
        return t;
    /* v2: Retry 0b00, Initial 0b01, 0-RTT 0b10, Handshake 0b11 */
    return t == 0 ? PT_RETRY : t - 1;
}

/* ---- key schedule (RFC 9001 5.2, RFC 8446 7.1) ---- */

/* HKDF-Expand-Label with an empty context; every output here fits in one
 * HMAC-SHA256 block, so Expand is T(1) truncated. */
static bool expand_label(EVP_MAC_CTX *mac, const uint8_t secret[32], const char *label,
                         uint8_t *out, size_t out_len)
{
    uint8_t info[2 + 1 + 6 + 32 + 1 + 1];
    size_t label_len = strlen(label), n = 0;
    uint8_t md[32];

    if (out_len > 32 || label_len > 32 - 6)
        return false;
    info[n++] = 0;
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(6 + label_len);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, label_len);
    n += label_len;
    info[n++] = 0; /* context */
    info[n++] = 1; /* HKDF-Expand counter */
    if (!mw_hmac_sha256(mac, secret, 32, info, n, md))
        return false;
    memcpy(out, md, out_len);
    return true;
}

static bool derive_keys(mw_quic_session *s, uint32_t version, int alt, const uint8_t *dcid,
                        size_t dcid_len, quic_keys out[2])
{
    quic_version_params p;
    uint8_t initial[32], secret[32];
    static const char *const dir_label[2] = {"client in", "server in"};

    if (!version_params(version, alt, &p))
        return false;
    if (!s->hmac && !(s->hmac = mw_hmac_sha256_new()))
        return false;
    /* HKDF-Extract(salt, dcid) is HMAC(salt, dcid); an empty DCID is legal. */
    if (!mw_hmac_sha256(s->hmac, p.salt, 20, dcid, dcid_len, initial))
        return false;
    for (int i = 0; i < 2; i++) {
        if (!expand_label(s->hmac, initial, dir_label[i], secret, 32) ||
            !expand_label(s->hmac, secret, p.key_label, out[i].key, QUIC_KEY) ||
            !expand_label(s->hmac, secret, p.iv_label, out[i].iv, QUIC_IV) ||
            !expand_label(s->hmac, secret, p.hp_label, out[i].hp, QUIC_KEY))
            return false;
    }
    return true;
}

/* ---- session ---- */

mw_quic_session *mw_quic_new(void)
{
    mw_quic_session *s = calloc(1, sizeof(*s));
    mw_tls_limits lim;

    if (!s)
        return NULL;
    mw_tls_limits_default(&lim);
    lim.transport = 'q';
    s->tls = mw_tls_new(&lim);
    s->ecb = EVP_CIPHER_CTX_new();
    s->gcm = EVP_CIPHER_CTX_new();
    if (!s->tls || !s->ecb || !s->gcm) {
        mw_quic_free(s);
        return NULL;
    }
    return s;
}

void mw_quic_free(mw_quic_session *s)
{
    if (!s)
        return;
    for (int i = 0; i < 2; i++) {
        free(s->d[i].crypto);
        free(s->d[i].have);
        free(s->d[i].rec);
    }
    mw_tls_free(s->tls);
    EVP_CIPHER_CTX_free(s->ecb);
    EVP_CIPHER_CTX_free(s->gcm);
    EVP_MAC_CTX_free(s->hmac);
    free(s);
}

const mw_quic_info *mw_quic_get_info(const mw_quic_session *s)
{
    return &s->info;
}

const mw_tls_facts *mw_quic_tls_facts(const mw_quic_session *s)
{
    return mw_tls_get_facts(s->tls);
}

mw_quic_status mw_quic_status_of(const mw_quic_session *s)
{
    if (s->not_quic)
        return MW_QUIC_NOT_QUIC;
    switch (mw_tls_status_of(s->tls)) {
    case MW_TLS_ERROR:
        return MW_QUIC_ERROR;
    case MW_TLS_DONE:
        return MW_QUIC_DONE;
    default:
        break;
    }
    for (int i = 0; i < 2; i++)
        if (s->info.datagrams[i] >= MW_QUIC_MAX_DATAGRAMS)
            return MW_QUIC_DONE;
    return MW_QUIC_NEED_MORE;
}

/* ---- wire helpers ---- */

static bool get_varint(mw_cursor *c, uint64_t *out)
{
    uint8_t b0;
    uint64_t v;
    /* data is NULL exactly when empty; said so for the analyzer */
    if (!mw_cursor_data(c) || !mw_cursor_peek_u8(c, 0, &b0))
        return false;
    size_t n = (size_t)1 << (b0 >> 6);
    if (!mw_cursor_get_be(c, n, &v))
        return false;
    *out = v & (((uint64_t)1 << (8 * n - 2)) - 1);
    return true;
}

typedef struct long_hdr {
    uint8_t b0;
    uint32_t version;
    mw_cursor dcid, scid;
    int type;
    size_t hdr_len;  /* packet start to the packet number */
    size_t pkt_len;  /* whole packet, header included */
} long_hdr;

/* LH_BAD: no QUIC long header; LH_MALFORMED: a known version's header
 * that is invalid or does not fit (e.g. cut by the snaplen). */
typedef enum { LH_OK, LH_SHORT, LH_VN, LH_UNKNOWN, LH_BAD, LH_MALFORMED } lh_result;

/* Parses the long header at the start of c. On LH_OK, h describes the
 * packet (for a Retry, the rest of the datagram). */
static lh_result parse_long(const mw_cursor *c, long_hdr *h)
{
    mw_cursor p = *c;
    uint8_t dl, sl;
    quic_version_params vp;

    if (!mw_cursor_get_u8(&p, &h->b0))
        return LH_BAD;
    if (!(h->b0 & 0x80))
        return LH_SHORT;
    if (!mw_cursor_get_u32(&p, &h->version))
        return LH_BAD;
    if (h->version == 0)
        return LH_VN;
    if (!version_params(h->version, 0, &vp))
        return LH_UNKNOWN;
    /* The fixed bit may be 0 once the peer allowed it (RFC 9287). */
    if (!mw_cursor_get_u8(&p, &dl) || dl > QUIC_MAX_CID ||
        !mw_cursor_get_bytes(&p, &h->dcid, dl) || !mw_cursor_get_u8(&p, &sl) ||
        sl > QUIC_MAX_CID || !mw_cursor_get_bytes(&p, &h->scid, sl))
        return LH_MALFORMED;
    h->type = packet_type(h->b0, vp.v2);
    if (h->type == PT_RETRY) {
        h->hdr_len = mw_cursor_len(c) - mw_cursor_len(&p);
        h->pkt_len = mw_cursor_len(c);
        return LH_OK;
    }
    uint64_t tok_len, len;
    if (h->type == PT_INITIAL &&
        (!get_varint(&p, &tok_len) || tok_len > mw_cursor_len(&p) ||
         !mw_cursor_skip(&p, (size_t)tok_len)))
        return LH_MALFORMED;
    if (!get_varint(&p, &len) || len > mw_cursor_len(&p))
        return LH_MALFORMED;
    h->hdr_len = mw_cursor_len(c) - mw_cursor_len(&p);
    h->pkt_len = h->hdr_len + (size_t)len;
    return LH_OK;
}

bool mw_quic_looks_like_initial(const mw_cursor *payload, bool from_client)
{
    long_hdr h;
    if (!payload || parse_long(payload, &h) != LH_OK || h.type != PT_INITIAL ||
        !(h.b0 & 0x40))
        return false;
    /* Room for the packet number, the sample and the tag. */
    if (h.pkt_len - h.hdr_len < 4 + QUIC_SAMPLE)
        return false;
    if (from_client && (mw_cursor_len(payload) < QUIC_MIN_CLIENT_DGRAM ||
                        mw_cursor_len(&h.dcid) < 8))
        return false;
    return true;
}

/* ---- CRYPTO reassembly and the synthetic record stream ---- */

static bool grow(uint8_t **buf, size_t *cap, size_t need, size_t max)
{
    size_t n = *cap ? *cap : 2048;
    if (need <= *cap)
        return true;
    while (n < need)
        n *= 2;
    if (n > max)
        n = max;
    if (n < need)
        return false;
    uint8_t *p = realloc(*buf, n);
    if (!p)
        return false;
    memset(p + *cap, 0, n - *cap);
    *buf = p;
    *cap = n;
    return true;
}

static bool have_byte(const quic_dir *d, size_t i)
{
    return (d->have[i / 8] >> (i % 8)) & 1;
}

/* Appends crypto[from, to) to the record stream as handshake records. */
static bool append_records(quic_dir *d, size_t from, size_t to)
{
    size_t n = to - from;
    size_t need = d->rec_len + n + 5 * (n / TLS_REC_MAX + 1);
    /* Each contiguous extension opens a record: many tiny CRYPTO frames
     * cost 5 bytes each, hence the slack. */
    size_t max = 2 * (size_t)MW_QUIC_MAX_CRYPTO;

    if (!grow(&d->rec, &d->rec_cap, need, max))
        return false;
    while (from < to) {
        size_t k = to - from < TLS_REC_MAX ? to - from : TLS_REC_MAX;
        uint8_t *r = d->rec + d->rec_len;
        r[0] = 22; /* handshake */
        r[1] = 3;
        r[2] = 3;
        r[3] = (uint8_t)(k >> 8);
        r[4] = (uint8_t)k;
        memcpy(r + 5, d->crypto + from, k);
        d->rec_len += 5 + k;
        from += k;
    }
    return true;
}

static void crypto_frame(mw_quic_session *s, int dir, uint64_t off, const mw_cursor *data)
{
    quic_dir *d = &s->d[dir];
    mw_cursor c = *data;
    size_t len = mw_cursor_len(&c);

    s->info.crypto_frames[dir]++;
    if (len == 0)
        return;
    if (off >= MW_QUIC_MAX_CRYPTO) {
        s->info.crypto_bytes_over_cap[dir] += len;
        return;
    }
    if (len > MW_QUIC_MAX_CRYPTO - off) {
        s->info.crypto_bytes_over_cap[dir] += len - (MW_QUIC_MAX_CRYPTO - off);
        len = MW_QUIC_MAX_CRYPTO - (size_t)off;
        mw_cursor_truncate(&c, len);
    }
    size_t end = (size_t)off + len;
    if (!grow(&d->crypto, &d->crypto_cap, end, MW_QUIC_MAX_CRYPTO) ||
        !grow(&d->have, &d->have_cap, (d->crypto_cap + 7) / 8, MW_QUIC_MAX_CRYPTO / 8)) {
        s->info.crypto_bytes_over_cap[dir] += len;
        return;
    }
    bool differs = false;
    for (size_t i = (size_t)off; i < end; i++) {
        uint8_t b = 0;
        (void)mw_cursor_get_u8(&c, &b);
        if (have_byte(d, i)) {
            differs |= d->crypto[i] != b;
            continue;
        }
        d->crypto[i] = b;
        d->have[i / 8] |= (uint8_t)(1u << (i % 8));
    }
    if (differs)
        s->info.crypto_inconsistent[dir]++;

    if (end > d->hi)
        d->hi = end;
    size_t old = d->contig;
    while (d->contig < d->hi && have_byte(d, d->contig))
        d->contig++;
    if (d->contig == old)
        return;
    size_t old_rec = d->rec_len;
    if (!append_records(d, old, d->contig)) {
        s->info.crypto_bytes_over_cap[dir] += d->contig - old;
        d->contig = old;
        return;
    }
    s->info.crypto_contiguous[dir] = (uint32_t)d->contig;
    mw_cursor stream;
    mw_cursor_init(&stream, d->rec, d->rec_len);
    mw_tls_feed(s->tls, dir, &stream, (uint32_t)old_rec);
}

/* Walks the frames of a decrypted Initial payload. */
static void frames(mw_quic_session *s, int dir, mw_cursor *p)
{
    while (mw_cursor_len(p)) {
        uint64_t type, a, b, n;
        mw_cursor data;
        if (!get_varint(p, &type))
            goto bad;
        switch (type) {
        case 0x00: /* PADDING */
        case 0x01: /* PING */
            break;
        case 0x02: /* ACK */
        case 0x03:
            if (!get_varint(p, &a) || !get_varint(p, &a) || !get_varint(p, &n) ||
                !get_varint(p, &a))
                goto bad;
            /* each range is two varints, at least two bytes: bounded by p */
            for (uint64_t i = 0; i < n; i++)
                if (!get_varint(p, &a) || !get_varint(p, &b))
                    goto bad;
            if (type == 0x03 && (!get_varint(p, &a) || !get_varint(p, &a) || !get_varint(p, &a)))
                goto bad;
            break;
        case 0x06: /* CRYPTO */
            if (!get_varint(p, &a) || !get_varint(p, &n) || n > mw_cursor_len(p) ||
                !mw_cursor_get_bytes(p, &data, (size_t)n))
                goto bad;
            crypto_frame(s, dir, a, &data);
            break;
        case 0x1c: /* CONNECTION_CLOSE */
        case 0x1d:
            if (!get_varint(p, &a) || (type == 0x1c && !get_varint(p, &a)) ||
                !get_varint(p, &n) || n > mw_cursor_len(p) || !mw_cursor_skip(p, (size_t)n))
                goto bad;
            s->info.connection_close[dir] = true;
            break;
        default:
            goto bad; /* not allowed in an Initial (RFC 9000 12.4) */
        }
    }
    return;
bad:
    s->info.bad_frames[dir]++;
}

/* gQUIC's 1, 2, 4 or 6-byte field sizes, from a 2-bit code. */
static size_t gquic_len(unsigned code)
{
    static const size_t len[4] = {1, 2, 4, 6};
    return len[code & 3];
}

/* Walks the frames of a decrypted T050/T051 Initial: gQUIC frames (no
 * public specification; layout as Wireshark's packet-gquic.c reads it for
 * versions after Q034), whose CRYPTO frame is IETF's with type 0x08. */
static void gquic_frames(mw_quic_session *s, int dir, mw_cursor *p)
{
    while (mw_cursor_len(p)) {
        uint8_t type, n8;
        uint64_t a, n;
        uint16_t n16;
        mw_cursor data;
        if (!mw_cursor_get_u8(p, &type))
            goto bad;
        if (type & 0x80)
            goto bad; /* STREAM: not in an Initial */
        if (type & 0x40) {
            /* ACK: 01NULLMM; largest acked (LL), delay (2), [blocks (1)],
             * first block (MM), blocks x (gap (1), block (MM)),
             * timestamps (1) [delta (1), time (4), (n-1) x (1 + 2)]. */
            size_t ll = gquic_len(type >> 2), mm = gquic_len(type);
            uint8_t blocks = 0;
            if (!mw_cursor_skip(p, ll + 2) || ((type & 0x20) && !mw_cursor_get_u8(p, &blocks)) ||
                !mw_cursor_skip(p, mm) || !mw_cursor_skip(p, (size_t)blocks * (1 + mm)) ||
                !mw_cursor_get_u8(p, &n8) ||
                (n8 && !mw_cursor_skip(p, 5 + (size_t)(n8 - 1) * 3)))
                goto bad;
            continue;
        }
        switch (type) {
        case 0x00: /* PADDING */
        case 0x07: /* PING */
            break;
        case 0x02: /* CONNECTION_CLOSE: error (4), reason length (2), reason */
            if (!mw_cursor_skip(p, 4) || !mw_cursor_get_u16(p, &n16) || !mw_cursor_skip(p, n16))
                goto bad;
            s->info.connection_close[dir] = true;
            break;
        case 0x08: /* CRYPTO */
            if (!get_varint(p, &a) || !get_varint(p, &n) || n > mw_cursor_len(p) ||
                !mw_cursor_get_bytes(p, &data, (size_t)n))
                goto bad;
            crypto_frame(s, dir, a, &data);
            break;
        default:
            goto bad;
        }
    }
    return;
bad:
    s->info.bad_frames[dir]++;
}

/* ---- packet protection (RFC 9001 5.3, 5.4) ---- */

static bool hp_mask(mw_quic_session *s, const uint8_t hp[QUIC_KEY], const mw_cursor *sample,
                    uint8_t mask[QUIC_SAMPLE])
{
    int outl = 0;
    return EVP_EncryptInit_ex(s->ecb, mw_cipher_aes128_ecb(), NULL, hp, NULL) == 1 &&
           EVP_CIPHER_CTX_set_padding(s->ecb, 0) == 1 &&
           EVP_EncryptUpdate(s->ecb, mask, &outl, mw_cursor_data(sample), QUIC_SAMPLE) == 1 &&
           outl == QUIC_SAMPLE;
}

/* Copies the packet `src` into s->pkt and removes its protection with k,
 * in place; on success *payload views the plaintext. A failed attempt
 * leaves nothing behind, so other keys can be tried on a fresh copy.
 * hdr_len is where the packet number starts. */
static bool unprotect(mw_quic_session *s, int dir, const quic_keys *k, const mw_cursor *src,
                      size_t hdr_len, mw_cursor *payload)
{
    uint8_t *pk = s->pkt;
    size_t pkt_len = mw_cursor_len(src);
    uint8_t mask[QUIC_SAMPLE], nonce[QUIC_IV], pn_bytes[4], tag[QUIC_TAG];
    mw_cursor c = *src, sample, pnc;
    uint8_t b0;
    uint64_t trunc;

    /* Caller checked: pkt_len <= sizeof(s->pkt), room for pn + sample. */
    if (pkt_len > sizeof(s->pkt) || !mw_cursor_copy(&c, pk, pkt_len))
        return false;
    mw_cursor_init(&c, pk, pkt_len);
    if (!mw_cursor_peek_u8(&c, 0, &b0) || !mw_cursor_skip(&c, hdr_len + 4) ||
        !mw_cursor_get_bytes(&c, &sample, QUIC_SAMPLE) || !hp_mask(s, k->hp, &sample, mask))
        return false;
    b0 ^= mask[0] & 0x0f;
    size_t pn_len = (size_t)(b0 & 3) + 1;
    if (pkt_len - hdr_len < pn_len + QUIC_TAG)
        return false;
    mw_cursor_init(&c, pk, pkt_len);
    if (!mw_cursor_skip(&c, hdr_len) || !mw_cursor_copy(&c, pn_bytes, pn_len))
        return false;
    for (size_t i = 0; i < pn_len; i++)
        pn_bytes[i] ^= mask[1 + i];
    mw_cursor_init(&pnc, pn_bytes, pn_len);
    if (!mw_cursor_get_be(&pnc, pn_len, &trunc))
        return false;
    /* The AAD is the header as sent before protection. */
    pk[0] = b0;
    memcpy(pk + hdr_len, pn_bytes, pn_len);

    /* RFC 9000 A.3: the full packet number nearest the expected one. */
    quic_dir *d = &s->d[dir];
    uint64_t expected = d->any_pn ? d->largest_pn + 1 : 0;
    uint64_t win = (uint64_t)1 << (8 * pn_len), hwin = win / 2;
    uint64_t pn = (expected & ~(win - 1)) | trunc;
    if (pn + hwin <= expected && pn < ((uint64_t)1 << 62) - win)
        pn += win;
    else if (pn > expected + hwin && pn >= win)
        pn -= win;

    memcpy(nonce, k->iv, QUIC_IV);
    for (int i = 0; i < 8; i++)
        nonce[QUIC_IV - 1 - i] ^= (uint8_t)(pn >> (8 * i));

    size_t ct_off = hdr_len + pn_len;
    size_t ct_len = pkt_len - ct_off - QUIC_TAG;
    int outl = 0, fin = 0;
    memcpy(tag, pk + pkt_len - QUIC_TAG, QUIC_TAG);
    if (EVP_DecryptInit_ex(s->gcm, mw_cipher_aes128_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(s->gcm, EVP_CTRL_GCM_SET_IVLEN, QUIC_IV, NULL) != 1 ||
        EVP_DecryptInit_ex(s->gcm, NULL, NULL, k->key, nonce) != 1 ||
        EVP_DecryptUpdate(s->gcm, NULL, &outl, pk, (int)ct_off) != 1 ||
        EVP_DecryptUpdate(s->gcm, pk + ct_off, &outl, pk + ct_off, (int)ct_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(s->gcm, EVP_CTRL_GCM_SET_TAG, QUIC_TAG, tag) != 1 ||
        EVP_DecryptFinal_ex(s->gcm, pk + ct_off + outl, &fin) != 1)
        return false;
    if (!d->any_pn || pn > d->largest_pn)
        d->largest_pn = pn;
    d->any_pn = true;
    mw_cursor_init(payload, pk + ct_off, ct_len);
    return true;
}

static void adopt_keys(mw_quic_session *s, const quic_keys k[2], uint32_t version,
                       const mw_cursor *dcid)
{
    mw_cursor tmp = *dcid;
    memcpy(s->keys, k, sizeof(s->keys));
    s->have_keys = true;
    s->key_version = version;
    s->key_dcid_len = (uint8_t)mw_cursor_len(dcid);
    (void)mw_cursor_copy(&tmp, s->key_dcid, s->key_dcid_len);
}

static void initial_packet(mw_quic_session *s, int dir, const mw_cursor *pkt, const long_hdr *h)
{
    mw_cursor payload;
    quic_keys k[2];

    if (h->pkt_len > MW_QUIC_MAX_PACKET) {
        s->info.packets_too_large[dir]++;
        return;
    }
    if (h->pkt_len - h->hdr_len < 4 + QUIC_SAMPLE) {
        s->info.malformed[dir]++;
        return;
    }
    if (s->have_keys && s->key_version == h->version &&
        unprotect(s, dir, &s->keys[dir], pkt, h->hdr_len, &payload))
        goto ok;
    if (dir == 0) {
        /* Keys from this packet's own DCID: the client's first Initial, or
         * its first one after a Retry or a version change. */
        bool same = s->have_keys && s->key_version == h->version &&
                    mw_cursor_equals(&h->dcid, s->key_dcid, s->key_dcid_len);
        for (int alt = 0; !same && alt < QUIC_MAX_SALTS; alt++) {
            if (derive_keys(s, h->version, alt, mw_cursor_data(&h->dcid), mw_cursor_len(&h->dcid),
                            k) &&
                unprotect(s, dir, &k[dir], pkt, h->hdr_len, &payload)) {
                adopt_keys(s, k, h->version, &h->dcid);
                goto ok;
            }
        }
    } else if (s->have_keys && s->key_version != h->version) {
        /* Compatible version negotiation (RFC 9368): the server answers in
         * another version, keyed on the same client DCID. */
        mw_cursor dcid;
        mw_cursor_init(&dcid, s->key_dcid, s->key_dcid_len);
        for (int alt = 0; alt < QUIC_MAX_SALTS; alt++) {
            if (derive_keys(s, h->version, alt, s->key_dcid, s->key_dcid_len, k) &&
                unprotect(s, dir, &k[dir], pkt, h->hdr_len, &payload)) {
                adopt_keys(s, k, h->version, &dcid);
                goto ok;
            }
        }
    }
    s->info.decrypt_failed[dir]++;
    return;
ok:
    s->info.initials[dir]++;
    if (!s->info.version)
        s->info.version = h->version;
    quic_version_params vp;
    if (version_params(h->version, 0, &vp) && vp.gquic_frames)
        gquic_frames(s, dir, &payload);
    else
        frames(s, dir, &payload);
}

mw_quic_status mw_quic_datagram(mw_quic_session *s, int dir, const mw_cursor *payload)
{
    if (!s)
        return MW_QUIC_ERROR;
    if ((dir != 0 && dir != 1) || !payload)
        return mw_quic_status_of(s);
    if (s->not_quic)
        return MW_QUIC_NOT_QUIC;
    if (s->info.datagrams[dir] >= MW_QUIC_MAX_DATAGRAMS) {
        s->info.datagrams_over_cap[dir]++;
        return mw_quic_status_of(s);
    }
    s->info.datagrams[dir]++;

    mw_cursor dg = *payload;
    bool first = !s->started;
    s->started = true;
    if (first && mw_cursor_len(&dg) == 0) {
        s->not_quic = true;
        return MW_QUIC_NOT_QUIC;
    }
    for (int n = 0; mw_cursor_len(&dg); n++) {
        long_hdr h;
        mw_cursor pkt;
        lh_result r = parse_long(&dg, &h);
        if (first && n == 0 && (r == LH_SHORT || r == LH_UNKNOWN || r == LH_BAD)) {
            s->not_quic = true;
            return MW_QUIC_NOT_QUIC;
        }
        switch (r) {
        case LH_SHORT:
            /* A zero byte after coalesced packets is datagram padding. */
            if (n == 0 || h.b0 != 0)
                s->info.short_header[dir]++;
            return mw_quic_status_of(s);
        case LH_VN:
            s->info.version_negotiation++;
            return mw_quic_status_of(s);
        case LH_UNKNOWN:
            s->info.unknown_version[dir]++;
            return mw_quic_status_of(s);
        case LH_BAD:
            /* After coalesced packets: padding (often zeros), not an error. */
            s->info.malformed[dir] += n == 0 ? 1 : 0;
            return mw_quic_status_of(s);
        case LH_MALFORMED:
            s->info.malformed[dir]++;
            return mw_quic_status_of(s);
        case LH_OK:
            break;
        }
        if (!mw_cursor_get_bytes(&dg, &pkt, h.pkt_len))
            break; /* cannot happen: parse_long checked the length */
        if (h.type == PT_RETRY)
            s->info.retry++;
        else if (h.type != PT_INITIAL)
            s->info.other_long[dir]++;
        else
            initial_packet(s, dir, &pkt, &h);
    }
    return mw_quic_status_of(s);
}
