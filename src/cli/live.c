/*
 * live.c - see live.h.
 *
 * Threads. Each worker thread owns its socket, its mw_worker and its
 * mw_sessions; it touches shared state only inside the sink lock (the
 * sessions' sink_enter/leave) and when it publishes a snapshot of its
 * counters (its own small lock). The caller's thread takes the sink lock
 * for everything that writes the shared outputs (stats records, SIGHUP's
 * reopen, the report, flushing), so a rotation never falls in the middle
 * of a line. Privileges are given up before the workers start:
 * capabilities are per thread, and threads inherit what their creator has
 * (privs.h).
 */
#include "cli/live.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cli/ops.h"
#include "detect/baseline.h"
#include "flow/pipeline.h"
#include "output/flagged.h"

/* A worker publishes its counters at most this often (and when idle). */
#define SNAPSHOT_MS 100u
/* The watchdog is fed only while every worker has looped this recently. */
#define STALL_MS 5000u

typedef struct liface {
    const char *name;
    unsigned first, n;  /* its workers: w[first .. first + n) */
    uint16_t fanout_id; /* with n > 1 */
} liface;

typedef struct lworker {
    struct mw_live *lv;
    liface *ifc;
    unsigned index;  /* among all workers */
    unsigned sock;   /* among its interface's */
    mw_capture_config cap;
    mw_source *src;  /* NULL while the interface is gone */
    mw_sessions *sessions;
    mw_worker *worker;
    pthread_t thread;
    bool started;
    uint64_t run_packets; /* packets of its earlier sockets (reopen) */
    uint64_t last_snap_ms;
    _Atomic uint64_t heartbeat_ms;
    atomic_bool done;
    /* The snapshot the caller's thread reads (counters of now). */
    pthread_mutex_t snap_lock;
    bool snap_lock_ok;
    mw_stats snap;
} lworker;

struct mw_live {
    mw_cli *cli;
    mw_live_hooks hooks;
    liface *ifs;
    size_t n_ifs;
    lworker *w;
    unsigned n;
    pthread_mutex_t sink;
    bool sink_ok;
    atomic_bool stop;     /* drain and end */
    atomic_bool stop_now; /* -c reached: end without draining */
    _Atomic uint64_t packets; /* towards -c */
    atomic_int status;    /* an input lost or failed: MW_EXIT_FAILED */
    mw_ops_iface *ops_ifs;
    mw_ops_kernel *ops_socks;
};

static uint64_t now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    (void)nanosleep(&ts, NULL);
}

/* ---- the sink lock ------------------------------------------------------- */

static void sink_enter(void *arg, const mw_flow *flow)
{
    (void)flow;
    pthread_mutex_lock(&((mw_live *)arg)->sink);
}

static void sink_leave(void *arg)
{
    pthread_mutex_unlock(&((mw_live *)arg)->sink);
}

/* ---- a worker ------------------------------------------------------------ */

/* The kernel's counters of the socket into *cs. libpcap's ps_ifdrop is
 * the interface's (rx_dropped from sysfs, since the socket opened), not
 * the socket's: only an interface's first socket counts it, or N sockets
 * would count every drop N times. */
static void add_kernel(const lworker *w, mw_source *src, mw_capture_stats *cs)
{
    uint64_t if_dropped = cs->pcap_if_dropped;
    mw_source_add_drop_stats(src, cs);
    if (w->sock > 0)
        cs->pcap_if_dropped = if_dropped;
}

/* Its counters now: the worker's, its sessions', and the kernel's for the
 * socket it reads (those of closed sockets are in the worker's already). */
static void own_stats(lworker *w, mw_stats *st)
{
    *st = *mw_worker_stats(w->worker);
    st->session = *mw_sessions_stats(w->sessions);
    if (w->src)
        add_kernel(w, w->src, &st->capture);
}

