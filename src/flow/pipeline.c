/*
 * pipeline.c - see pipeline.h.
 *
 * Per packet: decode, find the flow, feed TCP reassembly (or hand a UDP
 * datagram over), tell the consumer what changed. Idle flows and fragments
 * are expired at most once per second of capture time, so expiry costs
 * nothing per packet.
 */
#include "flow/pipeline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A packet held back (see hold_suspect), at most one per flow: a copy of
 * its frame and its decoded fields rebased onto the copy. It is settled
 * by the flow's next packet or released when the flow ends, so the
 * moment it is processed does not depend on other flows (nor on
 * --threads).
 */
typedef struct mw_held mw_held;
struct mw_held {
    int linktype;
    int dir;
    mw_packet pkt;
    mw_source_packet src;
    uint8_t buf[]; /* src.caplen bytes */
};

/* Bytes of held packets per worker; beyond, suspects are not held. */
#define MW_HOLD_MAX_BYTES (16ull * 1024u * 1024u)

/* TTL hops within which two copies count as from the same sender. */
#define MW_HOLD_TTL_SLACK 2

struct mw_worker {
    mw_config cfg;
    mw_stats stats;
    mw_decoder *decoder;
    mw_flow_table *flows;
    mw_reasm *reasm;
    uint64_t number_base; /* mw_worker_set_number_base */
    const mw_consumer *consumer;
    void *consumer_arg;
    uint64_t now_us;         /* latest capture time seen in this input */
    uint64_t next_expire_us; /* when expiry runs next */
    bool offload_said;       /* -v: offload reported for this input */
    uint64_t held_bytes; /* frames in mw_held copies */
    uint32_t n_held;     /* flows with a held packet */
};

static void release_held(mw_worker *w, mw_flow *f);

void mw_config_defaults(mw_config *cfg)
{
    static const uint64_t timeouts_s[MW_FLOW_STATE_COUNT] = MW_FLOW_DEFAULT_TIMEOUTS_S;
    memset(cfg, 0, sizeof(*cfg));
    cfg->capture.snaplen = MW_CAPTURE_DEFAULT_SNAPLEN;
    cfg->capture.promisc = true;
    cfg->checksums = MW_CHECKSUMS_AUTO;
    cfg->frag.max_datagrams = MW_FRAG_DEFAULT_MAX_DATAGRAMS;
    cfg->frag.max_size = MW_FRAG_DEFAULT_MAX_SIZE;
    cfg->frag.timeout_us = MW_FRAG_DEFAULT_TIMEOUT_US;
    cfg->flow.max_flows = MW_FLOW_DEFAULT_MAX_FLOWS;
    for (int i = 0; i < MW_FLOW_STATE_COUNT; i++)
        cfg->flow.timeout_us[i] = timeouts_s[i] * 1000000u;
    cfg->reasm.max_stream_bytes = MW_REASM_DEFAULT_STREAM_BYTES;
    cfg->reasm.memcap = MW_REASM_DEFAULT_MEMCAP;
    cfg->reasm.max_ahead = MW_REASM_DEFAULT_MAX_AHEAD;
}

static void bypass(mw_worker *w, mw_flow *f)
{
    if (f->bypassed)
        return;
    f->bypassed = true;
    w->stats.flow.bypassed++;
    mw_reasm_release(w->reasm, &f->stream[0]);
    mw_reasm_release(w->reasm, &f->stream[1]);
}

