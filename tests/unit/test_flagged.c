/*
 * test_flagged.c - --write-flagged (src/output/flagged.h): hand-built
 * Ethernet/IPv4/TCP frames of several flows (one reusing a flagged flow's
 * 5-tuple later) are dumped with libpcap, flows are flagged through the real
 * pipeline or by hand, and the written file is read back with libpcap to
 * check exactly which frames it holds.
 */
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <pcap/pcap.h>

#include "check.h"
#include "output/flagged.h"
#include "flow/pipeline.h"

static char tmpdir[] = "/tmp/mw_test_flagged.XXXXXX";

#define T0 1563701400000000ull /* capture time of the first frame, us */
#define IP_A 0x0a000001u       /* 10.0.0.1 */
#define IP_B 0x0a000003u       /* 10.0.0.3 */
#define IP_S 0x0a000002u       /* 10.0.0.2, the server */

typedef struct frame {
    uint64_t ts_us;
    uint8_t b[128];
    uint32_t len;
    int flow; /* 'A', 'B', 'C', 'D' (A's 5-tuple reused later), 0 not IP */
} frame;

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

/* Ethernet + IPv4 + TCP + payload; raw IP when `raw`. */
static uint32_t build_tcp(uint8_t *f, bool raw, uint32_t sip, uint32_t dip, uint16_t sp,
                          uint16_t dp, uint32_t seq, uint8_t flags, const char *payload)
{
    size_t plen = payload ? strlen(payload) : 0;
    size_t off = raw ? 0 : 14;
    memset(f, 0, off + 40);
    if (!raw) {
        f[0] = 0x02; /* distinct MACs so the bytes compared mean something */
        f[6] = 0x04;
        put16(f + 12, 0x0800);
    }
    uint8_t *ip = f + off;
    ip[0] = 0x45;
    put16(ip + 2, (uint32_t)(40 + plen));
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, sip);
    put32(ip + 16, dip);
    uint8_t *tcp = ip + 20;
    put16(tcp, sp);
    put16(tcp + 2, dp);
    put32(tcp + 4, seq);
    put32(tcp + 8, flags & MW_TCP_ACK ? 1000 : 0);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    for (size_t i = 0; i < plen; i++)
        tcp[20 + i] = (uint8_t)payload[i];
    return (uint32_t)(off + 40 + plen);
}

/* Appends one TCP frame; `to_server` picks the direction of the flow. */
static void add(frame *fr, int *n, int flow, uint64_t ts_s_tenths, bool to_server,
                uint8_t flags, const char *payload)
{
    uint32_t cip = flow == 'C' ? IP_B : IP_A;
    uint16_t cport = flow == 'B' ? 40001 : flow == 'C' ? 50000 : 40000;
    frame *f = &fr[(*n)++];
    f->ts_us = T0 + ts_s_tenths * 100000u;
    f->flow = flow;
    f->len = build_tcp(f->b, false, to_server ? cip : IP_S, to_server ? IP_S : cip,
                       to_server ? cport : 443, to_server ? 443 : cport,
                       (uint32_t)(*n * 100), flags, payload);
}

/* Flows A, B, C interleaved, an ARP frame, then D: A's 5-tuple 1000 s
 * later. A and B end with FIN both ways; C stays open until the end. */
static int build_frames(frame *fr)
{
    int n = 0;
    const uint8_t SA = MW_TCP_SYN | MW_TCP_ACK, PA = MW_TCP_PSH | MW_TCP_ACK,
                  FA = MW_TCP_FIN | MW_TCP_ACK;
    add(fr, &n, 'A', 0, true, MW_TCP_SYN, NULL);
    add(fr, &n, 'A', 1, false, SA, NULL);
    add(fr, &n, 'B', 2, true, MW_TCP_SYN, NULL);
    add(fr, &n, 'A', 3, true, MW_TCP_ACK, NULL);
    add(fr, &n, 'B', 4, false, SA, NULL);
    add(fr, &n, 'C', 5, true, MW_TCP_SYN, NULL);
    add(fr, &n, 'A', 6, true, PA, "hello");
    add(fr, &n, 'C', 7, false, SA, NULL);
    add(fr, &n, 'B', 8, true, PA, "other");
    add(fr, &n, 'A', 9, false, PA, "world");
    frame *arp = &fr[n++];
    arp->ts_us = T0 + 950000u;
    arp->flow = 0;
    memset(arp->b, 0xff, 42);
    put16(arp->b + 12, 0x0806);
    arp->len = 42;
    add(fr, &n, 'C', 10, true, PA, "third");
    add(fr, &n, 'A', 11, true, FA, NULL);
    add(fr, &n, 'B', 12, true, FA, NULL);
    add(fr, &n, 'A', 13, false, FA, NULL);
    add(fr, &n, 'B', 14, false, FA, NULL);
    add(fr, &n, 'C', 15, false, PA, "fourth");
    add(fr, &n, 'A', 16, true, MW_TCP_ACK, NULL); /* after FIN both ways */
    add(fr, &n, 'D', 10000, true, MW_TCP_SYN, NULL);
    add(fr, &n, 'D', 10001, false, SA, NULL);
    add(fr, &n, 'D', 10002, true, PA, "reuse");
    return n;
}

