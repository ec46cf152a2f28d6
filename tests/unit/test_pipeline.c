/*
 * Unit tests for the worker (src/flow/pipeline.h): hand-built Ethernet/IPv4/
 * TCP frames go through decode, flow tracking and reassembly, and a
 * recording consumer checks what comes out.
 */
#include <stdlib.h>

#include "check.h"
#include "flow/pipeline.h"

#define CLIENT_IP 0xc0000201u /* 192.0.2.1 */
#define SERVER_IP 0xc6336402u /* 198.51.100.2 */
#define CLIENT_PORT 40000
#define SERVER_PORT 443

typedef struct recorder {
    int starts, ends, gaps, cap_gaps;
    mw_flow_end end_reason;
    mw_client_basis basis;
    uint8_t seen[2][256];
    size_t seen_len[2];
    uint32_t gap_offset;
    uint64_t gap_len;
    uint32_t inconsistent[2];
    int done_after_bytes; /* say DONE once this many client bytes arrived */
    int data_calls;
    char injection[640]; /* mw_flow_injection_text() at the flow's end */
} recorder;

static void *rec_start(void *arg, const mw_flow *flow, const mw_packet *pkt)
{
    recorder *r = arg;
    (void)pkt;
    r->starts++;
    r->basis = flow->client_basis;
    return r;
}

static mw_consumer_verdict rec_data(void *arg, void *state, const mw_flow *flow, int dir,
                                    const mw_cursor *stream, uint32_t from,
                                    const mw_packet *pkt)
{
    recorder *r = arg;
    (void)state;
    (void)flow;
    (void)pkt;
    r->data_calls++;
    /* Each call must continue exactly where the previous one ended. */
    CHECK_EQ_U(from, r->seen_len[dir]);
    size_t n = mw_cursor_len(stream);
    if (n <= sizeof r->seen[dir]) {
        memcpy(r->seen[dir], mw_cursor_data(stream), n);
        r->seen_len[dir] = n;
    }
    if (r->done_after_bytes && dir == MW_DIR_TO_SERVER &&
        n >= (size_t)r->done_after_bytes)
        return MW_CONSUMER_DONE;
    return MW_CONSUMER_CONTINUE;
}

static mw_consumer_verdict rec_gap(void *arg, void *state, const mw_flow *flow, int dir,
                                   uint32_t offset, uint64_t len, mw_gap_kind kind)
{
    recorder *r = arg;
    (void)state;
    (void)flow;
    (void)dir;
    if (kind == MW_GAP_CAP) {
        r->cap_gaps++;
    } else {
        r->gaps++;
        r->gap_offset = offset;
        r->gap_len = len;
    }
    return MW_CONSUMER_CONTINUE;
}

static void rec_end(void *arg, void *state, const mw_flow *flow, mw_flow_end reason)
{
    recorder *r = arg;
    (void)state;
    if (!mw_flow_injection_text(flow, r->injection, sizeof r->injection))
        r->injection[0] = '\0';
    r->ends++;
    r->end_reason = reason;
    r->inconsistent[0] = flow->stream[0].inconsistent_overlaps;
    r->inconsistent[1] = flow->stream[1].inconsistent_overlaps;
}

static const mw_consumer rec_consumer = {
    .flow_start = rec_start,
    .stream_data = rec_data,
    .stream_gap = rec_gap,
    .flow_end = rec_end,
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* Ethernet + IPv4 (20 bytes) + TCP (20 bytes) + payload. */
static uint8_t frame_ttl = 64; /* IPv4 TTL of the frames built next */

static size_t build_tcp(uint8_t *f, bool to_server, uint32_t seq, uint32_t ack,
                        uint8_t flags, const char *payload, size_t plen)
{
    memset(f, 0, 54);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(40 + plen));
    ip[8] = frame_ttl;
    ip[9] = 6;
    put32(ip + 12, to_server ? CLIENT_IP : SERVER_IP);
    put32(ip + 16, to_server ? SERVER_IP : CLIENT_IP);
    uint8_t *tcp = ip + 20;
    put16(tcp, to_server ? CLIENT_PORT : SERVER_PORT);
    put16(tcp + 2, to_server ? SERVER_PORT : CLIENT_PORT);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    if (plen)
        memcpy(tcp + 20, payload, plen);
    return 54 + plen;
}

