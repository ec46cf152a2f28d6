/*
 * test_capture.c - capture sources: pcap/pcapng, gzip, damage, BPF filters,
 * directory listing, real corpus files, live capture on loopback.
 *
 * Fixtures are written byte by byte into a mkdtemp() directory, so every
 * expected value below is known independently of libpcap and of the code
 * under test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capture/capture.h"
#include "check.h"

static char tmpdir[] = "/tmp/mw_test_capture.XXXXXX";

/* ---- byte builders ------------------------------------------------------ */

typedef struct tbuf {
    uint8_t *b;
    size_t n, cap;
} tbuf;

static void put_bytes(tbuf *t, const void *p, size_t n)
{
    if (t->n + n > t->cap) {
        size_t cap = (t->n + n) * 2 + 64;
        uint8_t *nb = realloc(t->b, cap);
        if (nb == NULL)
            abort();
        t->b = nb;
        t->cap = cap;
    }
    if (n)
        memcpy(t->b + t->n, p, n);
    t->n += n;
}

static void put_u8(tbuf *t, uint8_t v) { put_bytes(t, &v, 1); }

static void put_u16(tbuf *t, uint16_t v, bool be)
{
    uint8_t b[2];
    b[be ? 0 : 1] = (uint8_t)(v >> 8);
    b[be ? 1 : 0] = (uint8_t)v;
    put_bytes(t, b, 2);
}

static void put_u32(tbuf *t, uint32_t v, bool be)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
    put_bytes(t, b, 4);
}

static void tbuf_free(tbuf *t)
{
    free(t->b);
    t->b = NULL;
    t->n = t->cap = 0;
}

/* ---- files --------------------------------------------------------------- */

static void path_in(char *out, const char *name)
{
    snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

static void write_gz(const char *path, const void *p, size_t n)
{
    gzFile gz = gzopen(path, "wb");
    if (gz == NULL || (n && gzwrite(gz, p, (unsigned)n) != (int)n) || gzclose(gz) != Z_OK) {
        fprintf(stderr, "%s: gz write failed\n", path);
        abort();
    }
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    tbuf t = {0};
    uint8_t chunk[4096];
    size_t n;

    if (f == NULL)
        abort();
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        put_bytes(&t, chunk, n);
    fclose(f);
    *len = t.n;
    return t.b;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* ---- the reference capture: 3 Ethernet packets ----------------------------
 *
 *  #  ts (s . frac)                caplen  wirelen
 *  1  1700000000 . 1 us / 1001 ns    60      60
 *  2  1700000000 . 500000 us         42      42
 *  3  1700000001 . 999999 us        100    1514   (cut by the snaplen)
 * Byte j of packet i (1-based) is (uint8_t)(i * 37 + j).
 */
static const uint64_t ref_ts[3] = {1700000000000001ull, 1700000000500000ull,
                                   1700000001999999ull};
static const uint32_t ref_cap[3] = {60, 42, 100};
static const uint32_t ref_wire[3] = {60, 42, 1514};
static const uint32_t ref_sec[3] = {1700000000u, 1700000000u, 1700000001u};
static const uint32_t ref_us[3] = {1, 500000, 999999};
static const uint32_t ref_ns[3] = {1001, 500000000, 999999999};

static void ref_data(int i, uint8_t *out, uint32_t n)
{
    for (uint32_t j = 0; j < n; j++)
        out[j] = (uint8_t)((i + 1) * 37 + (int)j);
}

static void pcap_global(tbuf *t, bool be, bool ns, uint32_t linktype)
{
    put_u32(t, ns ? 0xa1b23c4du : 0xa1b2c3d4u, be);
    put_u16(t, 2, be);
    put_u16(t, 4, be);
    put_u32(t, 0, be);      /* thiszone */
    put_u32(t, 0, be);      /* sigfigs */
    put_u32(t, 65535, be);  /* snaplen */
    put_u32(t, linktype, be);
}

static void pcap_record(tbuf *t, bool be, uint32_t sec, uint32_t frac,
                        const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
    put_u32(t, sec, be);
    put_u32(t, frac, be);
    put_u32(t, caplen, be);
    put_u32(t, wirelen, be);
    put_bytes(t, data, caplen);
}

static void build_ref_pcap(tbuf *t, bool be, bool ns)
{
    uint8_t data[100];

    pcap_global(t, be, ns, 1);
    for (int i = 0; i < 3; i++) {
        ref_data(i, data, ref_cap[i]);
        pcap_record(t, be, ref_sec[i], ns ? ref_ns[i] : ref_us[i], data, ref_cap[i],
                    ref_wire[i]);
    }
}

/* Reads n packets and checks them against the reference. */
static void expect_ref_packets(mw_source *s, int n)
{
    mw_source_packet p;
    uint8_t want[100];

    for (int i = 0; i < n; i++) {
        memset(&p, 0, sizeof(p));
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_PACKET);
        CHECK_EQ_U(p.ts_us, ref_ts[i]);
        CHECK_EQ_U(p.number, i + 1);
        CHECK_EQ_U(p.caplen, ref_cap[i]);
        CHECK_EQ_U(p.wirelen, ref_wire[i]);
        ref_data(i, want, ref_cap[i]);
        CHECK(p.data != NULL);
        if (p.data != NULL && p.caplen == ref_cap[i])
            CHECK_MEM(p.data, want, ref_cap[i]);
    }
}

static mw_source *open_ok(const char *path, const char *filter, mw_capture_stats *st)
{
    mw_capture_config cfg = {.snaplen = 0, .promisc = false, .buffer_mib = 0,
                             .filter = filter};
    char err[MW_CAPTURE_ERRLEN] = "";
    mw_source *s = mw_source_open_file(path, &cfg, st, err, sizeof(err));

    if (s == NULL)
        fprintf(stderr, "unexpected open failure: %s\n", err);
    CHECK(s != NULL);
    return s;
}

static void check_ref_file(const char *name, bool be, bool ns, bool gz)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX];
    mw_source_packet p;
    tbuf t = {0};
    mw_source *s;

    build_ref_pcap(&t, be, ns);
    path_in(path, name);
    if (gz)
        write_gz(path, t.b, t.n);
    else
        write_file(path, t.b, t.n);
    tbuf_free(&t);

    CHECK(mw_capture_file_looks_like_capture(path));
    s = open_ok(path, NULL, &st);
    if (s == NULL)
        return;
    CHECK_EQ_S(mw_source_name(s), name);
    CHECK_EQ_S(mw_source_path(s), path);
    CHECK_EQ_U(mw_source_linktype(s), 1);
    CHECK(!mw_source_is_live(s));
    CHECK_EQ_U(mw_source_is_gzip(s), gz);
    expect_ref_packets(s, 3);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    mw_source_close(s);

    CHECK_EQ_U(st.inputs_opened, 1);
    CHECK_EQ_U(st.inputs_failed, 0);
    CHECK_EQ_U(st.inputs_damaged, 0);
    CHECK_EQ_U(st.inputs_gzip, gz ? 1 : 0);
    CHECK_EQ_U(st.packets, 3);
    CHECK_EQ_U(st.bytes, 60 + 42 + 1514);
    CHECK_EQ_U(st.bytes_captured, 60 + 42 + 100);
    CHECK_EQ_U(st.packets_snaplen_cut, 1);
    CHECK_EQ_U(st.packets_filtered_out, 0);
}

