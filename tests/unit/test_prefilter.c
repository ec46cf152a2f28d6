/*
 * test_prefilter.c - the fast path's decision on hand-built first bytes:
 * every accepted preamble, rejected ones, and short/partial first bytes.
 */
#include <string.h>

#include "check.h"
#include "session/prefilter.h"

static mw_prefilter judge(const void *bytes, size_t len)
{
    mw_cursor c;
    mw_cursor_init(&c, bytes, len);
    return mw_prefilter_tcp(&c);
}

#define JUDGE_STR(s) judge((s), sizeof(s) - 1)

static void test_tls_records(void)
{
    static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x54, 0x01, 0x00, 0x00, 0x50};
    static const uint8_t appdata[] = {0x17, 0x03, 0x03, 0x01, 0x00};
    static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    static const uint8_t sslv2[] = {0x80, 0x2e, 0x01, 0x00, 0x02};
    static const uint8_t stray[] = {0x00, 0x16, 0x03, 0x01, 0x00, 0x54, 0x01, 0x00};
    CHECK_EQ_U(judge(hello, sizeof hello), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(hello, 2), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(appdata, sizeof appdata), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(ccs, sizeof ccs), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(sslv2, sizeof sslv2), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(stray, sizeof stray), MW_PREFILTER_KEEP);
}

static void test_partial(void)
{
    static const uint8_t hello[] = {0x16, 0x03};
    static const uint8_t sslv2[] = {0x80, 0x2e};
    static const uint8_t pg[] = {0, 0, 0, 8, 0x04, 0xd2};
    CHECK_EQ_U(judge(hello, 0), MW_PREFILTER_MORE);
    CHECK_EQ_U(judge(hello, 1), MW_PREFILTER_MORE);
    CHECK_EQ_U(judge(sslv2, 2), MW_PREFILTER_MORE);
    CHECK_EQ_U(judge(pg, sizeof pg), MW_PREFILTER_MORE);
    CHECK_EQ_U(JUDGE_STR("EH"), MW_PREFILTER_MORE);
    /* Four bytes of a MySQL length/sequence: the protocol byte is missing. */
    static const uint8_t my[] = {0x4a, 0x00, 0x00, 0x00};
    CHECK_EQ_U(judge(my, sizeof my), MW_PREFILTER_MORE);
}