typedef struct harness {
    mw_worker *w;
    recorder rec;
    uint64_t number;
    uint64_t ts;
} harness;

static void h_init(harness *h, const mw_config *cfg)
{
    mw_config def;
    memset(h, 0, sizeof *h);
    if (!cfg) {
        mw_config_defaults(&def);
        def.flow.max_flows = 64;
        cfg = &def;
    }
    h->w = mw_worker_new(cfg, &rec_consumer, &h->rec);
    h->ts = 1563701400ull * 1000000u;
    CHECK(h->w != NULL);
}

static void h_send(harness *h, bool to_server, uint32_t seq, uint32_t ack, uint8_t flags,
                   const char *payload)
{
    uint8_t frame[1600];
    size_t plen = payload ? strlen(payload) : 0;
    mw_source_packet p;
    p.caplen = p.wirelen = (uint32_t)build_tcp(frame, to_server, seq, ack, flags,
                                               payload, plen);
    p.data = frame;
    p.number = ++h->number;
    h->ts += 1000;
    p.ts_us = h->ts;
    mw_worker_packet(h->w, 1, "test.pcap", &p);
}

#define C_ISN 1000u
#define S_ISN 5000u
#define SYN MW_TCP_SYN
#define ACK MW_TCP_ACK
#define FIN MW_TCP_FIN
#define PSH MW_TCP_PSH

static void handshake(harness *h)
{
    h_send(h, true, C_ISN, 0, SYN, NULL);
    h_send(h, false, S_ISN, C_ISN + 1, SYN | ACK, NULL);
    h_send(h, true, C_ISN + 1, S_ISN + 1, ACK, NULL);
}

static void test_in_order_and_reordered(void)
{
    harness h;
    h_init(&h, NULL);
    handshake(&h);
    /* Client sends "hello " then "world", the second captured first. */
    h_send(&h, true, C_ISN + 7, S_ISN + 1, ACK | PSH, "world");
    CHECK_EQ_U(h.rec.seen_len[0], 0);
    h_send(&h, true, C_ISN + 1, S_ISN + 1, ACK | PSH, "hello ");
    CHECK_EQ_U(h.rec.seen_len[0], 11);
    CHECK_MEM(h.rec.seen[0], "hello world", 11);
    h_send(&h, false, S_ISN + 1, C_ISN + 12, ACK | PSH, "HI");
    CHECK_EQ_U(h.rec.seen_len[1], 2);
    CHECK_MEM(h.rec.seen[1], "HI", 2);
    h_send(&h, true, C_ISN + 12, S_ISN + 3, ACK | FIN, NULL);
    CHECK_EQ_U(h.rec.ends, 0);
    h_send(&h, false, S_ISN + 3, C_ISN + 13, ACK | FIN, NULL);
    /* Closed: the flow lingers for its last ACK before it ends. */
    CHECK_EQ_U(h.rec.ends, 0);
    /* The last ACK finds the closed flow, not a new one. */
    h_send(&h, true, C_ISN + 13, S_ISN + 4, ACK, NULL);
    CHECK_EQ_U(h.rec.starts, 1);

    /* 10 s of capture time later (closed timeout) it leaves the table,
     * ended by its FIN. */
    h.ts += 10ull * 1000000u;
    mw_worker_tick(h.w, h.ts + 1000);
    CHECK_EQ_U(h.rec.ends, 1);
    CHECK_EQ_U(h.rec.end_reason, MW_FLOW_END_FIN);
    CHECK_EQ_U(h.rec.basis, MW_CLIENT_SYN);
    mw_stats *st = mw_worker_stats(h.w);
    CHECK_EQ_U(st->flow.created, 1);
    CHECK_EQ_U(st->flow.closed_fin, 1);
    CHECK_EQ_U(st->reasm.out_of_order, 1);
    CHECK_EQ_U(st->decode.tcp, 9);
    mw_worker_end_input(h.w);
    CHECK_EQ_U(h.rec.ends, 1); /* ended once only */
    mw_worker_free(h.w);
}

