/* test_decode.c - hand-built frames through every link type and header. */
#include "check.h"
#include "flow/checksum.h"
#include "flow/decode.h"

#include <string.h>

typedef struct frame {
    uint8_t b[2048];
    size_t n;
} frame;

static void put(frame *f, const uint8_t *p, size_t n)
{
    if (f->n + n <= sizeof(f->b)) {
        memcpy(f->b + f->n, p, n);
        f->n += n;
    }
}

/* Appends the bytes listed, written out in the test. */
#define PUT(f, ...)                                                            \
    do {                                                                       \
        static const uint8_t put_b_[] = { __VA_ARGS__ };                       \
        put((f), put_b_, sizeof(put_b_));                                      \
    } while (0)
#define PUTS(f, s) put((f), (const uint8_t *)(s), sizeof(s) - 1)

/* Ethernet header up to the ethertype. */
#define ETH_ADDRS 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb

/* IPv4 header, no options, TTL 64, proto p, 192.168.1.10 -> 93.184.216.34,
 * total length t, identification 0x1234, DF. */
#define IP4(t, p)                                                              \
    0x45, 0x00, (uint8_t)((t) >> 8), (uint8_t)(t), 0x12, 0x34, 0x40, 0x00,     \
    0x40, (p), 0x00, 0x00, 192, 168, 1, 10, 93, 184, 216, 34

/* TCP 50000 -> 443, seq 0x11223344, ack 0x55667788, offset 5, PSH|ACK,
 * window 64240. */
#define TCP20                                                                  \
    0xc3, 0x50, 0x01, 0xbb, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,    \
    0x50, 0x18, 0xfa, 0xf0, 0x00, 0x00, 0x00, 0x00

/* IPv6 header, hop limit 57, 2001:db8::1 -> 2001:db8::2. */
#define IP6(plen, nh)                                                          \
    0x60, 0x00, 0x00, 0x00, (uint8_t)((plen) >> 8), (uint8_t)(plen), (nh), 57, \
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,                \
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2

/* UDP 40000 -> 53, length l. */
#define UDP(l) 0x9c, 0x40, 0x00, 0x35, (uint8_t)((l) >> 8), (uint8_t)(l), 0x00, 0x00

typedef struct fixture {
    mw_stats st;
    mw_decoder *d;
    mw_packet pkt;
    frame f;
} fixture;

static void fx_init(fixture *x, const mw_frag_config *fc)
{
    memset(x, 0, sizeof(*x));
    x->d = mw_decoder_new(fc, &x->st);
}

static mw_decode_status fx_decode(fixture *x, int linktype)
{
    memset(&x->pkt, 0xa5, sizeof(x->pkt)); /* outputs must all be set */
    x->pkt.ts_us = 1000000;
    x->pkt.number = 1;
    x->pkt.wirelen = (uint32_t)x->f.n;
    x->pkt.capture = "test";
    return mw_decode(x->d, linktype, x->f.b, x->f.n, &x->pkt);
}

static void fx_reset_frame(fixture *x)
{
    x->f.n = 0;
}

static const char *fmt(const mw_addr *a, char *buf)
{
    return mw_addr_format(a, buf, MW_ADDR_STRLEN);
}

/* The TCP segment of the TCP20 macro carrying "hello". */
static void check_tcp_hello(const mw_packet *p)
{
    char b[MW_ADDR_STRLEN];
    CHECK_EQ_U(p->ip_version, 4);
    CHECK_EQ_U(p->l4_proto, 6);
    CHECK_EQ_U(p->ttl, 64);
    CHECK_EQ_S(fmt(&p->src, b), "192.168.1.10");
    CHECK_EQ_S(fmt(&p->dst, b), "93.184.216.34");
    CHECK_EQ_U(p->sport, 50000);
    CHECK_EQ_U(p->dport, 443);
    CHECK_EQ_U(p->seq, 0x11223344u);
    CHECK_EQ_U(p->ack, 0x55667788u);
    CHECK_EQ_U(p->tcp_flags, MW_TCP_PSH | MW_TCP_ACK);
    CHECK_EQ_U(p->window, 64240);
    CHECK(!p->reassembled);
    CHECK(!p->payload_cut);
    CHECK_EQ_U(p->payload_wire_len, 5);
    CHECK(mw_cursor_equals(&p->payload, "hello", 5));
}

static void test_eth_ipv4_tcp(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    /* l3 starts at the IPv4 header (0x45) and spans its 45 bytes. */
    CHECK_EQ_U(mw_cursor_len(&x.pkt.l3), 45);
    CHECK_EQ_U(mw_cursor_data(&x.pkt.l3)[0], 0x45);
    CHECK_EQ_U(x.st.link.ethernet, 1);
    CHECK_EQ_U(x.st.decode.ipv4, 1);
    CHECK_EQ_U(x.st.decode.tcp, 1);
    CHECK_EQ_U(x.st.decode.udp, 0);
    mw_decoder_free(x.d);
}

/* SYN|FIN|RST|URG and a TCP header with 12 bytes of options. */
static void test_tcp_options_flags(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(20 + 32 + 2, 6));
    PUT(&x.f, 0x00, 0x50, 0xd4, 0x31, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0xe7, 0x01, 0x00, 0, 0,
        0, 0, 0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 0);
    PUTS(&x.f, "ok");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.sport, 80);
    CHECK_EQ_U(x.pkt.dport, 54321);
    CHECK_EQ_U(x.pkt.seq, 1);
    CHECK_EQ_U(x.pkt.tcp_flags, MW_TCP_FIN | MW_TCP_SYN | MW_TCP_RST | MW_TCP_URG);
    CHECK_EQ_U(x.pkt.window, 256);
    CHECK(mw_cursor_equals(&x.pkt.payload, "ok", 2));
    mw_decoder_free(x.d);
}

static void test_ipv4_options(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    /* IHL 6: 4 option bytes (NOP NOP NOP EOL) */
    PUT(&x.f, 0x46, 0x00, 0x00, 49, 0x12, 0x34, 0x40, 0x00, 0x40, 6, 0, 0, 192, 168, 1, 10,
        93, 184, 216, 34, 0x01, 0x01, 0x01, 0x00);
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.l3), 49); /* options included */
    mw_decoder_free(x.d);
}

static void test_eth_padding(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(42, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hi");
    PUT(&x.f, 0, 0, 0, 0); /* padding up to the 60-byte minimum */
    CHECK_EQ_U(x.f.n, 60);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 2);
    CHECK(mw_cursor_equals(&x.pkt.payload, "hi", 2));
    CHECK_EQ_U(x.pkt.payload_wire_len, 2);
    CHECK(!x.pkt.payload_cut);

    /* UDP with a length shorter than IP's: UDP wins. */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(32, 17));
    PUT(&x.f, UDP(10));
    PUTS(&x.f, "abXXXX");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK(mw_cursor_equals(&x.pkt.payload, "ab", 2));
    CHECK_EQ_U(x.pkt.payload_wire_len, 2);
    mw_decoder_free(x.d);
}

/* TSO: a 2-segment super-packet captured with IPv4 total length 0. */
static void test_tso_zero_length(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(0, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);

    /* IPv6 too */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(0, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.payload_wire_len, 5);
    CHECK(mw_cursor_equals(&x.pkt.payload, "hello", 5));

    /* inside a tunnel, 0 is just wrong */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(45, 4));
    PUT(&x.f, IP4(0, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ip_length, 1);
    CHECK_EQ_S(mw_decoder_error(x.d), "IPv4 total length 0 below its header length 20");
    mw_decoder_free(x.d);
}

