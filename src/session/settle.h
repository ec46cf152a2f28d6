/*
 * settle.h - when a TCP session may be judged (issue 18, docs/evasion.md).
 *
 * An injector can send, before each real segment, a copy with other bytes
 * that a monitor cannot tell from the real one (a right checksum, the
 * direction's TTL). The copies that a receiver took are known only once
 * its ACK covers them: a copy arriving before that may be the real one.
 * So a TCP session's judgement waits until each direction's bytes seen
 * when it was ready are acknowledged by the peer, and is then checked
 * again (the second version may need more bytes); the flow's end and a
 * bound in capture time end the wait too.
 */
#ifndef MW_SESSION_SETTLE_H
#define MW_SESSION_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/decode.h"
#include "flow/flow.h"

/* Longest wait, in capture time from its start: a live event is written
 * at most this long after the handshake's end (checked on the flow's
 * packets and at the worker's expiry ticks, which run every second, so
 * within 2 s in all). */
#define MW_SETTLE_BOUND_US 1000000u

/* Checks (each may parse the second version again) per session; beyond,
 * the session is judged as it stands (counted). */
#define MW_SETTLE_MAX_CHECKS 32u

/* Bytes a direction may hold beyond what its peer acknowledged (or the
 * target) before the wait ends anyway: a tap that misses the ACKs (one
 * direction captured, or lost) must not keep a flow followed to its
 * end. The reassembly default for data held beyond a hole. */
#define MW_SETTLE_MAX_UNACKED (256u * 1024u)

typedef struct mw_settle {
    bool waiting;
    bool ack_seen[2];    /* a peer's ACK for the flow direction was seen */
    uint32_t target[2];  /* stream offsets the peers must acknowledge */
    uint32_t acked[2];   /* highest stream offset acknowledged, per direction */
    uint32_t checked[2]; /* acked[] at the last check */
    uint64_t since_us;   /* capture time when the wait began */
    uint32_t checks;
} mw_settle;

/* Begins the wait (once): the targets are each direction's contiguous
 * bytes now. */
void mw_settle_begin(mw_settle *st, const mw_flow *flow, uint64_t now_us);

/* After a check that was not final: the targets become the bytes held
 * now, and the next check waits for an ACK that moved. */
void mw_settle_retarget(mw_settle *st, const mw_flow *flow);

/* Learns what a packet of the flow from direction dir acknowledges (of
 * the other direction). True when a check is due: every target is
 * covered and an acknowledgement moved since the last check. */
bool mw_settle_packet(mw_settle *st, const mw_flow *flow, int dir, const mw_packet *pkt);

/* Whether an acknowledgement moved since the last check (or retarget). */
bool mw_settle_moved(const mw_settle *st);

/* Whether a direction holds more than MW_SETTLE_MAX_UNACKED bytes
 * beyond its target and its peer's ACK, or reached its cap. */
bool mw_settle_overrun(const mw_settle *st, const mw_flow *flow);

/* Whether the bound is reached at capture time now_us. */
bool mw_settle_expired(const mw_settle *st, uint64_t now_us);

#endif /* MW_SESSION_SETTLE_H */