/* A client's RST does not stop what the server already sent: its
 * certificate may still be on the way (reddit.pcap of the corpus). */
static void test_data_after_rst(void)
{
    harness h;
    h_init(&h, NULL);
    handshake(&h);
    h_send(&h, true, C_ISN + 1, S_ISN + 1, ACK, "hello");
    h_send(&h, false, S_ISN + 1, C_ISN + 6, ACK, "cert-");
    h_send(&h, true, C_ISN + 6, 0, MW_TCP_RST, NULL);
    h_send(&h, false, S_ISN + 6, C_ISN + 6, ACK, "chain");
    CHECK_EQ_U(h.rec.seen_len[1], 10);
    CHECK_MEM(h.rec.seen[1], "cert-chain", 10);
    CHECK_EQ_U(h.rec.ends, 0);
    mw_worker_end_input(h.w);
    CHECK_EQ_U(h.rec.ends, 1);
    CHECK_EQ_U(h.rec.end_reason, MW_FLOW_END_RST);
    CHECK_EQ_U(mw_worker_stats(h.w)->flow.closed_rst, 1);
    CHECK_EQ_U(mw_worker_stats(h.w)->flow.rst_out_of_window, 0);
    CHECK_EQ_U(mw_worker_stats(h.w)->flow.data_after_rst, 0);
    mw_worker_free(h.w);
}

/* RST and FIN outside the receive window are ignored (docs/evasion.md);
 * the harness's SYNs carry no window scale, so the window is 65535. */
static void test_rst_fin_outside_window(void)
{
    harness h;
    h_init(&h, NULL);
    handshake(&h);
    h_send(&h, true, C_ISN + 1, S_ISN + 1, ACK, "hello");
    h_send(&h, false, S_ISN + 1, C_ISN + 6, ACK, "cert-");
    /* Offsets: client data [0, 5), so its window ends at 5 + 65535. */
    h_send(&h, true, C_ISN + 1 + 5 + 65536, 0, MW_TCP_RST, NULL);
    h_send(&h, false, S_ISN + 1 + 5 + 65536, C_ISN + 6, MW_TCP_RST | ACK, NULL);
    h_send(&h, false, S_ISN + 1 - 1000, C_ISN + 6, MW_TCP_RST | ACK, NULL); /* old */
    h_send(&h, true, C_ISN + 1 + 5 + 65536, S_ISN + 6, FIN | ACK, NULL);
    mw_stats *st = mw_worker_stats(h.w);
    CHECK_EQ_U(st->flow.rst_out_of_window, 3);
    CHECK_EQ_U(st->flow.fin_out_of_window, 1);
    CHECK_EQ_U(st->flow.closed_rst, 0);
    h_send(&h, false, S_ISN + 6, C_ISN + 6, ACK, "chain");
    CHECK_MEM(h.rec.seen[1], "cert-chain", 10);
    /* The last offset of the window is in it: the flow closes by RST. */
    h_send(&h, true, C_ISN + 1 + 5 + 65535, 0, MW_TCP_RST, NULL);
    CHECK_EQ_U(st->flow.closed_rst, 1);
    CHECK_EQ_U(st->flow.rst_out_of_window, 3);
    /* Data from the side that sent the RST: kept, and counted. */
    h_send(&h, true, C_ISN + 6, S_ISN + 11, ACK, "more");
    CHECK_EQ_U(h.rec.seen_len[0], 9);
    CHECK_MEM(h.rec.seen[0], "hellomore", 9);
    CHECK_EQ_U(st->flow.data_after_rst, 1);
    mw_worker_end_input(h.w);
    CHECK_EQ_U(h.rec.end_reason, MW_FLOW_END_RST);
    mw_worker_free(h.w);
}