static void test_pcap_le(void) { check_ref_file("le.pcap", false, false, false); }
static void test_pcap_be(void) { check_ref_file("be.pcap", true, false, false); }
static void test_pcap_ns(void) { check_ref_file("ns.pcap", false, true, false); }
static void test_pcap_ns_be(void) { check_ref_file("ns-be.pcap", true, true, false); }
static void test_pcap_gzip(void) { check_ref_file("le.pcap.gz", false, false, true); }
/* The format is told by the bytes, not the name. */
static void test_gzip_misnamed(void) { check_ref_file("plain-name.pcap", false, false, true); }

/* ---- pcapng ---------------------------------------------------------------- */

static void pcapng_shb(tbuf *t)
{
    put_u32(t, 0x0a0d0d0au, false);
    put_u32(t, 28, false);
    put_u32(t, 0x1a2b3c4du, false);  /* byte-order magic */
    put_u16(t, 1, false);
    put_u16(t, 0, false);
    put_u32(t, 0xffffffffu, false);  /* section length: unknown */
    put_u32(t, 0xffffffffu, false);
    put_u32(t, 28, false);
}

/* tsresol: 0 = no option (microseconds), else the if_tsresol byte. */
static void pcapng_idb(tbuf *t, uint8_t tsresol)
{
    uint32_t len = tsresol ? 32 : 20;

    put_u32(t, 1, false);
    put_u32(t, len, false);
    put_u16(t, 1, false);      /* LINKTYPE_ETHERNET */
    put_u16(t, 0, false);
    put_u32(t, 65535, false);
    if (tsresol) {
        put_u16(t, 9, false);  /* if_tsresol */
        put_u16(t, 1, false);
        put_u8(t, tsresol);
        put_u8(t, 0);
        put_u8(t, 0);
        put_u8(t, 0);
        put_u16(t, 0, false);  /* opt_endofopt */
        put_u16(t, 0, false);
    }
    put_u32(t, len, false);
}

static void pcapng_epb(tbuf *t, uint64_t ts, const uint8_t *data, uint32_t caplen,
                       uint32_t wirelen)
{
    uint32_t pad = (4 - caplen % 4) % 4;
    uint32_t len = 32 + caplen + pad;
    static const uint8_t zeros[3] = {0, 0, 0};

    put_u32(t, 6, false);
    put_u32(t, len, false);
    put_u32(t, 0, false);  /* interface 0 */
    put_u32(t, (uint32_t)(ts >> 32), false);
    put_u32(t, (uint32_t)ts, false);
    put_u32(t, caplen, false);
    put_u32(t, wirelen, false);
    put_bytes(t, data, caplen);
    put_bytes(t, zeros, pad);
    put_u32(t, len, false);
}

static void check_pcapng(const char *name, uint8_t tsresol)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX];
    mw_source_packet p;
    uint8_t data[100];
    tbuf t = {0};
    mw_source *s;

    pcapng_shb(&t);
    pcapng_idb(&t, tsresol);
    for (int i = 0; i < 2; i++) {
        /* ts in the interface's unit: us by default, ns for tsresol 9;
         * ns values carry 999 extra ns that must be dropped, not rounded. */
        uint64_t ts = tsresol == 9 ? ref_ts[i] * 1000 + 999 : ref_ts[i];
        ref_data(i, data, ref_cap[i]);
        pcapng_epb(&t, ts, data, ref_cap[i], ref_wire[i]);
    }
    path_in(path, name);
    write_file(path, t.b, t.n);
    tbuf_free(&t);

    CHECK(mw_capture_file_looks_like_capture(path));
    s = open_ok(path, NULL, &st);
    if (s == NULL)
        return;
    CHECK_EQ_U(mw_source_linktype(s), 1);
    expect_ref_packets(s, 2);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    mw_source_close(s);
    CHECK_EQ_U(st.packets, 2);
    CHECK_EQ_U(st.bytes, 102);
    CHECK_EQ_U(st.inputs_damaged, 0);
}

static void test_pcapng(void) { check_pcapng("mini.pcapng", 0); }
static void test_pcapng_ns(void) { check_pcapng("mini-ns.pcapng", 9); }

/* ---- damaged files ------------------------------------------------------- */

