/*
 * reasm.h - TCP stream reassembly, one direction at a time.
 *
 * A direction's bytes are addressed by stream offset: offset 0 is the byte
 * after the SYN, or, when the SYN was not captured, the first payload byte
 * seen. Offsets are computed as (uint32_t)(seq - isn), so sequence number
 * wrap-around needs no special case; a segment whose offset falls in the
 * upper half of the sequence space is taken to lie before the stream start.
 *
 * Only the first `max_stream_bytes` of each direction are kept (default
 * 1 MiB): that is where TLS handshakes live. Segments are copied into a
 * per-direction buffer at their offset, in or out of order, so the consumer
 * always sees one contiguous view [0, contiguous) and parses in place.
 *
 * Overlaps: the first copy of a byte wins. A later segment carrying
 * different bytes for an offset already held is counted as an inconsistent
 * overlap (injection and IDS evasion look like this) and its differing bytes
 * go to a second version of the direction (mw_tcp_stream.alt), which the
 * consumer may judge too; a third version is discarded. First-wins is the
 * only policy that never rewrites bytes already handed to the consumer.
 *
 * Gaps: bytes that will never arrive (lost before the capture point) are
 * skipped when the peer acknowledges past them, when too much data is held
 * beyond a hole, or when the flow ends. A skipped gap reads as zeros and is
 * reported to the consumer and on the flow.
 *
 * Memory: buffers grow by powers of two from MW_REASM_MIN_BUFFER up to the
 * per-direction cap, are recycled through a free list, and all of them
 * together stay under a global cap; what does not fit is counted.
 */
#ifndef MW_REASM_H
#define MW_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"
#include "common/stats.h"

#define MW_REASM_MIN_BUFFER 4096u
#define MW_REASM_MAX_RANGES 16 /* out-of-order islands held per direction */
#define MW_REASM_MAX_SKIPPED 4 /* skipped gaps remembered per direction */
#define MW_REASM_MAX_ISN 4     /* other ISNs held until the handshake decides */

#define MW_REASM_DEFAULT_STREAM_BYTES (1024u * 1024u)
#define MW_REASM_DEFAULT_MEMCAP (1024ull * 1024u * 1024u)
#define MW_REASM_DEFAULT_MAX_AHEAD (256u * 1024u)

typedef struct mw_reasm_config {
    uint32_t max_stream_bytes; /* per direction, power of two >= 4096 */
    uint64_t memcap;           /* all reassembly buffers together */
    uint32_t max_ahead;        /* bytes held beyond a hole before skipping it */
} mw_reasm_config;

typedef struct mw_reasm mw_reasm;

/* Offsets are 32-bit: the cap is far below 2^31 so they cannot overflow. */
typedef struct mw_reasm_range {
    uint32_t start, end; /* [start, end) stream offsets */
} mw_reasm_range;

/*
 * One direction of one TCP connection. Embedded in the flow; all-zero is the
 * valid initial state. Fields are read by the pipeline; only reasm.c
 * writes them.
 */
typedef struct mw_tcp_stream {
    uint8_t *buf;          /* NULL until the first payload byte is kept */
    uint32_t buf_size;     /* bytes allocated at buf */
    uint32_t isn;          /* sequence number of stream offset 0 */
    uint32_t contiguous;   /* [0, contiguous) is present or skipped */
    uint32_t highest;      /* one past the highest offset held or skipped */
    uint32_t fin_offset;   /* offset of the FIN, valid if fin_seen */
    uint16_t nranges;      /* islands held beyond contiguous */
    bool isn_known;
    bool syn_seen;
    bool fin_seen;
    bool capped;           /* data reached max_stream_bytes */
    bool released;         /* mw_reasm_release() done: accepts nothing */
    uint8_t nskipped;
    mw_reasm_range ranges[MW_REASM_MAX_RANGES]; /* sorted, disjoint */
    /* Gaps skipped below contiguous: late data landing there is dropped
     * rather than compared with the zeros and taken for an inconsistent
     * overlap. When there are more gaps than slots the last slot stretches
     * over the rest, data included, so it errs towards "not compared". */
    mw_reasm_range skipped[MW_REASM_MAX_SKIPPED];
    /* SYNs (or SYN-ACKs) of this direction with another ISN than the
     * first: an injector's decoy and the real one look alike, so all are
     * candidates until the peer's ACK, or this direction's first data,
     * says which one the connection uses. */
    uint32_t isn_alt[MW_REASM_MAX_ISN];
    uint8_t n_isn_alt;
    bool isn_decided;
    bool isn_switched;
    uint32_t isn_conflicts; /* SYNs with another ISN, kept or not */
    /* Per-direction notes, reported on the flow. */
    uint32_t gaps;
    uint64_t gap_bytes;
    uint32_t inconsistent_overlaps;
    uint64_t bytes_beyond_cap;
    /* The second version: from the first overlap with other bytes, a
     * buffer like buf whose bytes are the first differing later copy
     * (the rest as buf). Neither copy had a wrong checksum or TTL (those
     * are held, pipeline.c), so the receiver may have taken either: the
     * consumer can judge both. At most two versions, within the cap and
     * the memcap; alt_refused says the memcap refused it. */
    uint8_t *alt;
    uint32_t alt_from;  /* lowest offset where the versions differ */
    bool alt_refused;
} mw_tcp_stream;

/* What one call changed; the pipeline turns it into consumer calls. */
typedef struct mw_reasm_result {
    uint32_t gap_offset;  /* first skipped gap, if gap_bytes */
    uint32_t gap_bytes;   /* bytes skipped as gaps by this call */
    bool new_data;        /* contiguous advanced (over data or a gap) */
    bool inconsistent;    /* an overlap with different bytes was seen */
    bool reached_cap;     /* this call made the stream hit its cap */
} mw_reasm_result;

mw_reasm *mw_reasm_new(const mw_reasm_config *cfg, mw_reasm_stats *stats);
void mw_reasm_free(mw_reasm *r);

/*
 * Feeds one segment of this direction: its sequence number, TCP flags and
 * payload (possibly empty: a bare SYN or FIN still sets isn / fin_offset).
 */
mw_reasm_result mw_reasm_segment(mw_reasm *r, mw_tcp_stream *s, uint32_t seq,
                                 uint8_t tcp_flags, mw_cursor payload);

/*
 * The peer acknowledged `ack` for this direction: bytes below it that were
 * never seen are lost to the capture and skipped as a gap.
 */
mw_reasm_result mw_reasm_ack(mw_reasm *r, mw_tcp_stream *s, uint32_t ack);

/* The flow is ending: skips every remaining hole so all held data becomes
 * contiguous. */
mw_reasm_result mw_reasm_flush(mw_reasm *r, mw_tcp_stream *s);

/* View of [0, contiguous): what the consumer parses. */
mw_cursor mw_reasm_view(const mw_tcp_stream *s);

/* View of [0, contiguous) of the second version; false (and *out empty)
 * when the direction has none. */
bool mw_reasm_alt_view(const mw_tcp_stream *s, mw_cursor *out);

/* Returns the buffer to the pool; the stream keeps its notes and counters
 * but holds no memory and accepts no more data (bypass). */
void mw_reasm_release(mw_reasm *r, mw_tcp_stream *s);

/* Bytes currently allocated to stream buffers (for tests and stats).
 * Buffers parked in the free list are not included, though they count
 * against the memcap (and are freed first when it is reached). */
uint64_t mw_reasm_memory_in_use(const mw_reasm *r);

#endif /* MW_REASM_H */