/* Two differing copies of the same bytes: the one whose TTL is off the
 * direction's (first packet: 64) is dropped as injected, whichever came
 * first; a lone segment with an odd TTL is only held for one packet. */
static void test_injected_copy_by_ttl(void)
{
    harness h;
    h_init(&h, NULL);
    handshake(&h);
    h_send(&h, true, C_ISN + 1, S_ISN + 1, ACK, "hello");
    frame_ttl = 1; /* garbage that expires before the client */
    h_send(&h, false, S_ISN + 1, C_ISN + 6, ACK, "XXXXX");
    CHECK_EQ_U(h.rec.seen_len[1], 0); /* held */
    frame_ttl = 64;
    h_send(&h, false, S_ISN + 1, C_ISN + 6, ACK, "cert-");
    CHECK_EQ_U(h.rec.seen_len[1], 5);
    CHECK_MEM(h.rec.seen[1], "cert-", 5);
    CHECK_EQ_U(h.rec.inconsistent[1], 0);
    /* A box 6 hops nearer answers for the server: held, not dropped. */
    frame_ttl = 70;
    h_send(&h, false, S_ISN + 6, C_ISN + 6, ACK, "chain");
    CHECK_EQ_U(h.rec.seen_len[1], 5);
    /* Its garbage twin with TTL 1 comes after it and loses. */
    frame_ttl = 1;
    h_send(&h, false, S_ISN + 6, C_ISN + 6, ACK, "YYYYY");
    frame_ttl = 64;
    /* The client's ACK releases the held copy. */
    h_send(&h, true, C_ISN + 6, S_ISN + 11, ACK, NULL);
    CHECK_EQ_U(h.rec.seen_len[1], 10);
    CHECK_MEM(h.rec.seen[1], "cert-chain", 10);
    mw_stats *st = mw_worker_stats(h.w);
    CHECK_EQ_U(st->flow.held_suspect, 2);
    CHECK_EQ_U(st->flow.injected_dropped, 2);
    CHECK_EQ_U(st->reasm.overlaps_inconsistent, 0);
    mw_worker_end_input(h.w);
    CHECK_EQ_U(h.rec.ends, 1);
    CHECK_EQ_S(h.rec.injection,
               "to_client: 2 differing copies dropped, first at stream offset 0 with TTL 1; "
               "the copy kept came with TTL 64 (the direction's: 64)");
    mw_worker_free(h.w);
}

/* RFC 1071 sum, written the plain way (independent of flow/checksum.c). */
static uint32_t plain_sum(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t plain_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* One IPv4 fragment of the datagram l4[0, len): bytes [off, off + n),
 * header checksum filled. */
static void send_frag(harness *h, bool to_server, uint16_t id, const uint8_t *l4, size_t off,
                      size_t n, bool more)
{
    uint8_t f[1600];
    memset(f, 0, 34);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + n));
    put16(ip + 4, id);
    put16(ip + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
    ip[8] = frame_ttl;
    ip[9] = 6;
    put32(ip + 12, to_server ? CLIENT_IP : SERVER_IP);
    put32(ip + 16, to_server ? SERVER_IP : CLIENT_IP);
    put16(ip + 10, plain_fold(plain_sum(0, ip, 20)));
    memcpy(f + 34, l4 + off, n);
    mw_source_packet p;
    p.caplen = p.wirelen = (uint32_t)(34 + n);
    p.data = f;
    p.number = ++h->number;
    h->ts += 1000;
    p.ts_us = h->ts;
    mw_worker_packet(h->w, 1, "test.pcap", &p);
}

/* A server segment "certificate-bytes!" in two fragments, [0,24) and
 * [24,38), with a garbage copy of the second before (or after) it: the
 * version with the right TCP checksum is kept either way, and the flow
 * says so (INJECTION). */
