/*
 * checksum.h - Internet checksums (RFC 1071) of IPv4 headers, TCP and UDP.
 *
 * A stack drops a packet whose checksum is wrong, so such a packet is
 * something the receiver never saw: an injection aimed at a passive
 * monitor, or a capture taken on the sending host before the NIC filled
 * the field (checksum offload). The decoder only computes; what to do with
 * a bad packet is decided per flow direction by the pipeline (--checksums).
 */
#ifndef MW_CHECKSUM_H
#define MW_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"

typedef enum mw_checksum_mode {
    MW_CHECKSUMS_AUTO, /* verify, except in directions that never had one right */
    MW_CHECKSUMS_ON,   /* every bad packet is dropped */
    MW_CHECKSUMS_OFF,  /* nothing is computed */
} mw_checksum_mode;

/* Result of verification on one packet. */
typedef enum mw_csum_status {
    MW_CSUM_UNCHECKED, /* not computed: off, cut by the snaplen, UDP 0, ... */
    MW_CSUM_OK,
    MW_CSUM_BAD,
} mw_csum_status;

/*
 * Adds the bytes of c to a running ones-complement sum. The sum is taken
 * over native-order 16-bit words, which RFC 1071 (section 2(B)) shows to be
 * byte-order independent up to a final swap; the callers only compare the
 * folded result with 0xFFFF, which a swap leaves unchanged. `odd` says the
 * bytes already summed were of odd length: c then continues mid-word. Words
 * are read 4 bytes at a time into a 64-bit accumulator, which cannot carry
 * out for any packet below 2^32 words.
 */
typedef struct mw_csum {
    uint64_t acc;
    int odd;
} mw_csum;

void mw_csum_add(mw_csum *s, const mw_cursor *c);

/* Folds to 16 bits (end-around carry). */
uint16_t mw_csum_fold(const mw_csum *s);

/* A region that includes its own checksum field verifies when the folded
 * sum is 0xFFFF. */
#define MW_CSUM_VALID 0xFFFFu

/*
 * TCP or UDP (proto) over IPv4 (addr_len 4) or IPv6 (16): seeds *s with the
 * pseudo-header of RFC 793 / RFC 768 or RFC 8200 section 8.1 for an L4
 * segment of l4_len bytes.
 */
void mw_csum_pseudo(mw_csum *s, const uint8_t *src, const uint8_t *dst, size_t addr_len,
                    uint8_t proto, uint32_t l4_len);

const char *mw_checksum_mode_name(mw_checksum_mode m);
/* "auto", "on", "off"; false for anything else. */
bool mw_checksum_mode_parse(const char *s, mw_checksum_mode *out);

#endif /* MW_CHECKSUM_H */
