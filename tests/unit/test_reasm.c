/*
 * test_reasm.c - TCP reassembly: ordering, overlaps, gaps, caps, memory.
 *
 * Expected bytes come from the test's own pattern functions; expected
 * counters and offsets are worked out by hand in the comments.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flow/decode.h"
#include "flow/reasm.h"

#define SYN MW_TCP_SYN
#define FIN MW_TCP_FIN
#define ACK MW_TCP_ACK

static mw_reasm_stats st;

static mw_reasm *mk(uint32_t max_stream, uint64_t memcap, uint32_t max_ahead)
{
    mw_reasm_config cfg = {max_stream, memcap, max_ahead};

    memset(&st, 0, sizeof(st));
    return mw_reasm_new(&cfg, &st);
}

static mw_reasm *mk_default(void)
{
    return mk(1024u * 1024u, 64ull * 1024u * 1024u, 256u * 1024u);
}

static mw_reasm_result seg(mw_reasm *r, mw_tcp_stream *s, uint32_t seq, uint8_t flags,
                           const void *p, size_t n)
{
    mw_cursor c;

    mw_cursor_init(&c, p, n);
    return mw_reasm_segment(r, s, seq, flags, c);
}

static mw_reasm_result sstr(mw_reasm *r, mw_tcp_stream *s, uint32_t seq, const char *str)
{
    return seg(r, s, seq, ACK, str, strlen(str));
}

static uint8_t pat(uint32_t i)
{
    return (uint8_t)(i * 13u + 5u);
}

/* Sends pattern bytes [from, to) of the stream as one segment. */
static mw_reasm_result spat(mw_reasm *r, mw_tcp_stream *s, uint32_t isn, uint32_t from,
                            uint32_t to)
{
    uint8_t *b = malloc(to - from + 1);
    mw_reasm_result res;

    for (uint32_t i = from; i < to; i++)
        b[i - from] = pat(i);
    res = seg(r, s, isn + from, ACK, b, to - from);
    free(b);
    return res;
}

static bool view_is_pat(const mw_tcp_stream *s, uint32_t from, uint32_t to)
{
    mw_cursor v = mw_reasm_view(s);

    if (mw_cursor_len(&v) < to)
        return false;
    for (uint32_t i = from; i < to; i++) {
        uint8_t b;

        if (!mw_cursor_peek_u8(&v, i, &b) || b != pat(i))
            return false;
    }
    return true;
}

static bool view_is_zero(const mw_tcp_stream *s, uint32_t from, uint32_t to)
{
    mw_cursor v = mw_reasm_view(s);

    if (mw_cursor_len(&v) < to)
        return false;
    for (uint32_t i = from; i < to; i++) {
        uint8_t b;

        if (!mw_cursor_peek_u8(&v, i, &b) || b != 0)
            return false;
    }
    return true;
}

static bool view_eq(const mw_tcp_stream *s, const char *str)
{
    mw_cursor v = mw_reasm_view(s);

    return mw_cursor_equals(&v, str, strlen(str));
}

static void done(mw_reasm *r, mw_tcp_stream *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mw_reasm_release(r, &s[i]);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 0);
    mw_reasm_free(r);
}

static void test_in_order(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    res = seg(r, &s, 1000, SYN, NULL, 0);
    CHECK(s.isn_known && s.syn_seen);
    CHECK_EQ_U(s.isn, 1001);
    CHECK(!res.new_data);
    res = sstr(r, &s, 1001, "Hello, ");
    CHECK(res.new_data);
    res = sstr(r, &s, 1008, "TLS ");
    CHECK(res.new_data);
    res = sstr(r, &s, 1012, "world");
    CHECK(res.new_data);
    CHECK(view_eq(&s, "Hello, TLS world"));
    CHECK_EQ_U(s.contiguous, 16);
    CHECK_EQ_U(s.highest, 16);
    CHECK_EQ_U(st.segments, 3);
    CHECK_EQ_U(st.bytes_delivered, 16);
    CHECK_EQ_U(st.out_of_order, 0);
    CHECK_EQ_U(st.gaps, 0);
    CHECK_EQ_U(s.buf_size, MW_REASM_MIN_BUFFER);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 4096);
    CHECK_EQ_U(st.buffer_peak_bytes, 4096);
    done(r, &s, 1);
}

static void test_out_of_order(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    seg(r, &s, 0, SYN, NULL, 0); /* isn 1 */
    res = sstr(r, &s, 1, "AAAA");
    CHECK(res.new_data);
    res = sstr(r, &s, 9, "CCCC"); /* offset 8, hole [4,8) */
    CHECK(!res.new_data);
    CHECK_EQ_U(s.contiguous, 4);
    CHECK_EQ_U(s.highest, 12);
    CHECK_EQ_U(s.nranges, 1);
    CHECK_EQ_U(s.ranges[0].start, 8);
    CHECK_EQ_U(s.ranges[0].end, 12);
    CHECK_EQ_U(st.out_of_order, 1);
    CHECK(view_eq(&s, "AAAA"));
    res = sstr(r, &s, 5, "BBBB");
    CHECK(res.new_data);
    CHECK_EQ_U(s.contiguous, 12);
    CHECK_EQ_U(s.nranges, 0);
    CHECK(view_eq(&s, "AAAABBBBCCCC"));
    CHECK_EQ_U(st.bytes_delivered, 12);
    CHECK_EQ_U(st.out_of_order, 1);
    CHECK_EQ_U(st.retransmissions, 0);
    done(r, &s, 1);
}