static void test_fragment_overlap_versions(void)
{
    static const char data[] = "certificate-bytes!";
    for (int garbage_first = 1; garbage_first >= 0; garbage_first--) {
        harness h;
        h_init(&h, NULL);
        handshake(&h);
        uint8_t seg[1600], bad[64];
        size_t len = build_tcp(seg, false, S_ISN + 1, C_ISN + 1, ACK | PSH, data,
                               strlen(data)) - 34;
        memmove(seg, seg + 34, len);
        uint8_t pseudo[12];
        put32(pseudo, SERVER_IP);
        put32(pseudo + 4, CLIENT_IP);
        pseudo[8] = 0;
        pseudo[9] = 6;
        put16(pseudo + 10, (uint16_t)len);
        put16(seg + 16, plain_fold(plain_sum(plain_sum(0, pseudo, 12), seg, len)));
        memcpy(bad, seg, len);
        memset(bad + 24, 'X', len - 24);

        /* The last fragments first, so that the datagram is whole only
         * with the first (as evasion_gen.py's fragovl classes send). */
        if (garbage_first)
            send_frag(&h, false, 77, bad, 24, len - 24, false);
        send_frag(&h, false, 77, seg, 24, len - 24, false);
        if (!garbage_first)
            send_frag(&h, false, 77, bad, 24, len - 24, false);
        CHECK_EQ_U(h.rec.seen_len[1], 0);
        send_frag(&h, false, 77, seg, 0, 24, true);
        CHECK_EQ_U(h.rec.seen_len[1], strlen(data));
        CHECK_MEM(h.rec.seen[1], data, strlen(data));
        mw_stats *st = mw_worker_stats(h.w);
        CHECK_EQ_U(st->frag.overlaps_differ, 1);
        CHECK_EQ_U(st->frag.overlap_later_kept, garbage_first ? 1u : 0u);
        CHECK_EQ_U(st->frag.overlap_undecided, 0);
        mw_worker_end_input(h.w);
        CHECK_EQ_S(h.rec.injection,
                   garbage_first
                       ? "to_client: 1 IP datagram with overlapping fragments that differ, first "
                         "at stream offset 0: the later copy kept (the first had a wrong checksum)"
                       : "to_client: 1 IP datagram with overlapping fragments that differ, first "
                         "at stream offset 0: the first copy kept (the later had a wrong checksum)");
        mw_worker_free(h.w);
    }
}

static void test_overlap_with_different_bytes(void)
{
    harness h;
    h_init(&h, NULL);
    handshake(&h);
    h_send(&h, true, C_ISN + 1, S_ISN + 1, ACK, "abcdef");
    /* Retransmission of bytes 2..5 with other content: first copy wins. */
    h_send(&h, true, C_ISN + 3, S_ISN + 1, ACK, "XXXXgh");
    CHECK_EQ_U(h.rec.seen_len[0], 8);
    CHECK_MEM(h.rec.seen[0], "abcdefgh", 8);
    mw_worker_end_input(h.w);
    CHECK_EQ_U(h.rec.ends, 1);
    CHECK_EQ_U(h.rec.end_reason, MW_FLOW_END_EOF);
    CHECK_EQ_U(h.rec.inconsistent[0], 1);
    CHECK_EQ_U(mw_worker_stats(h.w)->reasm.overlaps_inconsistent, 1);
    mw_worker_free(h.w);
}

static void test_gap_from_ack(void)
{
    harness h;
    h_init(&h, NULL);
    handshake(&h);
    /* Server bytes 0..3 are lost before the capture point; 4..7 arrive;
     * the client acknowledges all 8. */
    h_send(&h, false, S_ISN + 5, C_ISN + 1, ACK, "5678");
    CHECK_EQ_U(h.rec.gaps, 0);
    h_send(&h, true, C_ISN + 1, S_ISN + 9, ACK, NULL);
    CHECK_EQ_U(h.rec.gaps, 1);
    CHECK_EQ_U(h.rec.gap_offset, 0);
    CHECK_EQ_U(h.rec.gap_len, 4);
    CHECK_EQ_U(h.rec.seen_len[1], 8);
    CHECK_MEM(h.rec.seen[1], "\0\0\0\0" "5678", 8);
    mw_worker_free(h.w);
}