static void test_vlan_qinq(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, ETH_ADDRS, 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(x.st.decode.vlan_tags, 2);

    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x91, 0x00, 0x00, 0x01, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.st.decode.vlan_tags, 3);
    mw_decoder_free(x.d);
}

static void test_mpls(void)
{
    fixture x;
    fx_init(&x, NULL);
    /* label 16 (S=0), label 32 (S=1), then IPv4 UDP */
    PUT(&x.f, ETH_ADDRS, 0x88, 0x47, 0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40);
    PUT(&x.f, IP4(32, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_U(x.pkt.sport, 40000);
    CHECK_EQ_U(x.pkt.dport, 53);
    CHECK(mw_cursor_equals(&x.pkt.payload, "abcd", 4));
    CHECK_EQ_U(x.st.decode.mpls_labels, 2);
    CHECK_EQ_U(x.st.decode.udp, 1);

    /* Ethernet pseudowire (control word 0) is not IP. */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x88, 0x47, 0x00, 0x01, 0x01, 0x40, 0x00, 0x00, 0x00, 0x00, ETH_ADDRS);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 1);
    mw_decoder_free(x.d);
}

static void test_pppoe(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, ETH_ADDRS, 0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 47, 0x00, 0x21);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(x.st.decode.pppoe, 1);

    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 54, 0x00, 0x57);
    PUT(&x.f, IP6(12, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.ip_version, 6);
    CHECK_EQ_U(x.st.decode.pppoe, 2);

    /* LCP (0xc021) is not IP. */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 6, 0xc0, 0x21, 1, 1, 0, 4);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 1);
    mw_decoder_free(x.d);
}

static void test_sll_sll2(void)
{
    fixture x;
    char b[MW_ADDR_STRLEN];
    fx_init(&x, NULL);
    /* SLL: outgoing, ARPHRD_ETHER, 6-byte address, protocol IPv4 */
    PUT(&x.f, 0x00, 0x04, 0x00, 0x01, 0x00, 0x06, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00,
        0x00, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 113), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(x.st.link.linux_sll, 1);

    /* SLL2: protocol IPv6, reserved, ifindex 2, ARPHRD_ETHER, outgoing */
    fx_reset_frame(&x);
    PUT(&x.f, 0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x04, 0x06, 0x00,
        0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00);
    PUT(&x.f, IP6(12, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 276), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.ip_version, 6);
    CHECK_EQ_U(x.pkt.ttl, 57);
    CHECK_EQ_S(fmt(&x.pkt.src, b), "2001:db8::1");
    CHECK_EQ_S(fmt(&x.pkt.dst, b), "2001:db8::2");
    CHECK(mw_cursor_equals(&x.pkt.payload, "abcd", 4));
    CHECK_EQ_U(x.st.link.linux_sll2, 1);
    CHECK_EQ_U(x.st.decode.ipv6, 1);

    /* SLL carrying 802.2 LLC (protocol 0x0004) is not IP. */
    fx_reset_frame(&x);
    PUT(&x.f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x04, 0x42,
        0x42, 0x03);
    CHECK_EQ_U(fx_decode(&x, 113), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 1);
    mw_decoder_free(x.d);
}

static void test_raw(void)
{
    fixture x;
    static const int v4types[] = { 101, 12, 14, 228 };
    fx_init(&x, NULL);
    for (size_t i = 0; i < 4; i++) {
        fx_reset_frame(&x);
        PUT(&x.f, IP4(45, 6));
        PUT(&x.f, TCP20);
        PUTS(&x.f, "hello");
        CHECK_EQ_U(fx_decode(&x, v4types[i]), MW_DECODE_OK);
        check_tcp_hello(&x.pkt);
    }
    static const int v6types[] = { 101, 12, 14, 229 };
    for (size_t i = 0; i < 4; i++) {
        fx_reset_frame(&x);
        PUT(&x.f, IP6(12, 17));
        PUT(&x.f, UDP(12));
        PUTS(&x.f, "abcd");
        CHECK_EQ_U(fx_decode(&x, v6types[i]), MW_DECODE_OK);
        CHECK_EQ_U(x.pkt.ip_version, 6);
        CHECK_EQ_U(x.pkt.dport, 53);
    }
    CHECK_EQ_U(x.st.link.raw_ip, 8);
    CHECK_EQ_U(x.st.decode.ipv4, 4);
    CHECK_EQ_U(x.st.decode.ipv6, 4);

    /* LINKTYPE_IPV4 holding IPv6 */
    fx_reset_frame(&x);
    PUT(&x.f, IP6(12, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 228), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ip_version, 1);
    /* RAW with version 5 */
    fx_reset_frame(&x);
    PUT(&x.f, 0x55, 0, 0, 20);
    CHECK_EQ_U(fx_decode(&x, 101), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ip_version, 2);
    CHECK(strlen(mw_decoder_error(x.d)) > 0);
    mw_decoder_free(x.d);
}

static void test_null_loop(void)
{
    fixture x;
    fx_init(&x, NULL);

    PUT(&x.f, 0x02, 0x00, 0x00, 0x00); /* AF_INET, little-endian host */
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 0), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);

    fx_reset_frame(&x);
    PUT(&x.f, 0x00, 0x00, 0x00, 0x02); /* AF_INET, big-endian host */
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 0), MW_DECODE_OK);

    /* IPv6: 30 (macOS) LE, 24 BE, 28 LE */
    static const uint8_t fam[3][4] = { { 30, 0, 0, 0 }, { 0, 0, 0, 24 }, { 28, 0, 0, 0 } };
    for (int i = 0; i < 3; i++) {
        fx_reset_frame(&x);
        put(&x.f, fam[i], 4);
        PUT(&x.f, IP6(12, 17));
        PUT(&x.f, UDP(12));
        PUTS(&x.f, "abcd");
        CHECK_EQ_U(fx_decode(&x, 0), MW_DECODE_OK);
        CHECK_EQ_U(x.pkt.ip_version, 6);
    }
    CHECK_EQ_U(x.st.link.bsd_null, 5);
    CHECK_EQ_U(x.st.decode.ipv6, 3);

    /* unknown family (AF_APPLETALK-ish 7) */
    fx_reset_frame(&x);
    PUT(&x.f, 0x07, 0x00, 0x00, 0x00, 0xde, 0xad);
    CHECK_EQ_U(fx_decode(&x, 0), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 1);

    /* LOOP: network order only */
    fx_reset_frame(&x);
    PUT(&x.f, 0x00, 0x00, 0x00, 0x02);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 108), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    fx_reset_frame(&x);
    PUT(&x.f, 0x02, 0x00, 0x00, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 108), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 2);
    CHECK_EQ_U(x.st.link.bsd_null, 8);

    /* truncated NULL header */
    fx_reset_frame(&x);
    PUT(&x.f, 0x02, 0x00);
    CHECK_EQ_U(fx_decode(&x, 0), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_link, 1);
    mw_decoder_free(x.d);
}