static void test_retransmission(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    sstr(r, &s, 500, "abcdefgh");
    res = sstr(r, &s, 502, "cdef");
    CHECK(!res.new_data && !res.inconsistent);
    res = sstr(r, &s, 500, "abcdefgh");
    CHECK(!res.new_data && !res.inconsistent);
    CHECK_EQ_U(st.retransmissions, 2);
    CHECK_EQ_U(st.overlaps_consistent, 0);
    CHECK_EQ_U(st.overlaps_inconsistent, 0);
    CHECK_EQ_U(st.bytes_delivered, 8);
    CHECK(view_eq(&s, "abcdefgh"));
    done(r, &s, 1);
}

static void test_inconsistent_overlap(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    sstr(r, &s, 100, "abcdefgh");
    res = sstr(r, &s, 102, "XYZ");
    CHECK(res.inconsistent);
    CHECK(!res.new_data);
    CHECK_EQ_U(st.overlaps_inconsistent, 1);
    CHECK_EQ_U(s.inconsistent_overlaps, 1);
    CHECK(view_eq(&s, "abcdefgh")); /* first copy wins */

    /* Against an island beyond a hole: offsets [20,24). */
    sstr(r, &s, 120, "QRST");
    res = sstr(r, &s, 120, "QRxT");
    CHECK(res.inconsistent);
    CHECK_EQ_U(st.overlaps_inconsistent, 2);
    CHECK_EQ_U(s.inconsistent_overlaps, 2);
    sstr(r, &s, 108, "ijklmnopqrst"); /* fills [8,20) */
    CHECK(view_eq(&s, "abcdefghijklmnopqrstQRST"));
    CHECK_EQ_U(st.retransmissions, 0);
    done(r, &s, 1);
}

static bool alt_eq(const mw_tcp_stream *s, const char *str)
{
    mw_cursor v;

    return mw_reasm_alt_view(s, &v) && mw_cursor_equals(&v, str, strlen(str));
}

/* Differing overlaps make a second version: the first differing later
 * copy of each byte, the rest (new bytes, islands) as the first version;
 * a third copy is not kept; the memcap counts against it. */
static void test_second_version(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_cursor v;

    sstr(r, &s, 100, "abcdefgh");
    sstr(r, &s, 100, "abcdefgh"); /* same bytes: no second version */
    CHECK(!mw_reasm_alt_view(&s, &v));
    CHECK_EQ_U(mw_cursor_len(&v), 0);
    CHECK_EQ_U(st.alt_versions, 0);
    sstr(r, &s, 103, "XYZ");
    CHECK(alt_eq(&s, "abcXYZgh"));
    CHECK_EQ_U(s.alt_from, 3);
    CHECK_EQ_U(st.alt_versions, 1);
    /* [1,2) and [6,7) differ anew, [4,6) differs already: kept. */
    sstr(r, &s, 101, "BcdQQQ");
    CHECK(alt_eq(&s, "aBcXYZQh"));
    CHECK_EQ_U(s.alt_from, 1);
    sstr(r, &s, 120, "QRST"); /* an island: both versions */
    sstr(r, &s, 108, "ijklmnopqrst");
    CHECK(view_eq(&s, "abcdefghijklmnopqrstQRST"));
    CHECK(alt_eq(&s, "aBcXYZQhijklmnopqrstQRST"));
    CHECK_EQ_U(st.alt_versions, 1);
    CHECK_EQ_U(st.overlaps_inconsistent, 2);
    /* Growing past the first buffer keeps both. */
    static char big[5000];
    memset(big, 'z', sizeof big);
    seg(r, &s, 124, ACK, big, sizeof big);
    CHECK_EQ_U(s.contiguous, 24 + sizeof big);
    CHECK(mw_reasm_alt_view(&s, &v));
    CHECK_EQ_U(mw_cursor_len(&v), 24 + sizeof big);
    CHECK(memcmp(mw_cursor_data(&v), "aBcXYZQhijklmnopqrstQRSTzz", 26) == 0);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 2 * 8192);
    done(r, &s, 1);

    /* A memcap with room for one buffer only: the first version stays. */
    r = mk(1024u * 1024u, 4096, 256u * 1024u);
    mw_tcp_stream t = {0};
    sstr(r, &t, 100, "abcdefgh");
    sstr(r, &t, 100, "abXdefgh");
    CHECK(!mw_reasm_alt_view(&t, &v));
    CHECK(t.alt_refused);
    CHECK_EQ_U(st.alt_refused, 1);
    CHECK_EQ_U(st.overlaps_inconsistent, 1);
    CHECK(view_eq(&t, "abcdefgh"));
    done(r, &t, 1);
}

static void test_partial_overlap(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    sstr(r, &s, 7, "abcdef");
    res = sstr(r, &s, 10, "defGHI");
    CHECK(res.new_data && !res.inconsistent);
    CHECK(view_eq(&s, "abcdefGHI"));
    CHECK_EQ_U(st.overlaps_consistent, 1);
    CHECK_EQ_U(st.retransmissions, 0);
    CHECK_EQ_U(st.bytes_delivered, 9);

    /* Differing overlap, new tail still taken: "Hx" differs from "HI". */
    res = sstr(r, &s, 14, "HxJK");
    CHECK(res.inconsistent && res.new_data);
    CHECK(view_eq(&s, "abcdefGHIJK"));
    CHECK_EQ_U(st.overlaps_inconsistent, 1);
    CHECK_EQ_U(st.overlaps_consistent, 1);

    /* Segment spanning an island and holes on both sides: island [15,17),
     * then [11,18) covers hole [11,15), the island, hole [17,18). */
    sstr(r, &s, 22, "PQ");
    res = sstr(r, &s, 18, "LMNOPQR");
    CHECK(res.new_data && !res.inconsistent);
    CHECK(view_eq(&s, "abcdefGHIJKLMNOPQR"));
    CHECK_EQ_U(st.overlaps_consistent, 2);
    CHECK_EQ_U(s.nranges, 0);
    done(r, &s, 1);
}

