/*
 * wire.c - pcap files (classic format, Ethernet, microseconds) and a TCP
 * connection laid out as packets: 3-way handshake with MSS, MSS-sized
 * segments, delayed ACKs every second segment, FIN exchange, timing from
 * the RTT as seen from the side the capture point sits next to.
 */
#include <string.h>

#include "mwgen.h"

#define MW_SEG_GAP_US   12      /* ~1 Gbit/s serialization of 1500 bytes */
#define MW_PROC_US      180     /* an endpoint's turn-around time */

static void
put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char) (v >> 8);
    p[1] = (unsigned char) v;
}

static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}

static void
le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
    p[2] = (unsigned char) (v >> 16);
    p[3] = (unsigned char) (v >> 24);
}

int
mw_pcap_open(mw_pcap_t *pc, const char *path)
{
    unsigned char h[24];

    pc->packets = 0;
    pc->f = fopen(path, "wb");
    if (pc->f == NULL) {
        return -1;
    }
    setvbuf(pc->f, NULL, _IOFBF, 1 << 20);
    le32(h, 0xa1b2c3d4);
    h[4] = 2;                   /* version 2.4, little-endian fields */
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    le32(h + 8, 0);
    le32(h + 12, 0);
    le32(h + 16, 65535);
    le32(h + 20, 1);            /* LINKTYPE_ETHERNET */
    return fwrite(h, 1, sizeof(h), pc->f) == sizeof(h) ? 0 : -1;
}

int
mw_pcap_close(mw_pcap_t *pc)
{
    int rc = 0;

    if (pc->f) {
        rc = (ferror(pc->f) || fclose(pc->f)) ? -1 : 0;
    }
    pc->f = NULL;
    return rc;
}

static uint32_t
csum_add(uint32_t sum, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t) (p[i] << 8 | p[i + 1]);
    }
    if (n & 1) {
        sum += (uint32_t) p[n - 1] << 8;
    }
    return sum;
}

static unsigned
csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (~sum) & 0xffff;
}

enum { F_FIN = 0x01, F_SYN = 0x02, F_PSH = 0x08, F_ACK = 0x10 };

#define MW_ACK_NEXT   UINT64_MAX

/* One TCP segment from side dir at t->now_us; ack: MW_ACK_NEXT for now. */
static void
emit(mw_tcp_t *t, int dir, unsigned flags, const unsigned char *data,
     size_t n, uint8_t ttl, uint64_t ack)
{
    const mw_ep_t *src = &t->ep[dir], *dst = &t->ep[!dir];
    unsigned char *p = t->pc->pkt, *ip = p + 14, *tcp, rec[16];
    size_t iplen = src->v6 ? 40 : 20, thl = (flags & F_SYN) ? 24 : 20;
    size_t total = 14 + iplen + thl + n;
    uint32_t sum;

    if (t->pc->f == NULL || total > sizeof(t->pc->pkt)) {
        return;
    }
    memcpy(p, dst->mac, 6);
    memcpy(p + 6, src->mac, 6);
    put16(p + 12, src->v6 ? 0x86dd : 0x0800);
    if (ttl == 0) {
        ttl = src->ttl;
    }
    if (src->v6) {
        put32(ip, 0x60000000);
        put16(ip + 4, (unsigned) (thl + n));
        ip[6] = 6;
        ip[7] = ttl;
        memcpy(ip + 8, src->ip, 16);
        memcpy(ip + 24, dst->ip, 16);
        sum = csum_add(0, ip + 8, 32);
    } else {
        ip[0] = 0x45;
        ip[1] = 0;
        put16(ip + 2, (unsigned) (iplen + thl + n));
        put16(ip + 4, t->ipid[dir]);
        t->ipid[dir] = (uint16_t) (t->ipid[dir] + (dir == MW_C2S));
        put16(ip + 6, 0x4000);  /* DF */
        ip[8] = ttl;
        ip[9] = 6;
        put16(ip + 10, 0);
        memcpy(ip + 12, src->ip, 4);
        memcpy(ip + 16, dst->ip, 4);
        put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
        sum = csum_add(0, ip + 12, 8);
    }
    sum += 6 + (uint32_t) (thl + n);
    tcp = ip + iplen;
    put16(tcp, src->port);
    put16(tcp + 2, dst->port);
    put32(tcp + 4, t->nxt[dir]);
    put32(tcp + 8, !(flags & F_ACK) ? 0
                   : ack == MW_ACK_NEXT ? t->nxt[!dir] : (uint32_t) ack);
    tcp[12] = (unsigned char) ((thl / 4) << 4);
    tcp[13] = (unsigned char) flags;
    put16(tcp + 14, src->win);
    put16(tcp + 16, 0);
    put16(tcp + 18, 0);
    if (flags & F_SYN) {
        tcp[20] = 2;            /* MSS */
        tcp[21] = 4;
        put16(tcp + 22, src->v6 ? 1440 : 1460);
    }
    if (n) {
        memcpy(tcp + thl, data, n);
    }
    put16(tcp + 16, csum_fold(csum_add(sum, tcp, thl + n)));

    le32(rec, (uint32_t) (t->now_us / 1000000));
    le32(rec + 4, (uint32_t) (t->now_us % 1000000));
    le32(rec + 8, (uint32_t) total);
    le32(rec + 12, (uint32_t) total);
    if (fwrite(rec, 1, 16, t->pc->f) != 16
        || fwrite(p, 1, total, t->pc->f) != total) {
        return;
    }
    t->pc->packets++;
    t->nxt[dir] += (uint32_t) n + ((flags & (F_SYN | F_FIN)) ? 1 : 0);
    if (dir == t->near && (n || (flags & (F_SYN | F_FIN)))) {
        /* What the near side says reaches the far side and comes back. */
        t->far_ready_us = t->now_us + t->rtt_us;
    }
}

