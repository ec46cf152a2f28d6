/*
 * flagged.h - --write-flagged: every packet of the flows judged intercepted
 * or suspicious, written to one pcap file for review in Wireshark.
 *
 * From files, two passes, so the per-packet path copies nothing: during the run the
 * session layer records each flagged flow when it ends (its 5-tuple and
 * time span); at the end mw_flagged_write() reads again the inputs that
 * hold flagged flows and writes every frame that decodes to a recorded
 * 5-tuple (either direction) with a timestamp inside that flow's
 * [first_ts_us, last_ts_us]. The time window separates flows that reuse a
 * 5-tuple. Frames are written exactly as captured: bytes, original length,
 * timestamp (at microsecond resolution).
 *
 * What is not written, and where it is counted (stats.h, output group):
 * - flows of inputs that cannot be read again (stdin, live interfaces), of
 *   inputs that can no longer be opened, flows beyond the cap on recorded
 *   flows, and flows of which no packet was found again (an input that
 *   changed or is damaged before them): flagged_flows_unwritable. So
 *   flagged_flows + flagged_flows_unwritable = flows recorded.
 * - packets of an input whose link type differs from the file's (the file
 *   takes the link type of the first flagged input that could be opened):
 *   flagged_packets_linktype; their flows count as unwritable.
 * - IP fragments: the decoder does not expose which frames made up a
 *   reassembled datagram, so only the frame completing the datagram is
 *   matched and written; the earlier fragments are not.
 *
 * A flow's window ends at its last packet as the flow table saw it: the
 * table ends a closed flow only when it leaves the table, so packets in
 * flight after a FIN or RST are inside it. Tunnelled packets (VXLAN, GTP-U,
 * IP-in-IP) match on the inner 5-tuple; the whole outer frame is written.
 *
 * The second pass uses its own decoder (default fragment settings) and
 * counters, so the run's counters are not counted twice; the BPF filter of
 * the run is applied again so the same packets are seen.
 */
/*
 * Live mode, for runs with an input that cannot be read again (standard
 * input, a live interface): frames of flows not yet judged are held (a
 * copy, so only in this mode), within MW_FLAGGED_HOLD_FLOW_BYTES per flow
 * and MW_FLAGGED_HOLD_TOTAL_BYTES in all; when a flow is judged flagged its
 * held frames and every later one are written at once, otherwise they are
 * dropped. Held frames a cap kept out of a flagged flow are counted
 * (flagged_packets_dropped).
 */
#ifndef MW_FLAGGED_H

#define MW_FLAGGED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "flow/flow.h"
#include "common/stats.h"

#define MW_FLAGGED_HOLD_FLOW_BYTES ((size_t)256 * 1024)
#define MW_FLAGGED_HOLD_TOTAL_BYTES ((size_t)64 * 1024 * 1024)

/* A flow's held frames (live mode); zero-initialised, owned by the flow. */
typedef struct mw_flagged_hold {
    void *head, *tail;
    size_t bytes;
    int linktype;
    uint64_t dropped;
} mw_flagged_hold;

typedef struct mw_flagged mw_flagged;

/* Flows recorded at most (about 64 bytes each); more are counted as
 * unwritable. */
#define MW_FLAGGED_DEFAULT_MAX_FLOWS 1000000u

/* max_flows 0 means MW_FLAGGED_DEFAULT_MAX_FLOWS. NULL when out of memory. */
mw_flagged *mw_flagged_new(size_t max_flows);
void mw_flagged_free(mw_flagged *f);

/* The input now being read: its path as given to mw_source_open_file();
 * rereadable is false for standard input ("-") and live interfaces. Only a
 * regular file is read again (not a FIFO such as <(zcat ...)). */
void mw_flagged_begin_input(mw_flagged *f, const char *path, bool rereadable);

/* A flow of the current input judged intercepted or suspicious, at its end
 * (first_ts_us, last_ts_us and key are final). Allocates only when the
 * record array grows; on out of memory the flow is counted unwritable. */
void mw_flagged_add_flow(mw_flagged *f, const mw_flow *flow);

/* Flows recorded so far, including those counted unwritable. */
size_t mw_flagged_count(const mw_flagged *f);

/*
 * Reads the inputs again and writes the packets to out_path (pcap, the
 * first flagged input's link type, snaplen 262144; "-" is standard output).
 * The file is written even when no flow was flagged (then link type
 * Ethernet). cap gives the BPF filter used in the run (may be NULL).
 * Counts into st->output. Returns false with err ("PATH: what") when the
 * file cannot be created or written; an input that cannot be read again
 * is not an error (its flows are counted unwritable). Call once.
 */
bool mw_flagged_write(mw_flagged *f, const char *out_path, const mw_capture_config *cap,
                      mw_stats *st, char *err, size_t errlen);

/* Switches to live mode: nothing is read again; mw_flagged_write() closes
 * the file. */
bool mw_flagged_live_open(mw_flagged *f, const char *out_path, char *err, size_t errlen);
bool mw_flagged_is_live(const mw_flagged *f);
/* SIGHUP (logrotate): closes the file; the next frame opens it again,
 * appending (a new file gets a pcap header). False with err when the old
 * file could not be completed; live writing then stops (counted at close). */
bool mw_flagged_live_reopen(mw_flagged *f, char *err, size_t errlen);
/* A frame of a flow: written at once when the flow is flagged, else held. */
void mw_flagged_live_frame(mw_flagged *f, mw_flagged_hold *hold, bool flagged, int linktype,
                           const mw_source_packet *p, mw_stats *st);
/* The flow was judged (or ended): its held frames written or dropped. */
void mw_flagged_live_decide(mw_flagged *f, mw_flagged_hold *hold, bool flagged, mw_stats *st);

#endif /* MW_FLAGGED_H */
