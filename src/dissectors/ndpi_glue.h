/*
 * ndpi_glue.h - application name and risk flags of a flow, from nDPI 4.2.
 *
 * Every flow is shown to nDPI from its first packet until nDPI has named it
 * and wants no more (or a per-flow packet cap is reached), the way nDPI's own
 * ndpiReader drives it, so names match what ndpiReader prints: "TLS.Facebook"
 * (master.app, from ndpi_protocol2name), "QUIC.Google", "TLS", "Unknown".
 *
 * One mw_ndpi per worker: nDPI keeps per-packet state inside its detection
 * module, so a module must never be shared between threads. Flows are
 * allocated when they start (nDPI's flow struct plus its own allocations)
 * and nDPI's part is released as soon as dissection is over, so long-lived
 * flows hold only the small result. Nothing is allocated per packet here
 * (nDPI itself may allocate inside some dissectors).
 *
 * nDPI finds the packet direction itself from the IP addresses, as in
 * ndpiReader, so the caller's direction is not needed.
 */
#ifndef MW_NDPI_GLUE_H
#define MW_NDPI_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/decode.h"

/* Packets per flow handed to nDPI before it is made to decide. */
#define MW_NDPI_DEFAULT_MAX_PACKETS 32u

/* Longest name mw_ndpi_app_name() returns, with its NUL. */
#define MW_NDPI_NAME_LEN 64

/* Most risk names one flow can carry (nDPI 4.2 defines 41 risks). */
#define MW_NDPI_MAX_RISKS 64

typedef struct mw_ndpi_stats {
    uint64_t flows;            /* flows started */
    uint64_t flows_classified; /* named by DPI itself (also those ended
                                  while nDPI was still dissecting more) */
    uint64_t flows_given_up;   /* nDPI made to decide: cap reached or flow
                                  ended before detection; each then counts
                                  in one of the two below or, if named from
                                  partial data, in neither */
    uint64_t flows_guessed;    /* given up, name guessed from ports/IPs */
    uint64_t flows_unknown;    /* given up, still "Unknown" */
    uint64_t flows_cap_hit;    /* the packet cap ended dissection (a give-up
                                  or extra dissection cut short) */
    uint64_t flows_alloc_failed; /* out of memory at flow start: "Unknown" */
    uint64_t packets;          /* packets handed to nDPI */
    uint64_t packets_no_l3;    /* skipped: rebuilt from fragments, no l3 */
    uint64_t packets_clipped;  /* l3 over 65535 bytes, clipped for nDPI */
} mw_ndpi_stats;

typedef struct mw_ndpi mw_ndpi;
typedef struct mw_ndpi_flow mw_ndpi_flow;

/* A detection module with every protocol enabled. NULL when out of memory
 * or nDPI fails to initialise. nDPI forbids creating modules in parallel:
 * create the workers' modules one after the other. */
mw_ndpi *mw_ndpi_new(void);
void mw_ndpi_free(mw_ndpi *n);

/* 0 restores MW_NDPI_DEFAULT_MAX_PACKETS. Applies to packets not yet seen. */
void mw_ndpi_set_max_packets(mw_ndpi *n, uint32_t max_packets);

const mw_ndpi_stats *mw_ndpi_get_stats(const mw_ndpi *n);

/* A new flow. NULL when out of memory (counted in flows_alloc_failed);
 * every function below accepts that NULL and treats it as an "Unknown"
 * flow, so callers need no special case. Freeing a flow not finished
 * releases it without counting it as classified or given up. */
mw_ndpi_flow *mw_ndpi_flow_new(mw_ndpi *n);
void mw_ndpi_flow_free(mw_ndpi *n, mw_ndpi_flow *f);

/*
 * Hands one decoded packet (pkt->l3 and pkt->ts_us) of flow f to nDPI.
 * Returns true while nDPI still wants packets of this flow; false once the
 * name is settled: detected with no extra dissection possible, or the cap
 * reached (then the flow is given up with guessing on). Further calls after
 * false are no-ops that return false. Packets with an empty l3 (rebuilt
 * from fragments) are skipped and do not count towards the cap.
 */
bool mw_ndpi_packet(mw_ndpi *n, mw_ndpi_flow *f, const mw_packet *pkt);

/* End of the flow, if mw_ndpi_packet() still wanted packets: gives up on
 * it with guessing on, as ndpiReader does at a flow's end (also when it is
 * already named and only in extra dissection: nDPI settles its last risks
 * then), and releases nDPI's flow state. Idempotent. */
void mw_ndpi_finish(mw_ndpi *n, mw_ndpi_flow *f);

/* The name so far; final once mw_ndpi_packet() returned false or after
 * mw_ndpi_finish(). "Unknown" when nothing matched. Valid while f lives. */
const char *mw_ndpi_app_name(const mw_ndpi_flow *f);

/* True when the name came from nDPI's guess at give-up, not from DPI. */
bool mw_ndpi_guessed(const mw_ndpi_flow *f);

/* Stores up to max risk names of f (static strings) in names[], in nDPI's
 * risk order; returns how many risks the flow has (may exceed max). */
size_t mw_ndpi_risks(const mw_ndpi_flow *f, const char **names, size_t max);

/* IANA name of a TLS cipher suite as nDPI 4.2 spells it
 * ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), or NULL when nDPI has none
 * (the caller prints the number). Static strings, thread-safe. */
const char *mw_ndpi_cipher_name(uint16_t cipher);

#endif /* MW_NDPI_GLUE_H */
