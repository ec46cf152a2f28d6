/*
 * parallel.c - see parallel.h.
 *
 * The order of turns. Every use of a sink happens, in a single-threaded
 * run, while one of three things is going on: a packet is processed
 * (number p), idle flows are expired just before packet p, or the input
 * ends. A turn's key says which, as two words:
 *   hi = p << 1 | 1            during packet p (one worker has it)
 *   hi = p << 1                expiry before packet p (every worker)
 *   hi = EOF_POS << 1          end of the input (every worker)
 *   lo = 0 for a packet; else the flow's state << 60 | its last packet
 * Expiry and the end walk the flows state by state, each state's list from
 * the least recently seen (mw_flow_expire, mw_flow_flush), and a flow's
 * place in its list is the number of its last packet: so (state, last
 * packet) is the single-threaded order, and each worker, walking its own
 * part of the table, asks in that order too.
 *
 * Each worker publishes a frontier: no turn it will ever ask for is below
 * it (the key of the message it is on, or of the turn it asks for; when
 * its ring is empty, the reader's position). A worker gets its turn when
 * every other frontier is above its key. Keys of two workers are never
 * equal (one packet, one flow), so exactly one waiter can go first, and
 * the one that holds the smallest key never waits for anyone: no
 * deadlock. Frontiers only grow within an input; hi is stored after lo and
 * read before it, so a torn read can only be too low (a wait, never a
 * wrong grant).
 *
 * Most turns are not waited for. A session's judgement is handed over
 * (sink_defer) with its key once the part that needs nothing shared is
 * done (session/judge.c), and the worker goes on with its packets; the
 * judgements it holds are the oldest turns it will ask for, so its
 * frontier is the smaller of its position and its oldest held key. It runs
 * them itself, oldest first, when they are due: between messages, while
 * idle, at an expiry barrier, and before any turn taken at once
 * (sink_enter: flow records, the text line, --write-flagged), which waits
 * as above. It waits only when it holds PEND_MAX of them or the input ends.
 * The smallest held key in the run is always due once the others pass
 * it, and whoever holds it serves it wherever it waits: still no deadlock.
 */
#include "cli/parallel.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ring.h"
#include "flow/dispatch.h"

#define EOF_POS ((uint64_t)1 << 62)
#define KEY_INF UINT64_MAX
/* Yields before a turn waiter sleeps: turns are usually near. */
#define TURN_SPINS 200
/* While someone waits for a turn, idle workers refresh their frontier
 * at least every this many packets. */
#define IDLE_REFRESH_PACKETS 32u
/* Judgements a worker may hold before it waits for the oldest's turn:
 * each holds the event's text, its chain's DER and references (judge.c),
 * some tens of KiB at most. */
#ifndef MW_PAR_PEND_MAX
#define MW_PAR_PEND_MAX 64u /* a test build sets 1: the full queue's path */
#endif
#define PEND_MAX MW_PAR_PEND_MAX

typedef enum msg_type {
    MSG_BEGIN,
    MSG_EXPIRE,
    MSG_PACKET,
    MSG_END,
    MSG_STOP,
} msg_type;

typedef struct pending {
    uint64_t hi, lo; /* its turn's key */
    mw_judged *jb;
} pending;

typedef struct msg {
    uint32_t type;
    int32_t linktype;   /* BEGIN */
    uint32_t caplen, wirelen;
    uint64_t number;    /* PACKET: the record number; EXPIRE: the next packet;
                         * BEGIN: the packets of the run before this input */
    uint64_t ts_us;     /* PACKET: capture time; EXPIRE: now */
    uint32_t ordered;   /* EXPIRE: no step back in capture time that still matters */
    const char *name;   /* BEGIN */
    const char *vantage; /* BEGIN */
    /* PACKET: caplen bytes of frame follow */
} msg;

