/* test_ndpi_glue.c - hand-built IPv4 packets and a real capture through
 * nDPI 4.2; expected names as Debian 12's ndpiReader 4.2 prints them. */
#include "check.h"
#include "dissectors/ndpi_glue.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pkt_buf {
    uint8_t b[1600];
    size_t n;
} pkt_buf;

static const uint8_t cli_ip[4] = {10, 0, 0, 2};
static const uint8_t srv_ip[4] = {10, 0, 0, 1};

/* IPv4 header (no options, TTL 64, DF) with a correct checksum. */
static void put_ipv4(pkt_buf *p, const uint8_t src[4], const uint8_t dst[4],
                     uint8_t proto, size_t l4_len)
{
    size_t total = 20 + l4_len;
    uint8_t *h = p->b;
    memset(h, 0, 20);
    h[0] = 0x45;
    h[2] = (uint8_t)(total >> 8);
    h[3] = (uint8_t)total;
    h[4] = 0x12;
    h[5] = 0x34;
    h[6] = 0x40;
    h[8] = 64;
    h[9] = proto;
    memcpy(h + 12, src, 4);
    memcpy(h + 16, dst, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    h[10] = (uint8_t)(~sum >> 8);
    h[11] = (uint8_t)~sum;
    p->n = total;
}

static void put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
    put16(b, (uint16_t)(v >> 16));
    put16(b + 2, (uint16_t)v);
}