static void test_preambles(void)
{
    CHECK_EQ_U(JUDGE_STR("220 mail.example.com ESMTP\r\n"), MW_PREFILTER_KEEP);
    CHECK_EQ_U(JUDGE_STR("EHLO client\r\n"), MW_PREFILTER_KEEP);
    CHECK_EQ_U(JUDGE_STR("* OK IMAP4rev1 ready\r\n"), MW_PREFILTER_KEEP);
    CHECK_EQ_U(JUDGE_STR("+OK POP3 ready\r\n"), MW_PREFILTER_KEEP);
    CHECK_EQ_U(JUDGE_STR("<?xml version='1.0'?><stream:stream"), MW_PREFILTER_KEEP);
    CHECK_EQ_U(JUDGE_STR("NICK bob\r\n"), MW_PREFILTER_KEEP);
    CHECK_EQ_U(JUDGE_STR("CONNECT example.com:443 HTTP/1.1\r\n"), MW_PREFILTER_KEEP);
    CHECK_EQ_U(JUDGE_STR("OPTIONS * HTTP/1.1\r\nUpgrade: TLS/1.0\r\n"), MW_PREFILTER_KEEP);
    static const uint8_t ldap[] = {0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80};
    static const uint8_t pg[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
    static const uint8_t mysql_greet[] = {0x4a, 0x00, 0x00, 0x00, 0x0a, '8', '.', '0'};
    static const uint8_t mysql_ssl[] = {0x20, 0x00, 0x00, 0x01, 0x85, 0xae, 0xff, 0x00};
    static const uint8_t rdp[] = {0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00};
    static const uint8_t socks5[] = {0x05, 0x01, 0x00};
    static const uint8_t socks4[] = {0x04, 0x01, 0x01, 0xbb, 93, 184, 216, 34};
    static const uint8_t ovpn[] = {0x00, 0x0e, 0x38, 0x8d, 0x21, 0x6f, 0x5a, 0x10};
    CHECK_EQ_U(judge(ldap, sizeof ldap), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(pg, sizeof pg), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(mysql_greet, sizeof mysql_greet), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(mysql_ssl, sizeof mysql_ssl), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(rdp, sizeof rdp), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(socks5, sizeof socks5), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(socks4, sizeof socks4), MW_PREFILTER_KEEP);
    CHECK_EQ_U(judge(ovpn, sizeof ovpn), MW_PREFILTER_KEEP);
    static const uint8_t ovpn_ctl[] = {0x00, 0x56, 0x20, 0x6a, 0x8e, 0x6f, 0xa7, 0xff};
    CHECK_EQ_U(judge(ovpn_ctl, sizeof ovpn_ctl), MW_PREFILTER_KEEP);
}

static void test_rejected(void)
{
    CHECK_EQ_U(JUDGE_STR("GET / HTTP/1.1\r\nHost: a\r\n"), MW_PREFILTER_BYPASS);
    CHECK_EQ_U(JUDGE_STR("POST /x HTTP/1.1\r\n"), MW_PREFILTER_BYPASS);
    CHECK_EQ_U(JUDGE_STR("HEAD / HTTP/1.0\r\n"), MW_PREFILTER_BYPASS);
    CHECK_EQ_U(JUDGE_STR("HTTP/1.1 200 OK\r\n"), MW_PREFILTER_BYPASS);
    /* SSH banner is text, kept: the scan, not the prefilter, rejects it. */
    CHECK_EQ_U(JUDGE_STR("SSH-2.0-OpenSSH_9.2\r\n"), MW_PREFILTER_KEEP);
    static const uint8_t bittorrent[] = {0x13, 'B', 'i', 't', 'T', 'o', 'r', 'r'};
    /* DNS over TCP, id 0xab12 (an id starting 0x10..0x17 would look like
     * an OpenVPN hard reset and be kept). */
    static const uint8_t dns_tcp[] = {0x00, 0x1c, 0xab, 0x12, 0x01, 0x00, 0x00, 0x01};
    static const uint8_t rnd[] = {0xe3, 0x51, 0x9a, 0x07, 0xc4, 0x2b, 0x11, 0xfe};
    static const uint8_t appdata_v2[] = {0x17, 0x02, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t pg_other[] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30};
    CHECK_EQ_U(judge(bittorrent, sizeof bittorrent), MW_PREFILTER_BYPASS);
    CHECK_EQ_U(judge(dns_tcp, sizeof dns_tcp), MW_PREFILTER_BYPASS);
    CHECK_EQ_U(judge(rnd, sizeof rnd), MW_PREFILTER_BYPASS);
    CHECK_EQ_U(judge(appdata_v2, sizeof appdata_v2), MW_PREFILTER_BYPASS);
    CHECK_EQ_U(judge(pg_other, sizeof pg_other), MW_PREFILTER_BYPASS);
}

static bool judge_udp(const void *bytes, size_t len)
{
    mw_cursor c;
    mw_cursor_init(&c, bytes, len);
    return mw_prefilter_udp_ndpi(&c);
}

/* The UDP first-datagram decision (nDPI kept or stopped), on the header
 * layouts of RFC 9000 17.2, RFC 6347 4.1, RFC 5389 6 and RFC 8656 12.5. */
static void test_udp_ndpi(void)
{
    uint8_t d[64];
    memset(d, 0, sizeof d);
    /* QUIC long header (v1 Initial: 0xc0 | type 0), 7+ bytes. */
    d[0] = 0xc3;
    d[4] = 0x01;
    CHECK(judge_udp(d, 7));
    CHECK(!judge_udp(d, 6));
    /* DTLS 1.2 handshake record 22, version 0xfefd; and DTLS1_BAD_VER. */
    d[0] = 22;
    d[1] = 0xfe;
    d[2] = 0xfd;
    CHECK(judge_udp(d, 13));
    CHECK(!judge_udp(d, 12));
    d[0] = 20; /* ChangeCipherSpec */
    CHECK(judge_udp(d, 13));
    d[0] = 22;
    d[1] = 0x01;
    d[2] = 0x00;
    CHECK(judge_udp(d, 13));
    d[1] = 0x03; /* TLS's version in a UDP datagram is not DTLS */
    d[2] = 0x03;
    CHECK(!judge_udp(d, 13));
    d[0] = 24; /* no DTLS content type */
    d[1] = 0xfe;
    CHECK(!judge_udp(d, 13));
    /* STUN binding request: length field = datagram - 20. */
    memset(d, 0, sizeof d);
    d[1] = 0x01;
    d[3] = 8;
    CHECK(judge_udp(d, 28));
    CHECK(!judge_udp(d, 27));
    CHECK(!judge_udp(d, 29));
    /* TURN ChannelData 0x4000, 4 bytes of data (padding allowed). */
    d[0] = 0x40;
    d[1] = 0x00;
    d[2] = 0;
    d[3] = 4;
    CHECK(judge_udp(d, 8));
    CHECK(judge_udp(d, 12));
    CHECK(!judge_udp(d, 7));
    /* A DNS query (ID 0x1234, RD), an NTP client packet, empty. */
    static const uint8_t dns[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
    CHECK(!judge_udp(dns, sizeof dns));
    d[0] = 0x23; /* NTP v4 client */
    CHECK(!judge_udp(d, 48));
    CHECK(!judge_udp(d, 0));
}

int main(void)
{
    RUN(test_tls_records);
    RUN(test_partial);
    RUN(test_preambles);
    RUN(test_rejected);
    RUN(test_udp_ndpi);
    return check_summary();
}
