/* test_ipfrag.c - fragment table: order, overlaps, caps, expiry. */
#include "check.h"
#include "flow/ipfrag.h"

#include <stdlib.h>
#include <string.h>

static mw_frag_key key4(uint8_t last_octet, uint32_t id)
{
    mw_frag_key k;
    memset(&k, 0, sizeof(k));
    k.src.family = k.dst.family = 4;
    k.src.bytes[0] = 10;
    k.src.bytes[3] = last_octet;
    k.dst.bytes[0] = 192;
    k.dst.bytes[1] = 0;
    k.dst.bytes[2] = 2;
    k.dst.bytes[3] = 1;
    k.id = id;
    k.proto = 17;
    return k;
}

static mw_frag_status add(mw_frag_table *t, const mw_frag_key *k, uint32_t off, bool more,
                          const uint8_t *p, size_t n, uint64_t now, mw_cursor *out)
{
    mw_cursor c;
    mw_cursor_init(&c, p, n);
    return mw_frag_add(t, k, off, more, c, now, out);
}

static mw_frag_config cfg(uint32_t maxd, uint32_t maxs, uint64_t to)
{
    mw_frag_config c = { maxd, maxs, to };
    return c;
}

/* 24 bytes 0..23, sent as [16,24) last, then [0,8), then [8,16). */
static void test_out_of_order(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(4, 1000, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k = key4(1, 0x1234);
    uint8_t whole[24];
    for (int i = 0; i < 24; i++)
        whole[i] = (uint8_t)i;
    mw_cursor out;

    CHECK_EQ_U(add(t, &k, 16, false, whole + 16, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 0, true, whole, 8, 2, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 8, true, whole + 8, 8, 3, &out), MW_FRAG_COMPLETE);
    CHECK_EQ_U(mw_cursor_len(&out), 24);
    CHECK(mw_cursor_equals(&out, whole, 24));
    CHECK_EQ_U(st.fragments, 3);
    CHECK_EQ_U(st.reassembled, 1);
    CHECK_EQ_U(st.overlaps, 0);

    /* The datagram is gone after completion: the same key starts anew. */
    CHECK_EQ_U(add(t, &k, 0, true, whole, 8, 4, &out), MW_FRAG_HELD);
    mw_frag_flush(t);
    CHECK_EQ_U(st.incomplete_at_end, 1);
    mw_frag_free(t);
}

/* Different keys (id, address, proto) do not mix. */
static void test_keys_separate(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(8, 1000, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key a = key4(1, 7), b = key4(1, 8), d = key4(2, 7), e = key4(1, 7);
    e.proto = 6;
    uint8_t x[8], y[8];
    memset(x, 'x', 8);
    memset(y, 'y', 8);
    mw_cursor out;

    CHECK_EQ_U(add(t, &a, 0, true, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &b, 8, false, y, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &d, 8, false, y, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &e, 8, false, y, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &a, 8, false, y, 8, 1, &out), MW_FRAG_COMPLETE);
    uint8_t want[16];
    memset(want, 'x', 8);
    memset(want + 8, 'y', 8);
    CHECK(mw_cursor_equals(&out, want, 16));
    mw_frag_flush(t);
    CHECK_EQ_U(st.incomplete_at_end, 3);
    mw_frag_free(t);
}

/* [0,16) 'A', then [8,24) 'B', then [24,32) 'C' last: bytes 8..15 stay 'A'. */
static void test_overlap_first_wins(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(4, 1000, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k = key4(1, 1);
    uint8_t a[16], b[16], cc[8];
    static const uint8_t want[] = "AAAAAAAAAAAAAAAABBBBBBBBCCCCCCCC";
    memset(a, 'A', 16);
    memset(b, 'B', 16);
    memset(cc, 'C', 8);
    mw_cursor out;

    CHECK_EQ_U(add(t, &k, 0, true, a, 16, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 8, true, b, 16, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(st.overlaps, 1);
    /* An exact duplicate is an overlap too. */
    CHECK_EQ_U(add(t, &k, 0, true, b, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(st.overlaps, 2);
    CHECK_EQ_U(add(t, &k, 24, false, cc, 8, 1, &out), MW_FRAG_COMPLETE);
    CHECK_EQ_U(st.overlaps, 2); /* adjacent, not overlapping */
    CHECK_EQ_U(mw_cursor_len(&out), 32);
    CHECK(mw_cursor_equals(&out, want, 32));
    mw_frag_free(t);
}

/* Overlaps with other bytes keep a second version: each byte from the
 * first later copy that differs, the rest as the first; a third version
 * is not kept, identical overlaps make none. */
static void test_overlap_second_version(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(4, 1000, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k = key4(1, 1);
    uint8_t a[16], b[16], x[4], cc[8];
    static const uint8_t first[] = "AAAAAAAAAAAAAAAABBBBBBBBCCCCCCCC";
    static const uint8_t later[] = "BBBBBBBBBBBBBBBBBBBBBBBBCCCCCCCC";
    memset(a, 'A', 16);
    memset(b, 'B', 16);
    memset(x, 'X', 4);
    memset(cc, 'C', 8);
    mw_cursor out, alt;

    CHECK_EQ_U(add(t, &k, 0, true, a, 16, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 8, true, b, 16, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 0, true, b, 8, 1, &out), MW_FRAG_HELD);
    /* A third copy of [10,14): both versions stay as they are. */
    CHECK_EQ_U(add(t, &k, 10, true, x, 4, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 24, false, cc, 8, 1, &out), MW_FRAG_COMPLETE);
    CHECK_EQ_U(st.overlaps, 3);
    CHECK_EQ_U(st.overlaps_differ, 1);
    CHECK(mw_cursor_equals(&out, first, 32));
    CHECK(mw_frag_alt(t, &alt));
    CHECK_EQ_U(mw_cursor_len(&alt), 32);
    CHECK(mw_cursor_equals(&alt, later, 32));

    /* Identical overlap: one version. */
    mw_frag_key k2 = key4(2, 2);
    CHECK_EQ_U(add(t, &k2, 0, true, a, 16, 2, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k2, 8, false, a, 8, 2, &out), MW_FRAG_COMPLETE);
    CHECK_EQ_U(mw_cursor_len(&out), 16);
    CHECK(!mw_frag_alt(t, &alt));
    CHECK_EQ_U(st.overlaps, 4);
    CHECK_EQ_U(st.overlaps_differ, 1);

    /* The slot is reused: its second version does not linger. */
    CHECK_EQ_U(add(t, &k, 0, true, a, 16, 3, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 16, false, a, 16, 3, &out), MW_FRAG_COMPLETE);
    CHECK(!mw_frag_alt(t, &alt));
    mw_frag_free(t);
}

/* A fragment filling a hole between two islands and covering both. */
static void test_fill_between(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(4, 1000, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k = key4(1, 1);
    uint8_t one[8], big[40];
    static const uint8_t want[] = "22222222111111112222222211111111""22222222";
    memset(one, '1', 8);
    memset(big, '2', 40);
    mw_cursor out;

    /* islands [8,16) and [24,32); then [0,40) last fills 0-7, 16-23, 32-39 */
    CHECK_EQ_U(add(t, &k, 8, true, one, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 24, true, one, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 0, false, big, 40, 1, &out), MW_FRAG_COMPLETE);
    CHECK(mw_cursor_equals(&out, want, 40));
    CHECK_EQ_U(st.overlaps, 1);
    mw_frag_free(t);
}

static void test_timeout(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(4, 1000, 100);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k = key4(1, 1), k2 = key4(2, 2);
    uint8_t x[8] = { 0 };
    mw_cursor out;

    CHECK_EQ_U(add(t, &k, 0, true, x, 8, 1000, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k2, 0, true, x, 8, 1050, &out), MW_FRAG_HELD);
    mw_frag_expire(t, 1099);
    CHECK_EQ_U(st.timed_out, 0);
    mw_frag_expire(t, 1100); /* at or before now - timeout */
    CHECK_EQ_U(st.timed_out, 1);
    /* The expired datagram's tail alone does not complete anything. */
    CHECK_EQ_U(add(t, &k, 8, false, x, 8, 1101, &out), MW_FRAG_HELD);
    /* The table expires by itself when fragments keep coming. */
    CHECK_EQ_U(add(t, &k, 0, true, x, 8, 1150, &out), MW_FRAG_COMPLETE);
    CHECK_EQ_U(st.timed_out, 2); /* k2, last seen at 1050 */
    mw_frag_flush(t);
    CHECK_EQ_U(st.incomplete_at_end, 0);
    mw_frag_free(t);
}

static void test_table_full(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(2, 1000, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k1 = key4(1, 1), k2 = key4(2, 2), k3 = key4(3, 3);
    uint8_t x[8] = { 0 };
    mw_cursor out;

    CHECK_EQ_U(add(t, &k1, 0, true, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k2, 0, true, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k3, 0, true, x, 8, 1, &out), MW_FRAG_DROPPED);
    CHECK_EQ_U(st.dropped_table_full, 1);
    /* Existing datagrams still progress. */
    CHECK_EQ_U(add(t, &k1, 8, false, x, 8, 1, &out), MW_FRAG_COMPLETE);
    /* The completed slot is recycled on the next call. */
    CHECK_EQ_U(add(t, &k3, 0, true, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(st.dropped_table_full, 1);
    CHECK_EQ_U(st.fragments, 5);
    mw_frag_free(t);
}

static void test_too_large(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(4, 100, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k = key4(1, 1), k2 = key4(2, 2);
    uint8_t x[16] = { 0 };
    mw_cursor out;

    /* Ends exactly at the cap: fine. */
    CHECK_EQ_U(add(t, &k2, 92, false, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 0, true, x, 16, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 88, true, x, 16, 1, &out), MW_FRAG_DROPPED);
    /* The held fragment goes with the datagram. */
    CHECK_EQ_U(st.dropped_too_large, 2);
    CHECK_EQ_U(add(t, &k, 16, false, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(st.reassembled, 0);
    /* Offsets near 2^32 must not wrap around the check. */
    CHECK_EQ_U(add(t, &k, 0xfffffff8u, true, x, 16, 1, &out), MW_FRAG_DROPPED);
    CHECK_EQ_U(st.dropped_too_large, 4);
    mw_frag_free(t);
}

static void test_inconsistent(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(4, 1000, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k = key4(1, 1);
    uint8_t x[16] = { 0 };
    mw_cursor out;

    /* two different totals */
    CHECK_EQ_U(add(t, &k, 16, false, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 32, false, x, 8, 1, &out), MW_FRAG_DROPPED);
    CHECK_EQ_U(st.dropped_bad, 2);
    /* data beyond a known total */
    CHECK_EQ_U(add(t, &k, 16, false, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 16, true, x, 16, 1, &out), MW_FRAG_DROPPED);
    CHECK_EQ_U(st.dropped_bad, 4);
    /* a last fragment ending before data already held */
    CHECK_EQ_U(add(t, &k, 16, true, x, 16, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 0, false, x, 8, 1, &out), MW_FRAG_DROPPED);
    CHECK_EQ_U(st.dropped_bad, 6);
    /* an empty fragment that is not the last */
    CHECK_EQ_U(add(t, &k, 8, true, x, 0, 1, &out), MW_FRAG_DROPPED);
    CHECK_EQ_U(st.dropped_bad, 7);
    CHECK_EQ_U(st.fragments, 7);
    mw_frag_free(t);
}

/* 64 disjoint islands fit; the 65th drops the datagram and its 64. */
static void test_range_cap(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(4, 65535, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k = key4(1, 1);
    uint8_t x[8] = { 0 };
    mw_cursor out;
    int held = 0;

    for (uint32_t i = 0; i < 64; i++)
        held += add(t, &k, i * 16, true, x, 8, 1, &out) == MW_FRAG_HELD;
    CHECK_EQ_U(held, 64);
    /* Filling a hole merges islands: still within the cap. */
    CHECK_EQ_U(add(t, &k, 8, true, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 64 * 16, true, x, 8, 1, &out), MW_FRAG_HELD);
    CHECK_EQ_U(add(t, &k, 66 * 16, true, x, 8, 1, &out), MW_FRAG_DROPPED);
    CHECK_EQ_U(st.dropped_bad, 67);
    mw_frag_free(t);
}

/* Many datagrams interleaved through a small table, each in a scrambled
 * order, all rebuilt byte for byte. */
static void test_many_scrambled(void)
{
    enum { NDG = 300, NFR = 12, FLEN = 8, TABLE = 8 };
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(TABLE, 65535, 1000000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    uint32_t rng = 12345;
    int complete = 0, wrong = 0;

    for (int base = 0; base < NDG; base += TABLE) {
        uint8_t order[TABLE][NFR];
        for (int d = 0; d < TABLE; d++) {
            for (int f = 0; f < NFR; f++)
                order[d][f] = (uint8_t)f;
            for (int f = NFR - 1; f > 0; f--) {
                rng = rng * 1103515245u + 12345u;
                int j = (int)((rng >> 16) % (uint32_t)(f + 1));
                uint8_t tmp = order[d][f];
                order[d][f] = order[d][j];
                order[d][j] = tmp;
            }
        }
        for (int f = 0; f < NFR; f++) {
            for (int d = 0; d < TABLE; d++) {
                int id = base + d;
                int fr = order[d][f];
                uint8_t data[FLEN];
                for (int b = 0; b < FLEN; b++)
                    data[b] = (uint8_t)(id * 31 + fr * FLEN + b);
                mw_frag_key k = key4((uint8_t)(id % 7), (uint32_t)id);
                mw_cursor out;
                mw_frag_status r = add(t, &k, (uint32_t)(fr * FLEN), fr != NFR - 1, data,
                                       FLEN, 1, &out);
                if (r == MW_FRAG_COMPLETE) {
                    complete++;
                    if (mw_cursor_len(&out) != (size_t)NFR * FLEN) {
                        wrong++;
                        continue;
                    }
                    for (int b = 0; b < NFR * FLEN; b++) {
                        uint8_t v = 0;
                        (void)mw_cursor_peek_u8(&out, (size_t)b, &v);
                        if (v != (uint8_t)(id * 31 + b))
                            wrong++;
                    }
                }
            }
        }
    }
    CHECK_EQ_U(complete, (NDG + TABLE - 1) / TABLE * TABLE);
    CHECK_EQ_U(wrong, 0);
    CHECK_EQ_U(st.dropped_table_full, 0);
    CHECK_EQ_U(st.overlaps, 0);
    mw_frag_flush(t);
    CHECK_EQ_U(st.incomplete_at_end, 0);
    mw_frag_free(t);
}

static void test_zero_table(void)
{
    mw_frag_stats st;
    memset(&st, 0, sizeof(st));
    mw_frag_config c = cfg(0, 1000, 1000);
    mw_frag_table *t = mw_frag_new(&c, &st);
    mw_frag_key k = key4(1, 1);
    uint8_t x[8] = { 0 };
    mw_cursor out;

    CHECK(t != NULL);
    if (!t)
        return;
    CHECK_EQ_U(add(t, &k, 0, true, x, 8, 1, &out), MW_FRAG_DROPPED);
    CHECK_EQ_U(st.dropped_table_full, 1);
    mw_frag_free(t);
}

int main(void)
{
    RUN(test_out_of_order);
    RUN(test_keys_separate);
    RUN(test_overlap_first_wins);
    RUN(test_overlap_second_version);
    RUN(test_fill_between);
    RUN(test_timeout);
    RUN(test_table_full);
    RUN(test_too_large);
    RUN(test_inconsistent);
    RUN(test_range_cap);
    RUN(test_many_scrambled);
    RUN(test_zero_table);
    return check_summary();
}