static void path_in(char *out, const char *name)
{
    snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
}

static void dump_frames(const char *path, int linktype, const frame *fr, int n)
{
    pcap_t *p = pcap_open_dead(linktype, 65535);
    pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;
    if (!d)
        abort();
    for (int i = 0; i < n; i++) {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.ts.tv_sec = (time_t)(fr[i].ts_us / 1000000u);
        h.ts.tv_usec = (suseconds_t)(fr[i].ts_us % 1000000u);
        h.caplen = fr[i].len;
        h.len = fr[i].len + (i == 0 ? 10 : 0); /* one frame cut by a snaplen */
        pcap_dump((u_char *)d, &h, fr[i].b);
    }
    pcap_dump_close(d);
    pcap_close(p);
}

static void gzip_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    gzFile out = gzopen(to, "wb");
    char buf[4096];
    size_t n;
    if (!in || !out)
        abort();
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (gzwrite(out, buf, (unsigned)n) != (int)n)
            abort();
    fclose(in);
    if (gzclose(out) != Z_OK)
        abort();
}

/* Reads a pcap back; checks it holds exactly the frames of fr whose flow
 * is in `flows`, in order, bytes, timestamps and lengths unchanged. */
static void check_output(const char *path, const frame *fr, int n, const char *flows,
                         int linktype)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, ebuf);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_EQ_U(pcap_datalink(p), linktype);
    CHECK_EQ_U(pcap_snapshot(p), 262144);
    struct pcap_pkthdr *h;
    const u_char *data;
    int i = 0;
    while (pcap_next_ex(p, &h, &data) == 1) {
        while (i < n && !(fr[i].flow && strchr(flows, fr[i].flow)))
            i++;
        CHECK(i < n);
        if (i >= n)
            break;
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        CHECK_EQ_U(ts, fr[i].ts_us);
        CHECK_EQ_U(h->caplen, fr[i].len);
        CHECK_EQ_U(h->len, fr[i].len + (i == 0 ? 10 : 0));
        if (h->caplen == fr[i].len)
            CHECK_MEM(data, fr[i].b, fr[i].len);
        i++;
    }
    while (i < n && !(fr[i].flow && strchr(flows, fr[i].flow)))
        i++;
    CHECK_EQ_U(i, n); /* nothing expected is missing */
    pcap_close(p);
}

static int count_flow(const frame *fr, int n, const char *flows)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += fr[i].flow && strchr(flows, fr[i].flow);
    return c;
}

/* ---- flows flagged through the real pipeline -------------------------------- */

typedef struct flagger {
    mw_flagged *fl;
    int ended;
} flagger;

static void *fg_start(void *arg, const mw_flow *flow, const mw_packet *pkt)
{
    (void)flow;
    (void)pkt;
    return arg;
}

/* "Judged intercepted": the flows from ports 40000 and 50000. */
static void fg_end(void *arg, void *state, const mw_flow *flow, mw_flow_end reason)
{
    flagger *g = arg;
    (void)state;
    (void)reason;
    g->ended++;
    if (flow->client_port == 40000 || flow->client_port == 50000)
        mw_flagged_add_flow(g->fl, flow);
}

static void run_pipeline(flagger *g, const char *path)
{
    static const mw_consumer consumer = {.flow_start = fg_start, .flow_end = fg_end};
    mw_config cfg;
    mw_config_defaults(&cfg);
    cfg.flow.max_flows = 64;
    mw_worker *w = mw_worker_new(&cfg, &consumer, g);
    char err[MW_CAPTURE_ERRLEN];
    mw_source *src = mw_source_open_file(path, &cfg.capture, &mw_worker_stats(w)->capture,
                                         err, sizeof err);
    CHECK(w && src);
    if (!w || !src)
        abort();
    mw_flagged_begin_input(g->fl, path, true);
    mw_source_packet p;
    while (mw_source_next(src, &p) == MW_SOURCE_PACKET)
        mw_worker_packet(w, mw_source_linktype(src), mw_source_name(src), &p);
    mw_worker_end_input(w);
    mw_source_close(src);
    mw_worker_free(w);
}