/* Turns what reassembly changed in one direction into consumer calls. */
static void deliver(mw_worker *w, mw_flow *f, int dir, const mw_reasm_result *r,
                    const mw_packet *pkt)
{
    const mw_consumer *c = w->consumer;
    mw_consumer_verdict v = MW_CONSUMER_CONTINUE;

    if (!c || !f->consumer_state || f->bypassed)
        return;
    if (r->gap_bytes && c->stream_gap)
        v = c->stream_gap(w->consumer_arg, f->consumer_state, f, dir, r->gap_offset,
                          r->gap_bytes, MW_GAP_LOST);
    if (v == MW_CONSUMER_CONTINUE && r->new_data && c->stream_data) {
        mw_cursor view = mw_reasm_view(&f->stream[dir]);
        uint32_t from = f->delivered[dir];
        if (mw_cursor_len(&view) > from) {
            f->delivered[dir] = (uint32_t)mw_cursor_len(&view);
            v = c->stream_data(w->consumer_arg, f->consumer_state, f, dir, &view, from, pkt);
        }
    }
    if (v == MW_CONSUMER_CONTINUE && r->reached_cap && c->stream_gap)
        v = c->stream_gap(w->consumer_arg, f->consumer_state, f, dir,
                          w->cfg.reasm.max_stream_bytes, 0, MW_GAP_CAP);
    if (v == MW_CONSUMER_DONE)
        bypass(w, f);
}

/* Hands over what reassembly still holds, then frees the buffers. */
static void flush_streams(mw_worker *w, mw_flow *f)
{
    if (f->proto != 6 || f->bypassed)
        return;
    for (int dir = 0; dir < 2; dir++) {
        mw_reasm_result r = mw_reasm_flush(w->reasm, &f->stream[dir]);
        deliver(w, f, dir, &r, NULL);
    }
}

/* The flow table's end callback: last data, then the consumer's flow_end. */
static void on_flow_end(void *arg, mw_flow *f, mw_flow_end reason)
{
    mw_worker *w = arg;

    release_held(w, f);
    flush_streams(w, f);
    if (w->consumer && f->consumer_state && w->consumer->flow_end)
        w->consumer->flow_end(w->consumer_arg, f->consumer_state, f, reason);
    f->consumer_state = NULL;
    mw_reasm_release(w->reasm, &f->stream[0]);
    mw_reasm_release(w->reasm, &f->stream[1]);
}

mw_worker *mw_worker_new(const mw_config *cfg, const mw_consumer *consumer,
                         void *consumer_arg)
{
    mw_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->cfg = *cfg;
    w->consumer = consumer;
    w->consumer_arg = consumer_arg;
    w->decoder = mw_decoder_new(&cfg->frag, &w->stats);
    if (w->decoder)
        mw_decoder_set_verify(w->decoder, cfg->checksums != MW_CHECKSUMS_OFF);
    w->reasm = mw_reasm_new(&cfg->reasm, &w->stats.reasm);
    w->flows = mw_flow_table_new(&cfg->flow, &w->stats.flow, on_flow_end, w);
    if (!w->decoder || !w->reasm || !w->flows) {
        mw_worker_free(w);
        return NULL;
    }
    return w;
}

void mw_worker_free(mw_worker *w)
{
    if (!w)
        return;
    /* Flows first: their end callbacks return buffers to reasm. */
    if (w->flows) {
        mw_flow_flush(w->flows, MW_FLOW_END_EOF);
        mw_flow_table_free(w->flows);
    }
    mw_reasm_free(w->reasm);
    mw_decoder_free(w->decoder);
    free(w);
}

static void expire(mw_worker *w, uint64_t now_us)
{
    mw_flow_expire(w->flows, now_us);
    mw_decoder_expire(w->decoder, now_us);
    w->next_expire_us = now_us + MW_EXPIRE_INTERVAL_US;
}

/*
 * A packet with a wrong checksum is one its receiver dropped. It is dropped
 * here too, before it can touch flow state, reassembly or a dissector,
 * unless (auto) its direction has never had a right checksum: a capture
 * taken on a sender with checksum offload has none right, and its first
 * packets cannot wait for that to be known. One right checksum makes the
 * direction strict, so an injector must come before the first real packet
 * of a direction to be let through.
 */