static void build_tcp(pkt_buf *p, bool from_client, uint16_t cport, uint16_t sport,
                      uint32_t seq, uint32_t ack, uint8_t flags,
                      const uint8_t *payload, size_t plen)
{
    put_ipv4(p, from_client ? cli_ip : srv_ip, from_client ? srv_ip : cli_ip, 6,
             20 + plen);
    uint8_t *t = p->b + 20;
    memset(t, 0, 20);
    put16(t, from_client ? cport : sport);
    put16(t + 2, from_client ? sport : cport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = 0x50;
    t[13] = flags;
    put16(t + 14, 64240);
    if (plen)
        memcpy(t + 20, payload, plen);
}

static void build_udp(pkt_buf *p, bool from_client, uint16_t cport, uint16_t sport,
                      const uint8_t *payload, size_t plen)
{
    put_ipv4(p, from_client ? cli_ip : srv_ip, from_client ? srv_ip : cli_ip, 17,
             8 + plen);
    uint8_t *u = p->b + 20;
    put16(u, from_client ? cport : sport);
    put16(u + 2, from_client ? sport : cport);
    put16(u + 4, (uint16_t)(8 + plen));
    put16(u + 6, 0);
    if (plen)
        memcpy(u + 8, payload, plen);
}

static bool feed(mw_ndpi *n, mw_ndpi_flow *f, const pkt_buf *p, uint64_t ts_us)
{
    mw_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.ts_us = ts_us;
    mw_cursor_init(&pkt.l3, p->b, p->n);
    return mw_ndpi_packet(n, f, &pkt);
}

/*
 * TLS 1.2 ClientHello, one cipher (0xc02f), one extension: SNI
 * "www.facebook.com" (16 bytes).
 *   SNI ext = type 0000, len 21: list len 19, type 0, name len 16, name
 *   extensions = 4 + 21 = 25 (0x19)
 *   body = version 2 + random 32 + sid 1 + ciphers 2+2 + compr 1+1
 *          + ext len 2 + 25 = 68 (0x44)
 *   handshake = 4 + 68 = 72 (0x48); record = 5 + 72 = 77 bytes
 */
static const uint8_t client_hello_fb[77] = {
    0x16, 0x03, 0x01, 0x00, 0x48,                   /* record */
    0x01, 0x00, 0x00, 0x44,                         /* ClientHello */
    0x03, 0x03,                                     /* TLS 1.2 */
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
    0x00,                                           /* session id */
    0x00, 0x02, 0xc0, 0x2f,                         /* cipher suites */
    0x01, 0x00,                                     /* null compression */
    0x00, 0x19,                                     /* extensions */
    0x00, 0x00, 0x00, 0x15, 0x00, 0x13, 0x00, 0x00, 0x10,
    'w', 'w', 'w', '.', 'f', 'a', 'c', 'e', 'b', 'o', 'o', 'k', '.', 'c', 'o', 'm',
};

static void test_tls_facebook(void)
{
    mw_ndpi *n = mw_ndpi_new();
    CHECK(n != NULL);
    if (n == NULL)
        return;
    mw_ndpi_flow *f = mw_ndpi_flow_new(n);
    CHECK(f != NULL);
    CHECK_EQ_S(mw_ndpi_app_name(f), "Unknown");
    pkt_buf p = {{0}, 0};
    uint32_t cseq = 1000, sseq = 5000;
    uint64_t ts = 1600000000000000ull;

    build_tcp(&p, true, 40000, 443, cseq, 0, MW_TCP_SYN, NULL, 0);
    CHECK(feed(n, f, &p, ts));
    build_tcp(&p, false, 40000, 443, sseq, cseq + 1, MW_TCP_SYN | MW_TCP_ACK, NULL, 0);
    CHECK(feed(n, f, &p, ts + 1000));
    build_tcp(&p, true, 40000, 443, cseq + 1, sseq + 1, MW_TCP_ACK, NULL, 0);
    CHECK(feed(n, f, &p, ts + 2000));
    build_tcp(&p, true, 40000, 443, cseq + 1, sseq + 1, MW_TCP_ACK | MW_TCP_PSH,
              client_hello_fb, sizeof(client_hello_fb));
    CHECK(feed(n, f, &p, ts + 3000));
    /*
     * ndpiReader 4.2 on these same four packets written to a pcap:
     *   TCP 10.0.0.2:40000 <-> 10.0.0.1:443 [proto: 91.119/TLS.Facebook]
     *   [Hostname/SNI: www.facebook.com]
     *   [Risk: ** TLS (probably) Not Carrying HTTPS **]   (no ALPN sent)
     * It names the flow after the ClientHello, then waits for the
     * certificate; we end the flow there.
     */
    CHECK_EQ_S(mw_ndpi_app_name(f), "TLS.Facebook");
    mw_ndpi_finish(n, f);
    CHECK_EQ_S(mw_ndpi_app_name(f), "TLS.Facebook");
    CHECK(!mw_ndpi_guessed(f));
    const char *risks[2] = {NULL, NULL};
    CHECK_EQ_U(mw_ndpi_risks(f, risks, 2), 1);
    CHECK_EQ_S(risks[0], "TLS (probably) Not Carrying HTTPS");
    CHECK(risks[1] == NULL);
    /* Finished: no more packets wanted. */
    CHECK(!feed(n, f, &p, ts + 4000));

    const mw_ndpi_stats *s = mw_ndpi_get_stats(n);
    CHECK_EQ_U(s->flows, 1);
    CHECK_EQ_U(s->packets, 4);
    CHECK_EQ_U(s->flows_classified, 1);
    CHECK_EQ_U(s->flows_given_up, 0);
    CHECK_EQ_U(s->flows_cap_hit, 0);
    mw_ndpi_flow_free(n, f);
    mw_ndpi_free(n);
}

static const char http_get_numeric[] =
    "GET / HTTP/1.1\r\nHost: 192.168.1.1\r\nUser-Agent: curl/7.68.0\r\n"
    "Accept: */*\r\n\r\n";

static void test_http_risk(void)
{
    mw_ndpi *n = mw_ndpi_new();
    CHECK(n != NULL);
    if (n == NULL)
        return;
    mw_ndpi_flow *f = mw_ndpi_flow_new(n);
    pkt_buf p = {{0}, 0};
    build_tcp(&p, true, 40001, 80, 1000, 0, MW_TCP_SYN, NULL, 0);
    CHECK(feed(n, f, &p, 10));
    build_tcp(&p, false, 40001, 80, 5000, 1001, MW_TCP_SYN | MW_TCP_ACK, NULL, 0);
    CHECK(feed(n, f, &p, 20));
    build_tcp(&p, true, 40001, 80, 1001, 5001, MW_TCP_ACK, NULL, 0);
    CHECK(feed(n, f, &p, 30));
    build_tcp(&p, true, 40001, 80, 1001, 5001, MW_TCP_ACK | MW_TCP_PSH,
              (const uint8_t *)http_get_numeric, sizeof(http_get_numeric) - 1);
    /* Named HTTP; nDPI waits for the response. */
    CHECK(feed(n, f, &p, 40));
    mw_ndpi_finish(n, f);
    /*
     * ndpiReader 4.2 on these packets: [proto: 7/HTTP]
     * [Hostname/SNI: 192.168.1.1][Risk: ** HTTP Numeric IP Address **]
     */
    CHECK_EQ_S(mw_ndpi_app_name(f), "HTTP");
    const char *risks[1] = {NULL};
    CHECK_EQ_U(mw_ndpi_risks(f, risks, 1), 1);
    CHECK_EQ_S(risks[0], "HTTP Numeric IP Address");
    /* No room: still the full count. */
    CHECK_EQ_U(mw_ndpi_risks(f, NULL, 0), 1);
    CHECK_EQ_U(mw_ndpi_get_stats(n)->flows_classified, 1);
    CHECK_EQ_U(mw_ndpi_get_stats(n)->flows_given_up, 0);
    mw_ndpi_flow_free(n, f);
    mw_ndpi_free(n);
}

/* DNS query, id 0x1234, RD, one question www.google.com A IN:
 * 12 header + 16 name (3www6google3com0) + 4 = 32 bytes. */
static const uint8_t dns_query_google[32] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    3, 'w', 'w', 'w', 6, 'g', 'o', 'o', 'g', 'l', 'e', 3, 'c', 'o', 'm', 0,
    0x00, 0x01, 0x00, 0x01,
};

