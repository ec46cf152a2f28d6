/*
 * dispatch.h - which worker a frame belongs to (--threads N).
 *
 * The reader decodes each frame just far enough to find its flow (the same
 * decoder as the workers, link layers and tunnels included, but fragments
 * are not held) and hashes the flow's address pair with SipHash-1-3 under
 * a key drawn per run (common/siphash.h). The hash is symmetric: the two addresses are put in order
 * first, so both directions of a flow reach the same worker.
 *
 * Ports are left out on purpose. IP fragments after the first carry none,
 * and a flow whose datagrams are sometimes fragmented (DNS, DTLS, GTP-U,
 * a TCP path with a small MTU) must still be one flow on one worker, which
 * reassembles its fragments. Keeping a host pair together also keeps
 * nDPI's caches keyed by address pair (mining, Ookla, Teams) per worker as
 * they are in one thread. The price: one busy host pair cannot be spread
 * over several workers. Frames that are not TCP or UDP over IP, and
 * malformed ones, go to worker 0, which counts them.
 */
#ifndef MW_DISPATCH_H
#define MW_DISPATCH_H

#include <stdint.h>

#include "capture/capture.h"

typedef struct mw_dispatch mw_dispatch;

/* n workers (at least 1). NULL when out of memory. */
mw_dispatch *mw_dispatch_new(unsigned n);
void mw_dispatch_free(mw_dispatch *d);

/* The worker, in [0, n), of one frame of the given link type. */
unsigned mw_dispatch_worker(mw_dispatch *d, int linktype, const mw_source_packet *p);

#endif /* MW_DISPATCH_H */