static void test_ipv6_ext_tcp(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(8 + 8 + 20 + 3, 0));
    PUT(&x.f, 60, 0, 0x01, 0x04, 0, 0, 0, 0); /* hop-by-hop, PadN */
    PUT(&x.f, 6, 0, 0x01, 0x04, 0, 0, 0, 0);  /* destination options */
    PUT(&x.f, TCP20);
    PUTS(&x.f, "xyz");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.ip_version, 6);
    CHECK_EQ_U(x.pkt.l4_proto, 6);
    CHECK_EQ_U(x.pkt.sport, 50000);
    CHECK_EQ_U(x.pkt.seq, 0x11223344u);
    CHECK_EQ_U(x.pkt.payload_wire_len, 3);
    CHECK(mw_cursor_equals(&x.pkt.payload, "xyz", 3));

    /* routing (len 2 = 24 bytes) then AH (len 4 = 24 bytes) then UDP */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(24 + 24 + 12, 43));
    PUT(&x.f, 51, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    PUT(&x.f, 17, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK(mw_cursor_equals(&x.pkt.payload, "abcd", 4));

    /* No Next Header, and ESP */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(0, 59));
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(8, 50), 0, 0, 0, 1, 0, 0, 0, 1);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.other_l4, 2);

    /* truncated extension header: hop-by-hop claims 16 bytes, 8 present */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(8, 0), 6, 1, 0x01, 0x04, 0, 0, 0, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ipv6_ext, 1);

    /* nine destination options headers in a row */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(72, 60));
    for (int i = 0; i < 9; i++)
        PUT(&x.f, 60, 0, 0x01, 0x04, 0, 0, 0, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_too_deep, 1);

    /* jumbogram */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(0, 0), 6, 0, 0xc2, 0x04, 0x00, 0x01, 0x00, 0x00);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ip_length, 1);
    CHECK_EQ_U(x.st.decode.ipv6, 7);
    mw_decoder_free(x.d);
}

/* A 32-byte UDP datagram 1111 -> 2222 with payload "0123456789abcdefghijklmn",
 * split in three IPv4 fragments sent last, first, middle. */
static void put_ip4_frag(frame *f, int which)
{
    f->n = 0;
    PUT(f, ETH_ADDRS, 0x08, 0x00);
    switch (which) {
    case 0: /* bytes 0..15, MF */
        PUT(f, 0x45, 0, 0, 36, 0xab, 0xcd, 0x20, 0x00, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2);
        PUT(f, 0x04, 0x57, 0x08, 0xae, 0x00, 0x20, 0x00, 0x00);
        PUTS(f, "01234567");
        break;
    case 1: /* bytes 16..23, MF, offset 2 */
        PUT(f, 0x45, 0, 0, 28, 0xab, 0xcd, 0x20, 0x02, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2);
        PUTS(f, "89abcdef");
        break;
    default: /* bytes 24..31, offset 3, last */
        PUT(f, 0x45, 0, 0, 28, 0xab, 0xcd, 0x00, 0x03, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2);
        PUTS(f, "ghijklmn");
        break;
    }
}

static void test_ipv4_fragments(void)
{
    fixture x;
    char b[MW_ADDR_STRLEN];
    fx_init(&x, NULL);

    put_ip4_frag(&x.f, 2);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);
    put_ip4_frag(&x.f, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);
    put_ip4_frag(&x.f, 1);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK(x.pkt.reassembled);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_U(x.pkt.sport, 1111);
    CHECK_EQ_U(x.pkt.dport, 2222);
    CHECK_EQ_S(fmt(&x.pkt.src, b), "10.0.0.1");
    CHECK_EQ_S(fmt(&x.pkt.dst, b), "10.0.0.2");
    CHECK_EQ_U(x.pkt.payload_wire_len, 24);
    CHECK(!x.pkt.payload_cut);
    CHECK(mw_cursor_equals(&x.pkt.payload, "0123456789abcdefghijklmn", 24));
    CHECK_EQ_U(x.st.decode.ipv4, 3);
    CHECK_EQ_U(x.st.decode.udp, 1);
    CHECK_EQ_U(x.st.frag.fragments, 3);
    CHECK_EQ_U(x.st.frag.reassembled, 1);
    CHECK_EQ_U(x.st.frag.overlaps, 0);

    /* again, with the first fragment duplicated: one overlap */
    put_ip4_frag(&x.f, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);
    put_ip4_frag(&x.f, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);
    put_ip4_frag(&x.f, 1);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);
    put_ip4_frag(&x.f, 2);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK(mw_cursor_equals(&x.pkt.payload, "0123456789abcdefghijklmn", 24));
    CHECK_EQ_U(x.st.frag.overlaps, 1);
    CHECK_EQ_U(x.st.frag.reassembled, 2);

    /* a fragment cut by the snaplen cannot be used */
    put_ip4_frag(&x.f, 1);
    x.f.n -= 4;
    memset(&x.pkt, 0, sizeof(x.pkt));
    x.pkt.wirelen = (uint32_t)x.f.n + 4;
    CHECK_EQ_U(mw_decode(x.d, 1, x.f.b, x.f.n, &x.pkt), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.frag.dropped_bad, 1);
    CHECK_EQ_U(x.st.frag.fragments, 8);
    mw_decoder_free(x.d);
}

/* The datagram of put_ip4_frag with its UDP checksum filled (0x05c2, by
 * RFC 768 over 10.0.0.1 -> 10.0.0.2), its middle fragment also sent as
 * "XXXXXXXX" (another checksum), garbage first or last. */
