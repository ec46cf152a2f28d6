/*
 * test_mwgen_wire.c - the generator's pcap/TCP writer, read back byte by
 * byte: header values worked out by hand, checksums verified by summing.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "mwgen.h"

static unsigned char file_buf[1 << 16];
static size_t file_len;

static unsigned
be16(const unsigned char *p)
{
    return (unsigned) (p[0] << 8 | p[1]);
}

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}

/* Ones' complement sum over a region including its checksum: 0xffff. */
static unsigned
sum16(uint32_t s, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i += 2) {
        s += be16(p + i);
    }
    if (n & 1) {
        s += (uint32_t) p[n - 1] << 8;
    }
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return s;
}

static void
load(const char *path)
{
    FILE *f = fopen(path, "rb");

    file_len = f ? fread(file_buf, 1, sizeof(file_buf), f) : 0;
    if (f) {
        fclose(f);
    }
}

/* The n-th record's frame, or NULL. */
static const unsigned char *
frame(unsigned n, size_t *len)
{
    size_t off = 24;
    unsigned i;

    for (i = 0; off + 16 <= file_len; i++) {
        size_t incl = file_buf[off + 8] | (size_t) file_buf[off + 9] << 8;

        if (i == n) {
            *len = incl;
            return file_buf + off + 16;
        }
        off += 16 + incl;
    }
    return NULL;
}

static void
test_v4_connection(void)
{
    char path[] = "/tmp/test_mwgen_wireXXXXXX";
    int fd = mkstemp(path);
    mw_pcap_t *pc = calloc(1, sizeof(*pc));
    mw_ep_t c = { 0, { 10, 0, 0, 1 }, 50000, { 2, 0, 0, 0, 0, 1 }, 64, 64240 };
    mw_ep_t s = { 0, { 198, 18, 0, 1 }, 443, { 2, 0, 0, 0, 0, 2 }, 52, 65160 };
    unsigned char data[3000];
    const unsigned char *p;
    size_t len, i;
    mw_tcp_t t;

    CHECK(fd >= 0 && pc != NULL);
    if (fd < 0 || pc == NULL) {
        free(pc);
        return;
    }
    close(fd);
    for (i = 0; i < sizeof(data); i++) {
        data[i] = (unsigned char) i;
    }
    CHECK(mw_pcap_open(pc, path) == 0);
    mw_tcp_open(&t, pc, &c, &s, 1000, 5000, 1000000, 50000, MW_C2S);
    mw_tcp_data(&t, MW_C2S, data, 100, 0);
    mw_tcp_data(&t, MW_S2C, data, sizeof(data), 61);
    mw_tcp_close(&t);
    CHECK(mw_pcap_close(pc) == 0);
    load(path);
    unlink(path);

    /* pcap header: magic, 2.4, snaplen 65535, Ethernet. */
    CHECK_EQ_U(file_len > 24, 1);
    CHECK_EQ_U(file_buf[0], 0xd4);
    CHECK_EQ_U(file_buf[3], 0xa1);
    CHECK_EQ_U(file_buf[20], 1);

    /* SYN: 14 + 20 + 24 bytes, seq = ISN, MSS 1460, at t=1 s. */
    p = frame(0, &len);
    CHECK(p != NULL);
    if (p == NULL) {
        free(pc);
        return;
    }
    CHECK_EQ_U(len, 58);
    CHECK_EQ_U(file_buf[24], 1);            /* ts_sec = 1 */
    CHECK_EQ_U(be16(p + 12), 0x0800);
    CHECK_EQ_U(p[14 + 8], 64);              /* client TTL */
    CHECK_EQ_U(sum16(0, p + 14, 20), 0xffff);
    CHECK_EQ_U(be32(p + 34 + 4), 1000);
    CHECK_EQ_U(p[34 + 13], 0x02);
    CHECK_EQ_U(p[34 + 20], 2);
    CHECK_EQ_U(be16(p + 34 + 22), 1460);
    /* TCP checksum over pseudo header + segment. */
    CHECK_EQ_U(sum16(sum16(6 + 24, p + 26, 8), p + 34, 24), 0xffff);

    /* SYN-ACK: seq 5000, ack 1001, server TTL 52. */
    p = frame(1, &len);
    CHECK_EQ_U(be32(p + 34 + 4), 5000);
    CHECK_EQ_U(be32(p + 34 + 8), 1001);
    CHECK_EQ_U(p[34 + 13], 0x12);
    CHECK_EQ_U(p[14 + 8], 52);

    /* ACK, then the 100-byte request at seq 1001 with PSH. */
    p = frame(3, &len);
    CHECK_EQ_U(len, 14 + 20 + 20 + 100);
    CHECK_EQ_U(be32(p + 34 + 4), 1001);
    CHECK_EQ_U(p[34 + 13], 0x18);
    CHECK_EQ_U(sum16(sum16(6 + 120, p + 26, 8), p + 34, 120), 0xffff);

    /* 3000 bytes: 1460 at 5001, 1460 at 6461, then the client's delayed
     * ACK of both (7921), then 80 bytes at 7921, all with TTL 61. */
    p = frame(4, &len);
    CHECK_EQ_U(len, 14 + 40 + 1460);
    CHECK_EQ_U(be32(p + 34 + 4), 5001);
    CHECK_EQ_U(p[14 + 8], 61);
    CHECK_EQ_U(p[34 + 13], 0x10);
    p = frame(5, &len);
    CHECK_EQ_U(be32(p + 34 + 4), 6461);
    p = frame(6, &len);
    CHECK_EQ_U(len, 54);
    CHECK_EQ_U(be32(p + 34 + 8), 7921);
    p = frame(7, &len);
    CHECK_EQ_U(len, 14 + 40 + 80);
    CHECK_EQ_U(be32(p + 34 + 4), 7921);
    CHECK_EQ_U(p[34 + 13], 0x18);
    CHECK_MEM(p + 54, data + 2920, 80);

    /* FIN from the client at seq 1101, ack 8001. */
    p = frame(8, &len);
    CHECK_EQ_U(p[34 + 13], 0x11);
    CHECK_EQ_U(be32(p + 34 + 4), 1101);
    CHECK_EQ_U(be32(p + 34 + 8), 8001);
    CHECK(frame(11, &len) == NULL);
    CHECK_EQ_U(pc->packets, 11);
    free(pc);
}

static void
test_rng_deterministic(void)
{
    mw_rng_t a, b;
    unsigned char x[37], y[37];

    mw_rng_seed(&a, 7, "label", 3);
    mw_rng_seed(&b, 7, "label", 3);
    mw_rng_fill(&a, x, sizeof(x));
    mw_rng_fill(&b, y, sizeof(y));
    CHECK_MEM(x, y, sizeof(x));
    mw_rng_seed(&b, 7, "label", 4);
    mw_rng_fill(&b, y, sizeof(y));
    CHECK(memcmp(x, y, sizeof(x)) != 0);
    CHECK(mw_rng_below(&a, 10) < 10);
    CHECK_EQ_U(mw_rng_below(&a, 0), 0);
}

int
main(void)
{
    RUN(test_v4_connection);
    RUN(test_rng_deterministic);
    return check_summary();
}
