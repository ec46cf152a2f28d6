/* test_checksum.c - RFC 1071 sums against a plain reference, and the
 * decoder's verdicts on a frame tshark calls right (ftp.pcap of the nDPI
 * corpus, frame 2: "tcp.checksum.status == 1") and on its corruptions. */
#include "check.h"
#include "flow/checksum.h"
#include "flow/decode.h"

#include <string.h>

/* RFC 1071 section 4.1, big-endian words, as written there. */
static uint16_t ref_sum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    while (n > 1) {
        sum += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        n -= 2;
    }
    if (n > 0)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static uint16_t swap16(uint16_t v)
{
    return (uint16_t)(v << 8 | v >> 8);
}

/* Native-order sums equal the reference up to a byte swap (RFC 1071 2(B)),
 * whatever the split of the bytes into regions, odd ones included. */
static void test_against_reference(void)
{
    /* Long enough for the 16-byte loop and its tails, from odd starts. */
    uint8_t buf[1501];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t n = 0; n <= sizeof buf; n += n < 301 ? 7 : 97) {
        for (size_t split = 0; split <= n; split += n < 301 ? 3 : 13) {
            mw_csum s = {0, 0};
            mw_cursor a, b;
            mw_cursor_init(&a, buf, split);
            mw_cursor_init(&b, buf + split, n - split);
            mw_csum_add(&s, &a);
            mw_csum_add(&s, &b);
            uint16_t got = mw_csum_fold(&s), want = ref_sum(buf, n);
            /* 0 and 0xFFFF are the same in ones complement */
            if (want == 0xffff)
                want = 0;
            if (got == 0xffff)
                got = 0;
            uint16_t one = 1;
            uint8_t little;
            memcpy(&little, &one, 1);
            CHECK_EQ_U(little ? swap16(got) : got, want);
        }
    }
}

/* The largest sums: 256 KiB of 0xFF (the biggest frame libpcap hands
 * out) in one region and split at an odd byte. All-ones words sum to
 * 0xFFFF, which is 0 in ones complement. */
static void test_all_ones(void)
{
    static uint8_t big[256 * 1024];
    memset(big, 0xff, sizeof big);
    mw_csum s = {0, 0};
    mw_cursor c;
    mw_cursor_init(&c, big, sizeof big);
    mw_csum_add(&s, &c);
    uint16_t got = mw_csum_fold(&s);
    CHECK(got == 0xffff || got == 0);
    mw_csum t = {0, 0};
    mw_cursor a, b;
    mw_cursor_init(&a, big, 12345);
    mw_cursor_init(&b, big + 12345, sizeof big - 12345);
    mw_csum_add(&t, &a);
    mw_csum_add(&t, &b);
    CHECK_EQ_U(mw_csum_fold(&t), got);
    /* One byte less: the last word is 0xFF00 (network order). */
    mw_csum u = {0, 0};
    mw_cursor_init(&c, big, sizeof big - 1);
    mw_csum_add(&u, &c);
    uint16_t one = 1;
    uint8_t little;
    memcpy(&little, &one, 1);
    /* 131071 words of 0xFFFF and one 0xFF00 (network order): 0xFF00. */
    uint16_t want = 0xff00;
    uint16_t g = mw_csum_fold(&u);
    CHECK_EQ_U(little ? swap16(g) : g, want);
}

static const uint8_t ftp2[] = {
    0xc4, 0x2c, 0x03, 0x06, 0x49, 0xfe, 0x10, 0x13, 0x31, 0xf1, 0x39, 0x76, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x36, 0x06, 0xe1, 0x74, 0x5a, 0x82, 0x46, 0x49, 0xc0, 0xa8,
    0x01, 0xd4, 0x00, 0x15, 0xc6, 0x06, 0x58, 0x2a, 0xc1, 0xd2, 0xa3, 0x23, 0x97, 0xee, 0xa0, 0x12,
    0xa9, 0xb0, 0x3e, 0x28, 0x00, 0x00, 0x02, 0x04, 0x05, 0xac, 0x04, 0x02, 0x08, 0x0a, 0x12, 0x67,
    0xfb, 0x4d, 0x3b, 0x57, 0x98, 0x99, 0x01, 0x03, 0x03, 0x0e};

static int decode_one(const uint8_t *fr, size_t n, bool verify, mw_stats *st)
{
    mw_frag_config fc = {16, 65535, 1000000};
    mw_packet p;
    memset(st, 0, sizeof(*st));
    memset(&p, 0, sizeof p);
    mw_decoder *d = mw_decoder_new(&fc, st);
    mw_decoder_set_verify(d, verify);
    CHECK(mw_decode(d, 1, fr, n, &p) == MW_DECODE_OK);
    mw_decoder_free(d);
    return p.csum;
}

static void test_decoder(void)
{
    uint8_t fr[sizeof ftp2];
    mw_stats st;

    CHECK_EQ_U(decode_one(ftp2, sizeof ftp2, true, &st), MW_CSUM_OK);
    CHECK_EQ_U(st.checksum.bad_tcp + st.checksum.bad_ipv4, 0);
    CHECK_EQ_U(decode_one(ftp2, sizeof ftp2, false, &st), MW_CSUM_UNCHECKED);

    memcpy(fr, ftp2, sizeof fr);
    fr[sizeof fr - 1] ^= 0x01; /* last TCP option byte */
    CHECK_EQ_U(decode_one(fr, sizeof fr, true, &st), MW_CSUM_BAD);
    CHECK_EQ_U(st.checksum.bad_tcp, 1);
    CHECK_EQ_U(st.checksum.bad_ipv4, 0);

    memcpy(fr, ftp2, sizeof fr);
    fr[14 + 8] = 0x37; /* TTL: the IPv4 header, not the TCP pseudo-header */
    CHECK_EQ_U(decode_one(fr, sizeof fr, true, &st), MW_CSUM_BAD);
    CHECK_EQ_U(st.checksum.bad_ipv4, 1);
    CHECK_EQ_U(st.checksum.bad_tcp, 0);
}

static void test_modes(void)
{
    mw_checksum_mode m = MW_CHECKSUMS_ON;
    CHECK(mw_checksum_mode_parse("auto", &m) && m == MW_CHECKSUMS_AUTO);
    CHECK(mw_checksum_mode_parse("off", &m) && m == MW_CHECKSUMS_OFF);
    CHECK(!mw_checksum_mode_parse("yes", &m) && m == MW_CHECKSUMS_OFF);
    CHECK_EQ_S(mw_checksum_mode_name(MW_CHECKSUMS_ON), "on");
}

int main(void)
{
    RUN(test_against_reference);
    RUN(test_all_ones);
    RUN(test_decoder);
    RUN(test_modes);
    return check_summary();
}