/* Its answer: QR|RD|RA, one A record 142.250.0.1, TTL 300, name by
 * pointer to offset 12: 32 + 2 + 2 + 2 + 4 + 2 + 4 = 48 bytes. */
static const uint8_t dns_answer_google[48] = {
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    3, 'w', 'w', 'w', 6, 'g', 'o', 'o', 'g', 'l', 'e', 3, 'c', 'o', 'm', 0,
    0x00, 0x01, 0x00, 0x01,
    0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04,
    142, 250, 0, 1,
};

static void test_dns_google(void)
{
    mw_ndpi *n = mw_ndpi_new();
    CHECK(n != NULL);
    if (n == NULL)
        return;
    mw_ndpi_flow *f = mw_ndpi_flow_new(n);
    pkt_buf p = {{0}, 0};
    build_udp(&p, true, 33333, 53, dns_query_google, sizeof(dns_query_google));
    CHECK(feed(n, f, &p, 1000000));
    CHECK_EQ_S(mw_ndpi_app_name(f), "DNS.Google");
    build_udp(&p, false, 33333, 53, dns_answer_google, sizeof(dns_answer_google));
    /* With the answer seen nDPI has nothing left to learn. */
    CHECK(!feed(n, f, &p, 1002000));
    /* ndpiReader 4.2 on query + answer: [proto: 5.126/DNS.Google], no risk,
     * "DPI Packets (UDP): 2". */
    CHECK_EQ_S(mw_ndpi_app_name(f), "DNS.Google");
    const char *risks[4];
    CHECK_EQ_U(mw_ndpi_risks(f, risks, 4), 0);
    mw_ndpi_finish(n, f);
    CHECK_EQ_S(mw_ndpi_app_name(f), "DNS.Google");
    CHECK_EQ_U(mw_ndpi_get_stats(n)->flows_classified, 1);
    CHECK_EQ_U(mw_ndpi_get_stats(n)->packets, 2);
    mw_ndpi_flow_free(n, f);
    mw_ndpi_free(n);
}

/* Printable filler on unregistered high ports between private addresses:
 * no dissector, port or address table matches it. */
static void garbage(uint8_t *b, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(0x80 + ((i * 37 + (size_t)seed * 11) % 97));
}

