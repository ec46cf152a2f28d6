/*
 * session_tcp.c - TCP sessions: finding the handshake by content in the
 * first bytes of each direction, following it, and waiting for the
 * peers' ACKs before the judgement (settle.h, docs/evasion.md).
 */
#include <stdlib.h>

#include "session/prefilter.h"
#include "session/session_internal.h"
#include "session/versions.h"

/* ---- TCP: finding and following the handshake ------------------------ */

/*
 * Looks for the first byte of a TLS handshake in [scanned, len) of one
 * direction. Only offset 0 may hold an SSLv2 hello; later the record must
 * start with 0x16, which memchr finds fast.
 */
static bool scan_for_handshake(sflow *sf, int dir, const mw_cursor *stream)
{
    size_t len = mw_cursor_len(stream);
    size_t limit = len < MW_SESSION_SCAN_BYTES ? len : MW_SESSION_SCAN_BYTES;

    while (sf->scanned[dir] < limit) {
        size_t at = sf->scanned[dir];
        if (at > 0 && !mw_cursor_find_u8(stream, at, limit, 0x16, &at)) {
            sf->scanned[dir] = (uint32_t)limit;
            break;
        }
        mw_cursor probe = *stream;
        (void)mw_cursor_skip(&probe, at);
        /* Too few bytes to tell yet: look again when more arrive. */
        if (mw_cursor_len(&probe) < 6) {
            sf->scanned[dir] = (uint32_t)at;
            return false;
        }
        if (mw_tls_looks_like_handshake(&probe)) {
            sf->found[dir] = true;
            sf->start[dir] = (uint32_t)at;
            sf->scanned[dir] = (uint32_t)at;
            return true;
        }
        sf->scanned[dir] = (uint32_t)at + 1;
    }
    return false;
}

/* ---- TCP: waiting for the peers' ACKs (settle.h) ---------------------- */

void mw_session_wait_unlink(mw_sessions *s, sflow *sf)
{
    if (!sf->settle.waiting)
        return;
    sf->settle.waiting = false;
    if (sf->wprev)
        sf->wprev->wnext = sf->wnext;
    else
        s->waiting = sf->wnext;
    if (sf->wnext)
        sf->wnext->wprev = sf->wprev;
    sf->wprev = sf->wnext = NULL;
}

/* The session is ready to be judged (its first version's parse ended, or
 * its first bytes are not TLS): the judgement waits until the peers have
 * acknowledged what each direction holds now. */
static void tcp_ready(mw_sessions *s, const mw_flow *flow, sflow *sf, uint64_t now_us)
{
    if (sf->settle.waiting || flow->proto != 6)
        return;
    /* nDPI decides now, as it did when the event was written at once. */
    if (sf->kind == KIND_TLS)
        mw_session_ndpi_settle(s, sf);
    mw_settle_begin(&sf->settle, flow, now_us);
    s->st.settle_waited++;
    sf->wprev = NULL;
    sf->wnext = s->waiting;
    if (s->waiting)
        s->waiting->wprev = sf;
    s->waiting = sf;
}

static mw_versions_start first_start(const sflow *sf)
{
    mw_versions_start at = {{sf->found[0], sf->found[1]},
                            {sf->start[0], sf->start[1]},
                            sf->tls_client_dir};
    return at;
}

/* The session's judgement, once, with its second version alt (parsed
 * from *at), or parsed now from all the bytes held. */
static void tcp_judge(mw_sessions *s, const mw_flow *flow, sflow *sf, mw_tls_session *alt,
                      const mw_versions_start *at)
{
    mw_session_wait_unlink(s, sf);
    mw_versions_start here;
    if (!alt) {
        static const uint32_t all[2] = {UINT32_MAX, UINT32_MAX};
        bool final;
        here = first_start(sf);
        alt = mw_versions_parse(flow, &here, all, MW_SESSION_SCAN_BYTES, &s->tls_limits,
                                &final);
        at = &here;
    }
    if (sf->kind != KIND_TLS || !sf->tls) {
        if (!alt)
            return; /* no handshake in either version */
        /* The garbage came first: only the second version holds the
         * handshake, and the first is judged as an empty one. */
        mw_tls_free(sf->tls);
        sf->tls = mw_tls_new(&s->tls_limits);
        if (!sf->tls) {
            mw_tls_free(alt);
            sf->kind = KIND_NONE;
            return;
        }
        if (sf->kind == KIND_NONE) {
            s->st.not_tls--;
            if (sf->prefiltered)
                s->st.prefiltered--;
        }
        sf->kind = KIND_TLS;
        sf->adopted = true;
        s->st.second_version_only++;
    }
    if (alt) {
        for (int d = 0; d < 2; d++) {
            sf->found[d] = at->found[d];
            sf->start[d] = at->start[d];
        }
        sf->tls_client_dir = at->client_dir;
    }
    mw_tls_free(sf->tls_alt);
    sf->tls_alt = alt;
    mw_session_finish(s, flow, sf);
}

