/*
 * cursor.h - the one way mitmwatch reads bytes that came off the wire.
 *
 * Every byte of a capture is hostile. A cursor is a (pointer, length) view of
 * a buffer that only shrinks from the front; every read checks the remaining
 * length first and fails without side effects when it is too short, so a
 * parser never needs raw pointer arithmetic on packet bytes. Modelled on
 * BoringSSL's CBS. Reads are big-endian (network order) unless named _le.
 *
 * On failure a getter leaves the cursor and *out untouched and returns false.
 */
#ifndef MW_CURSOR_H
#define MW_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct mw_cursor {
    const uint8_t *data;
    size_t len;
} mw_cursor;

static inline void mw_cursor_init(mw_cursor *c, const uint8_t *data, size_t len)
{
    c->data = len ? data : NULL;
    c->len = len;
}

static inline size_t mw_cursor_len(const mw_cursor *c) { return c->len; }

/* Pointer to the remaining bytes, for handing a whole view to memcmp,
 * hashing or a library (OpenSSL, zlib). Never index past mw_cursor_len(). */
static inline const uint8_t *mw_cursor_data(const mw_cursor *c) { return c->data; }

static inline bool mw_cursor_skip(mw_cursor *c, size_t n)
{
    if (c->len < n)
        return false;
    c->data = n == c->len ? NULL : c->data + n;
    c->len -= n;
    return true;
}

/* Splits off the next n bytes as their own cursor. */
static inline bool mw_cursor_get_bytes(mw_cursor *c, mw_cursor *out, size_t n)
{
    if (c->len < n)
        return false;
    mw_cursor_init(out, c->data, n);
    return mw_cursor_skip(c, n);
}

/* Copies the next n bytes out; dst must hold n bytes. */
static inline bool mw_cursor_copy(mw_cursor *c, void *dst, size_t n)
{
    if (c->len < n)
        return false;
    if (n)
        memcpy(dst, c->data, n);
    return mw_cursor_skip(c, n);
}

/* Reads an unsigned big-endian integer of nbytes (1..8). */
static inline bool mw_cursor_get_be(mw_cursor *c, size_t nbytes, uint64_t *out)
{
    if (nbytes == 0 || nbytes > 8 || c->len < nbytes)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < nbytes; i++)
        v = (v << 8) | c->data[i];
    *out = v;
    return mw_cursor_skip(c, nbytes);
}

static inline bool mw_cursor_get_u8(mw_cursor *c, uint8_t *out)
{
    uint64_t v;
    if (!mw_cursor_get_be(c, 1, &v))
        return false;
    *out = (uint8_t)v;
    return true;
}

static inline bool mw_cursor_get_u16(mw_cursor *c, uint16_t *out)
{
    uint64_t v;
    if (!mw_cursor_get_be(c, 2, &v))
        return false;
    *out = (uint16_t)v;
    return true;
}

static inline bool mw_cursor_get_u24(mw_cursor *c, uint32_t *out)
{
    uint64_t v;
    if (!mw_cursor_get_be(c, 3, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static inline bool mw_cursor_get_u32(mw_cursor *c, uint32_t *out)
{
    uint64_t v;
    if (!mw_cursor_get_be(c, 4, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static inline bool mw_cursor_get_u64(mw_cursor *c, uint64_t *out)
{
    return mw_cursor_get_be(c, 8, out);
}

/* Little-endian reads, for host-order headers (BSD loopback, SLL2 fields). */
static inline bool mw_cursor_get_u16_le(mw_cursor *c, uint16_t *out)
{
    if (c->len < 2)
        return false;
    *out = (uint16_t)(c->data[0] | (c->data[1] << 8));
    return mw_cursor_skip(c, 2);
}

static inline bool mw_cursor_get_u32_le(mw_cursor *c, uint32_t *out)
{
    if (c->len < 4)
        return false;
    *out = (uint32_t)c->data[0] | ((uint32_t)c->data[1] << 8) |
           ((uint32_t)c->data[2] << 16) | ((uint32_t)c->data[3] << 24);
    return mw_cursor_skip(c, 4);
}

/* Reads a byte at offset off without consuming anything. */
static inline bool mw_cursor_peek_u8(const mw_cursor *c, size_t off, uint8_t *out)
{
    if (off >= c->len)
        return false;
    *out = c->data[off];
    return true;
}

static inline bool mw_cursor_peek_u16(const mw_cursor *c, size_t off, uint16_t *out)
{
    if (off > c->len || c->len - off < 2)
        return false;
    *out = (uint16_t)((c->data[off] << 8) | c->data[off + 1]);
    return true;
}

/* Length-prefixed vectors (TLS "opaque x<0..2^N-1>"): reads the length, then
 * splits off that many bytes. Fails, consuming nothing, if they are not all
 * there. */
static inline bool mw_cursor_get_prefixed(mw_cursor *c, size_t len_bytes, mw_cursor *out)
{
    mw_cursor tmp = *c;
    uint64_t n;
    if (!mw_cursor_get_be(&tmp, len_bytes, &n) || n > tmp.len)
        return false;
    if (!mw_cursor_get_bytes(&tmp, out, (size_t)n))
        return false;
    *c = tmp;
    return true;
}

static inline bool mw_cursor_get_u8_prefixed(mw_cursor *c, mw_cursor *out)
{
    return mw_cursor_get_prefixed(c, 1, out);
}

static inline bool mw_cursor_get_u16_prefixed(mw_cursor *c, mw_cursor *out)
{
    return mw_cursor_get_prefixed(c, 2, out);
}

static inline bool mw_cursor_get_u24_prefixed(mw_cursor *c, mw_cursor *out)
{
    return mw_cursor_get_prefixed(c, 3, out);
}

/* Finds the first `byte` at an offset in [from, limit) (limit clipped to
 * the length) without consuming anything; for scanning a stream for a
 * record start. */
static inline bool mw_cursor_find_u8(const mw_cursor *c, size_t from, size_t limit,
                                     uint8_t byte, size_t *at)
{
    if (limit > c->len)
        limit = c->len;
    if (from >= limit)
        return false;
    const uint8_t *hit = memchr(c->data + from, byte, limit - from);
    if (!hit)
        return false;
    *at = (size_t)(hit - c->data);
    return true;
}

/* Narrows the cursor to its first n bytes (e.g. an IP total length that is
 * shorter than the captured frame, which then carries Ethernet padding). */
static inline bool mw_cursor_truncate(mw_cursor *c, size_t n)
{
    if (n > c->len)
        return false;
    c->len = n;
    if (n == 0)
        c->data = NULL;
    return true;
}

/* True when the remaining bytes equal the n bytes at p. */
static inline bool mw_cursor_equals(const mw_cursor *c, const void *p, size_t n)
{
    return c->len == n && (n == 0 || memcmp(c->data, p, n) == 0);
}

#endif /* MW_CURSOR_H */
