/*
 * session.c - see session.h.
 */
#include "session/session.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/crypto.h"
#include "dissectors/dtls.h"
#include "common/json.h"
#include "dissectors/ndpi_glue.h"
#include "dissectors/quic.h"
#include "dissectors/tls.h"
#include "detect/verdict.h"
#include "detect/trust_cache.h"
#include "dissectors/x509.h"
#include "flow/community_id.h"
#include "output/csv.h"
#include "session/event_fields.h"
#include "session/prefilter.h"
#include "session/session_internal.h"
#include "session/versions.h"

mw_sessions *mw_sessions_new(const mw_session_config *cfg)
{
    mw_sessions *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->ok = true;
    mw_tls_limits_default(&s->tls_limits);
    mw_json_init(&s->rec);
    mw_json_init(&s->scratch);
    s->certs = calloc(CERT_CACHE_SLOTS, sizeof(*s->certs));
    s->ndpi = mw_ndpi_new();
    s->trust = mw_trust_cache_new();
    mw_judged *jb = mw_judged_get(s); /* one always there (write_tls_event) */
    if (jb)
        mw_judged_put(s, jb);
    if (!s->ndpi || !s->certs || !s->trust || !jb) {
        mw_sessions_free(s);
        return NULL;
    }
    return s;
}

void mw_sessions_free(mw_sessions *s)
{
    if (!s)
        return;
    if (s->ndpi)
        mw_ndpi_free(s->ndpi);
    mw_trust_cache_free(s->trust);
    if (s->certs) {
        for (size_t i = 0; i < CERT_CACHE_SLOTS; i++) {
            free(s->certs[i].json);
            free(s->certs[i].der);
            X509_free(s->certs[i].x509);
            free(s->certs[i].issuer);
            mw_leaf_names_free(&s->certs[i].names);
        }
        free(s->certs);
    }
    mw_judged_free_all(s);
    mw_json_free(&s->rec);
    mw_json_free(&s->scratch);
    free(s);
}

const mw_session_stats *mw_sessions_stats(mw_sessions *s)
{
    s->st.ndpi_packet_cap = mw_ndpi_get_stats(s->ndpi)->flows_cap_hit;
    const mw_trust_cache_stats *tc = mw_trust_cache_get_stats(s->trust);
    s->st.trust_cache_hits = tc->hits;
    s->st.trust_cache_misses = tc->misses;
    s->st.trust_cache_time_misses = tc->time_misses;
    s->st.trust_cache_uncacheable = tc->uncacheable;
    s->st.trust_cache_evictions = tc->evictions;
    return &s->st;
}

/* The session's vantage: its client's network, else the input's label. */
const char *mw_session_vantage(const mw_sessions *s, const mw_addr *client)
{
    for (size_t i = 0; i < s->cfg.n_vantage_nets; i++)
        if (mw_vantage_net_contains(&s->cfg.vantage_nets[i], client))
            return s->cfg.vantage_nets[i].name;
    return s->cfg.vantage;
}

void mw_sessions_set_vantage(mw_sessions *s, const char *vantage)
{
    s->cfg.vantage = vantage;
}

bool mw_sessions_ok(const mw_sessions *s)
{
    return s->ok;
}

static void sink_enter(mw_sessions *s, const mw_flow *flow)
{
    if (s->cfg.sink_enter)
        s->cfg.sink_enter(s->cfg.sink_arg, flow);
}

static void sink_leave(mw_sessions *s)
{
    if (s->cfg.sink_leave)
        s->cfg.sink_leave(s->cfg.sink_arg);
}

void mw_session_emit(mw_sessions *s, mw_json *j)
{
    if (!mw_json_write_line(j, s->cfg.events))
        s->ok = false;
    else
        s->st.events++;
}

/* nDPI is made to decide (giving up with a guess if need be) once: when
 * it has seen enough packets, or when the session's event is written. */
void mw_session_ndpi_settle(mw_sessions *s, sflow *sf)
{
    if (sf->ndpi && !sf->ndpi_done) {
        mw_ndpi_finish(s->ndpi, sf->ndpi);
        sf->ndpi_done = true;
    }
}

static void count_session(mw_sessions *s, const mw_tls_facts *tf)
{
    const char *hs = mw_ev_handshake_name(tf);
    if (tf->error_reason)
        s->st.malformed++;
    if (strcmp(hs, "complete") == 0)
        s->st.complete++;
    else if (strcmp(hs, "opaque") == 0)
        s->st.opaque++;
    else
        s->st.incomplete++;
}

