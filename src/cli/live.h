/*
 * live.h - live capture: every -i, each with one or more capture sockets,
 * one worker thread a socket (Suricata's AF_PACKET "workers" model).
 *
 * With --threads N an interface gets N sockets in one PACKET_FANOUT group
 * (hash mode, defragmented): the kernel hands each flow to one socket, and
 * the worker reading that socket owns the flow (decoder, flow table,
 * reassembly, sessions); there is no reader thread in between. Several -i
 * give each interface its own sockets and workers. The workers share the
 * sinks (event stream, summary, baseline store, --csv, --certs, live
 * --write-flagged) under one lock, so events go out in the order their
 * sessions were judged: arrival order, not the deterministic order of an
 * offline --threads run (cli/parallel.h).
 *
 * The caller's thread runs the operations meanwhile (cli/ops.h): SIGHUP
 * reopening, stats records with per-interface and per-socket kernel
 * counters, --metrics, the live --report, flushing, the systemd watchdog.
 * An interface that goes away is opened again every second by its own
 * workers while the others go on.
 */
#ifndef MW_CLI_LIVE_H
#define MW_CLI_LIVE_H

#include <signal.h>
#include <stdbool.h>

#include "cli/options.h"
#include "common/stats.h"
#include "output/summary.h"
#include "session/session.h"

typedef struct mw_live mw_live;

typedef struct mw_live_hooks {
    /* main.c's signal flags (set by its handlers, read here only). */
    volatile sig_atomic_t *stop, *hup, *usr1;
    /* Writes DIR/summary.json and report.html (false: said on stderr). */
    bool (*write_report)(const mw_summary *sum, const char *dir);
    /* Everything that needs root is open: give it up, tell systemd. */
    void (*started)(mw_cli *cli);
} mw_live_hooks;

/*
 * Opens every interface of cli->ifaces with `sockets` capture sockets each
 * and makes a worker (flow limits divided among all of them, sessions from
 * scfg, whose sink_enter/leave it sets). On failure says why on stderr,
 * sets cli->status and returns NULL (out of memory: MW_EXIT_FATAL; an
 * interface that cannot be opened: MW_EXIT_FAILED).
 */
mw_live *mw_live_new(mw_cli *cli, const mw_session_config *scfg, unsigned sockets,
                     const mw_live_hooks *hooks);

/* Starts the workers (after hooks->started) and runs the operations until
 * a stop signal, -c's count, or no worker left; then every worker drains
 * its socket, ends its flows and is joined. */
void mw_live_run(mw_live *lv);

/* After mw_live_run: every worker's counters (sessions included) added to
 * *out; peaks are the largest of one worker's. */
void mw_live_add_stats(const mw_live *lv, mw_stats *out);

/* After mw_live_run: false when a worker's output write failed. */
bool mw_live_ok(const mw_live *lv);

void mw_live_free(mw_live *lv);

#endif /* MW_CLI_LIVE_H */