/* Padded on purpose: per-frame fields a cache line apart. */
typedef struct pworker { // NOLINT(clang-analyzer-optin.performance.Padding)
    struct mw_par *par;
    pthread_t thread;
    mw_ring ring;
    mw_hub hub; /* where it sleeps */
    /* Stored at every message: a line of its own (common/ring.h). */
    _Alignas(MW_CACHE_LINE) _Atomic uint64_t f_hi, f_lo; /* frontier */
    /* While it sleeps for a turn: the turn's key (else KEY_INF), so that
     * only the frontier that passes it wakes the sleeper. */
    _Atomic uint64_t w_hi, w_lo;
    /* For the progress line: its sessions so far, refreshed now and then. */
    _Atomic uint64_t seen_sessions, seen_intercepted;
    /* Waiting for its ring: read by the reader at every frame it hands
     * this worker, so not beside what the worker writes per message. */
    _Alignas(MW_CACHE_LINE) atomic_bool asleep;
    _Alignas(MW_CACHE_LINE) mw_worker *worker;
    mw_sessions *sessions;
    /* Owned by the worker thread. */
    const char *name;
    uint64_t cur_hi;   /* key of the message being processed */
    uint64_t idle_pos; /* the reader's position its idle frontier used */
    uint64_t done_hi;  /* every message below this key is processed */
    uint64_t want_hi, want_lo; /* the turn asked for */
    uint64_t pos_hi, pos_lo;   /* its own frontier, held judgements aside */
    pending pend[PEND_MAX];    /* held judgements, oldest at pend_head */
    unsigned pend_head, pend_n;
    uint64_t turn_waits, full_waits; /* for -v (mw_par_turn_waits) */
    /* Expiry: what this worker would keep, by tick parity (see expire). */
    uint64_t first_kept[2][MW_FLOW_STATE_COUNT];
    uint64_t ticks;    /* barrier ticks passed, this run */
    unsigned index;
    int linktype;
    bool started;
    bool hub_ok;
    bool in_input;
    bool cur_packet;   /* the message is a packet (lo = 0) */
} pworker;

struct mw_par { // NOLINT(clang-analyzer-optin.performance.Padding): lines apart
    unsigned n;
    pworker *w;
    mw_hub hub; /* where the reader sleeps */
    mw_dispatch *dispatch;
    mw_stats reader_stats;
    /* Stored at every frame by the reader: a line of its own. */
    _Alignas(MW_CACHE_LINE) _Atomic uint64_t pos; /* next packet number handed out */
    _Alignas(MW_CACHE_LINE) atomic_uint turn_waiters; /* workers waiting for a turn */
    atomic_uint ended;          /* workers done with the input */
    atomic_bool reader_asleep;
    _Atomic uint64_t expire_arrivals; /* workers at expiry barriers, all ticks */
    /* The reader's own. */
    int linktype;
    bool ordered; /* no step back in capture time that still matters */
    uint64_t disorder_until_us; /* a step back in time matters until then */
    uint64_t max_timeout_us;    /* the longest flow idle timeout */
    uint64_t now_us, next_expire_us;
    uint64_t reader_waits;
    unsigned since_refresh;
};

/* ---- frontiers and turns ----------------------------------------------- */

/* Whoever sleeps among the workers looks at its condition again. */
static void poke_workers(mw_par *p)
{
    for (unsigned i = 0; i < p->n; i++)
        mw_hub_poke(&p->w[i].hub);
}

static bool key_below(uint64_t hi, uint64_t lo, uint64_t hi2, uint64_t lo2)
{
    return hi < hi2 || (hi == hi2 && lo < lo2);
}

/* The frontier is the position (hi, lo), or the oldest judgement held if
 * that is below it. */
static void publish(pworker *w, uint64_t hi, uint64_t lo)
{
    mw_par *p = w->par;
    w->pos_hi = hi;
    w->pos_lo = lo;
    if (w->pend_n) {
        const pending *h = &w->pend[w->pend_head];
        if (key_below(h->hi, h->lo, hi, lo)) {
            hi = h->hi;
            lo = h->lo;
        }
    }
    atomic_store(&w->f_lo, lo);
    atomic_store(&w->f_hi, hi);
    if (!atomic_load(&p->turn_waiters))
        return;
    for (unsigned i = 0; i < p->n; i++) {
        uint64_t wh = atomic_load(&p->w[i].w_hi), wl = atomic_load(&p->w[i].w_lo);
        if (i != w->index && wh != KEY_INF && (hi > wh || (hi == wh && lo > wl))) {
            mw_hub_poke(&p->w[i].hub);
            continue;
        }
    }
}