static void test_garbage_unknown(void)
{
    mw_ndpi *n = mw_ndpi_new();
    CHECK(n != NULL);
    if (n == NULL)
        return;
    mw_ndpi_flow *f = mw_ndpi_flow_new(n);
    pkt_buf p = {{0}, 0};
    uint8_t junk[200];
    for (unsigned i = 0; i < 3; i++) {
        garbage(junk, sizeof(junk), i);
        build_udp(&p, i % 2 == 0, 47001, 47002, junk, sizeof(junk));
        CHECK(feed(n, f, &p, 1000000 + i));
    }
    mw_ndpi_finish(n, f);
    CHECK_EQ_S(mw_ndpi_app_name(f), "Unknown");
    CHECK(!mw_ndpi_guessed(f));
    const mw_ndpi_stats *s = mw_ndpi_get_stats(n);
    CHECK_EQ_U(s->flows_given_up, 1);
    CHECK_EQ_U(s->flows_unknown, 1);
    CHECK_EQ_U(s->flows_classified, 0);
    CHECK_EQ_U(s->flows_cap_hit, 0);
    /* ndpiReader 4.2: [proto: 0/Unknown] for these three datagrams. */
    CHECK_EQ_U(s->packets, 3);
    /* finish is idempotent. */
    mw_ndpi_finish(n, f);
    CHECK_EQ_U(s->flows_given_up, 1);
    mw_ndpi_flow_free(n, f);
    mw_ndpi_free(n);
}

static void test_packet_cap(void)
{
    mw_ndpi *n = mw_ndpi_new();
    CHECK(n != NULL);
    if (n == NULL)
        return;
    mw_ndpi_set_max_packets(n, 5);
    mw_ndpi_flow *f = mw_ndpi_flow_new(n);
    pkt_buf p = {{0}, 0};
    uint8_t junk[100];
    unsigned wanted = 0;
    for (unsigned i = 0; i < 10; i++) {
        garbage(junk, sizeof(junk), i);
        build_udp(&p, i % 2 == 0, 47003, 47004, junk, sizeof(junk));
        if (feed(n, f, &p, 2000000 + i))
            wanted++;
    }
    /* Packets 1-4 wanted, the 5th hits the cap, 6-10 refused. */
    CHECK_EQ_U(wanted, 4);
    const mw_ndpi_stats *s = mw_ndpi_get_stats(n);
    CHECK_EQ_U(s->packets, 5);
    CHECK_EQ_U(s->flows_cap_hit, 1);
    CHECK_EQ_U(s->flows_given_up, 1);
    CHECK_EQ_U(s->flows_unknown, 1);
    CHECK_EQ_S(mw_ndpi_app_name(f), "Unknown");
    mw_ndpi_finish(n, f);
    CHECK_EQ_U(s->flows_given_up, 1);
    mw_ndpi_flow_free(n, f);

    /* 0 restores the default of 32. */
    mw_ndpi_set_max_packets(n, 0);
    f = mw_ndpi_flow_new(n);
    wanted = 0;
    for (unsigned i = 0; i < 40; i++) {
        garbage(junk, sizeof(junk), i);
        build_udp(&p, i % 2 == 0, 47005, 47006, junk, sizeof(junk));
        if (feed(n, f, &p, 3000000 + i))
            wanted++;
    }
    CHECK_EQ_U(wanted, 31);
    CHECK_EQ_U(s->packets, 5 + 32);
    CHECK_EQ_U(s->flows_cap_hit, 2);
    mw_ndpi_flow_free(n, f);
    mw_ndpi_free(n);
}