static void test_pipeline_flows(void)
{
    frame fr[32];
    int n = build_frames(fr);
    char in[PATH_MAX], out[PATH_MAX], err[256];
    path_in(in, "three.pcap");
    path_in(out, "flagged1.pcap");
    dump_frames(in, DLT_EN10MB, fr, n);

    flagger g = {.fl = mw_flagged_new(0)};
    run_pipeline(&g, in);
    CHECK_EQ_U(g.ended, 4); /* A, B, C, D */
    /* A, C and D (A's 5-tuple again): the flagging rule here is by port. */
    CHECK_EQ_U(mw_flagged_count(g.fl), 3);

    mw_stats st;
    memset(&st, 0, sizeof st);
    CHECK(mw_flagged_write(g.fl, out, NULL, &st, err, sizeof err));
    check_output(out, fr, n, "ACD", DLT_EN10MB);
    CHECK_EQ_U(st.output.flagged_flows, 3);
    CHECK_EQ_U(st.output.flagged_packets, count_flow(fr, n, "ACD"));
    CHECK_EQ_U(st.output.flagged_flows_unwritable, 0);
    CHECK_EQ_U(st.output.flagged_packets_linktype, 0);
    /* The second pass does not count into the run's other counters. */
    CHECK_EQ_U(st.capture.packets, 0);
    CHECK_EQ_U(st.decode.tcp, 0);
    mw_flagged_free(g.fl);
}

/* Builds the mw_flow the session layer would hand over for flow c. */
static void flow_of(mw_flow *f, const frame *fr, int n, int c)
{
    mw_packet pkt;
    memset(f, 0, sizeof *f);
    memset(&pkt, 0, sizeof pkt);
    pkt.l4_proto = 6;
    pkt.ip_version = 4;
    pkt.src.family = pkt.dst.family = 4;
    put32(pkt.src.bytes, c == 'C' ? IP_B : IP_A);
    put32(pkt.dst.bytes, IP_S);
    pkt.sport = c == 'B' ? 40001 : c == 'C' ? 50000 : 40000;
    pkt.dport = 443;
    mw_flow_key_from_packet(&pkt, &f->key);
    f->first_ts_us = UINT64_MAX;
    for (int i = 0; i < n; i++) {
        if (fr[i].flow != c)
            continue;
        if (fr[i].ts_us < f->first_ts_us)
            f->first_ts_us = fr[i].ts_us;
        f->last_ts_us = fr[i].ts_us;
    }
}

/* Port reuse: only A is flagged, so D (same 5-tuple, later) must not be
 * written. Inputs: a gzip-compressed copy, standard input, a file deleted
 * before the write. */
static void test_gzip_reuse_unreadable(void)
{
    frame fr[32];
    int n = build_frames(fr);
    char plain[PATH_MAX], gz[PATH_MAX], gone[PATH_MAX], out[PATH_MAX], err[256];
    path_in(plain, "plain.pcap");
    path_in(gz, "three.pcap.gz");
    path_in(gone, "gone.pcap");
    path_in(out, "flagged2.pcap");
    dump_frames(plain, DLT_EN10MB, fr, n);
    gzip_file(plain, gz);
    dump_frames(gone, DLT_EN10MB, fr, n);

    mw_flagged *fl = mw_flagged_new(0);
    mw_flow a, b;
    flow_of(&a, fr, n, 'A');
    flow_of(&b, fr, n, 'B');
    mw_flagged_begin_input(fl, "-", false);
    mw_flagged_add_flow(fl, &a);
    mw_flagged_begin_input(fl, gz, true);
    mw_flagged_add_flow(fl, &a);
    mw_flagged_begin_input(fl, gone, true);
    mw_flagged_add_flow(fl, &b);
    CHECK(unlink(gone) == 0);
    /* A FIFO would block on reopening: never read again. */
    char fifo[PATH_MAX];
    path_in(fifo, "fifo");
    CHECK(mkfifo(fifo, 0600) == 0);
    mw_flagged_begin_input(fl, fifo, true);
    mw_flagged_add_flow(fl, &b);
    CHECK_EQ_U(mw_flagged_count(fl), 4);

    mw_stats st;
    memset(&st, 0, sizeof st);
    CHECK(mw_flagged_write(fl, out, NULL, &st, err, sizeof err));
    check_output(out, fr, n, "A", DLT_EN10MB);
    CHECK_EQ_U(st.output.flagged_flows, 1);
    CHECK_EQ_U(st.output.flagged_packets, count_flow(fr, n, "A"));
    CHECK_EQ_U(st.output.flagged_flows_unwritable, 3); /* stdin, deleted, FIFO */
    mw_flagged_free(fl);
}

