/* Unit tests for the bounds-checked cursor (src/common/cursor.h). */
#include "check.h"
#include "common/cursor.h"

static void test_integers(void)
{
    static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
    mw_cursor c;
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    mw_cursor_init(&c, b, sizeof b);
    CHECK(mw_cursor_get_u8(&c, &u8));
    CHECK_EQ_U(u8, 0x01);
    CHECK(mw_cursor_get_u16(&c, &u16));
    CHECK_EQ_U(u16, 0x0203);
    CHECK(mw_cursor_get_u24(&c, &u32));
    CHECK_EQ_U(u32, 0x040506);
    CHECK(mw_cursor_get_u32(&c, &u32));
    CHECK_EQ_U(u32, 0x0708090a);
    CHECK_EQ_U(mw_cursor_len(&c), 5);
    /* 8 bytes requested, 5 left: fails and consumes nothing. */
    u64 = 42;
    CHECK(!mw_cursor_get_u64(&c, &u64));
    CHECK_EQ_U(u64, 42);
    CHECK_EQ_U(mw_cursor_len(&c), 5);
    CHECK(mw_cursor_get_u16_le(&c, &u16));
    CHECK_EQ_U(u16, 0x0c0b);
    CHECK(mw_cursor_get_u16(&c, &u16));
    CHECK(!mw_cursor_get_u16(&c, &u16));
    CHECK(mw_cursor_get_u8(&c, &u8));
    CHECK_EQ_U(u8, 0x0f);
    CHECK_EQ_U(mw_cursor_len(&c), 0);
    CHECK(!mw_cursor_get_u8(&c, &u8));
    CHECK(mw_cursor_skip(&c, 0));
    CHECK(!mw_cursor_skip(&c, 1));
}

static void test_u64_and_le32(void)
{
    static const uint8_t b[] = {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
                                0x78, 0x56, 0x34, 0x12};
    mw_cursor c;
    uint64_t u64 = 0;
    uint32_t u32 = 0;
    mw_cursor_init(&c, b, sizeof b);
    CHECK(mw_cursor_get_u64(&c, &u64));
    CHECK_EQ_U(u64, 0xffeeddccbbaa9988ull);
    CHECK(mw_cursor_get_u32_le(&c, &u32));
    CHECK_EQ_U(u32, 0x12345678);
}

static void test_prefixed(void)
{
    /* u8 length 3, "abc"; u16 length 2, "de"; u24 length 0x000005 but only
     * 1 byte follows (lying length). */
    static const uint8_t b[] = {3, 'a', 'b', 'c', 0, 2, 'd', 'e', 0, 0, 5, 'x'};
    mw_cursor c, v;
    mw_cursor_init(&c, b, sizeof b);
    CHECK(mw_cursor_get_u8_prefixed(&c, &v));
    CHECK(mw_cursor_equals(&v, "abc", 3));
    CHECK(mw_cursor_get_u16_prefixed(&c, &v));
    CHECK(mw_cursor_equals(&v, "de", 2));
    size_t before = mw_cursor_len(&c);
    CHECK(!mw_cursor_get_u24_prefixed(&c, &v));
    CHECK_EQ_U(mw_cursor_len(&c), before); /* nothing consumed */
}

static void test_max_lengths(void)
{
    /* 0xFFFFFF length over a 4-byte buffer must fail cleanly. */
    static const uint8_t b[] = {0xff, 0xff, 0xff, 0x00};
    mw_cursor c, v;
    mw_cursor_init(&c, b, sizeof b);
    CHECK(!mw_cursor_get_u24_prefixed(&c, &v));
    /* Zero length is a valid, empty vector. */
    static const uint8_t z[] = {0x00, 0x00};
    mw_cursor_init(&c, z, sizeof z);
    CHECK(mw_cursor_get_u16_prefixed(&c, &v));
    CHECK_EQ_U(mw_cursor_len(&v), 0);
    CHECK_EQ_U(mw_cursor_len(&c), 0);
    /* SIZE_MAX skips must not wrap. */
    mw_cursor_init(&c, b, sizeof b);
    CHECK(!mw_cursor_skip(&c, SIZE_MAX));
    CHECK_EQ_U(mw_cursor_len(&c), 4);
}

static void test_peek_copy_truncate(void)
{
    static const uint8_t b[] = {0x10, 0x20, 0x30, 0x40};
    mw_cursor c, sub;
    uint8_t u8 = 0, out[3];
    uint16_t u16 = 0;
    mw_cursor_init(&c, b, sizeof b);
    CHECK(mw_cursor_peek_u8(&c, 3, &u8));
    CHECK_EQ_U(u8, 0x40);
    CHECK(!mw_cursor_peek_u8(&c, 4, &u8));
    CHECK(mw_cursor_peek_u16(&c, 2, &u16));
    CHECK_EQ_U(u16, 0x3040);
    CHECK(!mw_cursor_peek_u16(&c, 3, &u16));
    CHECK(!mw_cursor_peek_u16(&c, SIZE_MAX, &u16));
    CHECK_EQ_U(mw_cursor_len(&c), 4);
    CHECK(mw_cursor_copy(&c, out, 3));
    CHECK_MEM(out, b, 3);
    CHECK(!mw_cursor_copy(&c, out, 2));
    mw_cursor_init(&c, b, sizeof b);
    CHECK(mw_cursor_get_bytes(&c, &sub, 2));
    CHECK(mw_cursor_truncate(&c, 1));
    CHECK(!mw_cursor_truncate(&c, 2));
    CHECK(mw_cursor_get_u8(&c, &u8));
    CHECK_EQ_U(u8, 0x30);
    CHECK(mw_cursor_equals(&sub, "\x10\x20", 2));
}

static void test_find(void)
{
    static const uint8_t b[] = {0x00, 0x16, 0x03, 0x16, 0x01};
    mw_cursor c;
    size_t at = 99;
    mw_cursor_init(&c, b, sizeof b);
    CHECK(mw_cursor_find_u8(&c, 0, 5, 0x16, &at));
    CHECK_EQ_U(at, 1);
    CHECK(mw_cursor_find_u8(&c, 2, 5, 0x16, &at));
    CHECK_EQ_U(at, 3);
    /* The limit is exclusive and clipped to the length. */
    CHECK(!mw_cursor_find_u8(&c, 4, 100, 0x16, &at));
    CHECK(!mw_cursor_find_u8(&c, 2, 3, 0x16, &at));
    CHECK(!mw_cursor_find_u8(&c, 9, 100, 0x16, &at));
    CHECK_EQ_U(at, 3);
    CHECK_EQ_U(mw_cursor_len(&c), 5);
}

static void test_empty(void)
{
    mw_cursor c;
    uint8_t u8 = 0;
    mw_cursor_init(&c, NULL, 0);
    CHECK(!mw_cursor_get_u8(&c, &u8));
    CHECK(mw_cursor_equals(&c, "", 0));
    CHECK(mw_cursor_data(&c) == NULL);
}

int main(void)
{
    RUN(test_integers);
    RUN(test_u64_and_le32);
    RUN(test_prefixed);
    RUN(test_max_lengths);
    RUN(test_peek_copy_truncate);
    RUN(test_find);
    RUN(test_empty);
    return check_summary();
}