static bool checksum_drop(mw_worker *w, const mw_packet *pkt)
{
    int dir = 0;
    mw_flow *f;

    if (pkt->csum != MW_CSUM_BAD)
        return false;
    f = mw_flow_find(w->flows, pkt, &dir);
    if (w->cfg.checksums == MW_CHECKSUMS_AUTO && (f == NULL || !f->csum_good_seen[dir]))
        return false;
    /* Auto: real captures hold data segments with wrong checksums in
     * verified directions that the receiver ACKed (GRO/LRO coalescing at
     * the capture host, rewriting middleboxes), so only control segments
     * (a forged RST or FIN is the cheap attack) are dropped there; a
     * garbage copy of data is left to reassembly's overlap check. */
    if (w->cfg.checksums == MW_CHECKSUMS_AUTO && pkt->payload_wire_len > 0) {
        w->stats.checksum.accepted_data++;
        return false;
    }
    w->stats.checksum.dropped++;
    if (f != NULL)
        f->csum_dropped[dir]++;
    return true;
}

/* After the flow lookup: what the packet's checksum says of its direction. */
static void checksum_learn(mw_worker *w, mw_flow *f, int dir, const mw_packet *pkt)
{
    if (pkt->csum == MW_CSUM_OK) {
        f->csum_good_seen[dir] = true;
        return;
    }
    if (pkt->csum != MW_CSUM_BAD || f->csum_good_seen[dir])
        return;
    w->stats.checksum.accepted_unverified++;
    if (++f->csum_unverified[dir] != MW_CSUM_OFFLOAD_AFTER)
        return;
    w->stats.checksum.offload_directions++;
    if (w->cfg.verbose && !w->offload_said) {
        char a[MW_ADDR_STRLEN];
        w->offload_said = true;
        fprintf(stderr,
                "mitmwatch: %s: packet %" PRIu64 ": %s sends only wrong checksums"
                " (offload?): not verified in such directions until one is right\n",
                pkt->capture, pkt->number, mw_addr_format(&pkt->src, a, sizeof a));
    }
}

/*
 * The receive window of the peer of direction dir, in dir's sequence
 * space: the largest window the peer advertised, scaled as both SYNs
 * agreed (RFC 7323 2.2), the largest scale when the handshake was not
 * seen. 0 when the peer has not advertised one yet.
 */
static uint32_t peer_window(const mw_flow *f, int dir)
{
    int peer = !dir;
    uint32_t shift = 14;
    if (f->syn_window_seen[0] && f->syn_window_seen[1])
        shift = (f->syn_wscale[0] == MW_TCP_NO_WSCALE ||
                 f->syn_wscale[1] == MW_TCP_NO_WSCALE) ? 0u : f->syn_wscale[peer];
    else if (f->syn_window_seen[peer] && f->syn_wscale[peer] == MW_TCP_NO_WSCALE)
        shift = 0;
    return (uint32_t)f->max_window[peer] << shift;
}

/*
 * RST and FIN count only inside the receive window (RFC 9293 3.10.7.4,
 * RFC 5961 3): a receiver ignores one elsewhere, and so does the flow (the
 * flag is cleared, the segment's data still goes to reassembly). Judged
 * only when the direction's ISN is settled and the peer advertised a window;
 * otherwise accepted as before. A RST lies in the window when its
 * offset is in [contiguous, highest + window]; a FIN (its position after
 * its data) when below highest + window. Once reassembly stopped
 * following the direction (bypass, cap), the same around the sequence
 * number the worker keeps tracking (track_seq), the RST within a window
 * either side.
 */
/* seq_next from reassembly's last state of the direction, once. */
static bool seq_next_init(mw_flow *f, int dir)
{
    const mw_tcp_stream *s = &f->stream[dir];
    if (f->seq_next_set[dir])
        return true;
    if (!s->isn_known || (s->n_isn_alt && !s->isn_decided))
        return false;
    f->seq_next[dir] = s->isn + s->highest;
    f->seq_next_set[dir] = true;
    return true;
}