static void ip4_header_sum(frame *f)
{
    /* RFC 791: ones' complement of the ones' complement sum of the
     * header's 16-bit words, written the plain way. */
    uint32_t sum = 0;
    for (int i = 14; i < 34; i += 2)
        sum += (uint32_t)(f->b[i] << 8 | f->b[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    f->b[24] = (uint8_t)(~sum >> 8);
    f->b[25] = (uint8_t)~sum;
}

static void put_summed_frag(frame *f, int which)
{
    if (which == 3) {
        f->n = 0;
        PUT(f, ETH_ADDRS, 0x08, 0x00);
        PUT(f, 0x45, 0, 0, 28, 0xab, 0xcd, 0x20, 0x02, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2);
        PUTS(f, "XXXXXXXX");
    } else {
        put_ip4_frag(f, which);
    }
    if (which == 0) {
        f->b[14 + 20 + 6] = 0x05;
        f->b[14 + 20 + 7] = 0xc2;
    }
    ip4_header_sum(f);
}

static void test_fragment_versions(void)
{
    static const int orders[2][4] = { { 0, 3, 1, 2 }, { 0, 1, 3, 2 } };
    fixture x;
    fx_init(&x, NULL);
    mw_decoder_set_verify(x.d, true);

    for (int o = 0; o < 2; o++) {
        for (int i = 0; i < 3; i++) {
            put_summed_frag(&x.f, orders[o][i]);
            CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);
        }
        put_summed_frag(&x.f, orders[o][3]);
        CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
        /* Garbage first or last, the version with the right checksum. */
        CHECK(mw_cursor_equals(&x.pkt.payload, "0123456789abcdefghijklmn", 24));
        CHECK_EQ_U(x.pkt.csum, MW_CSUM_OK);
        CHECK_EQ_U(x.pkt.frag_versions, o == 0 ? MW_FRAG_LATER_KEPT : MW_FRAG_FIRST_KEPT);
    }
    CHECK_EQ_U(x.st.frag.overlaps_differ, 2);
    CHECK_EQ_U(x.st.frag.overlap_later_kept, 1);
    CHECK_EQ_U(x.st.frag.overlap_undecided, 0);

    /* Without checksums (UDP 0) nothing decides: the first copy stays. */
    int plain[4] = { 0, 3, 1, 2 };
    for (int i = 0; i < 4; i++) {
        put_summed_frag(&x.f, plain[i]);
        if (plain[i] == 0) /* UDP checksum 0: none */
            x.f.b[14 + 20 + 6] = x.f.b[14 + 20 + 7] = 0;
        CHECK_EQ_U(fx_decode(&x, 1), i < 3 ? MW_DECODE_HELD : MW_DECODE_OK);
    }
    CHECK(mw_cursor_equals(&x.pkt.payload, "01234567XXXXXXXXghijklmn", 24));
    CHECK_EQ_U(x.pkt.frag_versions, MW_FRAG_UNDECIDED);
    CHECK_EQ_U(x.st.frag.overlaps_differ, 3);
    CHECK_EQ_U(x.st.frag.overlap_undecided, 1);
    /* An identical duplicate is one version. */
    int dup[4] = { 0, 1, 1, 2 };
    for (int i = 0; i < 4; i++) {
        put_summed_frag(&x.f, dup[i]);
        CHECK_EQ_U(fx_decode(&x, 1), i < 3 ? MW_DECODE_HELD : MW_DECODE_OK);
    }
    CHECK_EQ_U(x.pkt.frag_versions, MW_FRAG_ONE_VERSION);
    CHECK_EQ_U(x.st.frag.overlaps_differ, 3);
    mw_decoder_free(x.d);
}

static void test_fragment_limits(void)
{
    fixture x;
    mw_frag_config fc = { 1, 24, 5000000 };
    fx_init(&x, &fc);

    /* too large: the middle fragment ends at 24, the last at 32 > 24 */
    put_ip4_frag(&x.f, 1);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);
    put_ip4_frag(&x.f, 2);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.frag.dropped_too_large, 2);

    /* table of one: a second datagram (other id) is refused */
    put_ip4_frag(&x.f, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);
    put_ip4_frag(&x.f, 1);
    x.f.b[14 + 5] = 0xce; /* id 0xabce */
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.frag.dropped_table_full, 1);

    /* timeout: expire at exactly ts + timeout drops it */
    mw_decoder_expire(x.d, 1000000 + 5000000 - 1);
    CHECK_EQ_U(x.st.frag.timed_out, 0);
    mw_decoder_expire(x.d, 1000000 + 5000000);
    CHECK_EQ_U(x.st.frag.timed_out, 1);

    put_ip4_frag(&x.f, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);
    mw_decoder_flush(x.d);
    CHECK_EQ_U(x.st.frag.incomplete_at_end, 1);
    CHECK_EQ_U(x.st.frag.reassembled, 0);
    mw_decoder_free(x.d);
}

/* IPv6 fragment header: 24-byte UDP datagram in two fragments. */
static void test_ipv6_fragments(void)
{
    fixture x;
    fx_init(&x, NULL);

    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(16, 44), 17, 0, 0x00, 0x10, 0x00, 0x00, 0x0a, 0xbc);
    PUTS(&x.f, "89abcdef");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_HELD);

    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    /* hop-by-hop before the fragment header stays per fragment */
    PUT(&x.f, IP6(8 + 8 + 16, 0), 44, 0, 0x01, 0x04, 0, 0, 0, 0);
    PUT(&x.f, 17, 0, 0x00, 0x01, 0x00, 0x00, 0x0a, 0xbc);
    PUT(&x.f, UDP(24));
    PUTS(&x.f, "01234567");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK(x.pkt.reassembled);
    CHECK_EQ_U(x.pkt.ip_version, 6);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_U(x.pkt.dport, 53);
    CHECK_EQ_U(x.pkt.payload_wire_len, 16);
    CHECK(mw_cursor_equals(&x.pkt.payload, "0123456789abcdef", 16));
    CHECK_EQ_U(x.st.frag.fragments, 2);
    CHECK_EQ_U(x.st.frag.reassembled, 1);
    CHECK_EQ_U(x.st.decode.ipv6, 2);

    /* atomic fragment (offset 0, M=0) is just skipped */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(8 + 12, 44), 17, 0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01);
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK(!x.pkt.reassembled);
    CHECK(mw_cursor_equals(&x.pkt.payload, "abcd", 4));
    CHECK_EQ_U(x.st.frag.fragments, 2);

    /* truncated fragment header */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(4, 44), 17, 0, 0x00, 0x01);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ipv6_ext, 1);
    mw_decoder_free(x.d);
}

static void test_ip_in_ip(void)
{
    fixture x;
    char b[MW_ADDR_STRLEN];
    fx_init(&x, NULL);

    /* 4in6 */
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(45, 4));
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(x.st.decode.ip_tunnels, 1);
    CHECK_EQ_U(x.st.decode.ipv6, 1);
    CHECK_EQ_U(x.st.decode.ipv4, 0);

    /* 6in4 */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, 0x45, 0, 0, 72, 0, 1, 0, 0, 200, 41, 0, 0, 198, 51, 100, 1, 203, 0, 113, 9);
    PUT(&x.f, IP6(12, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.ip_version, 6);
    CHECK_EQ_U(x.pkt.ttl, 57);
    CHECK_EQ_S(fmt(&x.pkt.src, b), "2001:db8::1");
    CHECK_EQ_S(fmt(&x.pkt.dst, b), "2001:db8::2");
    CHECK(mw_cursor_equals(&x.pkt.payload, "abcd", 4));
    CHECK_EQ_U(x.st.decode.ip_tunnels, 2);
    CHECK_EQ_U(x.st.decode.ipv4, 1);

    /* inner packet longer than the outer payload */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, 0x45, 0, 0, 72, 0, 1, 0, 0, 200, 41, 0, 0, 198, 51, 100, 1, 203, 0, 113, 9);
    PUT(&x.f, IP6(13, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ip_length, 1);

    /* nine nested IPv4-in-IPv4 headers: too deep */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    for (int i = 0; i < 9; i++)
        PUT(&x.f, 0x45, 0, 0, 20, 0, 1, 0, 0, 64, 4, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2);
    for (size_t i = 0; i < 9; i++) {
        size_t total = 20 * (9 - i) + 20;
        x.f.b[14 + 20 * i + 2] = (uint8_t)(total >> 8);
        x.f.b[14 + 20 * i + 3] = (uint8_t)total;
    }
    PUT(&x.f, IP4(20, 6));
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_too_deep, 1);
    CHECK_EQ_U(x.st.decode.ip_tunnels, 3 + 8); /* the bad inner one crossed one too */
    mw_decoder_free(x.d);
}

static void test_skips(void)
{
    fixture x;
    fx_init(&x, NULL);

    /* ARP request */
    PUT(&x.f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08,
        0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    /* 802.3 length field + LLC (STP) */
    fx_reset_frame(&x);
    PUT(&x.f, 0x01, 0x80, 0xc2, 0, 0, 0, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x26,
        0x42, 0x42, 0x03);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 2);

    /* ICMP echo */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(28, 1));
    PUT(&x.f, 0x08, 0x00, 0xf7, 0xff, 0x00, 0x00, 0x00, 0x00);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.other_l4, 1);
    CHECK_EQ_U(x.st.decode.ipv4, 1);

    /* unsupported link type */
    CHECK_EQ_U(fx_decode(&x, 147), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.link.unsupported, 1);
    CHECK_EQ_S(mw_decoder_error(x.d), "unsupported link type 147");
    CHECK(!mw_linktype_supported(147));
    CHECK(mw_linktype_supported(276));
    CHECK(mw_linktype_supported(0));
    CHECK(mw_linktype_supported(12));
    CHECK_EQ_U(x.st.link.ethernet, 3);
    mw_decoder_free(x.d);
}