static bool turn_ready(void *arg)
{
    pworker *w = arg;
    mw_par *p = w->par;
    for (unsigned j = 0; j < p->n; j++) {
        if (j == w->index)
            continue;
        uint64_t hi = atomic_load(&p->w[j].f_hi);
        uint64_t lo = atomic_load(&p->w[j].f_lo);
        if (hi < w->want_hi || (hi == w->want_hi && lo < w->want_lo))
            return false;
        if (hi == w->want_hi && lo == w->want_lo && j < w->index)
            return false; /* cannot happen (keys differ); the index breaks it */
    }
    return true;
}

/* The key of a turn asked for now by the flow (see the top). */
static void want_key(pworker *w, const mw_flow *flow)
{
    w->want_hi = w->cur_hi;
    w->want_lo = w->cur_packet ? 0
                               : (uint64_t)flow->state << 60 |
                                     (flow->last_number & (((uint64_t)1 << 60) - 1));
}

/* Waits until the turn asked for (want_hi, want_lo) is due. */
static void wait_turn(pworker *w)
{
    mw_par *p = w->par;
    if (turn_ready(w))
        return;
    w->turn_waits++;
    atomic_fetch_add(&p->turn_waiters, 1);
    /* Idle workers may show a stale position: let them look again. */
    poke_workers(p);
    for (int i = 0; i < TURN_SPINS && !turn_ready(w); i++)
        sched_yield();
    atomic_store(&w->w_lo, w->want_lo);
    atomic_store(&w->w_hi, w->want_hi);
    mw_hub_wait(&w->hub, turn_ready, w);
    atomic_store(&w->w_hi, KEY_INF);
    atomic_fetch_sub(&p->turn_waiters, 1);
}

/* Whether the oldest judgement held is due (want is set to its key). */
static bool head_due(pworker *w)
{
    if (!w->pend_n)
        return false;
    w->want_hi = w->pend[w->pend_head].hi;
    w->want_lo = w->pend[w->pend_head].lo;
    return turn_ready(w);
}

/* Runs the held judgements that are due, oldest first; with wait, waits
 * for each until count are left. Returns whether it ran any. */
static bool serve(pworker *w, bool wait, unsigned count)
{
    bool ran = false;
    while (w->pend_n > count) {
        if (!head_due(w)) {
            if (!wait)
                break;
            wait_turn(w);
        }
        mw_judged *jb = w->pend[w->pend_head].jb;
        w->pend_head = (w->pend_head + 1) % PEND_MAX;
        w->pend_n--;
        mw_judged_run(w->sessions, jb);
        /* The next held key, or the position: the frontier moves on. */
        publish(w, w->pos_hi, w->pos_lo);
        ran = true;
    }
    return ran;
}

static void sink_defer(void *arg, const mw_flow *flow, mw_judged *jb)
{
    pworker *w = arg;
    if (w->pend_n == PEND_MAX) {
        w->full_waits++;
        (void)serve(w, true, PEND_MAX - 1);
    }
    want_key(w, flow);
    pending *slot = &w->pend[(w->pend_head + w->pend_n) % PEND_MAX];
    *slot = (pending){.hi = w->want_hi, .lo = w->want_lo, .jb = jb};
    w->pend_n++;
    /* Nothing asked for later is below this key. */
    publish(w, w->want_hi, w->want_lo);
}

static void sink_enter(void *arg, const mw_flow *flow)
{
    pworker *w = arg;
    /* The judgements held come first: their keys are older. */
    (void)serve(w, true, 0);
    want_key(w, flow);
    publish(w, w->want_hi, w->want_lo);
    wait_turn(w);
}

static void sink_leave(void *arg)
{
    /* The frontier stays at the turn's key until the next message moves
     * it: nothing this worker asks for later is smaller. */
    (void)arg;
}

/* ---- expiry --------------------------------------------------------------- */

typedef struct tick_wait {
    mw_par *par;
    uint64_t target;
    pworker *w;
} tick_wait;

static bool tick_ready(void *arg)
{
    tick_wait *t = arg;
    return atomic_load(&t->par->expire_arrivals) >= t->target;
}

static bool tick_or_due(void *arg)
{
    tick_wait *t = arg;
    return tick_ready(t) || head_due(t->w);
}

/* Before and after a sleep while holding judgements: registered as a turn
 * waiter for the oldest, so the frontier that makes it due wakes us. */