/* The first version can say no more: not TLS, or its parse ended. */
static bool first_final(const sflow *sf)
{
    return sf->kind == KIND_NONE ||
           (sf->tls && mw_tls_status_of(sf->tls) != MW_TLS_NEED_MORE);
}

/* A direction the first version has no handshake in and the second has. */
static bool second_found_more(const sflow *sf, const mw_versions_start *at)
{
    return (at->found[0] && !sf->found[0]) || (at->found[1] && !sf->found[1]);
}

/* The second version parsed again, each direction cut at what its peer
 * has acknowledged (a garbage twin not yet answered is never parsed). */
static mw_tls_session *reparse_acked(mw_sessions *s, const mw_flow *flow, sflow *sf,
                                     mw_versions_start *at, bool *final)
{
    const mw_settle *st = &sf->settle;
    *at = first_start(sf);
    uint32_t cut[2] = {st->ack_seen[0] ? st->acked[0] : 0, st->ack_seen[1] ? st->acked[1] : 0};
    s->st.settle_reparsed++;
    return mw_versions_parse(flow, at, cut, MW_SESSION_SCAN_BYTES, &s->tls_limits, final);
}

/* The peers' ACKs moved or covered the targets: judged when both
 * versions, cut at what the peers acknowledged, are at their end. */
static void tcp_check(mw_sessions *s, const mw_flow *flow, sflow *sf)
{
    mw_settle *st = &sf->settle;
    if (++st->checks > MW_SETTLE_MAX_CHECKS) {
        s->st.settle_capped++;
        mw_session_tcp_judge_now(s, flow, sf);
        return;
    }
    if (!flow->stream[0].alt && !flow->stream[1].alt) {
        if (first_final(sf))
            mw_session_tcp_judge_now(s, flow, sf);
        else
            mw_settle_retarget(st, flow);
        return;
    }
    mw_versions_start at;
    bool final;
    mw_tls_session *alt = reparse_acked(s, flow, sf, &at, &final);
    if (final && (first_final(sf) || second_found_more(sf, &at))) {
        tcp_judge(s, flow, sf, alt, &at);
        return;
    }
    mw_tls_free(alt);
    mw_settle_retarget(st, flow);
}

/* Every TCP packet of a session not yet judged, before reassembly. */
void mw_session_tcp_packet(mw_sessions *s, const mw_flow *flow, sflow *sf, int dir,
                           const mw_packet *pkt)
{
    mw_settle *st = &sf->settle;
    bool due = mw_settle_packet(st, flow, dir, pkt);
    if (st->waiting) {
        if (due) {
            tcp_check(s, flow, sf);
        } else if (mw_settle_expired(st, pkt->ts_us)) {
            s->st.settle_bound++;
            tcp_judge(s, flow, sf, NULL, NULL);
        } else if (mw_settle_overrun(st, flow)) {
            s->st.settle_unacked++;
            tcp_judge(s, flow, sf, NULL, NULL);
        }
        return;
    }
    /* A first version stuck on garbage in one direction never ends its
     * parse: the second, once it holds a handshake there, makes the
     * session ready. */
    if ((sf->kind != KIND_TLS && sf->kind != KIND_UNKNOWN) ||
        (!flow->stream[0].alt && !flow->stream[1].alt) || (sf->found[0] && sf->found[1]) ||
        !mw_settle_moved(st) || st->checks >= MW_SETTLE_MAX_CHECKS)
        return;
    st->checks++;
    mw_versions_start at;
    bool final;
    mw_tls_session *alt = reparse_acked(s, flow, sf, &at, &final);
    mw_tls_free(alt);
    mw_settle_retarget(st, flow);
    if (second_found_more(sf, &at))
        tcp_ready(s, flow, sf, pkt->ts_us);
}

/*
 * The fast path (prefilter.h): at the first bytes of a direction, a flow
 * that cannot lead to a handshake is given up unless an earlier direction
 * was kept (the reply to a CONNECT is HTTP). Its nDPI state goes too: only
 * session events report nDPI's answer.
 */