static void test_wraparound(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    uint32_t isn = 0xFFFFFFF0u;
    mw_reasm_result res;

    seg(r, &s, isn - 1, SYN, NULL, 0);
    CHECK_EQ_U(s.isn, isn);
    spat(r, &s, isn, 0, 10);
    /* Offset 30 is sequence 0x0000000E. */
    CHECK_EQ_U((uint32_t)(isn + 30u), 0x0Eu);
    spat(r, &s, isn, 30, 35);
    CHECK_EQ_U(s.contiguous, 10);
    spat(r, &s, isn, 10, 30); /* 0xFFFFFFFA .. 0x0E, crosses 2^32 */
    CHECK_EQ_U(s.contiguous, 35);
    CHECK(view_is_pat(&s, 0, 35));
    res = mw_reasm_ack(r, &s, 0x13); /* offset 35: all there */
    CHECK_EQ_U(res.gap_bytes, 0);
    res = mw_reasm_ack(r, &s, 0x15); /* offset 37: 2 bytes lost */
    CHECK_EQ_U(res.gap_offset, 35);
    CHECK_EQ_U(res.gap_bytes, 2);
    CHECK_EQ_U(s.contiguous, 37);
    done(r, &s, 1);
}

static void test_missing_syn(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    res = sstr(r, &s, 0x12345678u, "data");
    CHECK(res.new_data);
    CHECK(s.isn_known && !s.syn_seen);
    CHECK_EQ_U(s.isn, 0x12345678u);
    CHECK(view_eq(&s, "data"));

    /* Wholly before the start: dropped. */
    sstr(r, &s, 0x12345670u, "old!");
    CHECK_EQ_U(st.segments_before_start, 1);
    /* Straddling: 2 bytes before, "data" again, 4 new bytes. */
    res = sstr(r, &s, 0x12345676u, "zzdataMORE");
    CHECK(res.new_data && !res.inconsistent);
    CHECK(view_eq(&s, "dataMORE"));
    CHECK_EQ_U(st.segments_before_start, 1);
    CHECK_EQ_U(st.overlaps_consistent, 1);

    /* A late SYN: seq+1 == isn only marks the SYN seen; one earlier than
     * that is before the start. */
    seg(r, &s, 0x12345600u, SYN, NULL, 0);
    CHECK_EQ_U(st.segments_before_start, 2);
    CHECK(!s.syn_seen);
    seg(r, &s, 0x12345677u, SYN, NULL, 0);
    CHECK(s.syn_seen);
    CHECK_EQ_U(s.isn, 0x12345678u);
    CHECK(view_eq(&s, "dataMORE"));
    done(r, &s, 1);
}

static void test_missing_syn_bare_ack_first(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};

    seg(r, &s, 777, ACK, NULL, 0); /* pure ACK fixes isn */
    CHECK(s.isn_known);
    CHECK_EQ_U(s.isn, 777);
    CHECK_EQ_U(st.segments, 0);
    sstr(r, &s, 779, "cd"); /* offset 2: hole [0,2) */
    CHECK_EQ_U(s.contiguous, 0);
    sstr(r, &s, 777, "ab");
    CHECK(view_eq(&s, "abcd"));
    done(r, &s, 1);
}

static void test_one_byte_local_shuffle(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    uint32_t isn = 4000000000u;

    /* Within each block of 8 the order is 0,3,6,1,4,7,2,5. */
    for (uint32_t blk = 0; blk < 1000; blk += 8)
        for (uint32_t k = 0; k < 8; k++) {
            uint32_t i = blk + (k * 3u) % 8u;
            uint8_t b = pat(i);

            seg(r, &s, isn + i, ACK, &b, 1);
        }
    CHECK_EQ_U(s.contiguous, 1000);
    CHECK(view_is_pat(&s, 0, 1000));
    CHECK_EQ_U(st.segments, 1000);
    CHECK_EQ_U(st.bytes_delivered, 1000);
    /* Per block 3, 6, 4, 7 land beyond a hole. */
    CHECK_EQ_U(st.out_of_order, 125 * 4);
    CHECK_EQ_U(st.holes_overflow, 0);
    CHECK_EQ_U(st.retransmissions, 0);
    done(r, &s, 1);
}

static void test_one_byte_global_shuffle(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    int passes = 0;

    /* i*7919 mod 1000 is a permutation (7919 is prime, coprime to 1000).
     * Order: 0, 919, 838, ... so the first pass holds 17 islands by its
     * 18th segment and must overflow; retransmission passes (as TCP would
     * do) complete the stream. */
    while (s.contiguous < 1000 && passes < 1000) {
        for (uint32_t j = 0; j < 1000; j++) {
            uint32_t i = (j * 7919u) % 1000u;
            uint8_t b = pat(i);

            seg(r, &s, 1u + i, ACK, &b, 1);
        }
        passes++;
    }
    CHECK_EQ_U(s.isn, 1);
    CHECK_EQ_U(s.contiguous, 1000);
    CHECK(view_is_pat(&s, 0, 1000));
    CHECK(st.holes_overflow > 0);
    CHECK_EQ_U(st.gaps, 0);
    CHECK_EQ_U(st.overlaps_inconsistent, 0);
    CHECK_EQ_U(st.bytes_delivered, 1000);
    CHECK_EQ_U(st.segments, (uint64_t)passes * 1000u);
    done(r, &s, 1);
}