static void serving(pworker *w, bool on)
{
    if (!w->pend_n)
        return;
    mw_par *p = w->par;
    if (on) {
        atomic_fetch_add(&p->turn_waiters, 1);
        atomic_store(&w->w_lo, w->pend[w->pend_head].lo);
        atomic_store(&w->w_hi, w->pend[w->pend_head].hi);
        poke_workers(p);
    } else {
        atomic_store(&w->w_hi, KEY_INF);
        atomic_fetch_sub(&p->turn_waiters, 1);
    }
}

/*
 * One worker alone stops each state's expiry at the first flow that is not
 * idle, and capture time need not grow with packet numbers (merged
 * captures): so a flow another worker keeps must stop this one too, once
 * the input's time has gone back. Every
 * worker says what it would keep, waits for the others (every worker gets
 * every EXPIRE, in the same order), and expires below the smallest. The
 * slots alternate by tick: a worker can be at most one tick ahead.
 */
static void expire(pworker *w, uint64_t now_us, bool ordered)
{
    mw_par *p = w->par;
    uint64_t before[MW_FLOW_STATE_COUNT];
    if (ordered) {
        /* Time in packet order: a flow seen later was seen at a later time
         * too, so where one list stops, so would the merged list. No need
         * to ask the others. */
        for (int st = 0; st < MW_FLOW_STATE_COUNT; st++)
            before[st] = UINT64_MAX;
        mw_worker_expire(w->worker, now_us, before);
        return;
    }
    uint64_t k = ++w->ticks;
    uint64_t *mine = w->first_kept[k & 1];
    mw_worker_expire_horizon(w->worker, now_us, mine);
    atomic_fetch_add(&p->expire_arrivals, 1);
    poke_workers(p);
    tick_wait t = {p, k * p->n, w};
    /* Whoever arrives first may hold the run's oldest judgement, which
     * the others may wait for before they arrive: served while waiting. */
    while (!tick_ready(&t)) {
        if (serve(w, false, 0))
            continue;
        serving(w, true);
        mw_hub_wait(&w->hub, tick_or_due, &t);
        serving(w, false);
    }
    for (int st = 0; st < MW_FLOW_STATE_COUNT; st++) {
        before[st] = UINT64_MAX;
        for (unsigned j = 0; j < p->n; j++)
            if (p->w[j].first_kept[k & 1][st] < before[st])
                before[st] = p->w[j].first_kept[k & 1][st];
    }
    mw_worker_expire(w->worker, now_us, before);
}

/* ---- the worker thread -------------------------------------------------- */

static bool worker_ready(void *arg)
{
    pworker *w = arg;
    if (!mw_ring_empty(&w->ring) || head_due(w))
        return true;
    /* Someone waits for a turn and the reader moved on: refresh. */
    return w->in_input && atomic_load(&w->par->turn_waiters) &&
           atomic_load(&w->par->pos) != w->idle_pos;
}

static msg *next_msg(pworker *w)
{
    for (;;) {
        msg *m = mw_ring_peek(&w->ring);
        if (m)
            return m;
        if (serve(w, false, 0))
            continue;
        if (w->in_input) {
            /* Empty ring: everything handed out before pos that was ours
             * is done, so nothing we ask for later is below pos. The
             * reader stores pos after committing, so an empty ring seen
             * after loading pos means that. */
            uint64_t pos = atomic_load(&w->par->pos);
            if (!mw_ring_empty(&w->ring))
                continue;
            if (pos != w->idle_pos || atomic_load(&w->f_hi) < w->done_hi) {
                w->idle_pos = pos;
                publish(w, pos << 1 > w->done_hi ? pos << 1 : w->done_hi, 0);
            }
        }
        bool held = w->pend_n != 0;
        if (held)
            serving(w, true);
        atomic_store(&w->asleep, true);
        mw_hub_wait(&w->hub, worker_ready, w);
        atomic_store(&w->asleep, false);
        if (held)
            serving(w, false);
    }
}

static void release_msg(pworker *w)
{
    mw_ring_release(&w->ring);
    /* Wake a waiting reader once there is room for many frames, not one,
     * and once (its condition sets the flag again if it sleeps on). */
    if (atomic_load(&w->par->reader_asleep) &&
        mw_ring_used(&w->ring) <= w->ring.cap - w->ring.cap / 4 &&
        atomic_exchange(&w->par->reader_asleep, false))
        mw_hub_poke(&w->par->hub);
}