static bool prefilter_bypass(mw_sessions *s, const mw_flow *flow, sflow *sf, int dir,
                             const mw_cursor *stream, uint64_t now_us)
{
    if (sf->kind != KIND_UNKNOWN || sf->found[dir] || sf->scanned[dir] || sf->kept[dir])
        return false;
    mw_prefilter p = mw_prefilter_tcp(stream);
    if (p == MW_PREFILTER_KEEP)
        sf->kept[dir] = true;
    if (p != MW_PREFILTER_BYPASS || sf->kept[!dir])
        return false;
    sf->kind = KIND_NONE;
    s->st.not_tls++;
    s->st.prefiltered++;
    sf->prefiltered = true;
    /* nDPI stops now (the fast path's point: it costs most per packet);
     * should the second version hold a handshake, its app is "Unknown". */
    mw_session_ndpi_drop(s->ndpi, sf, NULL);
    /* Bypassed once the peer has acknowledged these bytes: a copy with
     * other bytes may still come (settle.h). */
    tcp_ready(s, flow, sf, now_us);
    return true;
}

mw_consumer_verdict mw_session_on_stream(void *arg, void *state, const mw_flow *flow,
                                         int dir, const mw_cursor *stream, uint32_t from,
                                         const mw_packet *pkt)
{
    mw_sessions *s = arg;
    sflow *sf = state;
    uint64_t now_us = pkt ? pkt->ts_us : sf->settle.since_us;
    (void)from;

    if (sf->kind == KIND_NONE || sf->tls_done)
        return mw_session_flow_verdict(sf);
    if (prefilter_bypass(s, flow, sf, dir, stream, now_us))
        return mw_session_flow_verdict(sf);
    if (!sf->found[dir]) {
        if (!scan_for_handshake(sf, dir, stream)) {
            /* A whole window of either direction without a hello: no
             * upgrade preamble is that long, so this is not TLS. */
            if (sf->kind == KIND_UNKNOWN && sf->scanned[dir] >= MW_SESSION_SCAN_BYTES) {
                sf->kind = KIND_NONE;
                s->st.not_tls++;
                tcp_ready(s, flow, sf, now_us);
                /* nDPI goes on here: stopping it would end the flow's
                 * reassembly sooner and change its --flows record. */
            }
            return mw_session_flow_verdict(sf);
        }
        if (sf->kind == KIND_UNKNOWN) {
            /* The first hello found says who the TLS client is. */
            sf->kind = KIND_TLS;
            int type = mw_versions_hello_type(stream, sf->start[dir]);
            sf->tls_client_dir = type == 2 ? !dir : dir;
            sf->tls = mw_tls_new(&s->tls_limits);
            if (!sf->tls) {
                sf->kind = KIND_NONE;
                return mw_session_flow_verdict(sf);
            }
        }
    }
    if (!sf->tls)
        return mw_session_flow_verdict(sf);

    /* The dissector sees the direction from the handshake's first byte. */
    mw_cursor view = *stream;
    (void)mw_cursor_skip(&view, sf->start[dir]);
    int tls_dir = dir == sf->tls_client_dir ? 0 : 1;
    mw_tls_status st = mw_tls_feed(sf->tls, tls_dir, &view, 0);
    if (st == MW_TLS_DONE || st == MW_TLS_ERROR || st == MW_TLS_NOT_TLS)
        tcp_ready(s, flow, sf, now_us);
    return mw_session_flow_verdict(sf);
}

mw_consumer_verdict mw_session_on_gap(void *arg, void *state, const mw_flow *flow, int dir,
                                      uint32_t offset, uint64_t len, mw_gap_kind kind)
{
    sflow *sf = state;
    (void)arg;
    (void)flow;
    (void)kind;
    if (sf->tls && !sf->tls_done && sf->found[dir] && offset >= sf->start[dir]) {
        int tls_dir = dir == sf->tls_client_dir ? 0 : 1;
        (void)mw_tls_gap(sf->tls, tls_dir, offset - sf->start[dir], len);
    }
    return mw_session_flow_verdict(sf);
}

/* Live, no packets for a while: sessions waiting past the bound are
 * judged (settle.h). */
void mw_session_on_tick(void *arg, uint64_t now_us)
{
    mw_sessions *s = arg;
    sflow *next;
    for (sflow *sf = s->waiting; sf; sf = next) {
        next = sf->wnext;
        if (mw_settle_expired(&sf->settle, now_us)) {
            s->st.settle_bound++;
            mw_session_tcp_judge_now(s, sf->flow, sf);
        }
    }
}


void mw_session_tcp_judge_now(mw_sessions *s, const mw_flow *flow, sflow *sf)
{
    tcp_judge(s, flow, sf, NULL, NULL);
}