/* want_place: what follows "<path>: ", computed from the layout. */
static void check_truncated(const char *name, size_t cut, const char *want_place)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX], want[PATH_MAX + 64];
    mw_source_packet p;
    tbuf t = {0};
    mw_source *s;

    build_ref_pcap(&t, false, false);
    CHECK_EQ_U(t.n, 274);  /* 24 + (16+60) + (16+42) + (16+100) */
    path_in(path, name);
    write_file(path, t.b, cut);
    tbuf_free(&t);

    s = open_ok(path, NULL, &st);
    if (s == NULL)
        return;
    expect_ref_packets(s, 2);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_ERROR);
    snprintf(want, sizeof(want), "%s: %s (libpcap: ", path, want_place);
    CHECK(strncmp(mw_source_error(s), want, strlen(want)) == 0);
    if (strncmp(mw_source_error(s), want, strlen(want)) != 0)
        fprintf(stderr, "  error was: %s\n", mw_source_error(s));
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    mw_source_close(s);
    CHECK_EQ_U(st.inputs_damaged, 1);
    CHECK_EQ_U(st.inputs_opened, 1);
    CHECK_EQ_U(st.packets, 2);
}

/* Cut 50 bytes into the third record's 100 bytes of data. */
static void test_truncated_data(void)
{
    /* Record 3 starts at 24 + 76 + 58 = 158 and is 16 + 100 bytes long. */
    check_truncated("cut-data.pcap", 24 + 76 + 58 + 16 + 50,
                    "byte 224, packet 3: truncated record (66 of 116 bytes)");
}

/* Cut inside the third record's 16-byte header. */
static void test_truncated_header(void)
{
    check_truncated("cut-hdr.pcap", 24 + 76 + 58 + 8,
                    "byte 166, packet 3: truncated record header (8 of 16 bytes)");
}

/*
 * pcapng cut or mangled at known places. Layout: SHB 28 bytes at 0
 * (block 1), IDB 20 at 28 (block 2), two EPBs of 32 + 60 = 92 bytes at 48
 * and 140 (blocks 3 and 4); 232 bytes in all.
 */
static void build_ng_damage(tbuf *t)
{
    uint8_t data[60];

    memset(data, 0x11, sizeof(data));
    pcapng_shb(t);
    pcapng_idb(t, 0);
    pcapng_epb(t, 1000000, data, 60, 60);
    pcapng_epb(t, 2000000, data, 60, 60);
}

/* Opens path, reads want_packets packets, then expects an error that
 * starts with "<path>: <want_rest>". */
static void expect_damage_at(const char *path, uint64_t want_packets, const char *want_rest)
{
    mw_capture_stats st = {0};
    char want[PATH_MAX + 256], err[MW_CAPTURE_ERRLEN] = "";
    mw_source_packet p;
    uint64_t got = 0;
    mw_source_status rc;
    mw_source *s = mw_source_open_file(path, NULL, &st, err, sizeof(err));

    snprintf(want, sizeof(want), "%s: %s", path, want_rest);
    if (s == NULL) {
        CHECK_EQ_U(want_packets, 0);
        CHECK(strncmp(err, want, strlen(want)) == 0);
        if (strncmp(err, want, strlen(want)) != 0)
            fprintf(stderr, "  open error was: %s\n", err);
        CHECK_EQ_U(st.inputs_failed, 1);
        return;
    }
    while ((rc = mw_source_next(s, &p)) == MW_SOURCE_PACKET)
        got++;
    CHECK_EQ_U(rc, MW_SOURCE_ERROR);
    CHECK_EQ_U(got, want_packets);
    CHECK(strncmp(mw_source_error(s), want, strlen(want)) == 0);
    if (strncmp(mw_source_error(s), want, strlen(want)) != 0)
        fprintf(stderr, "  error was: %s\n", mw_source_error(s));
    mw_source_close(s);
    CHECK_EQ_U(st.inputs_damaged, 1);
}

static void test_pcapng_damage_places(void)
{
    char path[PATH_MAX];
    tbuf t = {0};

    build_ng_damage(&t);
    CHECK_EQ_U(t.n, 232);

    /* Inside the section header: the open fails, naming it. */
    path_in(path, "cut-shb.pcapng");
    write_file(path, t.b, 20);
    expect_damage_at(path, 0, "byte 20, block 1 (Section Header): "
                              "truncated block (20 of 28 bytes)");
    /* Inside the IDB's block header (3 of its 8 bytes). */
    path_in(path, "cut-idb.pcapng");
    write_file(path, t.b, 31);
    expect_damage_at(path, 0, "byte 31, block 2 (type not read): "
                              "truncated block header (3 of 8 bytes)");
    /* 50 bytes into the second EPB: the first packet is still read. */
    path_in(path, "cut-epb.pcapng");
    write_file(path, t.b, 190);
    expect_damage_at(path, 1, "byte 190, block 4 (Enhanced Packet): "
                              "truncated block (50 of 92 bytes)");
    /* The same file inside gzip: offsets are of the decompressed stream. */
    path_in(path, "cut-epb.pcapng.gz");
    write_gz(path, t.b, 190);
    expect_damage_at(path, 1, "byte 190, block 4 (Enhanced Packet): "
                              "truncated block (50 of 92 bytes)");
    /* The first EPB says 13 bytes: libpcap stops after its 8-byte block
     * header, at 48 + 8, with its own words. */
    t.b[48 + 4] = 13;
    t.b[48 + 5] = t.b[48 + 6] = t.b[48 + 7] = 0;
    path_in(path, "badlen.pcapng");
    write_file(path, t.b, t.n);
    expect_damage_at(path, 0, "byte 56, block 3 (Enhanced Packet): block in pcapng");
    tbuf_free(&t);

    /* Two big-endian sections (SHB, IDB, EPB of 60 bytes each: 140
     * bytes), cut 30 bytes before the end: block 6, the second EPB, at
     * 140 + 48 = 188, has 62 of its 92 bytes. */
    for (int sec = 0; sec < 2; sec++) {
        static const uint8_t data[60];
        put_u32(&t, 0x0a0d0d0au, true);
        put_u32(&t, 28, true);
        put_u32(&t, 0x1a2b3c4du, true);
        put_u16(&t, 1, true);
        put_u16(&t, 0, true);
        put_u32(&t, 0xffffffffu, true);
        put_u32(&t, 0xffffffffu, true);
        put_u32(&t, 28, true);
        put_u32(&t, 1, true);
        put_u32(&t, 20, true);
        put_u16(&t, 1, true);
        put_u16(&t, 0, true);
        put_u32(&t, 65535, true);
        put_u32(&t, 20, true);
        put_u32(&t, 6, true);
        put_u32(&t, 92, true);
        for (int i = 0; i < 5; i++)
            put_u32(&t, i < 3 ? 0 : 60, true);
        put_bytes(&t, data, sizeof data);
        put_u32(&t, 92, true);
    }
    CHECK_EQ_U(t.n, 280);
    path_in(path, "cut-be.pcapng");
    write_file(path, t.b, t.n - 30);
    expect_damage_at(path, 1, "byte 250, block 6 (Enhanced Packet): "
                              "truncated block (62 of 92 bytes)");
    tbuf_free(&t);
}

