/*
 * pipeline.h - one worker: frames in, flows and ordered streams out.
 *
 * A worker owns everything a packet touches: decoder (with IP fragment
 * reassembly), flow table, TCP reassembly and counters. Nothing is shared,
 * so several workers can run on several threads once packets are spread
 * over them by a symmetric hash of the flow key; today a run uses one.
 *
 * What the worker produces goes to a consumer (the TLS/QUIC dissectors).
 * The consumer sees each TCP direction as one growing contiguous view and
 * each UDP datagram as it comes; when it returns MW_CONSUMER_DONE the flow
 * is bypassed: its buffers are released and later packets are only counted.
 */
#ifndef MW_PIPELINE_H
#define MW_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"
#include "common/cursor.h"
#include "flow/checksum.h"
#include "flow/decode.h"
#include "flow/flow.h"
#include "flow/reasm.h"
#include "common/stats.h"

typedef enum mw_consumer_verdict {
    MW_CONSUMER_CONTINUE, /* keep feeding this flow */
    MW_CONSUMER_DONE,     /* analysis complete: bypass the flow */
} mw_consumer_verdict;

typedef enum mw_gap_kind {
    MW_GAP_LOST, /* bytes never captured (skipped hole) */
    MW_GAP_CAP,  /* the direction reached its buffer cap; nothing follows */
} mw_gap_kind;

typedef struct mw_consumer {
    /* A new flow. Returns the consumer's per-flow state; NULL means "not
     * interested" and bypasses the flow at once. */
    void *(*flow_start)(void *arg, const mw_flow *flow, const mw_packet *pkt);

    /* Every packet of a flow not yet bypassed, before its payload goes to
     * reassembly (classifiers such as nDPI look at packets, not streams). */
    mw_consumer_verdict (*packet)(void *arg, void *state, const mw_flow *flow,
                                  int dir, const mw_packet *pkt);

    /* TCP: direction dir grew. `stream` views every byte of that direction
     * from offset 0 to the contiguous end; bytes before `from` were in an
     * earlier view. pkt is the segment that completed the view, or NULL
     * when the flow's end flushes data held behind a hole. */
    mw_consumer_verdict (*stream_data)(void *arg, void *state, const mw_flow *flow,
                                       int dir, const mw_cursor *stream,
                                       uint32_t from, const mw_packet *pkt);

    /* TCP: [offset, offset + len) of direction dir is missing (read as
     * zeros), or, for MW_GAP_CAP, nothing past offset will be kept. */
    mw_consumer_verdict (*stream_gap)(void *arg, void *state, const mw_flow *flow,
                                      int dir, uint32_t offset, uint64_t len,
                                      mw_gap_kind kind);

    /* UDP: one datagram's payload. */
    mw_consumer_verdict (*datagram)(void *arg, void *state, const mw_flow *flow,
                                    int dir, const mw_cursor *payload,
                                    const mw_packet *pkt);

    /* Optional: every frame of a flow with consumer state, bypassed or not,
     * after the other calls for it, as captured (for --write-flagged on
     * inputs that cannot be read again). NULL costs nothing. */
    void (*frame)(void *arg, void *state, const mw_flow *flow, int linktype,
                  const mw_source_packet *raw);

    /* Optional: live capture idle for a while (mw_worker_tick), at
     * capture time now_us; NULL costs nothing. Not called for files, so
     * that the output does not depend on when the reader went idle. */
    void (*tick)(void *arg, uint64_t now_us);

    /* The flow ended; the last call for this state, which the consumer
     * frees. Called also for flows bypassed earlier. */
    void (*flow_end)(void *arg, void *state, const mw_flow *flow, mw_flow_end reason);
} mw_consumer;

typedef struct mw_config {
    mw_capture_config capture;
    mw_frag_config frag;
    mw_flow_config flow;
    mw_reasm_config reasm;
    bool verbose; /* log every decode error with its packet number */
    mw_checksum_mode checksums; /* --checksums (default auto) */
    /* --threads N: the reader decides when idle flows expire (calling
     * mw_worker_expire on every worker at the same packet), so that flows
     * end at the same point of the input whatever N is. */
    bool expire_by_caller;
} mw_config;

/* --checksums auto: a direction with this many wrong checksums and no
 * right one is reported as offloaded (its packets were let through all
 * along: the first ones cannot wait for the verdict). */
#define MW_CSUM_OFFLOAD_AFTER 4u

/* Idle flows and fragments expire at most this often, in capture time. */
#define MW_EXPIRE_INTERVAL_US 1000000u

/* Fills *cfg with the documented defaults. */
void mw_config_defaults(mw_config *cfg);

typedef struct mw_worker mw_worker;

/* consumer may be NULL (flows are tracked and counted only). */
mw_worker *mw_worker_new(const mw_config *cfg, const mw_consumer *consumer,
                         void *consumer_arg);
void mw_worker_free(mw_worker *w);

/* Runs one frame through decode, flow tracking, reassembly and the
 * consumer. p->data is only read during the call. */
void mw_worker_packet(mw_worker *w, int linktype, const char *capture,
                      const mw_source_packet *p);

/* With expire_by_caller, in two steps on every worker: what each would
 * keep (mw_flow_expire_horizon), then, with the smallest of all, expiry of
 * what is idle at now_us (the capture time of the whole input so far), so
 * the workers together end the flows one worker alone would. */
void mw_worker_expire_horizon(mw_worker *w, uint64_t now_us,
                              uint64_t first_kept[MW_FLOW_STATE_COUNT]);
void mw_worker_expire(mw_worker *w, uint64_t now_us,
                      const uint64_t before[MW_FLOW_STATE_COUNT]);

/* Time passed without packets (live capture): expire idle flows. */
void mw_worker_tick(mw_worker *w, uint64_t now_us);

/* End of an input: every flow and fragment still held is ended (EOF).
 * Flows never span inputs: each file is its own capture, maybe its own
 * vantage point. */
void mw_worker_end_input(mw_worker *w);

/* The packets of the run before the next input: its record numbers are
 * counted from there for flow_id (mw_flow.run_number). */
void mw_worker_set_number_base(mw_worker *w, uint64_t base);

mw_stats *mw_worker_stats(mw_worker *w);

#endif /* MW_PIPELINE_H */