static void test_gap_via_ack(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    uint32_t isn = 90001;
    mw_reasm_result res;
    uint8_t junk[100], mix[100];

    seg(r, &s, isn - 1, SYN, NULL, 0);
    spat(r, &s, isn, 0, 100);
    spat(r, &s, isn, 200, 300);
    res = mw_reasm_ack(r, &s, isn + 100); /* nothing missing yet */
    CHECK(!res.new_data);
    CHECK_EQ_U(res.gap_bytes, 0);
    res = mw_reasm_ack(r, &s, isn + 300);
    CHECK(res.new_data);
    CHECK_EQ_U(res.gap_offset, 100);
    CHECK_EQ_U(res.gap_bytes, 100);
    CHECK_EQ_U(s.contiguous, 300);
    CHECK_EQ_U(s.gaps, 1);
    CHECK_EQ_U(s.gap_bytes, 100);
    CHECK_EQ_U(st.gaps, 1);
    CHECK_EQ_U(st.gap_bytes, 100);
    CHECK_EQ_U(st.bytes_delivered, 200);
    CHECK(view_is_pat(&s, 0, 100));
    CHECK(view_is_zero(&s, 100, 200));
    CHECK(view_is_pat(&s, 200, 300));

    /* The lost bytes show up late: dropped, not an inconsistent overlap. */
    res = spat(r, &s, isn, 100, 200);
    CHECK(!res.inconsistent && !res.new_data);
    CHECK_EQ_U(st.overlaps_inconsistent, 0);
    CHECK_EQ_U(st.retransmissions, 1);
    CHECK(view_is_zero(&s, 100, 200));

    /* [150,250): the gap half is ignored, the data half compared. */
    for (uint32_t i = 0; i < 100; i++) {
        mix[i] = pat(150 + i);
        junk[i] = (uint8_t)(pat(150 + i) ^ 0xFF);
    }
    res = seg(r, &s, isn + 150, ACK, mix, 100);
    CHECK(!res.inconsistent);
    CHECK_EQ_U(st.retransmissions, 2);
    memcpy(junk, mix, 99); /* only the last byte, offset 249, differs */
    res = seg(r, &s, isn + 150, ACK, junk, 100);
    CHECK(res.inconsistent);
    CHECK_EQ_U(st.overlaps_inconsistent, 1);
    CHECK(view_is_pat(&s, 200, 300));

    /* An ACK beyond everything held: [300,350) skipped. */
    res = mw_reasm_ack(r, &s, isn + 350);
    CHECK_EQ_U(res.gap_offset, 300);
    CHECK_EQ_U(res.gap_bytes, 50);
    CHECK_EQ_U(s.contiguous, 350);
    CHECK_EQ_U(s.highest, 350);
    CHECK_EQ_U(s.gaps, 2);
    CHECK_EQ_U(s.gap_bytes, 150);
    CHECK(view_is_zero(&s, 300, 350));
    /* Stale and before-start ACKs do nothing. */
    res = mw_reasm_ack(r, &s, isn + 10);
    CHECK(!res.new_data && res.gap_bytes == 0);
    res = mw_reasm_ack(r, &s, isn - 5);
    CHECK(!res.new_data && res.gap_bytes == 0);
    CHECK_EQ_U(s.contiguous, 350);
    done(r, &s, 1);
}

static void test_ack_before_isn_known(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res = mw_reasm_ack(r, &s, 12345);

    CHECK(!res.new_data && res.gap_bytes == 0);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 0);
    CHECK(s.buf == NULL);
    done(r, &s, 1);
}

static void test_fin_ack_no_gap(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream a = {0}, b = {0};
    mw_reasm_result res;

    /* Data and FIN together: FIN at offset 5, its ACK is isn+6. */
    seg(r, &a, 10, ACK | FIN, "hello", 5);
    CHECK(a.fin_seen);
    CHECK_EQ_U(a.fin_offset, 5);
    res = mw_reasm_ack(r, &a, 16);
    CHECK(!res.new_data);
    CHECK_EQ_U(res.gap_bytes, 0);
    CHECK_EQ_U(a.gaps, 0);
    CHECK_EQ_U(a.contiguous, 5);

    /* Bare FIN after the data. */
    seg(r, &b, 99, SYN, NULL, 0);
    sstr(r, &b, 100, "abc");
    seg(r, &b, 103, ACK | FIN, NULL, 0);
    CHECK_EQ_U(b.fin_offset, 3);
    res = mw_reasm_ack(r, &b, 104);
    CHECK_EQ_U(res.gap_bytes, 0);
    CHECK_EQ_U(b.contiguous, 3);
    /* Data beyond the FIN is bogus. */
    res = sstr(r, &b, 103, "zz");
    CHECK(!res.new_data);
    CHECK_EQ_U(st.segments_out_of_window, 1);
    /* Straddling the FIN: the part before it is compared, the rest cut. */
    sstr(r, &b, 102, "cQ");
    CHECK_EQ_U(st.segments_out_of_window, 2);
    CHECK(view_eq(&b, "abc"));
    CHECK_EQ_U(st.gaps, 0);

    /* FIN arriving before the data it ends: ACK past it still no gap. */
    {
        mw_tcp_stream c = {0};

        seg(r, &c, 499, SYN, NULL, 0);
        seg(r, &c, 504, ACK | FIN, NULL, 0); /* FIN at offset 4 */
        sstr(r, &c, 500, "wxyz");
        res = mw_reasm_ack(r, &c, 505);
        CHECK_EQ_U(res.gap_bytes, 0);
        CHECK(view_eq(&c, "wxyz"));
        mw_reasm_release(r, &c);
    }
    CHECK_EQ_U(st.gaps, 0);
    mw_reasm_release(r, &a);
    done(r, &b, 1);
}