static void tcp_control_window(mw_worker *w, mw_packet *pkt)
{
    int dir = 0;
    mw_flow *f = mw_flow_find(w->flows, pkt, &dir);
    if (f == NULL || f->proto != 6)
        return;
    const mw_tcp_stream *s = &f->stream[dir];
    uint32_t win = peer_window(f, dir);
    bool rst_out = false, fin_out = false;
    if (win == 0)
        return;
    if (!(f->bypassed || s->released || s->capped)) {
        if (!s->isn_known || (s->n_isn_alt && !s->isn_decided))
            return;
        uint32_t off = pkt->seq - s->isn, from = s->contiguous;
        uint32_t limit = s->highest + win;
        rst_out = off - from > limit - from;
        fin_out = off + pkt->payload_wire_len > limit;
    } else if (seq_next_init(f, dir)) {
        /* Reassembly stopped following: around the highest byte seen. */
        int32_t d = (int32_t)(pkt->seq - f->seq_next[dir]);
        rst_out = d < -(int64_t)win || d > (int64_t)win;
        fin_out = (int32_t)(pkt->seq + pkt->payload_wire_len - f->seq_next[dir]) > (int64_t)win;
    } else {
        return;
    }
    if ((pkt->tcp_flags & MW_TCP_RST) && rst_out) {
        pkt->tcp_flags &= (uint8_t)~MW_TCP_RST;
        f->rst_ignored++;
        w->stats.flow.rst_out_of_window++;
    }
    if ((pkt->tcp_flags & MW_TCP_FIN) && fin_out) {
        pkt->tcp_flags &= (uint8_t)~MW_TCP_FIN;
        f->fin_ignored++;
        w->stats.flow.fin_out_of_window++;
    }
}

/* Where a direction's sequence numbers are once reassembly stopped
 * following them: from its last state, then advanced by each segment
 * that ends beyond it by no more than the peer's window. */
static void track_seq(mw_flow *f, int dir, const mw_packet *pkt)
{
    const mw_tcp_stream *s = &f->stream[dir];
    if (!(f->bypassed || s->released || s->capped))
        return;
    if (!seq_next_init(f, dir))
        return;
    uint32_t win = peer_window(f, dir);
    int64_t adv = (int32_t)(pkt->seq + pkt->payload_wire_len - f->seq_next[dir]);
    if (adv > 0 && adv <= (win ? (int64_t)win : (int64_t)1 << 30))
        f->seq_next[dir] = pkt->seq + pkt->payload_wire_len;
}

/* Windows learned from every segment; data after its sender's RST. */
static void tcp_learn(mw_worker *w, mw_flow *f, int dir, const mw_packet *pkt)
{
    if (f->ttl_learned[dir] == 0)
        f->ttl_learned[dir] = pkt->ttl;
    if (pkt->window > f->max_window[dir])
        f->max_window[dir] = pkt->window;
    if (pkt->tcp_flags & MW_TCP_SYN) {
        f->syn_window_seen[dir] = true;
        f->syn_wscale[dir] = pkt->tcp_wscale;
    }
    track_seq(f, dir, pkt);
    if (f->rst_from[dir] && pkt->payload_wire_len > 0 && !(pkt->tcp_flags & MW_TCP_RST)) {
        f->data_after_rst++;
        w->stats.flow.data_after_rst++;
    }
    if (pkt->tcp_flags & MW_TCP_RST)
        f->rst_from[dir] = true;
}

static void handle_tcp(mw_worker *w, mw_flow *f, int dir, const mw_packet *pkt)
{
    mw_reasm_result r = mw_reasm_segment(w->reasm, &f->stream[dir], pkt->seq,
                                         pkt->tcp_flags, pkt->payload);
    deliver(w, f, dir, &r, pkt);
    /* The peer's ACK tells what it received of the other direction: holes
     * below it were lost before the capture point and will never fill. */
    if ((pkt->tcp_flags & MW_TCP_ACK) && !f->bypassed) {
        r = mw_reasm_ack(w->reasm, &f->stream[!dir], pkt->ack);
        deliver(w, f, !dir, &r, pkt);
    }
}

