/*
 * capwalk.c - block framing of pcap and pcapng streams, for error places.
 *
 * Only lengths are read (through the cursor API): a pcap record is a
 * 16-byte header and caplen bytes; a pcapng block says its total length
 * in its second word, in the byte order its section's header declares.
 * The moment the framing itself is broken (a pcapng length under 12 or
 * not a multiple of 4, an unknown byte order) the walker stops following:
 * libpcap fails at that same block, the last one in the ring.
 */
#include "capture/capwalk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"

#define MW_PCAPNG_SHB 0x0a0d0d0au
#define MW_PCAPNG_BOM 0x1a2b3c4du
#define MW_PCAP_FILE_HDR 24u
#define MW_PCAP_REC_HDR 16u
#define MW_PCAPNG_HDR 8u
#define MW_PCAPNG_SHB_HDR 12u  /* type, length, byte-order magic */
#define MW_PCAPNG_MIN 12u      /* type, length, trailing length */

typedef enum { MW_W_START, MW_W_PCAP, MW_W_PCAPNG, MW_W_LOST } mw_wfmt;

struct mw_capwalk {
    mw_wfmt fmt;
    bool be;               /* byte order of the file or current section */
    bool swap_mode_always; /* pcap < 2.3: caplen and len swapped */
    bool swap_mode_maybe;  /* pcap 2.3: swapped when caplen > len */
    bool ng;               /* pcapng (else pcap) */
    bool in_block;         /* the newest ring entry is not complete */
    bool eof;
    uint8_t hdr[MW_PCAP_FILE_HDR];
    size_t hdr_len, hdr_need;
    uint64_t body_left;    /* bytes of the current block after its header */
    uint64_t total;        /* bytes fed so far */
    uint64_t next_number;  /* number of the next block or record */
    uint64_t count;        /* ring entries ever pushed */
    mw_capwalk_block ring[MW_CAPWALK_RING];
};

mw_capwalk *mw_capwalk_new(void)
{
    mw_capwalk *w = calloc(1, sizeof(*w));

    if (w != NULL)
        w->hdr_need = 4;  /* the magic decides the format */
    return w;
}

void mw_capwalk_free(mw_capwalk *w) { free(w); }

uint64_t mw_capwalk_total(const mw_capwalk *w) { return w->total; }

void mw_capwalk_eof(mw_capwalk *w) { w->eof = true; }

const char *mw_pcapng_block_name(uint32_t type)
{
    switch (type) {
    case MW_PCAPNG_SHB: return "Section Header";
    case 1: return "Interface Description";
    case 2: return "Packet";
    case 3: return "Simple Packet";
    case 4: return "Name Resolution";
    case 5: return "Interface Statistics";
    case 6: return "Enhanced Packet";
    case 9: return "systemd Journal Export";
    case 10: return "Decryption Secrets";
    case 0x00000bad: case 0x40000bad: return "Custom";
    default: return NULL;
    }
}

static mw_capwalk_block *mw_cur(mw_capwalk *w)
{
    return &w->ring[(w->count - 1) % MW_CAPWALK_RING];
}

static void mw_push(mw_capwalk *w)
{
    mw_capwalk_block *b = &w->ring[w->count % MW_CAPWALK_RING];

    b->start = w->total;
    b->len = 0;
    b->type = 0;
    b->number = w->next_number++;
    w->count++;
    w->in_block = true;
}

static uint32_t mw_u32_at(const mw_capwalk *w, size_t off)
{
    mw_cursor c;
    uint32_t v = 0;

    mw_cursor_init(&c, w->hdr, w->hdr_len);
    if (!mw_cursor_skip(&c, off))
        return 0;
    if (w->be)
        (void)mw_cursor_get_u32(&c, &v);
    else
        (void)mw_cursor_get_u32_le(&c, &v);
    return v;
}