static void test_flush(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    spat(r, &s, 0, 0, 10); /* no SYN: isn 0 */
    spat(r, &s, 0, 20, 30);
    spat(r, &s, 0, 40, 50);
    CHECK_EQ_U(s.contiguous, 10);
    CHECK_EQ_U(s.nranges, 2);
    res = mw_reasm_flush(r, &s);
    CHECK(res.new_data);
    CHECK_EQ_U(res.gap_offset, 10);
    CHECK_EQ_U(res.gap_bytes, 20);
    CHECK_EQ_U(s.contiguous, 50);
    CHECK_EQ_U(s.nranges, 0);
    CHECK_EQ_U(s.gaps, 2);
    CHECK_EQ_U(st.gaps, 2);
    CHECK_EQ_U(st.gap_bytes, 20);
    CHECK_EQ_U(st.bytes_delivered, 30);
    CHECK(view_is_pat(&s, 0, 10));
    CHECK(view_is_zero(&s, 10, 20));
    CHECK(view_is_pat(&s, 20, 30));
    CHECK(view_is_zero(&s, 30, 40));
    CHECK(view_is_pat(&s, 40, 50));
    res = mw_reasm_flush(r, &s); /* nothing left */
    CHECK(!res.new_data && res.gap_bytes == 0);
    done(r, &s, 1);
}

static void test_stream_cap(void)
{
    mw_reasm *r = mk(4096, 64ull * 1024u * 1024u, 256u * 1024u);
    mw_tcp_stream s = {0};
    uint32_t isn = 0x7FFFFFF0u;
    int cap_calls = 0, cap_at = -1;

    seg(r, &s, isn - 1, SYN, NULL, 0);
    for (uint32_t i = 0; i < 10; i++) {
        mw_reasm_result res = spat(r, &s, isn, i * 1000u, (i + 1u) * 1000u);

        if (res.reached_cap) {
            cap_calls++;
            cap_at = (int)i;
        }
    }
    CHECK(s.capped);
    CHECK_EQ_U(cap_calls, 1);
    CHECK_EQ_U(cap_at, 4); /* [4000,5000) crosses 4096 */
    CHECK_EQ_U(s.contiguous, 4096);
    CHECK_EQ_U(s.bytes_beyond_cap, 5904);
    CHECK_EQ_U(st.bytes_beyond_cap, 5904);
    CHECK_EQ_U(st.bytes_delivered, 4096);
    CHECK_EQ_U(s.buf_size, 4096);
    CHECK(view_is_pat(&s, 0, 4096));
    /* An ACK past the cap cannot skip anything. */
    CHECK_EQ_U(mw_reasm_ack(r, &s, isn + 10000).gap_bytes, 0);
    /* A far-off offset in the lower half is beyond the cap, not before
     * the start. */
    sstr(r, &s, isn + 0x7FFFFF00u, "far");
    CHECK_EQ_U(st.bytes_beyond_cap, 5907);
    CHECK_EQ_U(st.segments_before_start, 0);
    done(r, &s, 1);
}

static void test_memcap(void)
{
    mw_reasm *r = mk(1024u * 1024u, 12288, 256u * 1024u);
    mw_tcp_stream a = {0}, b = {0};
    mw_reasm_result res;

    spat(r, &a, 0, 0, 4096);
    spat(r, &b, 0, 0, 4096);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 8192);
    /* a needs 8192 more (old and new buffer coexist during the copy)
     * while 8192 of 12288 are in use. */
    res = spat(r, &a, 0, 4096, 4196);
    CHECK(!res.new_data);
    CHECK_EQ_U(st.memcap_hits, 1);
    CHECK_EQ_U(st.bytes_dropped_memcap, 100);
    CHECK_EQ_U(a.contiguous, 4096);
    /* b straddles its buffer end: [4090,4096) compared, 4 bytes dropped. */
    res = spat(r, &b, 0, 4090, 4100);
    CHECK(!res.new_data);
    CHECK_EQ_U(st.memcap_hits, 2);
    CHECK_EQ_U(st.bytes_dropped_memcap, 104);
    CHECK_EQ_U(b.contiguous, 4096);
    CHECK_EQ_U(st.retransmissions, 1);
    /* An ACK cannot grow the buffer either. */
    res = mw_reasm_ack(r, &b, 5000);
    CHECK_EQ_U(res.gap_bytes, 0);
    CHECK_EQ_U(st.memcap_hits, 3);
    /* Pool limit is 12288/8 = 1536 < 4096: b's buffer is freed, not parked. */
    mw_reasm_release(r, &b);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 4096);
    res = spat(r, &a, 0, 4096, 4196);
    CHECK(res.new_data);
    CHECK_EQ_U(a.contiguous, 4196);
    CHECK_EQ_U(a.buf_size, 8192);
    CHECK(view_is_pat(&a, 0, 4196));
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 8192);
    CHECK_EQ_U(st.memcap_hits, 3);
    /* During a's growth: old 4096 + new 8192. */
    CHECK_EQ_U(st.buffer_peak_bytes, 12288);
    done(r, &a, 1);
}