static void test_bypass_when_done(void)
{
    harness h;
    h_init(&h, NULL);
    h.rec.done_after_bytes = 4;
    handshake(&h);
    h_send(&h, true, C_ISN + 1, S_ISN + 1, ACK, "abcd");
    CHECK_EQ_U(h.rec.data_calls, 1);
    h_send(&h, true, C_ISN + 5, S_ISN + 1, ACK, "efgh");
    h_send(&h, false, S_ISN + 1, C_ISN + 9, ACK, "xyz");
    CHECK_EQ_U(h.rec.data_calls, 1); /* nothing delivered after DONE */
    mw_stats *st = mw_worker_stats(h.w);
    CHECK_EQ_U(st->flow.bypassed, 1);
    CHECK_EQ_U(st->flow.packets_bypassed, 2);
    CHECK_EQ_U(st->flow.bytes_bypassed, 7);
    mw_worker_end_input(h.w);
    CHECK_EQ_U(h.rec.ends, 1); /* flow_end still reaches the consumer */
    mw_worker_free(h.w);
}

static void test_midstream_and_idle_timeout(void)
{
    harness h;
    mw_config cfg;
    mw_config_defaults(&cfg);
    cfg.flow.max_flows = 64;
    h_init(&h, &cfg);
    /* No handshake: the server has port 443, so the client is inferred. */
    h_send(&h, false, S_ISN + 1, C_ISN + 1, ACK, "srv");
    CHECK_EQ_U(h.rec.starts, 1);
    CHECK_EQ_U(h.rec.basis, MW_CLIENT_PORT);
    CHECK_EQ_U(h.rec.seen_len[1], 3);
    /* 601 s later a packet of another flow makes the first one expire
     * (established timeout 600 s). */
    uint8_t frame[128];
    mw_source_packet p;
    p.caplen = p.wirelen = (uint32_t)build_tcp(frame, true, 1, 0, SYN, NULL, 0);
    frame[14 + 20 + 1] = 0x99; /* another client port */
    p.data = frame;
    p.number = 99;
    p.ts_us = h.ts + 601ull * 1000000u;
    mw_worker_packet(h.w, 1, "test.pcap", &p);
    CHECK_EQ_U(h.rec.ends, 1);
    CHECK_EQ_U(h.rec.end_reason, MW_FLOW_END_TIMEOUT);
    CHECK_EQ_U(mw_worker_stats(h.w)->flow.timed_out, 1);
    mw_worker_free(h.w);
}

static void test_undecodable_frames_are_counted(void)
{
    harness h;
    h_init(&h, NULL);
    uint8_t arp[42] = {0};
    put16(arp + 12, 0x0806);
    mw_source_packet p = {.ts_us = 1, .number = 1, .caplen = 42, .wirelen = 42,
                          .data = arp};
    mw_worker_packet(h.w, 1, "test.pcap", &p);
    uint8_t shortf[20] = {0};
    put16(shortf + 12, 0x0800);
    p.data = shortf;
    p.caplen = p.wirelen = 20;
    mw_worker_packet(h.w, 1, "test.pcap", &p);
    mw_stats *st = mw_worker_stats(h.w);
    CHECK_EQ_U(st->decode.non_ip, 1);
    CHECK_EQ_U(st->decode.err_truncated_ip, 1);
    CHECK_EQ_U(st->flow.created, 0);
    mw_worker_free(h.w);
}

int main(void)
{
    RUN(test_in_order_and_reordered);
    RUN(test_data_after_rst);
    RUN(test_rst_fin_outside_window);
    RUN(test_injected_copy_by_ttl);
    RUN(test_overlap_with_different_bytes);
    RUN(test_fragment_overlap_versions);
    RUN(test_gap_from_ack);
    RUN(test_bypass_when_done);
    RUN(test_midstream_and_idle_timeout);
    RUN(test_undecodable_frames_are_counted);
    return check_summary();
}
