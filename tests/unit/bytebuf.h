/*
 * bytebuf.h - a growable byte buffer for tests that build wire messages
 * by hand (TLS, DTLS): big-endian writers, abort on out of memory.
 */
#ifndef MW_TEST_BYTEBUF_H
#define MW_TEST_BYTEBUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct bb {
    uint8_t *p;
    size_t n, cap;
} bb;

static inline void bb_put(bb *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np)
            abort();
        b->p = np;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, src, n);
    b->n += n;
}

static inline void u8(bb *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    bb_put(b, &x, 1);
}

static inline void u16(bb *b, unsigned v)
{
    u8(b, v >> 8);
    u8(b, v);
}

static inline void u24(bb *b, unsigned v)
{
    u8(b, v >> 16);
    u16(b, v & 0xffff);
}

static inline void bb_free(bb *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

#endif /* MW_TEST_BYTEBUF_H */