static void test_pool_yields_to_memcap(void)
{
    /* Pool limit 32768/8 = 4096: one 4096 buffer may be parked. */
    mw_reasm *r = mk(1024u * 1024u, 32768, 256u * 1024u);
    mw_tcp_stream x = {0}, y = {0}, z = {0};

    spat(r, &x, 0, 0, 100);
    mw_reasm_release(r, &x);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 0);
    seg(r, &y, 0xFFFFFFFFu, SYN, NULL, 0); /* isn 0 */
    seg(r, &z, 0xFFFFFFFFu, SYN, NULL, 0);
    spat(r, &y, 0, 10000, 10001); /* 16384 class, parked 4096 stays */
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 16384);
    CHECK_EQ_U(st.buffer_peak_bytes, 16384 + 4096);
    /* 16384 + 4096 parked + 16384 > 32768: the parked one is freed. */
    spat(r, &z, 0, 10000, 10001);
    CHECK_EQ_U(z.buf_size, 16384);
    CHECK_EQ_U(st.memcap_hits, 0);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 32768);
    CHECK_EQ_U(st.buffer_peak_bytes, 32768);
    mw_reasm_release(r, &y);
    done(r, &z, 1);
}

static void test_too_many_ranges(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};

    seg(r, &s, 0, SYN, NULL, 0); /* isn 1 */
    for (uint32_t k = 1; k <= 17; k++)
        spat(r, &s, 1, 10 * k, 10 * k + 5); /* islands [10k, 10k+5) */
    CHECK_EQ_U(s.nranges, MW_REASM_MAX_RANGES);
    CHECK_EQ_U(st.holes_overflow, 1);
    CHECK_EQ_U(st.out_of_order, 16);
    CHECK_EQ_U(s.highest, 165);
    /* Touching an island still fits while full: [15,18) joins [10,15). */
    spat(r, &s, 1, 15, 18);
    CHECK_EQ_U(s.nranges, MW_REASM_MAX_RANGES);
    CHECK_EQ_U(st.holes_overflow, 1);
    CHECK_EQ_U(s.ranges[0].start, 10);
    CHECK_EQ_U(s.ranges[0].end, 18);
    /* Bridging two islands merges them: [25,30) joins [20,25) and [30,35). */
    spat(r, &s, 1, 25, 30);
    CHECK_EQ_U(s.nranges, 15);
    CHECK_EQ_U(s.ranges[1].start, 20);
    CHECK_EQ_U(s.ranges[1].end, 35);
    /* Now the 17th island fits. */
    spat(r, &s, 1, 170, 175);
    CHECK_EQ_U(s.nranges, 16);
    CHECK_EQ_U(st.holes_overflow, 1);
    spat(r, &s, 1, 0, 10);
    CHECK_EQ_U(s.contiguous, 18);
    CHECK_EQ_U(s.nranges, 15);
    CHECK(view_is_pat(&s, 0, 18));
    done(r, &s, 1);
}

static void test_release_and_pool(void)
{
    mw_reasm *r = mk(1024u * 1024u, 1024ull * 1024u, 256u * 1024u);
    mw_tcp_stream s = {0}, t = {0};
    uint8_t *first;

    spat(r, &s, 0, 0, 5000); /* straight to the 8192 class */
    CHECK_EQ_U(s.buf_size, 8192);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 8192);
    mw_reasm_ack(r, &s, 5010); /* a note that must survive */
    CHECK_EQ_U(s.gaps, 1);
    first = s.buf;
    mw_reasm_release(r, &s);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 0);
    CHECK(s.buf == NULL);
    CHECK_EQ_U(s.buf_size, 0);
    {
        mw_cursor v = mw_reasm_view(&s);

        CHECK_EQ_U(mw_cursor_len(&v), 0);
    }
    CHECK_EQ_U(s.gaps, 1);
    CHECK_EQ_U(s.gap_bytes, 10);
    CHECK_EQ_U(s.contiguous, 5010);
    /* Released: accepts nothing, allocates nothing, counts nothing. */
    CHECK_EQ_U(st.segments, 1);
    spat(r, &s, 0, 5010, 5020);
    CHECK_EQ_U(st.segments, 1);
    mw_reasm_ack(r, &s, 6000);
    mw_reasm_flush(r, &s);
    CHECK(s.buf == NULL);
    CHECK_EQ_U(s.contiguous, 5010);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 0);

    /* The parked buffer is reused (the island needs the 8192 class at
     * once), and comes back zeroed although it held pattern bytes. */
    seg(r, &t, 0xFFFFFFFFu, SYN, NULL, 0); /* isn 0 */
    spat(r, &t, 0, 5000, 5010);
    CHECK(t.buf == first);
    spat(r, &t, 0, 0, 10);
    CHECK_EQ_U(t.buf_size, 8192);
    mw_reasm_flush(r, &t);
    CHECK_EQ_U(t.contiguous, 5010);
    CHECK(view_is_pat(&t, 0, 10));
    CHECK(view_is_zero(&t, 10, 5000));
    CHECK(view_is_pat(&t, 5000, 5010));
    /* No second malloc while the first buffer was parked. */
    CHECK_EQ_U(st.buffer_peak_bytes, 8192);
    done(r, &t, 1);
}

