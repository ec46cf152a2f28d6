/*
 * ipfrag.h - IPv4 and IPv6 fragment reassembly for the decoder.
 *
 * Fragments are copied into a per-datagram buffer (the frame they came in
 * is gone by the next packet). The table is capped in datagrams and in
 * datagram size, and incomplete datagrams time out; every fragment that is
 * dropped is counted in mw_frag_stats. Overlapping fragments are counted;
 * the first copy of a byte wins (as for TCP, see reasm.h), but when a later
 * fragment overlaps with other bytes the datagram also keeps a second
 * version with them (mw_frag_alt): receivers differ in which they keep
 * (Linux drops both), so the decoder decides by the L4 checksum.
 *
 * Used by decode.c only.
 */
#ifndef MW_IPFRAG_H
#define MW_IPFRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cursor.h"
#include "flow/decode.h"
#include "common/stats.h"

typedef struct mw_frag_table mw_frag_table;

typedef struct mw_frag_key {
    mw_addr src, dst;
    uint32_t id;    /* IPv4 identification (16 bits) or IPv6 (32 bits) */
    uint8_t proto;  /* IPv4 protocol, or the IPv6 fragment header's next header */
} mw_frag_key;

typedef enum mw_frag_status {
    MW_FRAG_HELD,     /* stored; datagram not complete yet */
    MW_FRAG_COMPLETE, /* *out views the whole reassembled payload */
    MW_FRAG_DROPPED,  /* counted in the stats (cap, size, invalid) */
} mw_frag_status;

mw_frag_table *mw_frag_new(const mw_frag_config *cfg, mw_frag_stats *stats);
void mw_frag_free(mw_frag_table *t);

/*
 * Offers one fragment: its payload starts at byte `offset` of the
 * datagram's payload; `more` is the More Fragments flag. On
 * MW_FRAG_COMPLETE, *out views the reassembled payload (the bytes after the
 * IP header / fragment header), valid until the next call on this table.
 */
mw_frag_status mw_frag_add(mw_frag_table *t, const mw_frag_key *key,
                           uint32_t offset, bool more, mw_cursor data,
                           uint64_t now_us, mw_cursor *out);

/* Right after MW_FRAG_COMPLETE: when fragments of that datagram overlapped
 * with different bytes, *alt views its second version (each byte the first
 * differing later copy, the rest as *out) and true is returned; valid as
 * long as *out. */
bool mw_frag_alt(const mw_frag_table *t, mw_cursor *alt);

/* Drops datagrams whose last fragment arrived before now_us - timeout. */
void mw_frag_expire(mw_frag_table *t, uint64_t now_us);

/* Drops everything still held, counting it as incomplete_at_end. */
void mw_frag_flush(mw_frag_table *t);

#endif /* MW_IPFRAG_H */