/* The packet's work past the flow lookup: consumer, reassembly, frame. */
static void finish_packet(mw_worker *w, mw_flow *f, int dir, int linktype,
                          const mw_source_packet *p, const mw_packet *pkt)
{
    if (!f->bypassed && w->consumer && f->consumer_state && w->consumer->packet &&
        w->consumer->packet(w->consumer_arg, f->consumer_state, f, dir, pkt) ==
            MW_CONSUMER_DONE)
        bypass(w, f);

    if (f->bypassed) {
        w->stats.flow.packets_bypassed++;
        w->stats.flow.bytes_bypassed += pkt->payload_wire_len;
    } else if (pkt->l4_proto == 6) {
        handle_tcp(w, f, dir, pkt);
    } else if (w->consumer && f->consumer_state && w->consumer->datagram) {
        mw_cursor payload = pkt->payload;
        if (w->consumer->datagram(w->consumer_arg, f->consumer_state, f, dir,
                                  &payload, pkt) == MW_CONSUMER_DONE)
            bypass(w, f);
    }

    if (w->consumer && w->consumer->frame && f->consumer_state)
        w->consumer->frame(w->consumer_arg, f->consumer_state, f, linktype, p);

    /* A CLOSED flow is not finished here: segments in flight when the RST
     * or FIN passed still arrive (a server's certificate often does), and
     * an injected RST must not hide them. It ends when it leaves the table,
     * after the closed timeout, at the end of the input, or on port reuse. */
}

static unsigned ttl_dist(uint8_t a, uint8_t b)
{
    return a > b ? (unsigned)(a - b) : (unsigned)(b - a);
}

/*
 * Two copies of the same bytes that differ cannot both be what the
 * receiver took. An injector on the path makes its copy one the receiver
 * drops (a wrong checksum) or never receives (a TTL that expires on the
 * way), and sends it just before the real one, so first-wins would keep
 * it. So a data segment that looks like that, a wrong checksum (auto) in
 * a direction that has had right ones, or a TTL off the direction's
 * first packet's, is held back for one packet (docs/evasion.md).
 */
static bool hold_suspect(const mw_worker *w, const mw_flow *f, int dir, const mw_packet *pkt)
{
    if (pkt->l4_proto != 6 || f->bypassed || pkt->payload_wire_len == 0 ||
        pkt->reassembled || pkt->payload_cut)
        return false;
    if (pkt->csum == MW_CSUM_BAD && w->cfg.checksums == MW_CHECKSUMS_AUTO &&
        f->csum_good_seen[dir])
        return true;
    return f->ttl_learned[dir] && ttl_dist(pkt->ttl, f->ttl_learned[dir]) > MW_HOLD_TTL_SLACK;
}

/* Copies the packet into a hold of its flow (which has none). */
static bool hold(mw_worker *w, mw_flow *f, int dir, int linktype,
                 const mw_source_packet *p, const mw_packet *pkt)
{
    if (w->held_bytes + p->caplen > MW_HOLD_MAX_BYTES) {
        w->stats.flow.hold_refused++;
        return false; /* processed at once, first copy wins as before */
    }
    mw_held *h = malloc(sizeof(*h) + p->caplen);
    if (!h) {
        w->stats.flow.hold_refused++;
        return false;
    }
    if (p->caplen)
        memcpy(h->buf, p->data, p->caplen);
    h->src = *p;
    h->src.data = h->buf;
    h->pkt = *pkt;
    /* The decoded views pointed into the frame: the same spots of the copy. */
    const uint8_t *pd = mw_cursor_data(&pkt->payload);
    if (pd)
        mw_cursor_init(&h->pkt.payload, h->buf + (pd - p->data), mw_cursor_len(&pkt->payload));
    const uint8_t *ld = mw_cursor_data(&pkt->l3);
    if (ld)
        mw_cursor_init(&h->pkt.l3, h->buf + (ld - p->data), mw_cursor_len(&pkt->l3));
    h->linktype = linktype;
    h->dir = dir;
    f->held = h;
    w->held_bytes += p->caplen;
    w->n_held++;
    w->stats.flow.held_suspect++;
    return true;
}