static void snapshot(lworker *w, bool force)
{
    uint64_t now = mw_ops_now_ms();
    atomic_store_explicit(&w->heartbeat_ms, now, memory_order_relaxed);
    if (!force && now - w->last_snap_ms < SNAPSHOT_MS)
        return;
    w->last_snap_ms = now;
    mw_stats st;
    own_stats(w, &st);
    pthread_mutex_lock(&w->snap_lock);
    w->snap = st;
    pthread_mutex_unlock(&w->snap_lock);
}

static bool open_socket(lworker *w, char *err, size_t errlen)
{
    mw_capture_stats *cs = &mw_worker_stats(w->worker)->capture;
    w->src = mw_source_open_live(w->ifc->name, &w->cap, cs, err, errlen);
    /* An interface is one input however many sockets read it. */
    if (w->sock > 0 && w->src)
        cs->inputs_opened--;
    return w->src != NULL;
}

/* The interface went away: the socket is closed (its kernel counters
 * kept) and opened again every second until it is back or a stop. False
 * when it cannot come back: stopped, or -Z gave up the privileges. */
static bool reopen(lworker *w)
{
    mw_live *lv = w->lv;
    mw_cli *cli = lv->cli;
    mw_capture_stats *cs = &mw_worker_stats(w->worker)->capture;
    /* Said and counted once an interface, by its first socket. */
    bool first = w->sock == 0;
    if (first) {
        cs->interface_lost++;
        fprintf(stderr, "mitmwatch: %s\n", mw_source_error(w->src));
    }
    /* What the kernel had received for this socket but libpcap no longer
     * hands out (the ring goes with the interface) is counted, not lost;
     * the damaged input is the interface, counted once. */
    add_kernel(w, w->src, cs);
    mw_source_count_not_read(w->src, cs);
    /* Not an exit status: like the kernel's drops, what crossed the wire
     * while it was gone is counted (interface_lost, packets_not_read) and
     * the capture goes on; a months-long run is not made a failure by one
     * link flap (issue 12: a stop is 0 when every output was written).
     * Only a capture that cannot start again (below) is. */
    if (!first && cs->inputs_damaged)
        cs->inputs_damaged--;
    mw_source_close(w->src);
    w->src = NULL;
    snapshot(w, true);
    if (cli->privs.user) {
        if (first)
            fprintf(stderr, "mitmwatch: %s: cannot capture again after -Z %s gave up the "
                            "privileges: stopping its capture\n", w->ifc->name, cli->privs.user);
        atomic_store(&lv->status, MW_EXIT_FAILED);
        return false;
    }
    if (first)
        fprintf(stderr, "mitmwatch: %s: lost; opening it again every second\n", w->ifc->name);
    uint64_t last_try = mw_ops_now_ms();
    while (!atomic_load(&lv->stop) && !atomic_load(&lv->stop_now)) {
        sleep_ms(100);
        snapshot(w, false);
        if (mw_ops_now_ms() - last_try < 1000)
            continue;
        last_try = mw_ops_now_ms();
        char err[MW_CAPTURE_ERRLEN];
        /* Each try counts as an input opened or failed in the capture
         * module: the interface is one input, counted once (and its
         * returns in interface_reopened). A fanout group still held by a
         * sibling's old socket fails too: tried again a second later. */
        if (!open_socket(w, err, sizeof err)) {
            cs->inputs_failed--;
            continue;
        }
        if (first) {
            cs->inputs_opened--;
            cs->interface_reopened++;
            fprintf(stderr, "mitmwatch: %s: capturing again\n", w->ifc->name);
        }
        return true;
    }
    return false;
}

/* -c: true when this packet is still to be read (the count's last one
 * stops every worker). */
static bool take_ticket(mw_live *lv)
{
    uint64_t max = lv->cli->max_packets;
    if (!max)
        return true;
    uint64_t t = atomic_fetch_add(&lv->packets, 1) + 1;
    if (t >= max)
        atomic_store(&lv->stop_now, true);
    return t <= max;
}