static void *worker_main(void *arg)
{
    pworker *w = arg;
    mw_par *p = w->par;
    for (;;) {
        msg *m = next_msg(w);
        switch ((msg_type)m->type) {
        case MSG_BEGIN:
            w->linktype = m->linktype;
            w->name = m->name;
            mw_worker_set_number_base(w->worker, m->number);
            w->in_input = true;
            w->idle_pos = 0;
            w->done_hi = 0;
            mw_sessions_set_vantage(w->sessions, m->vantage);
            publish(w, 0, 0);
            break;
        case MSG_EXPIRE:
            w->cur_hi = m->number << 1;
            w->cur_packet = false;
            publish(w, w->cur_hi, 0);
            expire(w, m->ts_us, m->ordered != 0);
            w->done_hi = w->cur_hi | 1; /* next: packet m->number */
            break;
        case MSG_PACKET: {
            mw_source_packet sp = {
                .ts_us = m->ts_us,
                .number = m->number,
                .caplen = m->caplen,
                .wirelen = m->wirelen,
                .data = (const uint8_t *)(m + 1),
            };
            w->cur_hi = m->number << 1 | 1;
            w->cur_packet = true;
            publish(w, w->cur_hi, 0);
            mw_worker_packet(w->worker, w->linktype, w->name, &sp);
            if ((m->number & 1023) == 0) {
                const mw_session_stats *ss = mw_sessions_stats(w->sessions);
                atomic_store_explicit(&w->seen_sessions, ss->tls + ss->dtls + ss->quic,
                                      memory_order_relaxed);
                atomic_store_explicit(&w->seen_intercepted, ss->verdict_intercepted,
                                      memory_order_relaxed);
            }
            w->done_hi = (m->number + 1) << 1; /* next: after this packet */
            break;
        }
        case MSG_END:
            w->cur_hi = EOF_POS << 1;
            w->cur_packet = false;
            publish(w, w->cur_hi, 0);
            mw_worker_end_input(w->worker);
            (void)serve(w, true, 0);
            w->in_input = false;
            publish(w, KEY_INF, KEY_INF);
            release_msg(w);
            atomic_fetch_add(&p->ended, 1);
            mw_hub_poke(&p->hub);
            continue;
        case MSG_STOP:
            release_msg(w);
            return NULL;
        }
        release_msg(w);
        if (w->pend_n)
            (void)serve(w, false, 0);
    }
}

/* ---- the reader --------------------------------------------------------- */

static bool ring_has_room(void *arg)
{
    void **a = arg;
    pworker *w = a[0];
    if (mw_ring_reserve(&w->ring, *(size_t *)a[1]) != NULL)
        return true;
    atomic_store(&w->par->reader_asleep, true);
    return false;
}

/* Room for a message of len bytes in w's ring; waits when it is full. */
static msg *reserve(mw_par *p, pworker *w, size_t len)
{
    msg *m = mw_ring_reserve(&w->ring, len);
    if (m)
        return m;
    p->reader_waits++;
    void *args[2] = {w, &len};
    atomic_store(&p->reader_asleep, true);
    /* Whoever waits for a turn may need idle workers to look again. */
    if (atomic_load(&p->turn_waiters))
        poke_workers(p);
    mw_hub_wait(&p->hub, ring_has_room, args);
    atomic_store(&p->reader_asleep, false);
    return mw_ring_reserve(&w->ring, len);
}

/* A sleeping worker is woken when its ring holds a batch of frames, or
 * for any other message (its 1 ms timed wait takes what is left). */
static void commit(pworker *w, bool batch)
{
    mw_ring_commit(&w->ring);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&w->asleep) && (!batch || mw_ring_used(&w->ring) >= w->ring.cap / 8))
        mw_hub_poke(&w->hub);
}

static void send_all(mw_par *p, const msg *tmpl)
{
    for (unsigned i = 0; i < p->n; i++) {
        msg *m = reserve(p, &p->w[i], sizeof(*m));
        *m = *tmpl;
        commit(&p->w[i], false);
    }
}