static void drop_held(mw_worker *w, mw_flow *f)
{
    mw_held *h = f->held;
    f->held = NULL;
    w->held_bytes -= h->src.caplen;
    w->n_held--;
    free(h);
}

static void release_held(mw_worker *w, mw_flow *f)
{
    mw_held *h = f->held;
    if (!h)
        return;
    f->held = NULL; /* finish_packet may end nothing, but be safe */
    finish_packet(w, f, h->dir, h->linktype, &h->src, &h->pkt);
    f->held = h;
    drop_held(w, f);
}

/* Lower is more like what the receiver took. */
static unsigned copy_score(const mw_packet *pkt, uint8_t learned)
{
    return (pkt->csum == MW_CSUM_BAD ? 1000u : 0u) + (learned ? ttl_dist(pkt->ttl, learned) : 0u);
}

static void note_injected(mw_worker *w, mw_flow *f, int dir, const mw_packet *dropped,
                          const mw_packet *kept)
{
    if (f->injected[dir]++ == 0) {
        f->injected_offset[dir] = dropped->seq - f->stream[dir].isn;
        f->injected_ttl[dir] = dropped->ttl;
        f->kept_ttl[dir] = kept->ttl;
    }
    w->stats.flow.injected_dropped++;
}

/*
 * The flow's next packet after a held one. Same direction, bytes
 * overlapping the held ones and differing: the copy with the worse score
 * (wrong checksum, TTL farther from the direction's) is dropped as
 * injected; a tie keeps the first. Anything else releases the held packet
 * first. Returns true when pkt was dropped.
 */
static bool settle_held(mw_worker *w, mw_flow *f, int dir, const mw_packet *pkt)
{
    mw_held *h = f->held;
    const mw_packet *hp = &h->pkt;
    size_t hl = mw_cursor_len(&hp->payload), pl = mw_cursor_len(&pkt->payload);
    if (dir != h->dir || pl == 0 || pkt->reassembled) {
        release_held(w, f);
        return false;
    }
    /* Overlap in sequence space, relative to the held segment's start. */
    int64_t ps = (int32_t)(pkt->seq - hp->seq), pe = ps + (int64_t)pl;
    int64_t lo = ps > 0 ? ps : 0, hi = pe < (int64_t)hl ? pe : (int64_t)hl;
    if (hi <= lo) {
        release_held(w, f);
        return false;
    }
    mw_cursor a = hp->payload, b = pkt->payload;
    (void)mw_cursor_skip(&a, (size_t)lo);
    (void)mw_cursor_skip(&b, (size_t)(lo - ps));
    if (memcmp(mw_cursor_data(&a), mw_cursor_data(&b), (size_t)(hi - lo)) == 0) {
        release_held(w, f);
        return false;
    }
    uint8_t learned = f->ttl_learned[dir];
    unsigned sh = copy_score(hp, learned), sp = copy_score(pkt, learned);
    if (sp < sh) {
        note_injected(w, f, dir, hp, pkt);
        drop_held(w, f);
        return false;
    }
    if (sp > sh) {
        note_injected(w, f, dir, pkt, hp);
        return true; /* the held one waits for the next packet still */
    }
    release_held(w, f);
    return false;
}