static void *worker_main(void *arg)
{
    lworker *w = arg;
    mw_live *lv = w->lv;
    bool draining = false;
    uint64_t last_number = 0;
    unsigned since_snap = 0;
    /* Packet numbers of the run interleave the workers' (number k of
     * worker i of n is (k - 1) * n + i + 1): flow_id stays unique within
     * the run and grows within each worker's flows. With one worker they
     * are the packet numbers, as offline. */
    const uint64_t n = lv->n, i = w->index;
    while (!atomic_load(&lv->stop_now)) {
        if (!w->src) {
            w->run_packets += last_number;
            last_number = 0;
            if (!reopen(w))
                break;
        }
        if (atomic_load(&lv->stop) && !draining) {
            /* Stop: read what the kernel already holds, then end. */
            mw_source_drain(w->src);
            draining = true;
        }
        mw_source_packet p;
        mw_source_status s = mw_source_next(w->src, &p);
        if (s == MW_SOURCE_PACKET) {
            if (!take_ticket(lv)) {
                /* Read from the ring, past -c's count: not read for us
                 * (mw_source_count_not_read counts only what is left). */
                mw_worker_stats(w->worker)->capture.packets_not_read++;
                break;
            }
            last_number = p.number;
            p.number = (w->run_packets + p.number - 1) * n + i + 1;
            mw_worker_packet(w->worker, mw_source_linktype(w->src), w->ifc->name, &p);
            if (++since_snap >= 256) {
                since_snap = 0;
                snapshot(w, false);
            }
        } else if (s == MW_SOURCE_IDLE) {
            mw_worker_tick(w->worker, now_us());
            snapshot(w, false);
        } else if (s == MW_SOURCE_ERROR && !atomic_load(&lv->stop)) {
            w->run_packets += last_number;
            last_number = 0;
            /* reopen() closes it and loops until the interface is back. */
            if (!reopen(w))
                break;
        } else {
            if (s == MW_SOURCE_ERROR) {
                fprintf(stderr, "mitmwatch: %s\n", mw_source_error(w->src));
                atomic_store(&lv->status, MW_EXIT_FAILED);
            }
            break;
        }
    }
    if (w->src) {
        mw_capture_stats *cs = &mw_worker_stats(w->worker)->capture;
        add_kernel(w, w->src, cs);
        mw_source_count_not_read(w->src, cs);
        mw_source_close(w->src);
        w->src = NULL;
    }
    /* Its flows end here: their sessions are judged and written. */
    mw_worker_end_input(w->worker);
    snapshot(w, true);
    atomic_store(&w->done, true);
    return NULL;
}

/* ---- the caller's thread --------------------------------------------------- */

/* The counters of now: every worker's snapshot and the outputs'. */
static void current_stats(mw_live *lv, mw_stats *cur)
{
    memset(cur, 0, sizeof *cur);
    for (unsigned k = 0; k < lv->n; k++) {
        lworker *w = &lv->w[k];
        pthread_mutex_lock(&w->snap_lock);
        mw_stats_add(cur, &w->snap);
        pthread_mutex_unlock(&w->snap_lock);
    }
    mw_stats_add(cur, lv->cli->out_stats);
}

/* The interfaces and sockets of the stats record, from the snapshots. */
static void fill_interfaces(mw_live *lv)
{
    for (size_t f = 0; f < lv->n_ifs; f++) {
        liface *ifc = &lv->ifs[f];
        mw_ops_iface *o = &lv->ops_ifs[f];
        memset(o, 0, sizeof *o);
        o->name = ifc->name;
        o->n_sockets = ifc->n;
        o->sockets = &lv->ops_socks[ifc->first];
        for (unsigned k = ifc->first; k < ifc->first + ifc->n; k++) {
            lworker *w = &lv->w[k];
            mw_ops_kernel *s = &lv->ops_socks[k];
            pthread_mutex_lock(&w->snap_lock);
            s->received = w->snap.capture.pcap_received;
            s->dropped = w->snap.capture.pcap_dropped;
            s->if_dropped = w->snap.capture.pcap_if_dropped;
            o->lost += w->snap.capture.interface_lost;
            o->reopened += w->snap.capture.interface_reopened;
            pthread_mutex_unlock(&w->snap_lock);
            o->total.received += s->received;
            o->total.dropped += s->dropped;
            o->total.if_dropped += s->if_dropped;
        }
    }
    lv->cli->ops->ifaces = lv->ops_ifs;
    lv->cli->ops->n_ifaces = lv->n_ifs;
}