/* The BPF filter of the run applies to the second pass too. */
static void test_filter(void)
{
    frame fr[32];
    int n = build_frames(fr);
    char in[PATH_MAX], out[PATH_MAX], err[256];
    path_in(in, "filter.pcap");
    path_in(out, "flagged3.pcap");
    dump_frames(in, DLT_EN10MB, fr, n);

    mw_flagged *fl = mw_flagged_new(0);
    mw_flow c;
    flow_of(&c, fr, n, 'C');
    mw_flagged_begin_input(fl, in, true);
    mw_flagged_add_flow(fl, &c);
    mw_capture_config cap = {.snaplen = 65535, .filter = "src host 10.0.0.3"};
    mw_stats st;
    memset(&st, 0, sizeof st);
    CHECK(mw_flagged_write(fl, out, &cap, &st, err, sizeof err));
    CHECK_EQ_U(st.output.flagged_flows, 1);
    CHECK_EQ_U(st.output.flagged_packets, 2); /* C's SYN and "third" */
    mw_flagged_free(fl);
}

/* The file takes the first input's link type; a raw-IP input's flagged
 * packets are counted, not written. */
static void test_linktype_mismatch(void)
{
    frame fr[32], raw[4];
    int n = build_frames(fr);
    char eth[PATH_MAX], rawp[PATH_MAX], out[PATH_MAX], err[256];
    path_in(eth, "eth.pcap");
    path_in(rawp, "raw.pcap");
    path_in(out, "flagged4.pcap");
    dump_frames(eth, DLT_EN10MB, fr, n);
    for (int i = 0; i < 3; i++) {
        raw[i].ts_us = T0 + (uint64_t)i;
        raw[i].flow = 'R';
        raw[i].len = build_tcp(raw[i].b, true, IP_A, IP_S, 40000, 443, (uint32_t)i,
                               MW_TCP_ACK, "x");
    }
    dump_frames(rawp, DLT_RAW, raw, 3);

    mw_flagged *fl = mw_flagged_new(0);
    mw_flow c, r;
    flow_of(&c, fr, n, 'C');
    flow_of(&r, fr, n, 'A');
    r.first_ts_us = T0;
    r.last_ts_us = T0 + 1; /* the first two raw frames */
    mw_flagged_begin_input(fl, eth, true);
    mw_flagged_add_flow(fl, &c);
    mw_flagged_begin_input(fl, rawp, true);
    mw_flagged_add_flow(fl, &r);
    mw_stats st;
    memset(&st, 0, sizeof st);
    CHECK(mw_flagged_write(fl, out, NULL, &st, err, sizeof err));
    check_output(out, fr, n, "C", DLT_EN10MB);
    CHECK_EQ_U(st.output.flagged_flows, 1);
    CHECK_EQ_U(st.output.flagged_packets, count_flow(fr, n, "C"));
    CHECK_EQ_U(st.output.flagged_packets_linktype, 2);
    CHECK_EQ_U(st.output.flagged_flows_unwritable, 1);
    mw_flagged_free(fl);
}

/* A truncated input: the packets before the damage are written. */
static void test_damaged_input(void)
{
    frame fr[32];
    int n = build_frames(fr);
    char in[PATH_MAX], out[PATH_MAX], err[256];
    path_in(in, "damaged.pcap");
    path_in(out, "flagged5.pcap");
    dump_frames(in, DLT_EN10MB, fr, n);
    struct stat sb;
    CHECK(stat(in, &sb) == 0);
    /* Cut inside D's last frame: A and C are whole. */
    CHECK(truncate(in, sb.st_size - 10) == 0);

    mw_flagged *fl = mw_flagged_new(0);
    mw_flow a, c, d;
    flow_of(&a, fr, n, 'A');
    flow_of(&c, fr, n, 'C');
    flow_of(&d, fr, n, 'D');
    d.first_ts_us = d.last_ts_us; /* only the lost last frame */
    mw_flagged_begin_input(fl, in, true);
    mw_flagged_add_flow(fl, &a);
    mw_flagged_add_flow(fl, &c);
    mw_flagged_add_flow(fl, &d);
    mw_stats st;
    memset(&st, 0, sizeof st);
    CHECK(mw_flagged_write(fl, out, NULL, &st, err, sizeof err));
    check_output(out, fr, n, "AC", DLT_EN10MB);
    CHECK_EQ_U(st.output.flagged_flows, 2);
    CHECK_EQ_U(st.output.flagged_flows_unwritable, 1);
    mw_flagged_free(fl);
}