static void set_pos(mw_par *p, uint64_t pos)
{
    atomic_store(&p->pos, pos);
    if (atomic_load(&p->turn_waiters) && ++p->since_refresh >= IDLE_REFRESH_PACKETS) {
        p->since_refresh = 0;
        poke_workers(p);
    }
}

void mw_par_begin_input(mw_par *p, int linktype, const char *name, const char *vantage,
                        uint64_t number_base)
{
    msg m = {.type = MSG_BEGIN, .linktype = linktype, .name = name, .vantage = vantage,
             .number = number_base};
    /* Every worker is between inputs, its frontier at KEY_INF: back to 0
     * before any of them starts, so none runs ahead of the others. */
    for (unsigned i = 0; i < p->n; i++) {
        atomic_store(&p->w[i].f_lo, 0);
        atomic_store(&p->w[i].f_hi, 0);
    }
    atomic_store(&p->pos, 0);
    p->linktype = linktype;
    p->ordered = true;
    p->disorder_until_us = 0;
    p->now_us = 0;
    p->next_expire_us = 0;
    send_all(p, &m);
}

void mw_par_packet(mw_par *p, const mw_source_packet *sp)
{
    /* Expiry exactly where a single worker would run it (pipeline.c). */
    /* A flow kept behind an expired one in the merged list needs a step
     * back in time between their last packets, and lives at most the
     * longest timeout past the time reached before that step: after
     * that, the lists stop where one list would again. */
    if (sp->ts_us < p->now_us) {
        p->ordered = false;
        p->disorder_until_us = p->now_us > UINT64_MAX - p->max_timeout_us
                                   ? UINT64_MAX : p->now_us + p->max_timeout_us;
    }
    if (!p->ordered && p->now_us >= p->disorder_until_us && sp->ts_us >= p->now_us)
        p->ordered = true;
    if (sp->ts_us > p->now_us)
        p->now_us = sp->ts_us;
    if (p->now_us >= p->next_expire_us) {
        msg e = {.type = MSG_EXPIRE, .number = sp->number, .ts_us = p->now_us,
                 .ordered = p->ordered};
        send_all(p, &e);
        p->next_expire_us = p->now_us + MW_EXPIRE_INTERVAL_US;
    }
    pworker *w = &p->w[mw_dispatch_worker(p->dispatch, p->linktype, sp)];
    uint32_t caplen = sp->caplen;
    /* libpcap hands out at most 256 KiB a frame; a ring takes a quarter of
     * its size (4 MiB), so this never cuts a frame read from a file. */
    if (caplen > mw_ring_max_record(&w->ring) - sizeof(msg))
        caplen = (uint32_t)(mw_ring_max_record(&w->ring) - sizeof(msg));
    msg *m = reserve(p, w, sizeof(msg) + caplen);
    *m = (msg){.type = MSG_PACKET, .caplen = caplen, .wirelen = sp->wirelen,
               .number = sp->number, .ts_us = sp->ts_us};
    memcpy(m + 1, sp->data, caplen);
    commit(w, true);
    set_pos(p, sp->number + 1);
}

static bool all_ended(void *arg)
{
    mw_par *p = arg;
    return atomic_load(&p->ended) == p->n;
}

void mw_par_end_input(mw_par *p)
{
    msg m = {.type = MSG_END};
    atomic_store(&p->ended, 0);
    send_all(p, &m);
    set_pos(p, EOF_POS);
    poke_workers(p);
    atomic_store(&p->reader_asleep, true);
    mw_hub_wait(&p->hub, all_ended, p);
    atomic_store(&p->reader_asleep, false);
}

/* ---- set-up ------------------------------------------------------------- */

