/*
 * decode_internal.h - what decode.c and decode_tunnel.c share; not an API.
 * decode.c walks the layers of a frame; decode_tunnel.c crosses the
 * tunnels carried over UDP (VXLAN, GTP-U) and comes back into decode.c
 * for the inner packet.
 */
#ifndef MW_DECODE_INTERNAL_H
#define MW_DECODE_INTERNAL_H

#include <stdio.h>

#include "flow/decode.h"
#include "flow/ipfrag.h"

/* Tags, labels, PPPoE, IP, VXLAN and GTP-U tunnels crossed by one frame,
 * all together. Tunnels over UDP recurse, so this also bounds the stack. */
#define MW_MAX_DEPTH 8

struct mw_decoder {
    mw_stats *stats;
    mw_frag_table *frag;
    bool dispatch; /* fragments are reported, not held */
    bool verify;   /* compute checksums (pkt->csum) */
    char err[128];
};

/* The state of one mw_decode() call. */
typedef struct mw_dstate {
    mw_decoder *d;
    mw_decode_stats *st;
    mw_packet *pkt;
    mw_cursor c;     /* the bytes of the current layer that were captured */
    size_t claimed;  /* what the headers say it has; SIZE_MAX: unknown */
    unsigned depth;
    bool counted_ip; /* the outermost IP header was counted */
    /* Checksums of every layer crossed: one bad one makes the packet bad. */
    bool csum_bad, csum_ok;
    bool l4_uncheckable; /* offload super-packet, IPv6 routing header */
} mw_dstate;

/* Counts a decode error; the message is set by MW_FAIL's caller. */
mw_decode_status mwd_failed(uint64_t *counter);
#define MW_FAIL(s, counter, ...)                                               \
    (snprintf((s)->d->err, sizeof((s)->d->err), __VA_ARGS__), mwd_failed(counter))

mw_decode_status mwd_skip_non_ip(mw_dstate *s);
/* One more encapsulation; false past MW_MAX_DEPTH. */
bool mwd_deeper(mw_dstate *s);
/* The current layer's first n bytes are its header: move past them. */
void mwd_consume(mw_dstate *s, size_t n);
/* The layer's length as its header claims it; false if beyond the rest. */
bool mwd_set_claimed(mw_dstate *s, size_t n);
mw_decode_status mwd_decode_ip(mw_dstate *s, int version);
mw_decode_status mwd_decode_ethertype(mw_dstate *s, uint16_t type);

/* decode_tunnel.c: the UDP payload in s->c as VXLAN / a GTP-U G-PDU.
 * *crossed false: not one (counted as bad_tunnel when malformed), the
 * packet stays plain UDP. */
mw_decode_status mwd_decode_vxlan(mw_dstate *s, bool *crossed);
mw_decode_status mwd_decode_gtpu(mw_dstate *s, bool *crossed);

#endif /* MW_DECODE_INTERNAL_H */