/*
 * The session's judgement and event (judge.c): the first step here, the
 * second in the session's turn. With threads (sink_defer) the turn is
 * taken later, while this worker goes on; at once when the second step
 * needs the flow itself (the text line, --write-flagged) or when the two
 * versions of the handshake are judged against each other (rare, and it
 * needs the history twice).
 */
static void write_tls_event(mw_sessions *s, const mw_flow *flow, sflow *sf,
                            const mw_tls_facts *tf, const char *event)
{
    mw_session_ndpi_settle(s, sf);
    /* The first version held nothing: the second's handshake is counted,
     * and without rules it is the event's. */
    if (sf->adopted && sf->tls_alt && !s->cfg.rules)
        tf = mw_tls_get_facts(sf->tls_alt);
    count_session(s, sf->adopted && sf->tls_alt ? mw_tls_get_facts(sf->tls_alt) : tf);
    bool two = s->cfg.rules && sf->tls_alt;
    bool now = !s->cfg.sink_defer || two || s->cfg.text || s->cfg.flagged;
    mw_judged *jb = mw_judged_get(s);
    if (!jb) {
        /* Out of memory: the sessions handed on are judged first, which
         * gives theirs back (one is made at the start: never NULL then). */
        sink_enter(s, flow);
        sink_leave(s);
        jb = mw_judged_get(s);
        now = true;
    }
    char both[MW_REASON_DETAIL_LEN];
    const char *extra = NULL;
    if (two) {
        /* Two versions of the handshake bytes: the worse verdict decides,
         * and its facts are the event's. */
        sink_enter(s, flow);
        const mw_tls_facts *af = mw_tls_get_facts(sf->tls_alt);
        mw_verdict a, b;
        mw_judged_verdict_quiet(s, flow, sf, tf, &a);
        mw_judged_verdict_quiet(s, flow, sf, af, &b);
        bool second = mw_versions_second_decides(&a, &b);
        mw_versions_text(flow, a.kind, b.kind, second, both, sizeof both);
        extra = both;
        if (second)
            tf = af;
        s->st.two_versions++;
    }
    mw_judged_prepare(s, flow, sf, tf, event, extra, now, jb);
    if (!now) {
        s->cfg.sink_defer(s->cfg.sink_arg, flow, jb);
        return;
    }
    if (!two)
        sink_enter(s, flow);
    mw_judged_run(s, jb);
    sink_leave(s);
}

mw_consumer_verdict mw_session_flow_verdict(const sflow *sf)
{
    return (sf->tls_done || sf->kind == KIND_NONE) && sf->ndpi_done && !sf->settle.waiting
               ? MW_CONSUMER_DONE : MW_CONSUMER_CONTINUE;
}

static const mw_tls_facts *session_facts(const sflow *sf)
{
    switch (sf->kind) {
    case KIND_TLS:
        return sf->tls ? mw_tls_get_facts(sf->tls) : NULL;
    case KIND_DTLS:
        return sf->dtls ? mw_dtls_tls_facts(sf->dtls) : NULL;
    case KIND_QUIC:
        return sf->quic ? mw_quic_tls_facts(sf->quic) : NULL;
    case KIND_UNKNOWN:
    case KIND_NONE:
        break;
    }
    return NULL;
}

/* Writes the session's event once: when its handshake is analyzed, or when
 * the flow ends first (an incomplete handshake is still a session). A UDP
 * flow that only looked like DTLS or QUIC but held no hello is none. */
void mw_session_finish(mw_sessions *s, const mw_flow *flow, sflow *sf)
{
    const mw_tls_facts *tf = session_facts(sf);
    if (sf->tls_done || !tf)
        return;
    sf->tls_done = true;
    if (sf->kind != KIND_TLS && !tf->ch.seen && !tf->sh.seen && !tf->cert_seen)
        return;
    switch (sf->kind) {
    case KIND_TLS:
        s->st.tls++;
        if (sf->start[0] || sf->start[1])
            s->st.starttls++;
        write_tls_event(s, flow, sf, tf, "tls");
        break;
    case KIND_DTLS:
        s->st.dtls++;
        write_tls_event(s, flow, sf, tf, "dtls");
        break;
    case KIND_QUIC:
        s->st.quic++;
        write_tls_event(s, flow, sf, tf, "quic");
        break;
    case KIND_UNKNOWN:
    case KIND_NONE:
        break;
    }
}

/* nDPI's answer is reported only in session events: a flow known to have
 * none is classified no further (counted in *counter if still running). */