/* The clock before side dir sends; the far side answers a RTT later. */
static void
advance(mw_tcp_t *t, int dir)
{
    if (dir == t->near) {
        t->now_us += (t->last_dir == dir) ? MW_SEG_GAP_US : MW_PROC_US;
    } else {
        uint64_t at = t->far_ready_us
                      + ((t->last_dir == dir) ? 0 : MW_PROC_US);

        t->now_us = at > t->now_us + MW_SEG_GAP_US
                    ? at : t->now_us + MW_SEG_GAP_US;
    }
    t->last_dir = dir;
}

void
mw_tcp_open(mw_tcp_t *t, mw_pcap_t *pc, const mw_ep_t *client,
            const mw_ep_t *server, uint32_t isn_c, uint32_t isn_s,
            uint64_t start_us, uint32_t rtt_us, int near)
{
    memset(t, 0, sizeof(*t));
    t->pc = pc;
    t->ep[0] = *client;
    t->ep[1] = *server;
    t->rtt_us = rtt_us;
    t->near = near;
    t->ipid[0] = (uint16_t) (isn_c >> 7);
    t->ipid[1] = 0;             /* busy servers send ID 0 with DF */
    t->now_us = start_us;
    t->far_ready_us = start_us;
    t->last_dir = MW_C2S;
    t->nxt[0] = isn_c;
    t->nxt[1] = isn_s;
    emit(t, MW_C2S, F_SYN, NULL, 0, 0, MW_ACK_NEXT);
    advance(t, MW_S2C);
    emit(t, MW_S2C, F_SYN | F_ACK, NULL, 0, 0, MW_ACK_NEXT);
    advance(t, MW_C2S);
    emit(t, MW_C2S, F_ACK, NULL, 0, 0, MW_ACK_NEXT);
}

#define MW_MAX_QUEUED_ACKS 128

void
mw_tcp_data(mw_tcp_t *t, int dir, const unsigned char *p, size_t n,
            uint8_t ttl)
{
    size_t mss = t->ep[dir].v6 ? 1440 : 1460, k, nq = 0, i;
    uint64_t q_at[MW_MAX_QUEUED_ACKS];
    uint32_t q_ack[MW_MAX_QUEUED_ACKS];
    int rx = !dir;

    while (n) {
        k = n < mss ? n : mss;
        advance(t, dir);
        emit(t, dir, F_ACK | (k == n ? F_PSH : 0), p, k, ttl, MW_ACK_NEXT);
        p += k;
        n -= k;
        if (++t->unacked[rx] < 2) {
            continue;
        }
        /* Delayed ACK: every second segment. */
        t->unacked[rx] = 0;
        if (rx == t->near) {
            uint64_t keep = t->far_ready_us;

            t->now_us += 20;
            emit(t, rx, F_ACK, NULL, 0, 0, MW_ACK_NEXT);
            t->far_ready_us = keep;
        } else if (nq < MW_MAX_QUEUED_ACKS) {
            q_at[nq] = t->now_us + t->rtt_us;
            q_ack[nq++] = t->nxt[dir];
        }
    }
    for (i = 0; i < nq; i++) {
        /* The far side's ACKs come back a RTT after what they cover. */
        t->now_us = q_at[i] > t->now_us + MW_SEG_GAP_US
                    ? q_at[i] : t->now_us + MW_SEG_GAP_US;
        emit(t, rx, F_ACK, NULL, 0, 0, q_ack[i]);
    }
    t->unacked[dir] = 0;        /* what dir sent carried its ACK */
}

void
mw_tcp_idle(mw_tcp_t *t, uint64_t us)
{
    t->now_us += us;
    if (t->far_ready_us < t->now_us) {
        t->far_ready_us = t->now_us;
    }
}

void
mw_tcp_close(mw_tcp_t *t)
{
    advance(t, MW_C2S);
    emit(t, MW_C2S, F_FIN | F_ACK, NULL, 0, 0, MW_ACK_NEXT);
    advance(t, MW_S2C);
    emit(t, MW_S2C, F_FIN | F_ACK, NULL, 0, 0, MW_ACK_NEXT);
    advance(t, MW_C2S);
    emit(t, MW_C2S, F_ACK, NULL, 0, 0, MW_ACK_NEXT);
}
