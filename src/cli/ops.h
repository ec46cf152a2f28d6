/*
 * ops.h - the operations of a long run: events flushed as they come,
 * outputs reopened on SIGHUP (logrotate), periodic and on-demand "stats"
 * records, and a Prometheus textfile (--metrics).
 *
 * main.c's loop calls mw_ops_poll() between records (never in the middle of
 * one): a reopen flushes the old file first, so no line is split or lost
 * across a rotation. Nothing here runs in a signal handler; the handler only
 * sets the flags passed in.
 */
#ifndef MW_CLI_OPS_H
#define MW_CLI_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/json.h"
#include "common/stats.h"
#include "output/flagged.h"

typedef struct mw_ops_config {
    FILE *events;             /* the event stream, or NULL */
    const char *events_path;  /* -o FILE (reopened on SIGHUP); NULL: stdout */
    mw_flagged *flagged;      /* live --write-flagged (reopened), or NULL */
    const char *metrics_path; /* --metrics FILE, or NULL */
    const char *capture;      /* interface name or input path, for the records */
    uint64_t interval_ms;     /* --stats-interval; 0: no periodic record */
} mw_ops_config;

/* The kernel's counters of one capture socket, or their sum. */
typedef struct mw_ops_kernel {
    uint64_t received, dropped, if_dropped;
} mw_ops_kernel;

/* One live interface as the stats record and --metrics show it: the sum
 * of its sockets, how often it went away and came back, and each socket
 * (one per worker: --threads N with PACKET_FANOUT). */
typedef struct mw_ops_iface {
    const char *name;
    mw_ops_kernel total;
    uint64_t lost, reopened;
    size_t n_sockets;
    const mw_ops_kernel *sockets;
} mw_ops_iface;

typedef struct mw_ops {
    mw_ops_config cfg;
    /* Live: the interfaces, filled in by the caller before each
     * mw_ops_write_stats (cli/live.c); NULL: one entry from cfg.capture
     * and the totals of the counters. */
    const mw_ops_iface *ifaces;
    size_t n_ifaces;
    mw_json rec;
    mw_stats last;         /* the counters at the last stats record */
    uint64_t start_ms;     /* monotonic clock at the start */
    uint64_t last_flush_ms;
    uint64_t last_stats_ms;
    uint64_t records;      /* stats records written so far */
    bool failed;           /* an output could not be written or reopened */
} mw_ops;

/* Monotonic milliseconds. */
uint64_t mw_ops_now_ms(void);

void mw_ops_init(mw_ops *o, const mw_ops_config *cfg);
void mw_ops_free(mw_ops *o);

/* True when a periodic stats record is due at now_ms. */
bool mw_ops_stats_due(const mw_ops *o, uint64_t now_ms);

/* Flushes the events when force or a second has passed since the last
 * flush. A failed flush, or a record that failed before it (the stream's
 * error flag), is said once on stderr and sets failed. */
void mw_ops_flush(mw_ops *o, uint64_t now_ms, bool force);

/* SIGHUP: flushes and reopens -o (appending) and --write-flagged. A file
 * that cannot be reopened keeps its old descriptor; failed is set and the
 * cause said on stderr. */
void mw_ops_reopen(mw_ops *o);

/* Writes a "stats" record from cur (the counters since the start, kernel
 * counters included) and, with --metrics, rewrites the metrics file
 * (temporary file and rename). final marks the record written at stop. */
void mw_ops_write_stats(mw_ops *o, const mw_stats *cur, uint64_t now_ms, bool final);

/* Flows in the table now, from the flow counters. */
uint64_t mw_ops_flows_active(const mw_stats *st);

#endif /* MW_CLI_OPS_H */