void mw_session_ndpi_drop(mw_ndpi *n, sflow *sf, uint64_t *counter)
{
    if (sf->ndpi) {
        if (!sf->ndpi_done && counter)
            (*counter)++;
        mw_ndpi_flow_free(n, sf->ndpi);
        sf->ndpi = NULL;
    }
    sf->ndpi_done = true;
}

/* ---- flow lifetime ---------------------------------------------------- */

static void *on_flow_start(void *arg, const mw_flow *flow, const mw_packet *pkt)
{
    mw_sessions *s = arg;
    sflow *sf = calloc(1, sizeof(*sf));
    if (!sf)
        return NULL;
    sf->first_ts_us = pkt->ts_us;
    sf->capture = pkt->capture;
    sf->flow = flow;
    sf->tls_client_dir = MW_DIR_TO_SERVER;
    sf->ndpi = mw_ndpi_flow_new(s->ndpi);
    sf->ndpi_done = sf->ndpi == NULL;
    if (sf->ndpi)
        s->st.ndpi_flows++;
    /* UDP flows are counted and classified; DTLS and QUIC sessions are
     * recognised by their datagrams. */
    return sf;
}

static mw_consumer_verdict on_packet(void *arg, void *state, const mw_flow *flow,
                                     int dir, const mw_packet *pkt)
{
    mw_sessions *s = arg;
    sflow *sf = state;
    if (pkt->l4_proto == 6 && !sf->tls_done)
        mw_session_tcp_packet(s, flow, sf, dir, pkt);
    if (pkt->l4_proto == 6 && (dir == 0 || dir == 1) && pkt->ttl) {
        if (!sf->ttl_seen[dir]) {
            /* Joined mid-flow, the first packet says nothing of the path
             * the connection was set up on. */
            sf->ttl_seen[dir] = true;
            sf->ttl_first[dir] = (pkt->tcp_flags & MW_TCP_SYN) ? pkt->ttl : 0;
        } else if (sf->ttl_first[dir] && !sf->tls_done &&
                   !(sf->settle.waiting && sf->kind == KIND_TLS) && pkt->payload_wire_len > 0 &&
                 abs(pkt->ttl - sf->ttl_first[dir]) >
                     abs(sf->ttl_other[dir] ? sf->ttl_other[dir] - sf->ttl_first[dir] : 0)) {
            sf->ttl_other[dir] = pkt->ttl;
        }
    }
    /* UDP: nDPI only for flows whose first datagram can start a session. */
    const mw_cursor *p = &pkt->payload;
    if (pkt->l4_proto == 17 && sf->kind == KIND_UNKNOWN && !sf->datagrams &&
        mw_cursor_len(p) && !mw_prefilter_udp_ndpi(p) && !mw_dtls_looks_like_handshake(p) &&
        !mw_quic_looks_like_initial(p, true))
        mw_session_ndpi_drop(s->ndpi, sf, &s->st.ndpi_udp_skipped);
    if (sf->ndpi && !sf->ndpi_done && !mw_ndpi_packet(s->ndpi, sf->ndpi, pkt))
        mw_session_ndpi_settle(s, sf);
    return mw_session_flow_verdict(sf);
}

/* Which of DTLS or QUIC a UDP flow carries, from its first datagrams on
 * any port (WebRTC sends STUN before DTLS). */
static void recognise_udp(mw_sessions *s, sflow *sf, int dir, const mw_cursor *payload)
{
    if (mw_quic_looks_like_initial(payload, true)) {
        sf->kind = KIND_QUIC;
        sf->quic = mw_quic_new();
        /* The first client Initial's sender is the client, whatever the
         * port heuristics guessed. */
        sf->tls_client_dir = dir;
    } else if (mw_dtls_looks_like_handshake(payload)) {
        sf->kind = KIND_DTLS;
        sf->dtls = mw_dtls_new();
    } else if (++sf->datagrams >= MW_SESSION_SCAN_DATAGRAMS) {
        sf->kind = KIND_NONE;
        mw_session_ndpi_drop(s->ndpi, sf, &s->st.ndpi_stopped);
    }
    if ((sf->kind == KIND_QUIC && !sf->quic) || (sf->kind == KIND_DTLS && !sf->dtls))
        sf->kind = KIND_NONE;
}