static void test_no_l3_and_null(void)
{
    mw_ndpi *n = mw_ndpi_new();
    CHECK(n != NULL);
    if (n == NULL)
        return;
    mw_ndpi_flow *f = mw_ndpi_flow_new(n);
    mw_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.reassembled = true; /* l3 left empty, as the decoder does */
    CHECK(mw_ndpi_packet(n, f, &pkt));
    const mw_ndpi_stats *s = mw_ndpi_get_stats(n);
    CHECK_EQ_U(s->packets_no_l3, 1);
    CHECK_EQ_U(s->packets, 0);
    /* A flow that never reached nDPI ends Unknown. */
    mw_ndpi_finish(n, f);
    CHECK_EQ_S(mw_ndpi_app_name(f), "Unknown");
    CHECK_EQ_U(s->flows_unknown, 1);
    mw_ndpi_flow_free(n, f);

    /* A flow left unfinished is still freed cleanly (ASan checks). */
    f = mw_ndpi_flow_new(n);
    pkt_buf p = {{0}, 0};
    build_udp(&p, true, 33334, 53, dns_query_google, sizeof(dns_query_google));
    feed(n, f, &p, 1);
    mw_ndpi_flow_free(n, f);

    /* What an out-of-memory flow start leaves the caller holding. */
    CHECK(!mw_ndpi_packet(n, NULL, &pkt));
    mw_ndpi_finish(n, NULL);
    CHECK_EQ_S(mw_ndpi_app_name(NULL), "Unknown");
    CHECK(!mw_ndpi_guessed(NULL));
    CHECK_EQ_U(mw_ndpi_risks(NULL, NULL, 0), 0);
    mw_ndpi_flow_free(n, NULL);
    mw_ndpi_free(n);
    mw_ndpi_free(NULL);
}

/* Hostile l3 bytes reach nDPI as captured; it must survive them (ASan
 * builds check) and the glue must keep counting. */
static void test_malformed(void)
{
    mw_ndpi *n = mw_ndpi_new();
    CHECK(n != NULL);
    if (n == NULL)
        return;
    mw_ndpi_flow *f = mw_ndpi_flow_new(n);
    pkt_buf p = {{0}, 0};
    unsigned fed = 0;

    /* Total length 100, only the 20-byte header and 8 UDP bytes captured. */
    build_udp(&p, true, 1234, 53, NULL, 0);
    p.b[2] = 0;
    p.b[3] = 100;
    CHECK(feed(n, f, &p, 1));
    fed++;
    /* IHL 15 (60 bytes) over a 28-byte packet. */
    build_udp(&p, true, 1234, 53, NULL, 0);
    p.b[0] = 0x4f;
    CHECK(feed(n, f, &p, 2));
    fed++;
    /* Version 7. */
    p.b[0] = 0x75;
    CHECK(feed(n, f, &p, 3));
    fed++;
    /* One byte. */
    p.n = 1;
    CHECK(feed(n, f, &p, 4));
    fed++;
    mw_ndpi_finish(n, f);
    CHECK_EQ_S(mw_ndpi_app_name(f), "Unknown");
    mw_ndpi_flow_free(n, f);

    /* Well-formed IPv4/TCP or UDP headers, random payloads, random
     * lengths; a fixed LCG so a failure reproduces. */
    uint32_t x = 12345;
    for (unsigned flow = 0; flow < 50; flow++) {
        f = mw_ndpi_flow_new(n);
        for (unsigned i = 0; i < 20; i++) {
            uint8_t junk[600];
            x = x * 1103515245u + 12345u;
            size_t len = (x >> 8) % sizeof(junk);
            for (size_t k = 0; k < len; k++) {
                x = x * 1103515245u + 12345u;
                junk[k] = (uint8_t)(x >> 16);
            }
            uint16_t sport = (uint16_t)(flow % 2 ? 443 : 53);
            if (flow % 3)
                build_tcp(&p, i % 2 == 0, (uint16_t)(20000 + flow), sport, x, x,
                          MW_TCP_ACK, junk, len);
            else
                build_udp(&p, i % 2 == 0, (uint16_t)(20000 + flow), sport, junk, len);
            bool more = feed(n, f, &p, 5000000ull + i);
            fed++;
            if (!more)
                break;
        }
        mw_ndpi_finish(n, f);
        CHECK(mw_ndpi_app_name(f) != NULL);
        mw_ndpi_flow_free(n, f);
    }
    const mw_ndpi_stats *s = mw_ndpi_get_stats(n);
    CHECK_EQ_U(s->flows, 51);
    CHECK_EQ_U(s->packets, fed);
    CHECK_EQ_U(s->flows_classified + s->flows_given_up, 51);
    mw_ndpi_free(n);
}