static void test_snaplen_cut(void)
{
    fixture x;
    fx_init(&x, NULL);
    /* 100 payload bytes on the wire, 10 captured */
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(140, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "0123456789");
    memset(&x.pkt, 0, sizeof(x.pkt));
    x.pkt.wirelen = 14 + 140;
    CHECK_EQ_U(mw_decode(x.d, 1, x.f.b, x.f.n, &x.pkt), MW_DECODE_OK);
    CHECK(x.pkt.payload_cut);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 10);
    CHECK_EQ_U(x.pkt.payload_wire_len, 100);
    CHECK(mw_cursor_equals(&x.pkt.payload, "0123456789", 10));
    CHECK_EQ_U(x.st.decode.l4_payload_cut, 1);
    CHECK_EQ_U(x.pkt.seq, 0x11223344u);

    /* the same frame with wirelen rewritten to caplen (sliced by a tool):
     * still a cut, as wirelen cannot be trusted to tell */
    memset(&x.pkt, 0, sizeof(x.pkt));
    x.pkt.wirelen = (uint32_t)x.f.n;
    CHECK_EQ_U(mw_decode(x.d, 1, x.f.b, x.f.n, &x.pkt), MW_DECODE_OK);
    CHECK(x.pkt.payload_cut);
    CHECK_EQ_U(x.pkt.payload_wire_len, 100);
    CHECK_EQ_U(x.st.decode.l4_payload_cut, 2);

    /* cut inside the TCP header: truncated, not invalid */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(140, 6));
    PUT(&x.f, 0xc3, 0x50, 0x01, 0xbb, 0x11, 0x22);
    memset(&x.pkt, 0, sizeof(x.pkt));
    x.pkt.wirelen = 14 + 140;
    CHECK_EQ_U(mw_decode(x.d, 1, x.f.b, x.f.n, &x.pkt), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_tcp, 1);

    /* UDP cut */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x86, 0xdd);
    PUT(&x.f, IP6(1008, 17));
    PUT(&x.f, UDP(1008));
    PUTS(&x.f, "abcd");
    memset(&x.pkt, 0, sizeof(x.pkt));
    x.pkt.wirelen = 14 + 40 + 1008;
    CHECK_EQ_U(mw_decode(x.d, 1, x.f.b, x.f.n, &x.pkt), MW_DECODE_OK);
    CHECK(x.pkt.payload_cut);
    CHECK_EQ_U(x.pkt.payload_wire_len, 1000);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 4);
    CHECK_EQ_U(x.st.decode.l4_payload_cut, 3);
    CHECK_EQ_U(x.st.decode.err_bad_ip_length, 0);
    mw_decoder_free(x.d);
}

static void test_errors(void)
{
    fixture x;
    fx_init(&x, NULL);

    /* truncated Ethernet */
    PUT(&x.f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_link, 1);
    CHECK(strlen(mw_decoder_error(x.d)) > 0);

    /* truncated VLAN tag */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x81, 0x00, 0x00);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_link, 2);

    /* IHL 4 */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, 0x44, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8);
    PUT(&x.f, TCP20);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ip_header, 1);
    CHECK_EQ_S(mw_decoder_error(x.d), "IPv4 header length 16 below 20");

    /* total length 16 < header length 20 */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(16, 6));
    PUT(&x.f, TCP20);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ip_length, 1);
    CHECK(strlen(mw_decoder_error(x.d)) > 0);

    /* truncated IPv4 header */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00, 0x45, 0x00, 0x00, 40, 0, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_ip, 1);

    /* TCP data offset 3 */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(40, 6));
    PUT(&x.f, 0xc3, 0x50, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x30, 0x10, 0xff, 0xff, 0, 0, 0, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_tcp_header, 1);
    CHECK_EQ_S(mw_decoder_error(x.d), "TCP data offset 3 below 5");

    /* TCP data offset 15 (60 bytes) in a 20-byte segment */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(40, 6));
    PUT(&x.f, 0xc3, 0x50, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0xf0, 0x10, 0xff, 0xff, 0, 0, 0, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_tcp_header, 2);

    /* TCP header truncated: IP says 10 bytes of TCP */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(30, 6));
    PUT(&x.f, 0xc3, 0x50, 0x01, 0xbb, 0, 0, 0, 1, 0, 0);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_tcp, 1);

    /* UDP length 4 */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(32, 17));
    PUT(&x.f, UDP(4));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_udp_length, 1);
    CHECK_EQ_S(mw_decoder_error(x.d), "UDP length 4 below 8");

    /* UDP length beyond the IP payload */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(32, 17));
    PUT(&x.f, UDP(13));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_udp_length, 2);

    /* truncated UDP header */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(24, 17));
    PUT(&x.f, 0x9c, 0x40, 0x00, 0x35);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_udp, 1);

    /* nine VLAN tags */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x81, 0x00);
    for (int i = 0; i < 8; i++)
        PUT(&x.f, 0x00, 0x01, 0x81, 0x00);
    PUT(&x.f, 0x00, 0x01, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_too_deep, 1);
    CHECK_EQ_U(x.st.decode.vlan_tags, 8);
    CHECK(strlen(mw_decoder_error(x.d)) > 0);

    /* IPv4 header with version 6 behind ethertype 0x0800 */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP6(12, 17));
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ip_version, 1);

    /* every error above counted once, nothing else */
    CHECK_EQ_U(x.st.decode.tcp, 0);
    CHECK_EQ_U(x.st.decode.udp, 0);
    CHECK_EQ_U(x.st.decode.non_ip, 0);
    CHECK_EQ_U(x.st.decode.other_l4, 0);
    mw_decoder_free(x.d);
}

/* Every prefix of a valid frame is an error until the TCP header is whole,
 * then a cut payload; never a read past the end (run under ASan). */
static void test_all_prefixes(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, ETH_ADDRS, 0x81, 0x00, 0x00, 0x01, 0x86, 0xdd);
    PUT(&x.f, IP6(8 + 20 + 3, 0));
    PUT(&x.f, 6, 0, 0x01, 0x04, 0, 0, 0, 0);
    PUT(&x.f, TCP20);
    PUTS(&x.f, "xyz");
    size_t full = x.f.n, l4 = 14 + 4 + 40 + 8 + 20;
    int bad = 0;
    for (size_t n = 0; n < full; n++) {
        uint8_t copy[128];
        memcpy(copy, x.f.b, n);
        memset(&x.pkt, 0, sizeof(x.pkt));
        x.pkt.wirelen = (uint32_t)full;
        mw_decode_status r = mw_decode(x.d, 1, copy, n, &x.pkt);
        if (n < l4 ? r != MW_DECODE_ERROR
                   : r != MW_DECODE_OK || !x.pkt.payload_cut ||
                         mw_cursor_len(&x.pkt.payload) != n - l4 ||
                         x.pkt.payload_wire_len != 3)
            bad++;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(x.st.decode.l4_payload_cut, 3);
    memset(&x.pkt, 0, sizeof(x.pkt));
    x.pkt.wirelen = (uint32_t)full;
    CHECK_EQ_U(mw_decode(x.d, 1, x.f.b, full, &x.pkt), MW_DECODE_OK);
    mw_decoder_free(x.d);
}