/* 200 packets of 1000 pseudo-random bytes: the gzip stays large. */
static void build_big_pcap(tbuf *t)
{
    uint8_t data[1000];
    uint32_t x = 12345;

    pcap_global(t, false, false, 1);
    for (uint32_t i = 0; i < 200; i++) {
        for (size_t j = 0; j < sizeof(data); j++) {
            x = x * 1103515245u + 12345u;
            data[j] = (uint8_t)(x >> 16);
        }
        pcap_record(t, false, 1700000000u + i, 0, data, sizeof(data), sizeof(data));
    }
}

static void test_truncated_gzip(void)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX], gzpath[PATH_MAX], want[PATH_MAX + 64];
    mw_source_packet p;
    mw_source_status rc;
    uint64_t got = 0;
    uint8_t *gz;
    size_t gzlen;
    tbuf t = {0};
    mw_source *s;

    build_big_pcap(&t);
    path_in(gzpath, "big-full.pcap.gz");
    write_gz(gzpath, t.b, t.n);
    tbuf_free(&t);
    gz = read_all(gzpath, &gzlen);
    CHECK(gzlen > 100000);  /* random bytes do not compress */
    path_in(path, "big-cut.pcap.gz");
    write_file(path, gz, gzlen / 2);

    s = open_ok(path, NULL, &st);
    if (s != NULL) {
        CHECK(mw_source_is_gzip(s));
        while ((rc = mw_source_next(s, &p)) == MW_SOURCE_PACKET) {
            got++;
            CHECK_EQ_U(p.number, got);
            CHECK_EQ_U(p.ts_us, (1700000000ull + got - 1) * 1000000ull);
        }
        CHECK_EQ_U(rc, MW_SOURCE_ERROR);
        /* Half of ~200 kB of records: somewhere around packet 100. */
        CHECK(got > 50 && got < 150);
        /* The byte is in the decompressed stream, inside record got + 1
         * (24-byte file header, records of 16 + 1000 bytes). */
        {
            unsigned long long byte = 0, pkt = 0;
            snprintf(want, sizeof(want), "%s: byte ", path);
            CHECK(strncmp(mw_source_error(s), want, strlen(want)) == 0);
            CHECK(sscanf(mw_source_error(s) + strlen(want), "%llu, packet %llu: ", &byte,
                         &pkt) == 2);
            CHECK_EQ_U(pkt, got + 1);
            CHECK(byte >= 24 + got * 1016 && byte < 24 + (got + 1) * 1016);
        }
        CHECK(strstr(mw_source_error(s), "unexpected end of file") != NULL);
        fprintf(stderr, "  (truncated gzip reports: %s)\n", mw_source_error(s));
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
        mw_source_close(s);
    }
    CHECK_EQ_U(st.inputs_damaged, 1);
    CHECK_EQ_U(st.inputs_gzip, 1);

    /* Flipped bytes mid-stream: zlib's data or CRC check must trip, or
     * libpcap must reject a mangled record; never a silent clean end. */
    memset(&st, 0, sizeof(st));
    for (size_t i = gzlen / 2; i < gzlen / 2 + 16; i++)
        gz[i] ^= 0x5a;
    path_in(path, "big-corrupt.pcap.gz");
    write_file(path, gz, gzlen);
    s = open_ok(path, NULL, &st);
    if (s != NULL) {
        got = 0;
        while ((rc = mw_source_next(s, &p)) == MW_SOURCE_PACKET)
            got++;
        CHECK_EQ_U(rc, MW_SOURCE_ERROR);
        /* Streamed: records decoded before the damage is detected (at the
         * latest by the member's CRC, after the last one) are delivered;
         * the error follows them. */
        CHECK(got <= 200);
        CHECK(strncmp(mw_source_error(s), path, strlen(path)) == 0);
        CHECK(strstr(mw_source_error(s), "gzip stream damaged: ") != NULL);
        fprintf(stderr, "  (corrupt gzip reports: %s)\n", mw_source_error(s));
        mw_source_close(s);
    }
    CHECK_EQ_U(st.inputs_damaged, 1);

    /* Only the 10-byte gzip header survives: nothing to read at all. */
    memset(&st, 0, sizeof(st));
    path_in(path, "gz-header-only.pcap.gz");
    write_file(path, gz, 10);
    {
        char err[MW_CAPTURE_ERRLEN] = "";
        s = mw_source_open_file(path, NULL, &st, err, sizeof(err));
        CHECK(s == NULL);
        mw_source_close(s);
        snprintf(want, sizeof(want), "%s: gzip stream damaged: ", path);
        CHECK(strncmp(err, want, strlen(want)) == 0);
        if (strncmp(err, want, strlen(want)) != 0)
            fprintf(stderr, "  error was: %s\n", err);
        CHECK_EQ_U(st.inputs_failed, 1);
    }
    free(gz);
}