static uint16_t mw_u16_at(const mw_capwalk *w, size_t off)
{
    mw_cursor c;
    uint16_t v = 0;

    mw_cursor_init(&c, w->hdr, w->hdr_len);
    if (!mw_cursor_skip(&c, off))
        return 0;
    if (w->be)
        (void)mw_cursor_get_u16(&c, &v);
    else
        (void)mw_cursor_get_u16_le(&c, &v);
    return v;
}

/* The magic (first 4 bytes) is in hdr: pick the format and byte order. */
static void mw_start(mw_capwalk *w)
{
    w->be = false;
    switch (mw_u32_at(w, 0)) {
    case 0xa1b2c3d4u: case 0xa1b23c4du:
        w->fmt = MW_W_PCAP;
        w->hdr_need = MW_PCAP_FILE_HDR;
        break;
    case 0xd4c3b2a1u: case 0x4d3cb2a1u:
        w->fmt = MW_W_PCAP;
        w->be = true;
        w->hdr_need = MW_PCAP_FILE_HDR;
        break;
    case MW_PCAPNG_SHB:
        w->fmt = MW_W_PCAPNG;
        w->hdr_need = MW_PCAPNG_SHB_HDR;
        break;
    default:
        w->fmt = MW_W_LOST;
        break;
    }
}

/* A whole header is in hdr: set the block's length and what follows. */
static void mw_header_done(mw_capwalk *w)
{
    mw_capwalk_block *b = mw_cur(w);

    if (w->fmt == MW_W_PCAP && b->number == 0) {
        uint16_t major = mw_u16_at(w, 4), minor = mw_u16_at(w, 6);
        w->swap_mode_always = major == 2 && minor < 3;
        w->swap_mode_maybe = major == 2 && minor == 3;
        b->len = MW_PCAP_FILE_HDR;
        w->body_left = 0;
    } else if (w->fmt == MW_W_PCAP) {
        uint32_t caplen = mw_u32_at(w, 8), len = mw_u32_at(w, 12);
        /* As libpcap reads old files (sf-pcap.c). */
        if (w->swap_mode_always || (w->swap_mode_maybe && caplen > len))
            caplen = len;
        b->len = MW_PCAP_REC_HDR + (uint64_t)caplen;
        w->body_left = caplen;
    } else {
        /* The SHB type reads the same in both orders; its byte-order
         * magic sets the order of the whole section. */
        uint32_t type = mw_u32_at(w, 0), len;
        b->type = type;
        if (type == MW_PCAPNG_SHB) {
            w->be = false;
            if (mw_u32_at(w, 8) != MW_PCAPNG_BOM) {
                w->be = true;
                if (mw_u32_at(w, 8) != MW_PCAPNG_BOM) {
                    w->fmt = MW_W_LOST;
                    return;
                }
            }
        }
        len = mw_u32_at(w, 4);
        b->len = len;
        if (len < MW_PCAPNG_MIN || len % 4 != 0 || len < w->hdr_len) {
            w->fmt = MW_W_LOST;
            return;
        }
        w->body_left = len - w->hdr_len;
    }
    w->hdr_len = 0;
    w->hdr_need = w->fmt == MW_W_PCAP ? MW_PCAP_REC_HDR : MW_PCAPNG_HDR;
    if (w->body_left == 0)
        w->in_block = false;
}