/* ---- PPP, Cisco HDLC, VXLAN, GTP-U ---- */

static void test_ppp(void)
{
    fixture x;
    char b[MW_ADDR_STRLEN];
    fx_init(&x, NULL);

    /* HDLC-like framing: FF 03, then protocol 0x0021 */
    PUT(&x.f, 0xff, 0x03, 0x00, 0x21);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.l3), 45);
    CHECK_EQ_U(mw_cursor_data(&x.pkt.l3)[0], 0x45);

    /* no address/control bytes */
    fx_reset_frame(&x);
    PUT(&x.f, 0x00, 0x21);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);

    /* protocol field compressed to one byte, with and without FF 03 */
    fx_reset_frame(&x);
    PUT(&x.f, 0x21);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    fx_reset_frame(&x);
    PUT(&x.f, 0xff, 0x03, 0x57);
    PUT(&x.f, IP6(12, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.ip_version, 6);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_S(fmt(&x.pkt.dst, b), "2001:db8::2");
    CHECK(mw_cursor_equals(&x.pkt.payload, "abcd", 4));

    /* IPv6 with the full two-byte field */
    fx_reset_frame(&x);
    PUT(&x.f, 0x00, 0x57);
    PUT(&x.f, IP6(12, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "wxyz");
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_OK);
    CHECK(mw_cursor_equals(&x.pkt.payload, "wxyz", 4));
    CHECK_EQ_U(x.st.link.ppp, 5);
    CHECK_EQ_U(x.st.decode.tcp, 3);
    CHECK_EQ_U(x.st.decode.udp, 2);

    /* LCP configure-request, and compressed-TCP (0x2d, one byte) */
    fx_reset_frame(&x);
    PUT(&x.f, 0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04);
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_SKIP);
    fx_reset_frame(&x);
    PUT(&x.f, 0x2d, 0x00, 0x00);
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 2);

    /* truncated: nothing after FF 03, half a protocol field, empty */
    fx_reset_frame(&x);
    PUT(&x.f, 0xff, 0x03);
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_ERROR);
    fx_reset_frame(&x);
    PUT(&x.f, 0xff, 0x03, 0x00);
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_ERROR);
    CHECK_EQ_S(mw_decoder_error(x.d), "PPP protocol truncated: 1 of 2 bytes");
    fx_reset_frame(&x);
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_link, 3);

    /* Cisco HDLC found under LINKTYPE_PPP (as in captures from Cisco
     * routers): not PPP protocol 0x0f */
    fx_reset_frame(&x);
    PUT(&x.f, 0x0f, 0x00, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 9), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(x.st.link.cisco_hdlc, 1);
    CHECK_EQ_U(x.st.link.ppp, 10);
    CHECK(mw_linktype_supported(9));
    mw_decoder_free(x.d);
}

static void test_cisco_hdlc(void)
{
    fixture x;
    fx_init(&x, NULL);
    PUT(&x.f, 0x0f, 0x00, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 104), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);

    /* multicast address, IPv6 */
    fx_reset_frame(&x);
    PUT(&x.f, 0x8f, 0x00, 0x86, 0xdd);
    PUT(&x.f, IP6(12, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 104), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.ip_version, 6);
    CHECK(mw_cursor_equals(&x.pkt.payload, "abcd", 4));

    /* MPLS, as in BGP_redist.pcap: label 18 (S=1), then IPv4 */
    fx_reset_frame(&x);
    PUT(&x.f, 0x0f, 0x00, 0x88, 0x47, 0x00, 0x01, 0x21, 0xff);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 104), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(x.st.decode.mpls_labels, 1);

    /* SLARP (0x8035) is not IP */
    fx_reset_frame(&x);
    PUT(&x.f, 0x8f, 0x00, 0x80, 0x35, 0, 0, 0, 2, 0, 0, 0, 1);
    CHECK_EQ_U(fx_decode(&x, 104), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 1);

    /* truncated header */
    fx_reset_frame(&x);
    PUT(&x.f, 0x0f, 0x00, 0x08);
    CHECK_EQ_U(fx_decode(&x, 104), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_link, 1);
    CHECK_EQ_S(mw_decoder_error(x.d), "Cisco HDLC header truncated: 3 of 4 bytes");
    CHECK_EQ_U(x.st.link.cisco_hdlc, 5);
    CHECK_EQ_U(x.st.link.ppp, 0);
    CHECK(mw_linktype_supported(104));
    mw_decoder_free(x.d);
}

/* Outer IPv4 10.0.0.1 -> 10.0.0.2, TTL 255, total length t, protocol p. */
#define IP4O(t, p)                                                             \
    0x45, 0x00, (uint8_t)((t) >> 8), (uint8_t)(t), 0x00, 0x01, 0x00, 0x00,     \
    0xff, (p), 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2
/* UDP sp -> dp, length l. */
#define UDPP(sp, dp, l)                                                        \
    (uint8_t)((sp) >> 8), (uint8_t)(sp), (uint8_t)((dp) >> 8), (uint8_t)(dp),  \
    (uint8_t)((l) >> 8), (uint8_t)(l), 0x00, 0x00
/* VXLAN header with flags f and VNI 100. */
#define VXLAN(f) (f), 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00