/* Between two sleeps: SIGHUP, stats records, the report, flushing, the
 * baseline store. All under the sink lock: no worker writes meanwhile. */
static void poll_ops(mw_live *lv, uint64_t *last_report_ms, uint64_t *last_state_ms)
{
    mw_cli *cli = lv->cli;
    mw_ops *o = cli->ops;
    uint64_t now = mw_ops_now_ms();
    pthread_mutex_lock(&lv->sink);
    if (*lv->hooks.hup) {
        *lv->hooks.hup = 0;
        mw_ops_reopen(o);
    }
    if (*lv->hooks.usr1 || mw_ops_stats_due(o, now)) {
        *lv->hooks.usr1 = 0;
        mw_stats cur;
        current_stats(lv, &cur);
        fill_interfaces(lv);
        mw_ops_write_stats(o, &cur, now, false);
    }
    if (cli->report_dir && cli->report_interval &&
        now - *last_report_ms >= cli->report_interval * 1000u) {
        /* The summary so far, with the counters of now; a failure is
         * said, sets the exit status, and the next interval tries again. */
        *last_report_ms = now;
        mw_stats cur;
        current_stats(lv, &cur);
        mw_summary_set_counters(cli->summary, &cur);
        if (!lv->hooks.write_report(cli->summary, cli->report_dir))
            o->failed = true;
    }
    mw_ops_flush(o, now, false);
    /* Other runs sharing --state see the sightings within a second, and a
     * quiet tap does not hold the state file's write lock. */
    if (now - *last_state_ms >= 1000u) {
        *last_state_ms = now;
        (void)mw_baseline_flush(cli->baseline);
    }
    pthread_mutex_unlock(&lv->sink);
}

/* Every worker that still runs has looped within STALL_MS. */
static bool workers_alive(mw_live *lv, unsigned *running)
{
    uint64_t now = mw_ops_now_ms();
    bool alive = true;
    *running = 0;
    for (unsigned k = 0; k < lv->n; k++) {
        if (atomic_load(&lv->w[k].done))
            continue;
        ++*running;
        uint64_t hb = atomic_load_explicit(&lv->w[k].heartbeat_ms, memory_order_relaxed);
        alive &= now - hb < STALL_MS;
    }
    return alive;
}

