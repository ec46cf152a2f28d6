/*
 * dtls.c - DTLS handshake dissector. See dtls.h for the contract.
 *
 * Layers: the record loop of a datagram hands handshake fragments to the
 * per-role reassembler (slots keyed by message_seq, a coverage bitmap per
 * slot), which delivers complete messages in message_seq order to the
 * converter: TLS message header + synthetic TLS records appended to the
 * role's stream, fed to the TLS session in DTLS mode.
 */
#include "dissectors/dtls.h"

#include <stdlib.h>
#include <string.h>

#define DTLS_HS_HDR 12
#define TLS_REC_MAX 16384
#define DTLS_REC_MAX (16384 + 2048)

enum {
    REC_CCS = 20,
    REC_ALERT = 21,
    REC_HANDSHAKE = 22,
    REC_HEARTBEAT = 24,
};

/* A message in reassembly: body bytes, then one coverage bit per byte. */
typedef struct dtls_msg {
    uint8_t *buf;
    uint32_t len;
    uint32_t have;
    uint16_t seq;
    uint8_t type;
    bool used;
} dtls_msg;

/* One role: 0 client, 1 server. */
typedef struct dtls_role {
    dtls_msg slot[MW_DTLS_MAX_PENDING];
    uint32_t next_seq;   /* message_seq to deliver next */
    bool delivered_any;
    bool stopped;        /* encrypted or over a cap */
    uint8_t *stream;     /* synthetic TLS records fed so far */
    size_t stream_len;
    size_t stream_cap;
} dtls_role;

struct mw_dtls_session {
    mw_tls_session *tls;
    dtls_role r[2];
    mw_dtls_counters c;
    size_t reasm_bytes;  /* message bytes held in slots, both roles */
    int client_dir;      /* caller direction of the client, -1 unknown */
    bool any_dtls;       /* a well-formed DTLS record was seen */
    bool not_dtls;
    bool oom;
};

mw_dtls_session *mw_dtls_new(void)
{
    mw_dtls_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    mw_tls_limits lim;
    mw_tls_limits_default(&lim);
    lim.transport = 'd';
    s->tls = mw_tls_new(&lim);
    if (!s->tls) {
        free(s);
        return NULL;
    }
    s->client_dir = -1;
    return s;
}

static void slot_free(mw_dtls_session *s, dtls_msg *m)
{
    if (!m->used)
        return;
    s->reasm_bytes -= m->len;
    free(m->buf);
    memset(m, 0, sizeof(*m));
}

void mw_dtls_free(mw_dtls_session *s)
{
    if (!s)
        return;
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < MW_DTLS_MAX_PENDING; k++)
            slot_free(s, &s->r[i].slot[k]);
        free(s->r[i].stream);
    }
    mw_tls_free(s->tls);
    free(s);
}

const mw_tls_facts *mw_dtls_tls_facts(const mw_dtls_session *s)
{
    return mw_tls_get_facts(s->tls);
}

const mw_dtls_counters *mw_dtls_get_counters(const mw_dtls_session *s)
{
    return &s->c;
}

int mw_dtls_client_dir(const mw_dtls_session *s)
{
    return s->client_dir;
}

mw_dtls_status mw_dtls_status_of(const mw_dtls_session *s)
{
    if (s->oom)
        return MW_DTLS_ERROR;
    if (s->not_dtls)
        return MW_DTLS_NOT_DTLS;
    switch (mw_tls_status_of(s->tls)) {
    case MW_TLS_ERROR:
    case MW_TLS_NOT_TLS: /* our own records: cannot happen */
        return MW_DTLS_ERROR;
    case MW_TLS_DONE:
        return MW_DTLS_DONE;
    default:
        break;
    }
    if (s->r[0].stopped && s->r[1].stopped)
        return MW_DTLS_DONE;
    if (s->c.datagrams[0] >= MW_DTLS_MAX_DATAGRAMS && s->c.datagrams[1] >= MW_DTLS_MAX_DATAGRAMS)
        return MW_DTLS_DONE;
    return MW_DTLS_NEED_MORE;
}

static int role_of(const mw_dtls_session *s, int dir)
{
    if (s->client_dir < 0)
        return dir;
    return dir == s->client_dir ? 0 : 1;
}