static void test_vxlan(void)
{
    fixture x;
    char b[MW_ADDR_STRLEN];
    fx_init(&x, NULL);

    /* UDP 8 + VXLAN 8 + Ethernet 14 + IPv4/TCP 45 = 75 */
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(95, 17));
    PUT(&x.f, UDPP(51000, 4789, 75));
    PUT(&x.f, VXLAN(0x08));
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    check_tcp_hello(&x.pkt); /* inner addresses, ports, TTL */
    CHECK_EQ_U(mw_cursor_len(&x.pkt.l3), 45);
    CHECK_EQ_U(mw_cursor_data(&x.pkt.l3)[12], 192);
    CHECK_EQ_U(x.st.decode.vxlan, 1);
    CHECK_EQ_U(x.st.decode.tcp, 1);
    CHECK_EQ_U(x.st.decode.udp, 0); /* the carrier is not a UDP datagram */
    CHECK_EQ_U(x.st.decode.ipv4, 1); /* outermost only */

    /* inner VLAN tag, IPv6/UDP */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(20 + 8 + 8 + 18 + 52, 17));
    PUT(&x.f, UDPP(51000, 4789, 8 + 8 + 18 + 52));
    PUT(&x.f, VXLAN(0x08));
    PUT(&x.f, ETH_ADDRS, 0x81, 0x00, 0x00, 0x05, 0x86, 0xdd);
    PUT(&x.f, IP6(12, 17));
    PUT(&x.f, UDP(12));
    PUTS(&x.f, "abcd");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.ip_version, 6);
    CHECK_EQ_U(x.pkt.ttl, 57);
    CHECK_EQ_S(fmt(&x.pkt.src, b), "2001:db8::1");
    CHECK_EQ_U(x.pkt.sport, 40000);
    CHECK_EQ_U(x.pkt.dport, 53);
    CHECK(mw_cursor_equals(&x.pkt.payload, "abcd", 4));
    CHECK_EQ_U(x.st.decode.vxlan, 2);
    CHECK_EQ_U(x.st.decode.vlan_tags, 1);
    CHECK_EQ_U(x.st.decode.udp, 1);

    /* inner ARP: not IP */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(20 + 8 + 8 + 14 + 8, 17));
    PUT(&x.f, UDPP(51000, 4789, 8 + 8 + 14 + 8));
    PUT(&x.f, VXLAN(0x08));
    PUT(&x.f, ETH_ADDRS, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 1);
    CHECK_EQ_U(x.st.decode.vxlan, 3);

    /* I flag clear: left as the outer UDP datagram */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(95, 17));
    PUT(&x.f, UDPP(51000, 4789, 75));
    PUT(&x.f, VXLAN(0x00));
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_S(fmt(&x.pkt.src, b), "10.0.0.1");
    CHECK_EQ_U(x.pkt.ttl, 255);
    CHECK_EQ_U(x.pkt.sport, 51000);
    CHECK_EQ_U(x.pkt.dport, 4789);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 67);
    CHECK_EQ_U(x.pkt.payload_wire_len, 67);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 1);
    CHECK_EQ_U(x.st.decode.udp, 2);
    CHECK_EQ_U(x.st.decode.vxlan, 3);

    /* VXLAN header, then 10 bytes of a 14-byte Ethernet header */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(46, 17));
    PUT(&x.f, UDPP(51000, 4789, 26));
    PUT(&x.f, VXLAN(0x08));
    PUT(&x.f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.dport, 4789);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 18);
    /* and 5 bytes of a VXLAN header */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(33, 17));
    PUT(&x.f, UDPP(51000, 4789, 13));
    PUT(&x.f, 0x08, 0x00, 0x00, 0x00, 0x00);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 5);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 3);
    CHECK_EQ_U(x.st.decode.udp, 4);

    /* VXLAN on the source port only is not VXLAN */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(95, 17));
    PUT(&x.f, UDPP(4789, 51000, 75));
    PUT(&x.f, VXLAN(0x08));
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_U(x.st.decode.udp, 5);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 3);

    /* crossed, then the inner IPv4 header is cut: the inner error stands */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(20 + 8 + 8 + 14 + 10, 17));
    PUT(&x.f, UDPP(51000, 4789, 8 + 8 + 14 + 10));
    PUT(&x.f, VXLAN(0x08));
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, 0x45, 0x00, 0x00, 45, 0x12, 0x34, 0x40, 0x00, 0x40, 6);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_truncated_ip, 1);
    CHECK_EQ_U(x.st.decode.vxlan, 4);

    /* inner IPv4 claims more than the VXLAN datagram carries */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(95, 17));
    PUT(&x.f, UDPP(51000, 4789, 75));
    PUT(&x.f, VXLAN(0x08));
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(46, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_bad_ip_length, 1);
    CHECK_EQ_U(x.st.decode.vxlan, 5);

    /* eight VLAN tags use up the depth: the VXLAN tunnel is one too many */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS);
    for (int i = 0; i < 8; i++)
        PUT(&x.f, 0x81, 0x00, 0x00, 0x01);
    PUT(&x.f, 0x08, 0x00);
    PUT(&x.f, IP4O(95, 17));
    PUT(&x.f, UDPP(51000, 4789, 75));
    PUT(&x.f, VXLAN(0x08));
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_ERROR);
    CHECK_EQ_U(x.st.decode.err_too_deep, 1);
    CHECK_EQ_U(x.st.decode.vxlan, 5); /* not crossed */
    CHECK_EQ_U(x.st.decode.tcp, 1);
    mw_decoder_free(x.d);
}

/* GTP-U G-PDU header: flags f, message type 0xFF, length l, TEID 1. */
#define GTP(f, l) (f), 0xff, (uint8_t)((l) >> 8), (uint8_t)(l), 0x00, 0x00, 0x00, 0x01

static void test_gtpu(void)
{
    fixture x;
    char b[MW_ADDR_STRLEN];
    fx_init(&x, NULL);

    /* mandatory header only: UDP 8 + GTP 8 + IPv4/TCP 45 = 61 */
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(81, 17));
    PUT(&x.f, UDPP(2152, 2152, 61));
    PUT(&x.f, GTP(0x30, 45));
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.l3), 45);
    CHECK_EQ_U(mw_cursor_data(&x.pkt.l3)[12], 192);
    CHECK_EQ_U(x.st.decode.gtp, 1);
    CHECK_EQ_U(x.st.decode.udp, 0);
    CHECK_EQ_U(x.st.decode.tcp, 1);

    /* E flag: sequence, N-PDU, next type 0x85; a 4-byte PDU session
     * container pointing at 0x40, an 8-byte header ending the chain.
     * GTP length 4 + 4 + 8 + 45 = 61, UDP 8 + 8 + 61 = 77; only the
     * destination port is 2152 */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(97, 17));
    PUT(&x.f, UDPP(40001, 2152, 77));
    PUT(&x.f, GTP(0x34, 61));
    PUT(&x.f, 0x00, 0x00, 0x00, 0x85);
    PUT(&x.f, 0x01, 0x10, 0x09, 0x40);
    PUT(&x.f, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    check_tcp_hello(&x.pkt);
    CHECK_EQ_U(x.st.decode.gtp, 2);

    /* S flag (no extension), IPv6/UDP; only the source port is 2152.
     * GTP length 4 + 51 = 55, UDP 8 + 12 + 51 = 71 */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(91, 17));
    PUT(&x.f, UDPP(2152, 40001, 71));
    PUT(&x.f, GTP(0x32, 55));
    PUT(&x.f, 0x12, 0x34, 0x00, 0x00);
    PUT(&x.f, IP6(11, 17));
    PUT(&x.f, UDP(11));
    PUTS(&x.f, "abc");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.ip_version, 6);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_S(fmt(&x.pkt.src, b), "2001:db8::1");
    CHECK_EQ_S(fmt(&x.pkt.dst, b), "2001:db8::2");
    CHECK_EQ_U(x.pkt.sport, 40000);
    CHECK_EQ_U(x.pkt.dport, 53);
    CHECK_EQ_U(x.pkt.payload_wire_len, 3);
    CHECK(mw_cursor_equals(&x.pkt.payload, "abc", 3));
    CHECK_EQ_U(mw_cursor_len(&x.pkt.l3), 51);
    CHECK_EQ_U(x.st.decode.gtp, 3);
    CHECK_EQ_U(x.st.decode.udp, 1); /* the inner one */

    /* the snaplen cut the inner payload: "hello" of which "he" captured */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(81, 17));
    PUT(&x.f, UDPP(2152, 2152, 61));
    PUT(&x.f, GTP(0x30, 45));
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "he");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 6);
    CHECK_EQ_U(x.pkt.dport, 443);
    CHECK(x.pkt.payload_cut);
    CHECK_EQ_U(x.pkt.payload_wire_len, 5);
    CHECK(mw_cursor_equals(&x.pkt.payload, "he", 2));
    CHECK_EQ_U(x.st.decode.gtp, 4);

    /* echo request (type 1, S flag): signalling, plain UDP, not counted */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(40, 17));
    PUT(&x.f, UDPP(2152, 2152, 20));
    PUT(&x.f, 0x32, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_U(x.pkt.sport, 2152);
    CHECK_EQ_S(fmt(&x.pkt.dst, b), "10.0.0.2");
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 12);
    CHECK_EQ_U(x.st.decode.udp, 2);
    CHECK_EQ_U(x.st.decode.gtp, 4);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 0);

    /* GTP version 2 (0x48) G-PDU-typed message: not GTP-U, plain UDP */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(81, 17));
    PUT(&x.f, UDPP(2152, 2152, 61));
    PUT(&x.f, GTP(0x50, 45));
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_U(x.st.decode.udp, 3);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 0);

    /* non-IP T-PDU (an Ethernet PDU session): skipped as non-IP */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(20 + 8 + 8 + 14, 17));
    PUT(&x.f, UDPP(2152, 2152, 8 + 8 + 14));
    PUT(&x.f, GTP(0x30, 14));
    PUT(&x.f, ETH_ADDRS, 0x08, 0x06);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_SKIP);
    CHECK_EQ_U(x.st.decode.non_ip, 1);
    CHECK_EQ_U(x.st.decode.gtp, 5);

    mw_decoder_free(x.d);
}

