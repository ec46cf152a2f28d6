/*
 * parallel.h - --threads N: one reader, N workers, sinks taken in turn.
 *
 * The reader (the caller's thread) reads each input and hands every frame
 * to the worker its flow hashes to (flow/dispatch.h), copied into that
 * worker's bounded ring (common/ring.h); when the ring is full it waits.
 * Each worker owns an mw_worker (decoder, fragments, flows, reassembly,
 * counters) and an mw_sessions (nDPI, dissectors, certificate cache).
 *
 * Shared: the rules and trust store (read only) and the sinks of
 * mw_session_config (baseline store, summary, --certs, --write-flagged,
 * the event stream). A worker uses a sink only inside a turn, and turns
 * are granted in one order that does not depend on N or on timing: by the
 * packet at which the single-threaded run would have done the same thing
 * (docs/architecture.md, "Threads"). So the verdicts (which read the
 * baseline store's history), the summary and the order of the events are
 * those of --threads 1.
 *
 * Idle flows expire when the reader says so, on every worker at the same
 * packet; each input ends on every worker before the next one begins.
 */
#ifndef MW_PARALLEL_H
#define MW_PARALLEL_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"
#include "flow/pipeline.h"
#include "session/session.h"
#include "common/stats.h"

/* Bytes of frames queued per worker. */
#define MW_PAR_RING_BYTES ((size_t)16 << 20)
#define MW_PAR_MAX_THREADS 64u

typedef struct mw_par mw_par;

/*
 * Starts `threads` workers. Each gets cfg with the flow, reassembly and
 * fragment limits divided by `threads` (the limits bound the whole run)
 * and its own mw_sessions made from scfg. NULL when out of memory or a
 * thread cannot start.
 */
mw_par *mw_par_new(unsigned threads, const mw_config *cfg, const mw_session_config *scfg);

/* Stops the workers and frees everything. */
void mw_par_free(mw_par *p);

/* The counters the reader's sources count into (capture group). */
mw_stats *mw_par_reader_stats(mw_par *p);

/* An input begins: its link type, its name (stable until its end) and the
 * vantage label of its sessions (or NULL). */
void mw_par_begin_input(mw_par *p, int linktype, const char *name, const char *vantage,
                        uint64_t number_base);

/* One frame of the current input; its bytes are copied. */
void mw_par_packet(mw_par *p, const mw_source_packet *pkt);

/* The input's end: returns when every worker has ended all its flows. */
void mw_par_end_input(mw_par *p);

/* False once a worker's output write failed. */
bool mw_par_ok(const mw_par *p);

/* Adds the reader's and every worker's counters (sessions included) to
 * *out. Peak counters are the largest of one worker's. */
void mw_par_add_stats(mw_par *p, mw_stats *out);

/* For a progress line: sessions and intercepted ones so far (each worker
 * refreshes its share every 1024 packets). */
void mw_par_progress(const mw_par *p, uint64_t *sessions, uint64_t *intercepted);

/* Times the reader waited for room in a full ring (timing, not data: on
 * standard error only). */
uint64_t mw_par_reader_waits(const mw_par *p);

/* Between inputs: times a worker waited for a turn, and of those how many
 * because it held PEND_MAX judgements (timing, not data: -v only). */
void mw_par_turn_waits(const mw_par *p, uint64_t *waits, uint64_t *full);

#endif /* MW_PARALLEL_H */