static void expect_open_fails(const char *path, const mw_capture_config *cfg,
                              const char *want_err, mw_capture_stats *st)
{
    char err[MW_CAPTURE_ERRLEN] = "";
    mw_source *s = mw_source_open_file(path, cfg, st, err, sizeof(err));

    CHECK(s == NULL);
    mw_source_close(s);
    CHECK_EQ_S(err, want_err);
}

static void test_not_captures(void)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX], want[PATH_MAX + 128];
    static const char text[] = "hello world, not a capture\n";
    static const uint8_t three[3] = {0xd4, 0xc3, 0xb2};

    path_in(path, "empty.pcap");
    write_file(path, "", 0);
    snprintf(want, sizeof(want), "%s: empty file", path);
    expect_open_fails(path, NULL, want, &st);
    CHECK(!mw_capture_file_looks_like_capture(path));

    path_in(path, "garbage.pcap");
    write_file(path, text, sizeof(text) - 1);
    /* "hell" = 68 65 6c 6c */
    snprintf(want, sizeof(want), "%s: not a pcap or pcapng file (magic 0x68656c6c)", path);
    expect_open_fails(path, NULL, want, &st);
    CHECK(!mw_capture_file_looks_like_capture(path));

    path_in(path, "three.pcap");
    write_file(path, three, sizeof(three));
    snprintf(want, sizeof(want), "%s: not a pcap or pcapng file (only 3 bytes)", path);
    expect_open_fails(path, NULL, want, &st);
    CHECK(!mw_capture_file_looks_like_capture(path));

    path_in(path, "text.gz");
    write_gz(path, text, sizeof(text) - 1);
    snprintf(want, sizeof(want),
             "%s: gzip-compressed, but not a pcap or pcapng file inside (magic 0x68656c6c)",
             path);
    expect_open_fails(path, NULL, want, &st);
    CHECK(!mw_capture_file_looks_like_capture(path));

    path_in(path, "empty.gz");
    write_gz(path, "", 0);
    snprintf(want, sizeof(want), "%s: empty file (gzip-compressed, nothing inside)", path);
    expect_open_fails(path, NULL, want, &st);

    path_in(path, "does-not-exist.pcap");
    snprintf(want, sizeof(want), "%s: No such file or directory", path);
    expect_open_fails(path, NULL, want, &st);
    CHECK(!mw_capture_file_looks_like_capture(path));

    snprintf(want, sizeof(want), "%s: is a directory, not a capture file", tmpdir);
    expect_open_fails(tmpdir, NULL, want, &st);
    CHECK(!mw_capture_file_looks_like_capture(tmpdir));

    /* A pcap header cut short: libpcap's own words after the path. */
    {
        tbuf t = {0};
        char err[MW_CAPTURE_ERRLEN] = "";
        mw_source *s;

        pcap_global(&t, false, false, 1);
        path_in(path, "short-header.pcap");
        write_file(path, t.b, 10);
        tbuf_free(&t);
        s = mw_source_open_file(path, NULL, &st, err, sizeof(err));
        CHECK(s == NULL);
        mw_source_close(s);
        {
            char wantp[PATH_MAX + 96];
            snprintf(wantp, sizeof(wantp),
                     "%s: byte 10, file header: truncated file header (10 of 24 bytes)", path);
            CHECK(strncmp(err, wantp, strlen(wantp)) == 0);
        }
    }

    CHECK_EQ_U(st.inputs_failed, 8);
    CHECK_EQ_U(st.inputs_opened, 0);
}

/* Timestamps past 2038 (pcap seconds >= 2^31) stay in the future. */
static void test_ts_after_2038(void)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX];
    mw_source_packet p;
    uint8_t data[60] = {0};
    tbuf t = {0};
    mw_source *s;

    pcap_global(&t, false, false, 1);
    pcap_record(&t, false, 0x80000000u, 7, data, 60, 60);
    pcap_record(&t, false, 0xffffffffu, 999999, data, 60, 60);
    path_in(path, "y2038.pcap");
    write_file(path, t.b, t.n);
    tbuf_free(&t);
    s = open_ok(path, NULL, &st);
    if (s == NULL)
        return;
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_PACKET);
    CHECK_EQ_U(p.ts_us, 2147483648000007ull);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_PACKET);
    CHECK_EQ_U(p.ts_us, 4294967295999999ull);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    mw_source_close(s);
}

/* ---- BPF filters ----------------------------------------------------------- */

/* Ethernet + IPv4 (20 bytes) + UDP (8) or TCP (20), no payload. */
static void eth_ipv4(tbuf *t, uint8_t proto, uint16_t ip_len)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6};

    put_bytes(t, macs, sizeof(macs));
    put_u16(t, 0x0800, true);
    put_u8(t, 0x45);
    put_u8(t, 0);
    put_u16(t, ip_len, true);
    put_u16(t, 1, true);     /* id */
    put_u16(t, 0x4000, true);/* DF */
    put_u8(t, 64);
    put_u8(t, proto);
    put_u16(t, 0, true);     /* checksum: BPF does not care */
    put_u32(t, 0x0a000001u, true);
    put_u32(t, 0x0a000002u, true);
}

static void build_udp_tcp(tbuf *udp, tbuf *tcp)
{
    eth_ipv4(udp, 17, 28);
    put_u16(udp, 5353, true);
    put_u16(udp, 53, true);
    put_u16(udp, 8, true);
    put_u16(udp, 0, true);

    eth_ipv4(tcp, 6, 40);
    put_u16(tcp, 40000, true);
    put_u16(tcp, 443, true);
    put_u32(tcp, 1000, true);
    put_u32(tcp, 0, true);
    put_u8(tcp, 0x50);
    put_u8(tcp, 0x02);       /* SYN */
    put_u16(tcp, 65535, true);
    put_u32(tcp, 0, true);   /* checksum, urgent */
}