void mw_worker_packet(mw_worker *w, int linktype, const char *capture,
                      const mw_source_packet *p)
{
    mw_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.ts_us = p->ts_us;
    pkt.number = p->number;
    pkt.wirelen = p->wirelen;
    pkt.capture = capture;

    if (pkt.ts_us > w->now_us)
        w->now_us = pkt.ts_us;
    if (w->now_us >= w->next_expire_us && !w->cfg.expire_by_caller)
        expire(w, w->now_us);

    mw_decode_status ds = mw_decode(w->decoder, linktype, p->data, p->caplen, &pkt);
    if (ds != MW_DECODE_OK) {
        if (ds == MW_DECODE_ERROR && w->cfg.verbose)
            fprintf(stderr, "mitmwatch: %s: packet %" PRIu64 ": %s\n", capture,
                    pkt.number, mw_decoder_error(w->decoder));
        return;
    }
    if (checksum_drop(w, &pkt))
        return;
    if (pkt.l4_proto == 6 && (pkt.tcp_flags & (MW_TCP_RST | MW_TCP_FIN)))
        tcp_control_window(w, &pkt);
    if (w->n_held && pkt.l4_proto == 6) {
        int hdir = 0;
        mw_flow *hf = mw_flow_find(w->flows, &pkt, &hdir);
        if (hf && hf->held && settle_held(w, hf, hdir, &pkt))
            return;
    }

    int dir;
    bool created;
    mw_flow *f = mw_flow_packet(w->flows, &pkt, &dir, &created);
    if (!f)
        return;
    f->last_number = pkt.number;
    if (created) {
        f->run_number = w->number_base + pkt.number;
        f->capture = pkt.capture;
    }
    checksum_learn(w, f, dir, &pkt);
    if (pkt.l4_proto == 6)
        tcp_learn(w, f, dir, &pkt);
    if (pkt.frag_versions != MW_FRAG_ONE_VERSION && (dir == 0 || dir == 1) &&
        f->frag_differ[dir]++ == 0) {
        f->frag_differ_offset[dir] = pkt.l4_proto == 6 && f->stream[dir].isn_known
                                         ? pkt.seq - f->stream[dir].isn : 0;
        f->frag_differ_kept[dir] = pkt.frag_versions;
    }
    if (created && w->consumer && w->consumer->flow_start) {
        f->consumer_state = w->consumer->flow_start(w->consumer_arg, f, &pkt);
        if (!f->consumer_state)
            bypass(w, f);
    }
    if (!f->held && hold_suspect(w, f, dir, &pkt) && hold(w, f, dir, linktype, p, &pkt))
        return;
    finish_packet(w, f, dir, linktype, p, &pkt);
}

void mw_worker_expire_horizon(mw_worker *w, uint64_t now_us,
                              uint64_t first_kept[MW_FLOW_STATE_COUNT])
{
    mw_flow_expire_horizon(w->flows, now_us, first_kept);
}

void mw_worker_expire(mw_worker *w, uint64_t now_us,
                      const uint64_t before[MW_FLOW_STATE_COUNT])
{
    w->now_us = now_us;
    mw_flow_expire_before(w->flows, now_us, before);
    mw_decoder_expire(w->decoder, now_us);
}

void mw_worker_tick(mw_worker *w, uint64_t now_us)
{
    if (now_us > w->now_us)
        w->now_us = now_us;
    if (w->now_us >= w->next_expire_us)
        expire(w, w->now_us);
    if (w->consumer && w->consumer->tick)
        w->consumer->tick(w->consumer_arg, w->now_us);
}

void mw_worker_end_input(mw_worker *w)
{
    mw_flow_flush(w->flows, MW_FLOW_END_EOF);
    mw_decoder_flush(w->decoder);
    w->offload_said = false;
    /* The next input has its own clock. */
    w->now_us = 0;
    w->next_expire_us = 0;
}

void mw_worker_set_number_base(mw_worker *w, uint64_t base)
{
    w->number_base = base;
}

mw_stats *mw_worker_stats(mw_worker *w)
{
    return &w->stats;
}