/* Malformed G-PDUs stay plain UDP datagrams, counted in bad_tunnel. */
static void test_gtpu_malformed(void)
{
    fixture x;
    fx_init(&x, NULL);

    /* GTP length 46 beyond the 53 bytes of UDP payload less 8 */
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(81, 17));
    PUT(&x.f, UDPP(2152, 2152, 61));
    PUT(&x.f, GTP(0x30, 46));
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_U(x.pkt.dport, 2152);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 53);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 1);

    /* extension header of length 0 */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(89, 17));
    PUT(&x.f, UDPP(2152, 2152, 69));
    PUT(&x.f, GTP(0x34, 53));
    PUT(&x.f, 0x00, 0x00, 0x00, 0x85);
    PUT(&x.f, 0x00, 0x10, 0x09, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 2);

    /* extension chain running past the GTP length (length 6: 4 + 2 bytes
     * of a 4-byte extension header), though the datagram has more */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(20 + 8 + 16 + 45, 17));
    PUT(&x.f, UDPP(2152, 2152, 8 + 16 + 45));
    PUT(&x.f, GTP(0x34, 6));
    PUT(&x.f, 0x00, 0x00, 0x00, 0x85);
    PUT(&x.f, 0x01, 0x10, 0x09, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.pkt.l4_proto, 17);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 61);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 3);

    /* PN flag set but GTP length 2: the optional fields do not fit */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(20 + 8 + 12, 17));
    PUT(&x.f, UDPP(2152, 2152, 8 + 12));
    PUT(&x.f, GTP(0x31, 2));
    PUT(&x.f, 0x00, 0x00, 0x00, 0x00);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 4);

    /* header cut after 5 bytes, and a G-PDU with no T-PDU at all */
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(33, 17));
    PUT(&x.f, UDPP(2152, 2152, 13));
    PUT(&x.f, 0x30, 0xff, 0x00, 0x00, 0x00);
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 5);
    fx_reset_frame(&x);
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(36, 17));
    PUT(&x.f, UDPP(2152, 2152, 16));
    PUT(&x.f, GTP(0x30, 0));
    CHECK_EQ_U(fx_decode(&x, 1), MW_DECODE_OK);
    CHECK_EQ_U(mw_cursor_len(&x.pkt.payload), 8);
    CHECK_EQ_U(x.st.decode.bad_tunnel, 6);
    CHECK_EQ_U(x.st.decode.udp, 6);
    CHECK_EQ_U(x.st.decode.gtp, 0);
    CHECK_EQ_U(x.st.decode.tcp, 0);
    mw_decoder_free(x.d);
}

/* Every prefix of a G-PDU with an extension header, in a VXLAN tunnel:
 * never a read past the end (ASan), and whole TCP headers are decoded. */
static void test_tunnel_prefixes(void)
{
    fixture x;
    fx_init(&x, NULL);
    /* outer UDP 8 + VXLAN 8 + Eth 14 + IP 20 + UDP 8 + GTP 16 + 45 */
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(20 + 8 + 8 + 14 + 20 + 8 + 16 + 45, 17));
    PUT(&x.f, UDPP(51000, 4789, 8 + 8 + 14 + 20 + 8 + 16 + 45));
    PUT(&x.f, VXLAN(0x08));
    PUT(&x.f, ETH_ADDRS, 0x08, 0x00);
    PUT(&x.f, IP4O(20 + 8 + 16 + 45, 17));
    PUT(&x.f, UDPP(2152, 2152, 8 + 16 + 45));
    PUT(&x.f, GTP(0x34, 8 + 45));
    PUT(&x.f, 0x00, 0x00, 0x00, 0x85);
    PUT(&x.f, 0x01, 0x10, 0x09, 0x00);
    PUT(&x.f, IP4(45, 6));
    PUT(&x.f, TCP20);
    PUTS(&x.f, "hello");
    size_t full = x.f.n, l4 = full - 5;
    int bad = 0;
    for (size_t n = 0; n <= full; n++) {
        uint8_t copy[256];
        memcpy(copy, x.f.b, n);
        memset(&x.pkt, 0, sizeof(x.pkt));
        x.pkt.wirelen = (uint32_t)full;
        mw_decode_status r = mw_decode(x.d, 1, copy, n, &x.pkt);
        if (n >= l4 && (r != MW_DECODE_OK || x.pkt.l4_proto != 6 ||
                        mw_cursor_len(&x.pkt.payload) != n - l4 ||
                        x.pkt.payload_wire_len != 5))
            bad++;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(x.st.decode.tcp, 6);
    mw_decoder_free(x.d);
}

static void test_addr_format(void)
{
    mw_addr a;
    char b[MW_ADDR_STRLEN];
    memset(&a, 0, sizeof(a));
    a.family = 4;
    a.bytes[0] = 203;
    a.bytes[1] = 0;
    a.bytes[2] = 113;
    a.bytes[3] = 255;
    CHECK_EQ_S(mw_addr_format(&a, b, sizeof(b)), "203.0.113.255");
    memset(&a, 0, sizeof(a));
    a.family = 6;
    a.bytes[0] = 0xfe;
    a.bytes[1] = 0x80;
    a.bytes[15] = 0x2a;
    CHECK_EQ_S(mw_addr_format(&a, b, sizeof(b)), "fe80::2a");
}

int main(void)
{
    RUN(test_eth_ipv4_tcp);
    RUN(test_tcp_options_flags);
    RUN(test_ipv4_options);
    RUN(test_eth_padding);
    RUN(test_tso_zero_length);
    RUN(test_vlan_qinq);
    RUN(test_mpls);
    RUN(test_pppoe);
    RUN(test_sll_sll2);
    RUN(test_raw);
    RUN(test_null_loop);
    RUN(test_ipv6_ext_tcp);
    RUN(test_ipv4_fragments);
    RUN(test_fragment_versions);
    RUN(test_fragment_limits);
    RUN(test_ipv6_fragments);
    RUN(test_ip_in_ip);
    RUN(test_skips);
    RUN(test_snaplen_cut);
    RUN(test_errors);
    RUN(test_all_prefixes);
    RUN(test_ppp);
    RUN(test_cisco_hdlc);
    RUN(test_vxlan);
    RUN(test_gtpu);
    RUN(test_gtpu_malformed);
    RUN(test_tunnel_prefixes);
    RUN(test_addr_format);
    return check_summary();
}