void mw_live_run(mw_live *lv)
{
    mw_cli *cli = lv->cli;
    lv->hooks.started(cli);
    /* Signals are for the caller's thread (its handlers set the flags it
     * polls); workers only see the stop through lv->stop. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (unsigned k = 0; k < lv->n; k++) {
        lworker *w = &lv->w[k];
        atomic_store(&w->heartbeat_ms, mw_ops_now_ms());
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        w->started = rc == 0;
        if (!w->started) {
            fprintf(stderr, "mitmwatch: cannot start a capture thread: %s\n", strerror(rc));
            atomic_store(&lv->stop, true);
            atomic_store(&w->done, true);
            cli->status = MW_EXIT_FATAL;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    uint64_t last_report_ms = mw_ops_now_ms(), last_state_ms = last_report_ms;
    for (;;) {
        sleep_ms(50);
        if (*lv->hooks.stop)
            atomic_store(&lv->stop, true);
        unsigned running;
        if (workers_alive(lv, &running))
            mw_notify_alive(cli->notify);
        if (running == 0)
            break;
        poll_ops(lv, &last_report_ms, &last_state_ms);
    }
    for (unsigned k = 0; k < lv->n; k++)
        if (lv->w[k].started)
            pthread_join(lv->w[k].thread, NULL);
    fill_interfaces(lv);
    if (cli->max_packets) {
        uint64_t got = atomic_load(&lv->packets);
        cli->packets_read = got > cli->max_packets ? cli->max_packets : got;
    }
    if (atomic_load(&lv->status) && !cli->status)
        cli->status = atomic_load(&lv->status);
}

/* ---- set-up ---------------------------------------------------------------- */

void mw_live_add_stats(const mw_live *lv, mw_stats *out)
{
    for (unsigned k = 0; k < lv->n; k++) {
        mw_stats st = *mw_worker_stats(lv->w[k].worker);
        st.session = *mw_sessions_stats(lv->w[k].sessions);
        mw_stats_add(out, &st);
    }
}

bool mw_live_ok(const mw_live *lv)
{
    for (unsigned k = 0; k < lv->n; k++)
        if (!mw_sessions_ok(lv->w[k].sessions))
            return false;
    return true;
}

/* A fanout group id for an interface: from the process id, so two
 * mitmwatch on one interface (or Suricata's default cluster ids, 99 and
 * up, rarely near a pid's) are unlikely to meet; a group already there
 * with another mode or interface makes the join fail, and the next id
 * is tried. */
static uint16_t fanout_id(size_t iface, unsigned attempt)
{
    return (uint16_t)(((unsigned)getpid() * 7u + (unsigned)iface * 131u + attempt) & 0xffffu);
}

static bool open_all(mw_live *lv, char *err, size_t errlen)
{
    for (size_t f = 0; f < lv->n_ifs; f++) {
        liface *ifc = &lv->ifs[f];
        for (unsigned attempt = 0;; attempt++) {
            ifc->fanout_id = fanout_id(f, attempt);
            bool ok = true;
            for (unsigned k = ifc->first; k < ifc->first + ifc->n && ok; k++) {
                lworker *w = &lv->w[k];
                w->cap.fanout = ifc->n > 1;
                w->cap.fanout_id = ifc->fanout_id;
                ok = open_socket(w, err, errlen);
            }
            if (ok)
                break;
            /* Only a fanout clash is worth another id; and not forever. */
            bool clash = ifc->n > 1 && strstr(err, "PACKET_FANOUT") != NULL;
            for (unsigned k = ifc->first; k < ifc->first + ifc->n; k++)
                if (lv->w[k].src) {
                    mw_source_close(lv->w[k].src);
                    lv->w[k].src = NULL;
                }
            if (!clash || attempt >= 8)
                return false;
        }
    }
    return true;
}

mw_live *mw_live_new(mw_cli *cli, const mw_session_config *scfg, unsigned sockets,
                     const mw_live_hooks *hooks)
{
    char err[MW_CAPTURE_ERRLEN];
    mw_live *lv = calloc(1, sizeof *lv);
    size_t n_ifs = cli->n_ifaces;
    unsigned n = (unsigned)n_ifs * sockets;
    if (lv) {
        lv->cli = cli;
        lv->hooks = *hooks;
        lv->n_ifs = n_ifs;
        lv->n = n;
        lv->ifs = calloc(n_ifs, sizeof *lv->ifs);
        lv->w = calloc(n, sizeof *lv->w);
        lv->ops_ifs = calloc(n_ifs, sizeof *lv->ops_ifs);
        lv->ops_socks = calloc(n, sizeof *lv->ops_socks);
        lv->sink_ok = pthread_mutex_init(&lv->sink, NULL) == 0;
    }
    if (!lv || !lv->ifs || !lv->w || !lv->ops_ifs || !lv->ops_socks || !lv->sink_ok)
        goto oom;
    /* The flow, reassembly and fragment limits bound the whole run. */
    mw_config wc = cli->cfg;
    wc.flow.max_flows = cli->cfg.flow.max_flows / n ? cli->cfg.flow.max_flows / n : 1;
    wc.reasm.memcap = cli->cfg.reasm.memcap / n;
    wc.frag.max_datagrams =
        cli->cfg.frag.max_datagrams / n ? cli->cfg.frag.max_datagrams / n : 1;
    mw_session_config sc = *scfg;
    sc.sink_enter = sink_enter;
    sc.sink_leave = sink_leave;
    sc.sink_arg = lv;
    for (size_t f = 0; f < n_ifs; f++) {
        lv->ifs[f].name = cli->ifaces[f];
        lv->ifs[f].first = (unsigned)f * sockets;
        lv->ifs[f].n = sockets;
        for (unsigned s = 0; s < sockets; s++) {
            lworker *w = &lv->w[f * sockets + s];
            w->lv = lv;
            w->ifc = &lv->ifs[f];
            w->index = (unsigned)f * sockets + s;
            w->sock = s;
            w->cap = cli->cfg.capture;
            w->snap_lock_ok = pthread_mutex_init(&w->snap_lock, NULL) == 0;
            atomic_init(&w->done, false);
            atomic_init(&w->heartbeat_ms, 0);
            if (!w->snap_lock_ok || !(w->sessions = mw_sessions_new(&sc)) ||
                !(w->worker = mw_worker_new(&wc, mw_sessions_consumer(w->sessions),
                                            w->sessions)))
                goto oom;
        }
    }
    if (!open_all(lv, err, sizeof err)) {
        fprintf(stderr, "mitmwatch: %s\n", err);
        cli->status = MW_EXIT_FAILED;
        mw_live_free(lv);
        return NULL;
    }
    for (size_t f = 0; f < n_ifs; f++) {
        liface *ifc = &lv->ifs[f];
        int lt = mw_source_linktype(lv->w[ifc->first].src);
        if (!cli->quiet && ifc->n > 1)
            fprintf(stderr, "mitmwatch: listening on %s, link type %d, %u sockets in "
                            "PACKET_FANOUT group %u\n", ifc->name, lt, ifc->n,
                    (unsigned)ifc->fanout_id);
        else if (!cli->quiet)
            fprintf(stderr, "mitmwatch: listening on %s, link type %d\n", ifc->name, lt);
        if (!mw_linktype_supported(lt)) {
            fprintf(stderr, "mitmwatch: %s: unsupported link type %d\n", ifc->name, lt);
            cli->status = MW_EXIT_FAILED;
            mw_live_free(lv);
            return NULL;
        }
        if (cli->summary)
            mw_summary_add_source(cli->summary, ifc->name, ifc->name, cli->cur_vantage, false);
        if (cli->flagged)
            mw_flagged_begin_input(cli->flagged, ifc->name, false);
    }
    return lv;
oom:
    fputs("mitmwatch: out of memory creating the flow tables or starting nDPI\n", stderr);
    cli->status = MW_EXIT_FATAL;
    mw_live_free(lv);
    return NULL;
}

void mw_live_free(mw_live *lv)
{
    if (!lv)
        return;
    for (unsigned k = 0; lv->w && k < lv->n; k++) {
        lworker *w = &lv->w[k];
        if (w->src)
            mw_source_close(w->src);
        mw_worker_free(w->worker);
        mw_sessions_free(w->sessions);
        if (w->snap_lock_ok)
            pthread_mutex_destroy(&w->snap_lock);
    }
    if (lv->sink_ok)
        pthread_mutex_destroy(&lv->sink);
    if (lv->cli && lv->cli->ops && lv->cli->ops->ifaces == lv->ops_ifs) {
        lv->cli->ops->ifaces = NULL;
        lv->cli->ops->n_ifaces = 0;
    }
    free(lv->ops_ifs);
    free(lv->ops_socks);
    free(lv->w);
    free(lv->ifs);
    free(lv);
}
