/*
 * checksum.c - see checksum.h.
 */
#include "flow/checksum.h"

#include <string.h>

void mw_csum_add(mw_csum *s, const mw_cursor *c)
{
    const uint8_t *p = mw_cursor_data(c);
    size_t n = mw_cursor_len(c);
    uint64_t acc = s->acc;

    if (n == 0)
        return;
    /* Continue a word left open by an odd-length earlier region: its low
     * (second) byte in network order is this region's first byte. */
    if (s->odd) {
        uint8_t w[2] = {0, p[0]};
        uint16_t v;
        memcpy(&v, w, 2);
        acc += v;
        p++;
        n--;
        s->odd = 0;
    }
    /* Sixteen bytes a turn, two sums of 32-bit halves (2^32 is 1 modulo
     * 0xFFFF, so a 64-bit word counts as its two halves): no carries to
     * chase, and each sum stays below 2^48 for any frame libpcap gives. */
    uint64_t a0 = 0, a1 = 0;
    while (n >= 16) {
        uint64_t v, w;
        memcpy(&v, p, 8);
        memcpy(&w, p + 8, 8);
        a0 += (v & 0xffffffffu) + (v >> 32);
        a1 += (w & 0xffffffffu) + (w >> 32);
        p += 16;
        n -= 16;
    }
    acc += a0 + a1;
    while (n >= 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        acc += v;
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        acc += v;
        p += 2;
        n -= 2;
    }
    if (n == 1) {
        uint8_t w[2] = {p[0], 0};
        uint16_t v;
        memcpy(&v, w, 2);
        acc += v;
        s->odd = 1;
    }
    s->acc = acc;
}

uint16_t mw_csum_fold(const mw_csum *s)
{
    uint64_t a = s->acc;

    /* Four folds take any 64-bit value down to 16 bits. */
    a = (a & 0xffffffffu) + (a >> 32);
    a = (a & 0xffffffffu) + (a >> 32);
    a = (a & 0xffffu) + (a >> 16);
    a = (a & 0xffffu) + (a >> 16);
    return (uint16_t)a;
}

void mw_csum_pseudo(mw_csum *s, const uint8_t *src, const uint8_t *dst, size_t addr_len,
                    uint8_t proto, uint32_t l4_len)
{
    uint8_t ph[40];
    size_t n = 0;
    mw_cursor c;

    memcpy(ph, src, addr_len);
    memcpy(ph + addr_len, dst, addr_len);
    n = 2 * addr_len;
    s->acc = 0;
    s->odd = 0;
    mw_cursor_init(&c, ph, n);
    mw_csum_add(s, &c);
    if (addr_len == 4) {
        /* zero, protocol, 16-bit TCP/UDP length */
        uint8_t t[4] = {0, proto, (uint8_t)(l4_len >> 8), (uint8_t)l4_len};
        mw_cursor_init(&c, t, sizeof t);
        mw_csum_add(s, &c);
    } else {
        /* 32-bit upper-layer length, three zeros, next header */
        uint8_t t[8] = {(uint8_t)(l4_len >> 24), (uint8_t)(l4_len >> 16), (uint8_t)(l4_len >> 8),
                        (uint8_t)l4_len, 0, 0, 0, proto};
        mw_cursor_init(&c, t, sizeof t);
        mw_csum_add(s, &c);
    }
}

const char *mw_checksum_mode_name(mw_checksum_mode m)
{
    switch (m) {
    case MW_CHECKSUMS_ON: return "on";
    case MW_CHECKSUMS_OFF: return "off";
    default: return "auto";
    }
}

bool mw_checksum_mode_parse(const char *s, mw_checksum_mode *out)
{
    if (strcmp(s, "auto") == 0)
        *out = MW_CHECKSUMS_AUTO;
    else if (strcmp(s, "on") == 0)
        *out = MW_CHECKSUMS_ON;
    else if (strcmp(s, "off") == 0)
        *out = MW_CHECKSUMS_OFF;
    else
        return false;
    return true;
}