static void test_cap_and_empty(void)
{
    frame fr[32];
    int n = build_frames(fr);
    char in[PATH_MAX], out[PATH_MAX], err[256];
    path_in(in, "cap.pcap");
    path_in(out, "flagged6.pcap");
    dump_frames(in, DLT_EN10MB, fr, n);

    mw_flagged *fl = mw_flagged_new(1);
    mw_flow a, c;
    flow_of(&a, fr, n, 'A');
    flow_of(&c, fr, n, 'C');
    mw_flagged_begin_input(fl, in, true);
    mw_flagged_add_flow(fl, &a);
    mw_flagged_add_flow(fl, &c); /* over the cap */
    mw_stats st;
    memset(&st, 0, sizeof st);
    CHECK(mw_flagged_write(fl, out, NULL, &st, err, sizeof err));
    check_output(out, fr, n, "A", DLT_EN10MB);
    CHECK_EQ_U(st.output.flagged_flows, 1);
    CHECK_EQ_U(st.output.flagged_flows_unwritable, 1);
    mw_flagged_free(fl);

    /* Nothing flagged: an empty Ethernet file all the same. */
    fl = mw_flagged_new(0);
    mw_flagged_begin_input(fl, in, true);
    memset(&st, 0, sizeof st);
    CHECK(mw_flagged_write(fl, out, NULL, &st, err, sizeof err));
    check_output(out, fr, n, "", DLT_EN10MB);
    CHECK_EQ_U(st.output.flagged_packets, 0);
    mw_flagged_free(fl);
}

static void test_unwritable_output(void)
{
    char out[PATH_MAX], err[256] = "";
    path_in(out, "no/such/dir/out.pcap");
    mw_flagged *fl = mw_flagged_new(0);
    mw_stats st;
    memset(&st, 0, sizeof st);
    CHECK(!mw_flagged_write(fl, out, NULL, &st, err, sizeof err));
    CHECK(strstr(err, out) != NULL);
    mw_flagged_free(fl);

#ifdef __linux__
    /* A full disk: the error must not go unnoticed. */
    if (access("/dev/full", W_OK) == 0) {
        frame fr[32];
        int n = build_frames(fr);
        char in[PATH_MAX];
        path_in(in, "full.pcap");
        dump_frames(in, DLT_EN10MB, fr, n);
        fl = mw_flagged_new(0);
        mw_flow a;
        flow_of(&a, fr, n, 'A');
        mw_flagged_begin_input(fl, in, true);
        mw_flagged_add_flow(fl, &a);
        CHECK(!mw_flagged_write(fl, "/dev/full", NULL, &st, err, sizeof err));
        CHECK(strstr(err, "/dev/full") != NULL);
        mw_flagged_free(fl);
    }
#endif
}

/* Ethernet + one IPv4 fragment (protocol TCP) carrying bytes[0, n). */
static uint32_t build_frag(uint8_t *f, uint16_t id, uint16_t off8, bool more,
                           const uint8_t *bytes, size_t n)
{
    memset(f, 0, 34);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    put16(ip + 2, (uint32_t)(20 + n));
    put16(ip + 4, id);
    put16(ip + 6, (more ? 0x2000u : 0u) | off8);
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, IP_B);
    put32(ip + 16, IP_S);
    memcpy(ip + 20, bytes, n);
    return (uint32_t)(34 + n);
}

/* A TCP segment of C in two IP fragments: only the frame completing the
 * datagram is matched (flagged.h). */