void mw_capwalk_feed(mw_capwalk *w, const uint8_t *p, size_t n)
{
    mw_cursor c;

    if (p == NULL || n == 0)
        return;
    mw_cursor_init(&c, p, n);
    while (mw_cursor_len(&c) > 0) {
        if (w->fmt == MW_W_LOST) {
            w->total += mw_cursor_len(&c);
            return;
        }
        if (w->body_left > 0) {
            size_t k = mw_cursor_len(&c) < w->body_left ? mw_cursor_len(&c)
                                                         : (size_t)w->body_left;
            (void)mw_cursor_skip(&c, k);
            w->total += k;
            w->body_left -= k;
            if (w->body_left == 0)
                w->in_block = false;
            continue;
        }
        /* Never true here (len > 0); tells clang's analyzer, which loses
         * that len and data go to 0 together. */
        if (mw_cursor_data(&c) == NULL)
            return;
        if (w->hdr_len == 0)
            mw_push(w);
        {
            size_t k = w->hdr_need - w->hdr_len;
            if (k > mw_cursor_len(&c))
                k = mw_cursor_len(&c);
            (void)mw_cursor_copy(&c, w->hdr + w->hdr_len, k);
            w->hdr_len += k;
            w->total += k;
        }
        if (w->hdr_len < w->hdr_need)
            continue;
        if (w->fmt == MW_W_START) {
            mw_start(w);
            w->ng = w->fmt == MW_W_PCAPNG;
            if (w->fmt == MW_W_PCAP) {
                /* The file header is packet 0, records count from 1. */
                mw_cur(w)->number = 0;
                w->next_number = 1;
            } else if (w->fmt == MW_W_PCAPNG) {
                mw_cur(w)->number = 1;
                w->next_number = 2;
            }
            continue;
        }
        if (w->fmt == MW_W_PCAPNG && w->hdr_need == MW_PCAPNG_HDR &&
            mw_u32_at(w, 0) == MW_PCAPNG_SHB) {
            w->hdr_need = MW_PCAPNG_SHB_HDR;  /* a new section: its order */
            continue;
        }
        mw_header_done(w);
    }
}

static const mw_capwalk_block *mw_find(const mw_capwalk *w, uint64_t pos)
{
    uint64_t kept = w->count < MW_CAPWALK_RING ? w->count : MW_CAPWALK_RING;

    for (uint64_t i = 0; i < kept; i++) {
        const mw_capwalk_block *b = &w->ring[(w->count - 1 - i) % MW_CAPWALK_RING];
        if (b->start < pos || (pos == 0 && b->start == 0))
            return b;
    }
    return NULL;
}

void mw_capwalk_describe(const mw_capwalk *w, uint64_t pos, char *where, size_t wlen,
                         char *problem, size_t plen, bool *truncated)
{
    const mw_capwalk_block *b = mw_find(w, pos);
    const mw_capwalk_block *last = w->count ? &w->ring[(w->count - 1) % MW_CAPWALK_RING] : NULL;
    bool png = w->ng;
    unsigned long long have, want;

    *truncated = false;
    if (plen)
        problem[0] = '\0';
    if (b == NULL) {
        snprintf(where, wlen, "byte %llu", (unsigned long long)pos);
        return;
    }
    if (png) {
        const char *name = mw_pcapng_block_name(b->type);
        char tbuf[32];
        if (name == NULL) {
            snprintf(tbuf, sizeof tbuf, "type 0x%08x", b->type);
            name = b->len == 0 && w->total - b->start < 4 ? "type not read" : tbuf;
        }
        snprintf(where, wlen, "byte %llu, block %llu (%s)", (unsigned long long)pos,
                 (unsigned long long)b->number, name);
    } else if (b->number == 0)
        snprintf(where, wlen, "byte %llu, file header", (unsigned long long)pos);
    else
        snprintf(where, wlen, "byte %llu, packet %llu", (unsigned long long)pos,
                 (unsigned long long)b->number);

    if (!w->eof || b != last || !w->in_block || w->fmt == MW_W_LOST)
        return;
    *truncated = true;
    have = (unsigned long long)(w->total - b->start);
    if (b->len == 0) {
        want = w->fmt == MW_W_PCAP ? (b->number == 0 ? MW_PCAP_FILE_HDR : MW_PCAP_REC_HDR)
                                   : (unsigned long long)w->hdr_need;
        snprintf(problem, plen, "truncated %s header (%llu of %llu bytes)",
                 png ? "block" : b->number == 0 ? "file" : "record", have, want);
    } else
        snprintf(problem, plen, "truncated %s (%llu of %llu bytes)",
                 png ? "block" : b->number == 0 ? "file header" : "record", have,
                 (unsigned long long)b->len);
}