static void test_bpf_filter(void)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX], want[PATH_MAX + 128];
    mw_capture_config cfg = {0};
    tbuf udp = {0}, tcp = {0}, t = {0};
    mw_source_packet p;
    mw_source *s;

    build_udp_tcp(&udp, &tcp);
    CHECK_EQ_U(udp.n, 42);
    CHECK_EQ_U(tcp.n, 54);
    pcap_global(&t, false, false, 1);
    pcap_record(&t, false, 1700000000u, 10, udp.b, (uint32_t)udp.n, (uint32_t)udp.n);
    pcap_record(&t, false, 1700000000u, 20, tcp.b, (uint32_t)tcp.n, (uint32_t)tcp.n);
    path_in(path, "udp-tcp.pcap");
    write_file(path, t.b, t.n);
    tbuf_free(&t);

    s = open_ok(path, "tcp", &st);
    if (s != NULL) {
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_PACKET);
        CHECK_EQ_U(p.number, 2);  /* the UDP record was number 1 */
        CHECK_EQ_U(p.ts_us, 1700000000000020ull);
        CHECK_EQ_U(p.caplen, 54);
        if (p.caplen == 54)
            CHECK_MEM(p.data, tcp.b, 54);
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
        mw_source_close(s);
    }
    CHECK_EQ_U(st.packets_filtered_out, 1);
    CHECK_EQ_U(st.packets, 2);

    memset(&st, 0, sizeof(st));
    s = open_ok(path, "udp port 53", &st);
    if (s != NULL) {
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_PACKET);
        CHECK_EQ_U(p.number, 1);
        CHECK_EQ_U(p.caplen, 42);
        if (p.caplen == 42)
            CHECK_MEM(p.data, udp.b, 42);
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
        mw_source_close(s);
    }
    CHECK_EQ_U(st.packets_filtered_out, 1);

    /* An empty filter means no filter. */
    memset(&st, 0, sizeof(st));
    s = open_ok(path, "", &st);
    if (s != NULL) {
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_PACKET);
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_PACKET);
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
        mw_source_close(s);
    }
    CHECK_EQ_U(st.packets_filtered_out, 0);

    memset(&st, 0, sizeof(st));
    cfg.filter = "tcp and and";
    {
        char err[MW_CAPTURE_ERRLEN] = "";
        s = mw_source_open_file(path, &cfg, &st, err, sizeof(err));
        CHECK(s == NULL);
        mw_source_close(s);
        snprintf(want, sizeof(want), "%s: bad filter expression 'tcp and and': ", path);
        CHECK(strncmp(err, want, strlen(want)) == 0);
        CHECK(strlen(err) > strlen(want));  /* libpcap said why */
        if (strncmp(err, want, strlen(want)) != 0)
            fprintf(stderr, "  error was: %s\n", err);
    }
    CHECK_EQ_U(st.inputs_failed, 1);
    CHECK_EQ_U(st.inputs_opened, 0);
    (void)want;
    tbuf_free(&udp);
    tbuf_free(&tcp);
}

/* ---- stop, stdin ------------------------------------------------------------- */

static void test_stop_file(void)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX];
    mw_source_packet p;
    tbuf t = {0};
    mw_source *s;

    build_ref_pcap(&t, false, false);
    path_in(path, "stop.pcap");
    write_file(path, t.b, t.n);
    tbuf_free(&t);
    s = open_ok(path, NULL, &st);
    if (s == NULL)
        return;
    expect_ref_packets(s, 1);
    mw_source_stop(s);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    mw_source_close(s);
    CHECK_EQ_U(st.packets, 1);
}

static void test_stdin(void)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX];
    mw_source_packet p;
    tbuf t = {0};
    mw_source *s;
    int saved, fd;

    build_ref_pcap(&t, false, false);
    path_in(path, "stdin.pcap.gz");
    write_gz(path, t.b, t.n);
    tbuf_free(&t);

    saved = dup(STDIN_FILENO);
    fd = open(path, O_RDONLY);
    CHECK(saved >= 0 && fd >= 0);
    if (saved < 0 || fd < 0)
        return;
    dup2(fd, STDIN_FILENO);
    close(fd);
    s = open_ok("-", NULL, &st);
    if (s != NULL) {
        CHECK_EQ_S(mw_source_name(s), "stdin");
        CHECK_EQ_S(mw_source_path(s), "-");
        CHECK(mw_source_is_gzip(s));
        expect_ref_packets(s, 3);
        CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
        mw_source_close(s);
    }
    /* Closing the source must not have closed descriptor 0 itself. */
    CHECK(fcntl(STDIN_FILENO, F_GETFD) != -1);
    dup2(saved, STDIN_FILENO);
    close(saved);
    CHECK_EQ_U(st.inputs_gzip, 1);
}

/* ---- directories ----------------------------------------------------------- */

