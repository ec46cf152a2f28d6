/*
 * capwalk.h - where in a capture file reading stopped, for error messages.
 *
 * libpcap parses the file, but its errors say neither the byte offset nor
 * the block. The walker follows the same byte stream libpcap is given (it
 * sees each byte once, as it passes through the reader) and keeps only the
 * block structure: where each pcap record or pcapng block starts, its
 * number and type. It runs ahead of libpcap by at most the stdio buffer,
 * so a small ring of the latest blocks is enough to name the one that
 * holds any byte libpcap has consumed but not finished.
 *
 * It never judges a block itself beyond its framing: the words of an
 * error stay libpcap's, except for a truncated file, which the walker
 * alone can measure (how many bytes of the block were there).
 */
#ifndef MW_CAPWALK_H
#define MW_CAPWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Readahead of the stdio stream over the reader; the ring covers it. */
#define MW_CAPWALK_BUFSIZE ((size_t)16 * 1024)
/* Blocks in the ring: at least BUFSIZE / 12 (the smallest pcapng block). */
#define MW_CAPWALK_RING 2048u

typedef struct mw_capwalk_block {
    uint64_t start;   /* byte offset in the (decompressed) stream */
    uint64_t len;     /* framing length; 0 while not yet known */
    uint64_t number;  /* pcapng: 1-based block number; pcap: packet number
                       * (0 = the file header) */
    uint32_t type;    /* pcapng block type */
} mw_capwalk_block;

typedef struct mw_capwalk mw_capwalk;

mw_capwalk *mw_capwalk_new(void);
void mw_capwalk_free(mw_capwalk *w);

/* Every byte handed to libpcap, in order. */
void mw_capwalk_feed(mw_capwalk *w, const uint8_t *p, size_t n);
/* The stream ended cleanly (the reader returned 0). */
void mw_capwalk_eof(mw_capwalk *w);
uint64_t mw_capwalk_total(const mw_capwalk *w);

/*
 * Describes the place of an error at stream offset pos (what libpcap has
 * consumed): "byte P, block N (Type)" for pcapng, "byte P, packet N" or
 * "byte P, file header" for pcap. When the stream ended inside that
 * block, *truncated is set and problem gets "truncated block (X of Y
 * bytes)" or the like; otherwise problem is left empty.
 */
void mw_capwalk_describe(const mw_capwalk *w, uint64_t pos, char *where, size_t wlen,
                         char *problem, size_t plen, bool *truncated);

/* "Section Header", "Enhanced Packet", ..., or NULL when unknown. */
const char *mw_pcapng_block_name(uint32_t type);

#endif /* MW_CAPWALK_H */