static void test_max_ahead(void)
{
    mw_reasm *r = mk(1024u * 1024u, 64ull * 1024u * 1024u, 1000);
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    spat(r, &s, 0, 0, 100);
    res = spat(r, &s, 0, 200, 700); /* held 600 beyond the hole: fine */
    CHECK_EQ_U(res.gap_bytes, 0);
    CHECK_EQ_U(s.contiguous, 100);
    res = spat(r, &s, 0, 1000, 1200); /* 1200 - 100 = 1100 > 1000 */
    CHECK(res.new_data);
    CHECK_EQ_U(res.gap_offset, 100);
    CHECK_EQ_U(res.gap_bytes, 100);
    CHECK_EQ_U(s.contiguous, 700); /* 1200 - 700 = 500: stops there */
    CHECK_EQ_U(s.nranges, 1);
    CHECK_EQ_U(st.gaps, 1);
    CHECK_EQ_U(st.bytes_delivered, 600);
    CHECK(view_is_zero(&s, 100, 200));
    CHECK(view_is_pat(&s, 200, 700));
    /* A far jump skips every hole on the way: [700,1000), [1200,2500). */
    res = spat(r, &s, 0, 2500, 2600);
    CHECK_EQ_U(res.gap_offset, 700);
    CHECK_EQ_U(res.gap_bytes, 300 + 1300);
    CHECK_EQ_U(s.contiguous, 2600);
    CHECK_EQ_U(s.nranges, 0);
    CHECK_EQ_U(st.gaps, 3);
    CHECK(view_is_pat(&s, 1000, 1200));
    CHECK(view_is_pat(&s, 2500, 2600));
    done(r, &s, 1);
}

static void test_syn_with_data(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    res = seg(r, &s, 100, SYN, "GET", 3); /* TFO */
    CHECK(res.new_data);
    CHECK(s.syn_seen);
    CHECK_EQ_U(s.isn, 101);
    CHECK(view_eq(&s, "GET"));
    sstr(r, &s, 104, " /");
    CHECK(view_eq(&s, "GET /"));
    /* The SYN retransmitted with its data: a retransmission. */
    res = seg(r, &s, 100, SYN, "GET", 3);
    CHECK(!res.new_data);
    CHECK_EQ_U(st.retransmissions, 1);
    CHECK(view_eq(&s, "GET /"));
    done(r, &s, 1);
}

static void test_before_start_after_syn(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s = {0};
    mw_reasm_result res;

    seg(r, &s, 5, SYN, NULL, 0); /* isn 6 */
    res = sstr(r, &s, 2, "abcd"); /* [2,6): all before */
    CHECK(!res.new_data);
    CHECK_EQ_U(st.segments_before_start, 1);
    CHECK(s.buf == NULL);
    res = sstr(r, &s, 4, "xyABC"); /* 2 bytes trimmed */
    CHECK(res.new_data);
    CHECK(view_eq(&s, "ABC"));
    CHECK_EQ_U(st.segments_before_start, 1);
    CHECK_EQ_U(st.bytes_delivered, 3);
    done(r, &s, 1);
}

static void test_config_defaults(void)
{
    mw_reasm *r = mw_reasm_new(NULL, NULL);
    mw_tcp_stream s = {0};

    CHECK(r != NULL);
    if (r == NULL)
        return;
    /* Default cap 1 MiB: offset 1048575 is kept, 1048576 is not. */
    seg(r, &s, 0, SYN, NULL, 0);
    sstr(r, &s, 1u + 1048575u, "ab");
    CHECK(s.capped);
    CHECK_EQ_U(s.bytes_beyond_cap, 1);
    CHECK_EQ_U(s.buf_size, 1048576);
    CHECK_EQ_U(s.highest, 1048576);
    done(r, &s, 1);
}

/* Random consistent segments, losses, ACKs and flushes against the
 * invariants: ranges sorted, disjoint, non-touching and past contiguous;
 * every contiguous byte was delivered as data or skipped as a gap; each
 * view byte is the sender's byte or a gap zero. */
static uint32_t rng_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static bool invariants_hold(const mw_tcp_stream *s)
{
    mw_cursor v = mw_reasm_view(s);

    if (s->contiguous > s->highest || (s->buf && s->highest > s->buf_size))
        return false;
    if (s->nranges > MW_REASM_MAX_RANGES)
        return false;
    for (unsigned i = 0; i < s->nranges; i++) {
        uint32_t lo = i ? s->ranges[i - 1].end : s->contiguous;

        if (s->ranges[i].start <= lo || s->ranges[i].end <= s->ranges[i].start ||
            s->ranges[i].end > s->highest)
            return false;
    }
    for (uint32_t i = 0; i < mw_cursor_len(&v); i++) {
        uint8_t b;

        if (!mw_cursor_peek_u8(&v, i, &b) || (b != pat(i) && b != 0))
            return false;
    }
    return true;
}