static void test_list_dir(void)
{
    mw_capture_stats st = {0};
    char dir[PATH_MAX], path[PATH_MAX + 32], want[PATH_MAX + 96], err[MW_CAPTURE_ERRLEN];
    char **paths = NULL;
    tbuf t = {0};
    int n;

    build_ref_pcap(&t, false, false);
    path_in(dir, "dir");
    CHECK(mkdir(dir, 0700) == 0);
    snprintf(path, sizeof(path), "%s/b.pcap", dir);
    write_file(path, t.b, t.n);
    snprintf(path, sizeof(path), "%s/a.pcap.gz", dir);
    write_gz(path, t.b, t.n);
    snprintf(path, sizeof(path), "%s/.hidden.pcap", dir);
    write_file(path, t.b, t.n);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    write_file(path, "not a capture\n", 14);
    snprintf(path, sizeof(path), "%s/sub.pcap", dir);
    CHECK(mkdir(path, 0700) == 0);
    tbuf_free(&t);

    n = mw_capture_list_dir(dir, &st, &paths, err, sizeof(err));
    CHECK_EQ_U(n, 2);
    if (n == 2) {
        snprintf(want, sizeof(want), "%s/a.pcap.gz", dir);
        CHECK_EQ_S(paths[0], want);
        snprintf(want, sizeof(want), "%s/b.pcap", dir);
        CHECK_EQ_S(paths[1], want);
    }
    CHECK_EQ_U(st.dir_entries_skipped, 1);
    mw_capture_free_paths(paths, n);

    /* A trailing slash does not double up. */
    snprintf(path, sizeof(path), "%s/", dir);
    n = mw_capture_list_dir(path, &st, &paths, err, sizeof(err));
    CHECK_EQ_U(n, 2);
    if (n == 2) {
        snprintf(want, sizeof(want), "%s/a.pcap.gz", dir);
        CHECK_EQ_S(paths[0], want);
    }
    mw_capture_free_paths(paths, n);

    snprintf(path, sizeof(path), "%s/no-such-dir", dir);
    n = mw_capture_list_dir(path, &st, &paths, err, sizeof(err));
    CHECK_EQ_U((uint64_t)(int64_t)n, (uint64_t)(int64_t)-1);
    CHECK(paths == NULL);
    snprintf(want, sizeof(want), "%s: No such file or directory", path);
    CHECK_EQ_S(err, want);

    /* An empty directory: zero files, not an error. */
    snprintf(path, sizeof(path), "%s/sub.pcap", dir);
    n = mw_capture_list_dir(path, &st, &paths, err, sizeof(err));
    CHECK_EQ_U(n, 0);
    mw_capture_free_paths(paths, n);
}

/* ---- real captures ---------------------------------------------------------- */

static const char *shared_dir(void)
{
    const char *d = getenv("MW_SHARED");
    return d != NULL && *d ? d : "../shared";
}

/*
 * Expected values come from a 20-line Python script run once by hand
 * (struct.unpack over the pcap record headers, or over pcapng block
 * headers counting EPB/SPB/PB blocks); nothing here asks libpcap.
 */
static void check_corpus(const char *name, uint64_t packets, uint64_t first_ts,
                         uint32_t first_caplen)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX];
    mw_source_packet p;
    mw_source_status rc;
    uint64_t n = 0;
    mw_source *s;

    snprintf(path, sizeof(path), "%s/corpus/ndpi/pcap/%s", shared_dir(), name);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "%s: missing (set MW_SHARED to the shared/ directory)\n", path);
        CHECK(!"corpus file missing");
        return;
    }
    CHECK(mw_capture_file_looks_like_capture(path));
    s = open_ok(path, NULL, &st);
    if (s == NULL)
        return;
    CHECK_EQ_S(mw_source_name(s), name);
    while ((rc = mw_source_next(s, &p)) == MW_SOURCE_PACKET) {
        n++;
        CHECK_EQ_U(p.number, n);
        if (n == 1 && first_ts != 0) {
            CHECK_EQ_U(p.ts_us, first_ts);
            CHECK_EQ_U(p.caplen, first_caplen);
        }
    }
    CHECK_EQ_U(rc, MW_SOURCE_END);
    if (rc == MW_SOURCE_ERROR)
        fprintf(stderr, "  %s\n", mw_source_error(s));
    CHECK_EQ_U(n, packets);
    CHECK_EQ_U(st.packets, packets);
    mw_source_close(s);
}

static void test_corpus(void)
{
    /* Little-endian pcap, one 1506-byte record at 1581109434.258190. */
    check_corpus("443-chrome.pcap", 1, 1581109434258190ull, 1506);
    /* Big-endian pcap (a1 b2 c3 d4): 156 records, first 944207338.400000. */
    check_corpus("nfsv2.pcap", 156, 944207338400000ull, 106);
    /* Nanosecond pcap: first record 1559741544 s + 964106975 ns. */
    check_corpus("someip_sd_sample.pcap", 6, 1559741544964106ull, 114);
    /* pcapng: 4 Enhanced Packet Blocks. */
    check_corpus("dlep.pcapng", 4, 0, 0);
}

/*
 * A fuzzed file (239 bytes): a version 2.0 header, then one record whose
 * length fields say caplen 524501, len 197. Files older than 2.3 had the
 * two swapped, so libpcap swaps them back: caplen 197, len 524501, the
 * 197 bytes are there, and 2 stray bytes follow (24 + 16 + 197 = 237):
 * packet 1 reads, packet 2 is a truncated record header.
 */
static void test_corpus_damaged(void)
{
    mw_capture_stats st = {0};
    char path[PATH_MAX], want[PATH_MAX + 128];
    mw_source_packet p;
    mw_source *s;

    snprintf(path, sizeof(path), "%s/corpus/ndpi/pcap/fuzz-2021-10-13.pcap", shared_dir());
    if (access(path, R_OK) != 0) {
        CHECK(!"corpus file missing");
        return;
    }
    s = open_ok(path, NULL, &st);
    if (s == NULL)
        return;
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_PACKET);
    CHECK_EQ_U(p.caplen, 197);
    CHECK_EQ_U(p.wirelen, 524501);
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_ERROR);
    /* Record 2 starts at 24 + 16 + 197 = 237; the file has 239 bytes. */
    snprintf(want, sizeof(want),
             "%s: byte 239, packet 2: truncated record header (2 of 16 bytes) (libpcap: ",
             path);
    CHECK(strncmp(mw_source_error(s), want, strlen(want)) == 0);
    fprintf(stderr, "  (fuzzed corpus file reports: %s)\n", mw_source_error(s));
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    mw_source_close(s);
    CHECK_EQ_U(st.inputs_damaged, 1);
    CHECK_EQ_U(st.packets, 1);
    CHECK_EQ_U(st.packets_snaplen_cut, 1);
}

