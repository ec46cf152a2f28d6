/* test_dispatch.c - which worker a frame goes to (--threads N): both
 * directions and every fragment of a flow to one worker, flows spread over
 * all of them, frames that are no flow to worker 0. Frames are built here
 * byte by byte (Ethernet, IPv4 or IPv6, TCP). */
#include "bytebuf.h"
#include "check.h"
#include "flow/dispatch.h"

#define LINKTYPE_ETHERNET 1

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
    /* xorshift32: fixed seed, the same addresses every run */
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

static void u32(bb *b, uint32_t v)
{
    u16(b, v >> 16);
    u16(b, v & 0xffff);
}

static void eth(bb *b, unsigned ethertype)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    bb_put(b, macs, sizeof macs);
    u16(b, ethertype);
}

static uint16_t ip_sum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* An IPv4 frame: a 20-byte TCP header (SYN) when frag_off8 is 0, else
 * 8 bytes of a later fragment (no ports). */
static bb frame4(const uint8_t src[4], const uint8_t dst[4], unsigned sport, unsigned dport,
                 unsigned frag_off8)
{
    bb b = {0};
    eth(&b, 0x0800);
    size_t ip = b.n;
    unsigned l4 = frag_off8 ? 8 : 20;
    u8(&b, 0x45);
    u8(&b, 0);
    u16(&b, 20 + l4);
    u16(&b, 0x1234);
    u16(&b, frag_off8 & 0x1fff); /* last fragment: MF clear */
    u8(&b, 64);
    u8(&b, 6);
    u16(&b, 0);
    bb_put(&b, src, 4);
    bb_put(&b, dst, 4);
    uint16_t sum = ip_sum(b.p + ip, 20);
    b.p[ip + 10] = (uint8_t)(sum >> 8);
    b.p[ip + 11] = (uint8_t)sum;
    if (frag_off8) {
        for (int i = 0; i < 8; i++)
            u8(&b, 0xab);
        return b;
    }
    u16(&b, sport);
    u16(&b, dport);
    u32(&b, 1000);
    u32(&b, 0);
    u8(&b, 0x50);
    u8(&b, 0x02);
    u16(&b, 65535);
    u16(&b, 0);
    u16(&b, 0);
    return b;
}

static bb frame6(const uint8_t src[16], const uint8_t dst[16], unsigned sport, unsigned dport)
{
    bb b = {0};
    eth(&b, 0x86dd);
    u32(&b, 0x60000000u);
    u16(&b, 20);
    u8(&b, 6);
    u8(&b, 64);
    bb_put(&b, src, 16);
    bb_put(&b, dst, 16);
    u16(&b, sport);
    u16(&b, dport);
    u32(&b, 1000);
    u32(&b, 0);
    u8(&b, 0x50);
    u8(&b, 0x02);
    u16(&b, 65535);
    u16(&b, 0);
    u16(&b, 0);
    return b;
}

static unsigned worker_of(mw_dispatch *d, bb *b)
{
    mw_source_packet p = {.ts_us = 1, .number = 1, .caplen = (uint32_t)b->n,
                          .wirelen = (uint32_t)b->n, .data = b->p};
    unsigned w = mw_dispatch_worker(d, LINKTYPE_ETHERNET, &p);
    free(b->p);
    b->p = NULL;
    return w;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

static void test_ipv4(void)
{
    mw_dispatch *d = mw_dispatch_new(4);
    CHECK(d != NULL);
    unsigned count[4] = {0};
    for (int i = 0; i < 1000; i++) {
        uint8_t a[4], c[4];
        rnd_bytes(a, 4);
        rnd_bytes(c, 4);
        unsigned sp = 1024 + rnd() % 60000, dp = 1 + rnd() % 1023;
        bb f = frame4(a, c, sp, dp, 0), r = frame4(c, a, dp, sp, 0);
        bb g = frame4(a, c, 0, 0, 185), o = frame4(a, c, sp + 1, dp, 0);
        unsigned w = worker_of(d, &f);
        CHECK(w < 4);
        CHECK_EQ_U(worker_of(d, &r), w); /* the reply */
        CHECK_EQ_U(worker_of(d, &g), w); /* a later fragment: no ports */
        CHECK_EQ_U(worker_of(d, &o), w); /* another port of the pair */
        if (w < 4)
            count[w]++;
    }
    /* 1000 pairs over 4 workers: 250 each expected, sd about 14. */
    for (int k = 0; k < 4; k++)
        CHECK(count[k] > 150 && count[k] < 350);
    mw_dispatch_free(d);
}

static void test_ipv6(void)
{
    mw_dispatch *d = mw_dispatch_new(4);
    CHECK(d != NULL);
    unsigned count[4] = {0};
    for (int i = 0; i < 1000; i++) {
        /* One /96 prefix: only the last 4 bytes differ, so every byte
         * of the address must reach the hash. */
        uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8}, c[16] = {0x20, 0x01, 0x0d, 0xb8};
        rnd_bytes(a + 12, 4);
        rnd_bytes(c + 12, 4);
        bb f = frame6(a, c, 40000, 443), r = frame6(c, a, 443, 40000);
        unsigned w = worker_of(d, &f);
        CHECK_EQ_U(worker_of(d, &r), w);
        if (w < 4)
            count[w]++;
    }
    for (int k = 0; k < 4; k++)
        CHECK(count[k] > 150 && count[k] < 350);
    mw_dispatch_free(d);
}

static void test_worker0(void)
{
    mw_dispatch *d = mw_dispatch_new(4);
    CHECK(d != NULL);
    /* ARP: no flow. */
    bb b = {0};
    eth(&b, 0x0806);
    for (int i = 0; i < 28; i++)
        u8(&b, 0);
    CHECK_EQ_U(worker_of(d, &b), 0);
    /* A truncated IPv4 header. */
    bb t = {0};
    eth(&t, 0x0800);
    u8(&t, 0x45);
    u8(&t, 0);
    CHECK_EQ_U(worker_of(d, &t), 0);
    mw_dispatch_free(d);

    /* One worker: always 0. */
    mw_dispatch *one = mw_dispatch_new(1);
    uint8_t a[4] = {10, 0, 0, 1}, c[4] = {10, 0, 0, 2};
    bb f = frame4(a, c, 1234, 443, 0);
    CHECK_EQ_U(worker_of(one, &f), 0);
    mw_dispatch_free(one);
}

int main(void)
{
    RUN(test_ipv4);
    RUN(test_ipv6);
    RUN(test_worker0);
    return check_summary();
}