mw_par *mw_par_new(unsigned threads, const mw_config *cfg, const mw_session_config *scfg)
{
    if (threads == 0 || threads > MW_PAR_MAX_THREADS)
        return NULL;
    /* Aligned to a line, so that the lines the layout keeps apart are. */
    mw_par *p = aligned_alloc(MW_CACHE_LINE, sizeof(*p));
    if (!p)
        return NULL;
    memset(p, 0, sizeof(*p));
    p->n = threads;
    p->w = aligned_alloc(MW_CACHE_LINE, threads * sizeof(*p->w));
    if (p->w)
        memset(p->w, 0, threads * sizeof(*p->w));
    p->dispatch = mw_dispatch_new(threads);
    if (!p->w || !p->dispatch || !mw_hub_init(&p->hub)) {
        mw_dispatch_free(p->dispatch);
        free(p->w);
        free(p);
        return NULL;
    }
    for (int st = 0; st < MW_FLOW_STATE_COUNT; st++)
        if (cfg->flow.timeout_us[st] > p->max_timeout_us)
            p->max_timeout_us = cfg->flow.timeout_us[st];
    mw_config wc = *cfg;
    wc.expire_by_caller = true;
    wc.flow.max_flows = cfg->flow.max_flows / threads ? cfg->flow.max_flows / threads : 1;
    wc.reasm.memcap = cfg->reasm.memcap / threads;
    wc.frag.max_datagrams =
        cfg->frag.max_datagrams / threads ? cfg->frag.max_datagrams / threads : 1;
    bool ok = true;
    for (unsigned i = 0; i < threads && ok; i++) {
        pworker *w = &p->w[i];
        w->par = p;
        w->index = i;
        atomic_init(&w->f_hi, 0);
        atomic_init(&w->f_lo, 0);
        atomic_init(&w->w_hi, KEY_INF);
        atomic_init(&w->w_lo, KEY_INF);
        w->hub_ok = mw_hub_init(&w->hub);
        mw_session_config sc = *scfg;
        sc.sink_enter = sink_enter;
        sc.sink_leave = sink_leave;
        sc.sink_defer = sink_defer;
        sc.sink_arg = w;
        ok = w->hub_ok && mw_ring_init(&w->ring, MW_PAR_RING_BYTES) &&
             (w->sessions = mw_sessions_new(&sc)) != NULL &&
             (w->worker = mw_worker_new(&wc, mw_sessions_consumer(w->sessions),
                                        w->sessions)) != NULL;
        ok = ok && pthread_create(&w->thread, NULL, worker_main, w) == 0;
        w->started = ok;
    }
    if (!ok) {
        mw_par_free(p);
        return NULL;
    }
    return p;
}

void mw_par_free(mw_par *p)
{
    if (!p)
        return;
    msg stop = {.type = MSG_STOP};
    for (unsigned i = 0; i < p->n; i++) {
        pworker *w = &p->w[i];
        if (!w->started)
            continue;
        msg *m = reserve(p, w, sizeof(*m));
        *m = stop;
        commit(w, false);
        pthread_join(w->thread, NULL);
    }
    for (unsigned i = 0; i < p->n; i++) {
        mw_worker_free(p->w[i].worker);
        mw_sessions_free(p->w[i].sessions);
        mw_ring_destroy(&p->w[i].ring);
        if (p->w[i].hub_ok)
            mw_hub_destroy(&p->w[i].hub);
    }
    mw_hub_destroy(&p->hub);
    mw_dispatch_free(p->dispatch);
    free(p->w);
    free(p);
}

mw_stats *mw_par_reader_stats(mw_par *p)
{
    return &p->reader_stats;
}

bool mw_par_ok(const mw_par *p)
{
    for (unsigned i = 0; i < p->n; i++)
        if (!mw_sessions_ok(p->w[i].sessions))
            return false;
    return true;
}

void mw_par_add_stats(mw_par *p, mw_stats *out)
{
    mw_stats_add(out, &p->reader_stats);
    for (unsigned i = 0; i < p->n; i++) {
        mw_stats st = *mw_worker_stats(p->w[i].worker);
        st.session = *mw_sessions_stats(p->w[i].sessions);
        mw_stats_add(out, &st);
    }
}

void mw_par_progress(const mw_par *p, uint64_t *sessions, uint64_t *intercepted)
{
    *sessions = *intercepted = 0;
    for (unsigned i = 0; i < p->n; i++) {
        *sessions += atomic_load_explicit(&p->w[i].seen_sessions, memory_order_relaxed);
        *intercepted += atomic_load_explicit(&p->w[i].seen_intercepted, memory_order_relaxed);
    }
}

uint64_t mw_par_reader_waits(const mw_par *p)
{
    return p->reader_waits;
}

void mw_par_turn_waits(const mw_par *p, uint64_t *waits, uint64_t *full)
{
    *waits = *full = 0;
    for (unsigned i = 0; i < p->n; i++) {
        *waits += p->w[i].turn_waits;
        *full += p->w[i].full_waits;
    }
}