static bool is_dtls_version(uint16_t v)
{
    /* 0x0100: OpenSSL's pre-RFC DTLS (DTLS1_BAD_VER), still seen. */
    return v == 0xfeff || v == 0xfefd || v == 0xfefc || v == 0x0100;
}

/* ---- synthetic TLS stream ---- */

/* A loss the TLS facts must show: the role parses no further. */
static void stop_lost(mw_dtls_session *s, int role, size_t len)
{
    dtls_role *r = &s->r[role];
    if (r->stopped)
        return;
    r->stopped = true;
    (void)mw_tls_gap(s->tls, role, r->stream_len, len);
}

static bool stream_reserve(mw_dtls_session *s, dtls_role *r, size_t need)
{
    if (need <= r->stream_cap)
        return true;
    size_t cap = r->stream_cap ? r->stream_cap : 1024;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(r->stream, cap);
    if (!p) {
        s->oom = true;
        return false;
    }
    r->stream = p;
    r->stream_cap = cap;
    return true;
}

static void put_rec_hdr(uint8_t *p, uint8_t type, size_t len)
{
    p[0] = type;
    p[1] = 3; /* 0x0303: what tls.c's record layer accepts */
    p[2] = 3;
    p[3] = (uint8_t)(len >> 8);
    p[4] = (uint8_t)len;
}

/* Appends `head` (hlen bytes, ours) then `body` as records of `type`, and
 * feeds the new bytes to the TLS session. */
static void stream_emit(mw_dtls_session *s, int role, int dir, uint8_t type, const uint8_t *head,
                        size_t hlen, const mw_cursor *body)
{
    dtls_role *r = &s->r[role];
    mw_cursor b = *body;
    size_t total = hlen + mw_cursor_len(&b);
    size_t nrec = total ? (total + TLS_REC_MAX - 1) / TLS_REC_MAX : 1;
    size_t need = total + 5 * nrec;

    if (r->stream_len + need > MW_DTLS_MAX_STREAM_BYTES) {
        s->c.stream_over_cap[dir]++;
        stop_lost(s, role, need);
        return;
    }
    if (!stream_reserve(s, r, r->stream_len + need))
        return;

    size_t from = r->stream_len, done = 0;
    do {
        size_t n = total - done < TLS_REC_MAX ? total - done : TLS_REC_MAX;
        uint8_t *p = r->stream + r->stream_len;
        put_rec_hdr(p, type, n);
        p += 5;
        for (size_t i = 0; i < n; i++, done++) {
            if (done < hlen)
                p[i] = head[done];
            else
                (void)mw_cursor_get_u8(&b, &p[i]);
        }
        r->stream_len += 5 + n;
    } while (done < total);

    mw_cursor view;
    mw_cursor_init(&view, r->stream, r->stream_len);
    (void)mw_tls_feed(s->tls, role, &view, (uint32_t)from);
}

