/* settle.c - when a TCP session may be judged (settle.h). */
#include "session/settle.h"

#include <string.h>

void mw_settle_begin(mw_settle *st, const mw_flow *flow, uint64_t now_us)
{
    if (st->waiting)
        return;
    st->waiting = true;
    st->since_us = now_us;
    mw_settle_retarget(st, flow);
    /* The first check needs no moved ACK: an ACK seen before covers. */
    st->checked[0] = st->checked[1] = 0;
    st->checks = 0;
}

void mw_settle_retarget(mw_settle *st, const mw_flow *flow)
{
    for (int d = 0; d < 2; d++) {
        st->target[d] = flow->stream[d].contiguous;
        st->checked[d] = st->acked[d];
    }
}

static bool covered(const mw_settle *st, int d)
{
    /* Nothing to acknowledge, or the peer's ACK reached the target. */
    return st->target[d] == 0 || (st->ack_seen[d] && st->acked[d] >= st->target[d]);
}

bool mw_settle_packet(mw_settle *st, const mw_flow *flow, int dir, const mw_packet *pkt)
{
    int d = !dir; /* what this packet acknowledges */
    const mw_tcp_stream *s = &flow->stream[d];
    if ((pkt->tcp_flags & MW_TCP_ACK) && s->isn_known && (dir == 0 || dir == 1)) {
        /* Stream offset of the next byte the peer expects; an ACK from
         * the upper half of the sequence space lies before the stream
         * (an old one, or one for a decoy ISN). */
        uint32_t off = pkt->ack - s->isn;
        if (off < 0x80000000u && (!st->ack_seen[d] || off > st->acked[d])) {
            st->acked[d] = off;
            st->ack_seen[d] = true;
        }
    }
    if (!st->waiting || !covered(st, 0) || !covered(st, 1))
        return false;
    return st->checks == 0 || mw_settle_moved(st);
}

bool mw_settle_moved(const mw_settle *st)
{
    return st->acked[0] != st->checked[0] || st->acked[1] != st->checked[1];
}

bool mw_settle_overrun(const mw_settle *st, const mw_flow *flow)
{
    for (int d = 0; d < 2; d++) {
        uint32_t base = st->target[d];
        if (st->ack_seen[d] && st->acked[d] > base)
            base = st->acked[d];
        /* At its cap a direction keeps no more bytes: no copy to wait for. */
        if (flow->stream[d].capped)
            return true;
        uint32_t held = flow->stream[d].contiguous;
        if (held > base && held - base > MW_SETTLE_MAX_UNACKED)
            return true;
    }
    return false;
}

bool mw_settle_expired(const mw_settle *st, uint64_t now_us)
{
    return st->waiting && now_us >= st->since_us && now_us - st->since_us >= MW_SETTLE_BOUND_US;
}