static void test_fragments(void)
{
    frame fr[32];
    int n = build_frames(fr);
    uint8_t seg[64];
    /* C's "third" segment, TCP header and payload, cut in 24 + 5 bytes. */
    int third = -1;
    for (int i = 0; i < n; i++)
        if (fr[i].flow == 'C' && fr[i].len == 54 + 5 && fr[i].b[23] == 6 &&
            memcmp(fr[i].b + 54, "third", 5) == 0)
            third = i;
    CHECK(third >= 0);
    if (third < 0)
        return;
    memcpy(seg, fr[third].b + 34, 25);
    frame *f1 = &fr[n], *f2 = &fr[n + 1];
    f1->ts_us = fr[third].ts_us + 1;
    f1->flow = 'F';
    f1->len = build_frag(f1->b, 77, 0, true, seg, 24);
    f2->ts_us = fr[third].ts_us + 2;
    f2->flow = 'G';
    f2->len = build_frag(f2->b, 77, 3, false, seg + 24, 1);
    n += 2;

    char in[PATH_MAX], out[PATH_MAX], err[256];
    path_in(in, "frag.pcap");
    path_in(out, "flagged7.pcap");
    /* Frames in time order: the fragments go after frame `third`. */
    frame sorted[32];
    int k = 0;
    for (int i = 0; i < n - 2; i++) {
        sorted[k++] = fr[i];
        if (i == third) {
            sorted[k++] = *f1;
            sorted[k++] = *f2;
        }
    }
    dump_frames(in, DLT_EN10MB, sorted, k);

    mw_flagged *fl = mw_flagged_new(0);
    mw_flow c;
    flow_of(&c, sorted, k, 'C');
    mw_flagged_begin_input(fl, in, true);
    mw_flagged_add_flow(fl, &c);
    mw_stats st;
    memset(&st, 0, sizeof st);
    CHECK(mw_flagged_write(fl, out, NULL, &st, err, sizeof err));
    check_output(out, sorted, k, "CG", DLT_EN10MB);
    CHECK_EQ_U(st.output.flagged_packets, count_flow(sorted, k, "CG"));
    mw_flagged_free(fl);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Live mode: held frames are written in order once the flow is flagged,
 * dropped when it is not, and the per-flow cap is counted, not silent. */
static void test_live_hold(void)
{
    char path[PATH_MAX], err[256];
    snprintf(path, sizeof path, "%s/live.pcap", tmpdir);
    mw_flagged *f = mw_flagged_new(0);
    mw_stats st;
    memset(&st, 0, sizeof st);
    CHECK(f && mw_flagged_live_open(f, path, err, sizeof err));
    CHECK(mw_flagged_is_live(f));
    static uint8_t big[60000];
    mw_flagged_hold a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    for (unsigned i = 0; i < 6; i++) {
        big[0] = (uint8_t)i;
        mw_source_packet p = {.ts_us = 1000000u + i, .number = i + 1, .caplen = sizeof big,
                              .wirelen = sizeof big, .data = big};
        /* a: 6 x 60000 bytes, over the 256 KiB a flow may hold: 2 dropped */
        mw_flagged_live_frame(f, &a, false, 1, &p, &st);
        p.caplen = p.wirelen = 100;
        mw_flagged_live_frame(f, &b, false, 1, &p, &st);
    }
    CHECK_EQ_U(a.dropped, 2);
    mw_flagged_live_decide(f, &b, false, &st); /* b is clean: nothing written */
    mw_flagged_live_decide(f, &a, true, &st);
    big[0] = 9;
    mw_source_packet later = {.ts_us = 2000000u, .number = 9, .caplen = 64, .wirelen = 1500,
                              .data = big};
    mw_flagged_live_frame(f, &a, true, 1, &later, &st); /* after the verdict: at once */
    mw_flagged_add_flow(f, NULL);
    CHECK(mw_flagged_write(f, path, NULL, &st, err, sizeof err));
    CHECK_EQ_U(st.output.flagged_packets, 5);
    CHECK_EQ_U(st.output.flagged_packets_dropped, 2);
    CHECK_EQ_U(st.output.flagged_flows, 1);
    mw_flagged_free(f);

    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *in = pcap_open_offline(path, ebuf);
    CHECK(in != NULL);
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned n = 0;
    const uint8_t want_first[] = {0, 1, 2, 3, 9};
    while (in && pcap_next_ex(in, &h, &d) == 1) {
        CHECK(n < 5 && d[0] == want_first[n]);
        CHECK_EQ_U(h->len, n < 4 ? sizeof big : 1500);
        n++;
    }
    CHECK_EQ_U(n, 5);
    if (in)
        pcap_close(in);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_pipeline_flows);
    RUN(test_gzip_reuse_unreadable);
    RUN(test_filter);
    RUN(test_linktype_mismatch);
    RUN(test_damaged_input);
    RUN(test_cap_and_empty);
    RUN(test_unwritable_output);
    RUN(test_fragments);
    RUN(test_live_hold);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