static void deliver(mw_dtls_session *s, int role, int dir, uint8_t type, const mw_cursor *body)
{
    size_t len = mw_cursor_len(body);
    uint8_t hdr[4] = {type, (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    dtls_role *r = &s->r[role];

    s->c.messages[dir]++;
    r->delivered_any = true;
    stream_emit(s, role, dir, REC_HANDSHAKE, hdr, sizeof(hdr), body);
}

/* ---- reassembly ---- */

static dtls_msg *find_slot(dtls_role *r, uint32_t seq)
{
    for (int k = 0; k < MW_DTLS_MAX_PENDING; k++)
        if (r->slot[k].used && r->slot[k].seq == seq)
            return &r->slot[k];
    return NULL;
}

static bool is_hello(uint8_t type)
{
    return type == 1 || type == 2 || type == 3;
}

/* Delivers every complete message that is next in order. */
static void drain(mw_dtls_session *s, int role, int dir)
{
    dtls_role *r = &s->r[role];

    while (!r->stopped && !s->oom) {
        dtls_msg *m = find_slot(r, r->next_seq);
        if (m && m->have == m->len) {
            mw_cursor body;
            mw_cursor_init(&body, m->buf, m->len);
            deliver(s, role, dir, m->type, &body);
            slot_free(s, m);
            r->next_seq++;
            continue;
        }
        if (m || r->delivered_any)
            return;
        /* Nothing delivered yet and message_seq next_seq never seen: the
         * capture may have missed the first hello (e.g. the ClientHello
         * before a HelloVerifyRequest). A complete hello starts the order. */
        dtls_msg *best = NULL;
        for (int k = 0; k < MW_DTLS_MAX_PENDING; k++) {
            dtls_msg *c = &r->slot[k];
            if (c->used && c->have == c->len && is_hello(c->type) &&
                (!best || c->seq < best->seq))
                best = c;
        }
        if (!best)
            return;
        r->next_seq = best->seq;
    }
}

/* One fragment [off, off + flen) of message seq; off + flen <= mlen. */
static void add_fragment(mw_dtls_session *s, int role, int dir, uint8_t type, uint32_t mlen,
                         uint32_t seq, uint32_t off, const mw_cursor *frag)
{
    dtls_role *r = &s->r[role];

    if (seq < r->next_seq) {
        s->c.dup_fragments[dir]++; /* retransmission of a delivered message */
        return;
    }
    if (seq >= r->next_seq + MW_DTLS_SEQ_WINDOW) {
        s->c.msgs_dropped[dir]++;
        return;
    }
    dtls_msg *m = find_slot(r, seq);
    if (!m) {
        if (off == 0 && mw_cursor_len(frag) == mlen && seq == r->next_seq) {
            deliver(s, role, dir, type, frag); /* whole: no copy */
            r->next_seq++;
            drain(s, role, dir);
            return;
        }
        if (mlen > MW_DTLS_MAX_REASM_BYTES - s->reasm_bytes) {
            s->c.msgs_over_cap[dir]++;
            stop_lost(s, role, mlen);
            return;
        }
        for (int k = 0; k < MW_DTLS_MAX_PENDING && !m; k++)
            if (!r->slot[k].used)
                m = &r->slot[k];
        if (!m) {
            s->c.msgs_dropped[dir]++;
            return;
        }
        uint8_t *buf = calloc(1, (size_t)mlen + (mlen + 7) / 8 + 1);
        if (!buf) {
            s->oom = true;
            return;
        }
        m->buf = buf;
        m->len = mlen;
        m->have = 0;
        m->seq = (uint16_t)seq;
        m->type = type;
        m->used = true;
        s->reasm_bytes += mlen;
    } else if (m->type != type || m->len != mlen) {
        s->c.bad_fragments[dir]++;
        return;
    }

    /* First copy wins: a retransmission should be identical anyway. */
    mw_cursor f = *frag;
    uint8_t *map = m->buf + m->len;
    uint32_t fresh = 0;
    uint8_t b;
    for (uint32_t i = off; mw_cursor_get_u8(&f, &b); i++) {
        uint8_t bit = (uint8_t)(1u << (i & 7));
        if (map[i >> 3] & bit)
            continue;
        map[i >> 3] |= bit;
        m->buf[i] = b;
        fresh++;
    }
    m->have += fresh;
    if (!fresh && mw_cursor_len(frag))
        s->c.dup_fragments[dir]++;
    drain(s, role, dir);
}

/* The fragments of one epoch-0 handshake record. */
static void handshake_record(mw_dtls_session *s, int dir, mw_cursor *rec)
{
    while (mw_cursor_len(rec) && !s->oom) {
        uint8_t type;
        uint32_t mlen, off, flen;
        uint16_t seq;
        mw_cursor frag;
        if (!mw_cursor_get_u8(rec, &type) || !mw_cursor_get_u24(rec, &mlen) ||
            !mw_cursor_get_u16(rec, &seq) || !mw_cursor_get_u24(rec, &off) ||
            !mw_cursor_get_u24(rec, &flen) || !mw_cursor_get_bytes(rec, &frag, flen)) {
            s->c.bad_fragments[dir]++;
            return;
        }
        s->c.fragments[dir]++;
        if ((uint64_t)off + flen > mlen) {
            s->c.bad_fragments[dir]++;
            continue;
        }
        if (s->client_dir < 0) /* the first fragment fixes the roles */
            s->client_dir = type == 1 ? dir : type == 2 || type == 3 ? dir ^ 1 : 0;
        int role = role_of(s, dir);
        if (!s->r[role].stopped)
            add_fragment(s, role, dir, type, mlen, seq, off, &frag);
    }
}

mw_dtls_status mw_dtls_datagram(mw_dtls_session *s, int dir, const mw_cursor *payload)
{
    if (!s)
        return MW_DTLS_ERROR;
    if ((dir != 0 && dir != 1) || !payload)
        return mw_dtls_status_of(s);
    if (s->oom || s->not_dtls || mw_tls_status_of(s->tls) == MW_TLS_ERROR)
        return mw_dtls_status_of(s);
    if (s->c.datagrams[dir] >= MW_DTLS_MAX_DATAGRAMS) {
        s->c.datagrams_over_cap[dir]++;
        return mw_dtls_status_of(s);
    }
    s->c.datagrams[dir]++;

    uint8_t b0;
    if (!mw_cursor_peek_u8(payload, 0, &b0) || b0 < 20 || b0 > 63) {
        s->c.foreign[dir]++; /* RFC 7983 demultiplexing */
        return mw_dtls_status_of(s);
    }

    mw_cursor c = *payload;
    while (mw_cursor_len(&c) && !s->oom) {
        uint8_t type = 0;
        uint16_t version = 0, epoch = 0, len = 0;
        mw_cursor rec;
        if (mw_cursor_peek_u8(&c, 0, &type) && (type & 0xe0) == 0x20) {
            /* RFC 9147 4: DTLS 1.3 unified header, always encrypted. */
            s->c.encrypted_records[dir]++;
            s->r[role_of(s, dir)].stopped = true;
            break;
        }
        if (!mw_cursor_get_u8(&c, &type) || !mw_cursor_get_u16(&c, &version) ||
            !mw_cursor_get_u16(&c, &epoch) || !mw_cursor_skip(&c, 6) ||
            !mw_cursor_get_u16(&c, &len) || type < REC_CCS || type > REC_HEARTBEAT ||
            !is_dtls_version(version) || len > DTLS_REC_MAX ||
            !mw_cursor_get_bytes(&c, &rec, len)) {
            s->c.bad_records[dir]++;
            if (!s->any_dtls)
                s->not_dtls = true;
            break;
        }
        s->any_dtls = true;
        s->c.records[dir]++;
        int role = role_of(s, dir);
        if (epoch != 0) {
            s->c.encrypted_records[dir]++;
            s->r[role].stopped = true;
            break;
        }
        if (s->r[role].stopped)
            break;
        if (type == REC_HANDSHAKE)
            handshake_record(s, dir, &rec);
        else if (len <= TLS_REC_MAX) /* CCS, alert: same meaning as in TLS */
            stream_emit(s, role, dir, type, NULL, 0, &rec);
        else
            s->c.bad_records[dir]++;
    }
    return mw_dtls_status_of(s);
}

bool mw_dtls_looks_like_handshake(const mw_cursor *payload)
{
    mw_cursor c = *payload, rec;
    uint8_t type, hs;
    uint16_t version, epoch, len;
    uint32_t mlen, off, flen;

    if (!mw_cursor_get_u8(&c, &type) || !mw_cursor_get_u16(&c, &version) ||
        !mw_cursor_get_u16(&c, &epoch) || !mw_cursor_skip(&c, 6) ||
        !mw_cursor_get_u16(&c, &len) || !mw_cursor_get_bytes(&c, &rec, len))
        return false;
    if (type != REC_HANDSHAKE || !is_dtls_version(version) || epoch != 0 ||
        len < DTLS_HS_HDR || len > DTLS_REC_MAX)
        return false;
    if (!mw_cursor_get_u8(&rec, &hs) || !mw_cursor_get_u24(&rec, &mlen) ||
        !mw_cursor_skip(&rec, 2) || !mw_cursor_get_u24(&rec, &off) ||
        !mw_cursor_get_u24(&rec, &flen))
        return false;
    return is_hello(hs) && (uint64_t)off + flen <= mlen && flen <= mw_cursor_len(&rec);
}