static mw_consumer_verdict on_datagram(void *arg, void *state, const mw_flow *flow,
                                       int dir, const mw_cursor *payload,
                                       const mw_packet *pkt)
{
    mw_sessions *s = arg;
    sflow *sf = state;
    bool finished = false;
    (void)pkt;

    if (sf->tls_done || sf->kind == KIND_NONE)
        return mw_session_flow_verdict(sf);
    if (sf->kind == KIND_UNKNOWN)
        recognise_udp(s, sf, dir, payload);
    if (sf->kind == KIND_QUIC) {
        int qdir = dir == sf->tls_client_dir ? 0 : 1;
        mw_quic_status st = mw_quic_datagram(sf->quic, qdir, payload);
        finished = st != MW_QUIC_NEED_MORE;
    } else if (sf->kind == KIND_DTLS) {
        mw_dtls_status st = mw_dtls_datagram(sf->dtls, dir, payload);
        sf->tls_client_dir = mw_dtls_client_dir(sf->dtls);
        finished = st != MW_DTLS_NEED_MORE;
    }
    if (finished)
        mw_session_finish(s, flow, sf);
    return mw_session_flow_verdict(sf);
}

static void write_flow_record(mw_sessions *s, const mw_flow *f, mw_flow_end reason)
{
    mw_ev_flow_record(&s->rec, f, reason, mw_session_vantage(s, &f->client_ip),
                      s->cfg.community_id_seed);
    mw_session_emit(s, &s->rec);
}

static void on_flow_end(void *arg, void *state, const mw_flow *flow, mw_flow_end reason)
{
    mw_sessions *s = arg;
    sflow *sf = state;
    /* An incomplete handshake is still a session to report. */
    if (!sf->tls_done && flow->proto == 6)
        mw_session_tcp_judge_now(s, flow, sf);
    else if (!sf->tls_done)
        mw_session_finish(s, flow, sf);
    mw_session_wait_unlink(s, sf);
    bool records = s->cfg.flow_records && s->cfg.events;
    bool shared = records || (sf->flagged && s->cfg.flagged) ||
                  mw_flagged_is_live(s->cfg.flagged);
    if (shared)
        sink_enter(s, flow);
    if (records)
        write_flow_record(s, flow, reason);
    if (sf->flagged && s->cfg.flagged)
        mw_flagged_add_flow(s->cfg.flagged, flow);
    if (mw_flagged_is_live(s->cfg.flagged))
        mw_flagged_live_decide(s->cfg.flagged, &sf->hold, sf->flagged, s->cfg.output_stats);
    if (shared)
        sink_leave(s);
    if (sf->ndpi)
        mw_ndpi_flow_free(s->ndpi, sf->ndpi);
    mw_tls_free(sf->tls);
    mw_tls_free(sf->tls_alt);
    mw_dtls_free(sf->dtls);
    mw_quic_free(sf->quic);
    free(sf);
}

/* Live --write-flagged: frames of flows not yet judged are held. */
static void on_frame(void *arg, void *state, const mw_flow *flow, int linktype,
                     const mw_source_packet *raw)
{
    mw_sessions *s = arg;
    sflow *sf = state;
    /* A given-up flow waiting for its ACKs may still turn out TLS. */
    bool judged = (sf->tls_done || sf->kind == KIND_NONE) && !sf->settle.waiting;
    if (judged && !sf->flagged && !sf->hold.head)
        return;
    /* Live capture workers share the held frames' budget (cli/live.c). */
    sink_enter(s, flow);
    if (judged && !sf->flagged) /* no session after all: let the frames go */
        mw_flagged_live_decide(s->cfg.flagged, &sf->hold, false, s->cfg.output_stats);
    else
        mw_flagged_live_frame(s->cfg.flagged, &sf->hold, sf->flagged, linktype, raw,
                              s->cfg.output_stats);
    sink_leave(s);
}

static const mw_consumer consumer = {
    .flow_start = on_flow_start,
    .packet = on_packet,
    .stream_data = mw_session_on_stream,
    .stream_gap = mw_session_on_gap,
    .datagram = on_datagram,
    .flow_end = on_flow_end,
    .tick = mw_session_on_tick,
};

/* The same, seeing every frame: only for a live --write-flagged, so no
 * other run pays a call per packet. */
static const mw_consumer consumer_holding_frames = {
    .flow_start = on_flow_start,
    .packet = on_packet,
    .stream_data = mw_session_on_stream,
    .stream_gap = mw_session_on_gap,
    .datagram = on_datagram,
    .flow_end = on_flow_end,
    .frame = on_frame,
    .tick = mw_session_on_tick,
};

const mw_consumer *mw_sessions_consumer(const mw_sessions *s)
{
    return mw_flagged_is_live(s->cfg.flagged) ? &consumer_holding_frames : &consumer;
}