static void test_random_invariants(void)
{
    mw_reasm *r = mk(16384, 1024ull * 1024u, 12000);
    uint32_t x = 0x9E3779B9u;
    static uint8_t b[1500];
    int bad = 0;

    for (int round = 0; round < 40; round++) {
        mw_tcp_stream s = {0};
        uint32_t isn = rng_next(&x);
        uint64_t delivered0 = st.bytes_delivered, gaps0 = st.gap_bytes;

        seg(r, &s, isn - 1, SYN, NULL, 0);
        for (int k = 0; k < 400; k++) {
            uint32_t op = rng_next(&x) % 100;
            uint32_t off = rng_next(&x) % 18000, len = rng_next(&x) % 300;

            if (op < 90) {
                for (uint32_t i = 0; i < len; i++)
                    b[i] = pat(off + i);
                seg(r, &s, isn + off, ACK, b, len);
            } else if (op < 93) {
                mw_reasm_ack(r, &s, isn + off / 4);
            } else {
                /* Starts 700 bytes before the stream: trimmed or dropped. */
                for (uint32_t i = 0; i < len; i++)
                    b[i] = pat(i - 700u);
                seg(r, &s, isn - 700, ACK, b, len);
            }
            if (!invariants_hold(&s))
                bad++;
        }
        mw_reasm_flush(r, &s);
        if (!invariants_hold(&s) || s.nranges != 0 || s.contiguous != s.highest)
            bad++;
        if (st.bytes_delivered - delivered0 + st.gap_bytes - gaps0 != s.contiguous)
            bad++;
        mw_reasm_release(r, &s);
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(st.overlaps_inconsistent, 0); /* the sender never lies */
    CHECK(st.segments_before_start > 0);
    CHECK(st.gaps > 0);
    CHECK(st.holes_overflow > 0 && st.out_of_order > 0 && st.overlaps_consistent > 0);
    CHECK_EQ_U(mw_reasm_memory_in_use(r), 0);
    mw_reasm_free(r);
}

/* Two SYN-ACKs with different ISNs: the client's ACK picks the second,
 * and the data that follows it lands at offset 0 (no 1 MiB gap). */
static void test_isn_candidates_ack(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s;
    memset(&s, 0, sizeof s);
    memset(&st, 0, sizeof st);
    seg(r, &s, 1000, SYN | ACK, NULL, 0);
    seg(r, &s, 5000, SYN | ACK, NULL, 0);
    CHECK_EQ_U(s.isn, 1001);
    mw_reasm_result a = mw_reasm_ack(r, &s, 5001);
    CHECK(!a.new_data);
    CHECK_EQ_U(s.isn, 5001);
    CHECK(s.isn_switched);
    sstr(r, &s, 5001, "hello");
    mw_cursor v = mw_reasm_view(&s);
    CHECK_EQ_U(mw_cursor_len(&v), 5);
    CHECK_MEM(mw_cursor_data(&v), "hello", 5);
    CHECK_EQ_U(s.gaps, 0);
    CHECK_EQ_U(st.isn_conflicts, 1);
    CHECK_EQ_U(st.isn_switched, 1);
    mw_reasm_release(r, &s);
    mw_reasm_free(r);
}

/* No ACK seen: the first data decides; a SYN after that is only counted. */
static void test_isn_candidates_data(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s;
    memset(&s, 0, sizeof s);
    memset(&st, 0, sizeof st);
    seg(r, &s, 1000, SYN, NULL, 0);
    seg(r, &s, 900000, SYN, NULL, 0);
    sstr(r, &s, 900001, "data");
    CHECK_EQ_U(s.isn, 900001);
    seg(r, &s, 70000, SYN, NULL, 0);
    CHECK_EQ_U(s.isn, 900001);
    CHECK_EQ_U(s.isn_conflicts, 2);
    mw_cursor v = mw_reasm_view(&s);
    CHECK_EQ_U(mw_cursor_len(&v), 4);
    mw_reasm_release(r, &s);
    mw_reasm_free(r);
}

/* The real SYN-ACK first, ACKed, then a decoy: nothing moves. */
static void test_isn_decoy_after(void)
{
    mw_reasm *r = mk_default();
    mw_tcp_stream s;
    memset(&s, 0, sizeof s);
    memset(&st, 0, sizeof st);
    seg(r, &s, 1000, SYN | ACK, NULL, 0);
    mw_reasm_ack(r, &s, 1001);
    seg(r, &s, 5000, SYN | ACK, NULL, 0);
    mw_reasm_ack(r, &s, 1001);
    sstr(r, &s, 1001, "ok");
    CHECK_EQ_U(s.isn, 1001);
    CHECK(!s.isn_switched);
    CHECK_EQ_U(st.isn_conflicts, 1);
    CHECK_EQ_U(st.isn_switched, 0);
    mw_reasm_release(r, &s);
    mw_reasm_free(r);
}

int main(void)
{
    RUN(test_isn_candidates_ack);
    RUN(test_isn_candidates_data);
    RUN(test_isn_decoy_after);
    RUN(test_in_order);
    RUN(test_out_of_order);
    RUN(test_retransmission);
    RUN(test_inconsistent_overlap);
    RUN(test_second_version);
    RUN(test_partial_overlap);
    RUN(test_wraparound);
    RUN(test_missing_syn);
    RUN(test_missing_syn_bare_ack_first);
    RUN(test_one_byte_local_shuffle);
    RUN(test_one_byte_global_shuffle);
    RUN(test_gap_via_ack);
    RUN(test_ack_before_isn_known);
    RUN(test_fin_ack_no_gap);
    RUN(test_flush);
    RUN(test_stream_cap);
    RUN(test_memcap);
    RUN(test_pool_yields_to_memcap);
    RUN(test_too_many_ranges);
    RUN(test_release_and_pool);
    RUN(test_max_ahead);
    RUN(test_syn_with_data);
    RUN(test_before_start_after_syn);
    RUN(test_config_defaults);
    RUN(test_random_invariants);
    return check_summary();
}