static void test_cipher_names(void)
{
    /* IANA TLS Cipher Suites registry names. */
    CHECK_EQ_S(mw_ndpi_cipher_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    CHECK_EQ_S(mw_ndpi_cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
    CHECK_EQ_S(mw_ndpi_cipher_name(0x002f), "TLS_RSA_WITH_AES_128_CBC_SHA");
    CHECK_EQ_S(mw_ndpi_cipher_name(0xcca8),
               "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    /* 0x001c-0x001d are unassigned (old FORTEZZA), 0xffff never assigned. */
    CHECK(mw_ndpi_cipher_name(0x001c) == NULL);
    CHECK(mw_ndpi_cipher_name(0x001d) == NULL);
    CHECK(mw_ndpi_cipher_name(0xffff) == NULL);
    CHECK(mw_ndpi_cipher_name(0x5555) == NULL);
}

/* Minimal Ethernet + IPv4 slice; test-only, the real decoder is decode.c. */
static void test_corpus_443_curl(void)
{
    const char *shared = getenv("MW_SHARED");
    CHECK(shared != NULL);
    if (shared == NULL) {
        fprintf(stderr, "MW_SHARED not set\n");
        return;
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/corpus/ndpi/pcap/443-curl.pcap", shared);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    CHECK(pc != NULL);
    if (pc == NULL) {
        fprintf(stderr, "%s: %s\n", path, err);
        return;
    }
    CHECK_EQ_U(pcap_datalink(pc), DLT_EN10MB);
    mw_ndpi *n = mw_ndpi_new();
    CHECK(n != NULL);
    mw_ndpi_flow *f = n ? mw_ndpi_flow_new(n) : NULL;
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned frames = 0;
    bool wants = true;
    while (n != NULL && wants && pcap_next_ex(pc, &h, &data) == 1) {
        frames++;
        if (h->caplen < 34 || data[12] != 0x08 || data[13] != 0x00)
            continue;
        mw_packet pkt;
        memset(&pkt, 0, sizeof(pkt));
        pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        mw_cursor_init(&pkt.l3, data + 14, h->caplen - 14);
        wants = mw_ndpi_packet(n, f, &pkt);
    }
    pcap_close(pc);
    if (n == NULL)
        return;
    mw_ndpi_finish(n, f);
    /*
     * `ndpiReader -i 443-curl.pcap -v 2` (libndpi-bin 4.2-2, Debian 12):
     *   TCP 192.168.1.13:55523 <-> 178.62.197.130:443
     *   [proto: 91.26/TLS.ntop] ... [Hostname/SNI: www.ntop.org] ...
     *   (no [Risk: ...]); "Guessed flow protos: 0";
     *   "DPI Packets (TCP): 7 (7.00 pkts/flow)"
     */
    CHECK_EQ_S(mw_ndpi_app_name(f), "TLS.ntop");
    CHECK(!mw_ndpi_guessed(f));
    CHECK(!wants);
    CHECK_EQ_U(frames, 7);
    const char *risks[8];
    CHECK_EQ_U(mw_ndpi_risks(f, risks, 8), 0);
    const mw_ndpi_stats *s = mw_ndpi_get_stats(n);
    CHECK_EQ_U(s->packets, 7);
    CHECK_EQ_U(s->flows_classified, 1);
    CHECK_EQ_U(s->flows_given_up, 0);
    mw_ndpi_flow_free(n, f);
    mw_ndpi_free(n);
}

int main(void)
{
    RUN(test_tls_facebook);
    RUN(test_http_risk);
    RUN(test_dns_google);
    RUN(test_garbage_unknown);
    RUN(test_packet_cap);
    RUN(test_no_l3_and_null);
    RUN(test_malformed);
    RUN(test_cipher_names);
    RUN(test_corpus_443_curl);
    return check_summary();
}