/* ---- live ------------------------------------------------------------------- */

static void test_live_no_such_interface(void)
{
    mw_capture_stats st = {0};
    mw_capture_config cfg = {.snaplen = 0, .promisc = false, .buffer_mib = 0,
                             .filter = NULL};
    char err[MW_CAPTURE_ERRLEN] = "";
    mw_source *s = mw_source_open_live("mw-no-such-if0", &cfg, &st, err, sizeof(err));

    CHECK(s == NULL);
    mw_source_close(s);
    CHECK(strncmp(err, "mw-no-such-if0: ", 16) == 0);
    fprintf(stderr, "  (no such interface reports: %s)\n", err);
    CHECK_EQ_U(st.inputs_failed, 1);
    CHECK_EQ_U(st.inputs_opened, 0);
}

static mw_source *volatile alarm_src;
static volatile sig_atomic_t alarm_count;

static void on_alarm(int sig)
{
    static const char msg[] = "test_capture: mw_source_stop() did not end the read\n";

    (void)sig;
    if (alarm_count++ == 0 && alarm_src != NULL) {
        mw_source_stop(alarm_src);
        alarm(5);  /* watchdog: a stop that does not work must not hang CI */
        return;
    }
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    _exit(1);
}

static void test_live_loopback(void)
{
    static const char payload[] = "mitmwatch-live-test";
    const size_t plen = sizeof(payload) - 1;
    mw_capture_stats st = {0};
    mw_capture_config cfg = {.snaplen = 0, .promisc = false, .buffer_mib = 2,
                             .filter = NULL};
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    char err[MW_CAPTURE_ERRLEN] = "", filter[64];
    mw_source_packet p;
    mw_source_status rc = MW_SOURCE_IDLE;
    int rx, tx, tries;
    mw_source *s;

    /* A bound receiver gives a free port and avoids ICMP unreachables. */
    rx = socket(AF_INET, SOCK_DGRAM, 0);
    tx = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(rx >= 0 && tx >= 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(rx, (struct sockaddr *)&addr, sizeof(addr)) == 0);
    CHECK(getsockname(rx, (struct sockaddr *)&addr, &alen) == 0);
    snprintf(filter, sizeof(filter), "udp port %u", ntohs(addr.sin_port));
    cfg.filter = filter;

    s = mw_source_open_live("lo", &cfg, &st, err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "  SKIP live loopback capture: %s\n", err);
        close(rx);
        close(tx);
        return;
    }
    CHECK(mw_source_is_live(s));
    CHECK_EQ_S(mw_source_name(s), "lo");
    CHECK_EQ_U(mw_source_linktype(s), 1);  /* Linux lo is DLT_EN10MB */
    CHECK_EQ_U(st.inputs_opened, 1);

    CHECK(sendto(tx, payload, plen, 0, (struct sockaddr *)&addr, sizeof(addr)) ==
          (ssize_t)plen);
    /* 200 ms read timeout: 50 tries is 10 s, far more than needed. */
    for (tries = 0; tries < 50; tries++) {
        rc = mw_source_next(s, &p);
        if (rc != MW_SOURCE_IDLE)
            break;
    }
    CHECK_EQ_U(rc, MW_SOURCE_PACKET);
    if (rc == MW_SOURCE_PACKET) {
        /* 14 Ethernet + 20 IPv4 + 8 UDP, then our bytes. */
        CHECK_EQ_U(p.wirelen, 42 + plen);
        CHECK_EQ_U(p.caplen, 42 + plen);
        CHECK_EQ_U(p.number, 1);
        if (p.caplen == 42 + plen)
            CHECK_MEM(p.data + 42, payload, plen);
    }
    /*
     * Nothing else matches the filter, and on Linux (TPACKET_V3) an idle
     * read may block past its timeout; mw_source_stop() from a signal
     * handler must still end it, as SIGINT will in real use.
     */
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_alarm;  /* no SA_RESTART, like a plain handler */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, NULL);
        alarm_src = s;
        alarm_count = 0;
        alarm(1);
        do {
            rc = mw_source_next(s, &p);
        } while (rc == MW_SOURCE_IDLE);
        alarm(0);
        alarm_src = NULL;
        signal(SIGALRM, SIG_DFL);
        CHECK_EQ_U(rc, MW_SOURCE_END);
        CHECK_EQ_U(alarm_count, 1);
    }
    CHECK_EQ_U(mw_source_next(s, &p), MW_SOURCE_END);
    mw_source_add_drop_stats(s, &st);
    CHECK(st.pcap_received >= 1);
    CHECK_EQ_U(st.pcap_dropped, 0);
    mw_source_close(s);
    CHECK_EQ_U(st.packets, 1);
    CHECK_EQ_U(st.bytes, 42 + plen);
    close(rx);
    close(tx);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_pcap_le);
    RUN(test_pcap_be);
    RUN(test_pcap_ns);
    RUN(test_pcap_ns_be);
    RUN(test_pcap_gzip);
    RUN(test_gzip_misnamed);
    RUN(test_pcapng);
    RUN(test_pcapng_ns);
    RUN(test_truncated_data);
    RUN(test_truncated_header);
    RUN(test_truncated_gzip);
    RUN(test_pcapng_damage_places);
    RUN(test_not_captures);
    RUN(test_ts_after_2038);
    RUN(test_bpf_filter);
    RUN(test_stop_file);
    RUN(test_stdin);
    RUN(test_list_dir);
    RUN(test_corpus);
    RUN(test_corpus_damaged);
    RUN(test_live_no_such_interface);
    RUN(test_live_loopback);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
