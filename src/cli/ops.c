/*
 * ops.c - flushing, SIGHUP reopening, stats records and --metrics.
 */
#include "cli/ops.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

uint64_t mw_ops_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void mw_ops_init(mw_ops *o, const mw_ops_config *cfg)
{
    memset(o, 0, sizeof *o);
    o->cfg = *cfg;
    mw_json_init(&o->rec);
    o->start_ms = o->last_flush_ms = o->last_stats_ms = mw_ops_now_ms();
}

void mw_ops_free(mw_ops *o)
{
    mw_json_free(&o->rec);
}

bool mw_ops_stats_due(const mw_ops *o, uint64_t now_ms)
{
    return o->cfg.interval_ms && now_ms - o->last_stats_ms >= o->cfg.interval_ms;
}

void mw_ops_flush(mw_ops *o, uint64_t now_ms, bool force)
{
    if (!force && now_ms - o->last_flush_ms < 1000u)
        return;
    o->last_flush_ms = now_ms;
    if (!o->cfg.events)
        return;
    errno = 0;
    bool flushed = fflush(o->cfg.events) == 0;
    /* A line buffered stream has written each line itself: a failed one
     * leaves only the error flag, and the flush finds nothing to write. */
    if ((!flushed || ferror(o->cfg.events)) && !o->failed) {
        fprintf(stderr, "mitmwatch: %s: cannot write output%s%s\n",
                o->cfg.events_path ? o->cfg.events_path : "standard output",
                flushed ? " (a record failed)" : ": ", flushed ? "" : strerror(errno));
        o->failed = true;
    }
}

void mw_ops_reopen(mw_ops *o)
{
    mw_ops_flush(o, mw_ops_now_ms(), true);
    if (o->cfg.events && o->cfg.events_path) {
        /* The FILE stays (the sessions hold it); its descriptor changes. */
        int fd = open(o->cfg.events_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, fileno(o->cfg.events)) < 0) {
            fprintf(stderr, "mitmwatch: SIGHUP: cannot reopen %s: %s (still writing "
                            "to the old file)\n", o->cfg.events_path, strerror(errno));
            o->failed = true;
        }
        if (fd >= 0)
            close(fd);
    }
    char err[300];
    if (o->cfg.flagged && !mw_flagged_live_reopen(o->cfg.flagged, err, sizeof err)) {
        fprintf(stderr, "mitmwatch: SIGHUP: --write-flagged: %s\n", err);
        o->failed = true;
    }
}

uint64_t mw_ops_flows_active(const mw_stats *st)
{
    const mw_flow_stats *f = &st->flow;
    uint64_t gone = f->closed_fin + f->closed_rst + f->timed_out + f->evicted + f->ended_at_eof;
    return f->created > gone ? f->created - gone : 0;
}

/* Resident memory from /proc/self/statm (0 when it cannot be read). */
static uint64_t memory_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return (uint64_t)resident * (uint64_t)(page > 0 ? page : 4096);
}

/* d = a - b for every counter; peaks are not differences: a's value. */
static void stats_sub(mw_stats *d, const mw_stats *a, const mw_stats *b)
{
#define X(name, desc) dd->name = aa->name >= bb->name ? aa->name - bb->name : 0;
#define GROUP(field, type, key, heading, list)                                   \
    {                                                                            \
        type *dd = &d->field;                                                    \
        const type *aa = &a->field, *bb = &b->field;                             \
        list(X)                                                                  \
    }
    MW_STATS_GROUPS(GROUP)
#undef GROUP
#undef X
    d->flow.active_peak = a->flow.active_peak;
    d->reasm.buffer_peak_bytes = a->reasm.buffer_peak_bytes;
}

/* The interfaces of the record: as the caller set them, else the one of
 * cfg.capture with the run's totals (NULL offline: none). */
static size_t interfaces(const mw_ops *o, const mw_stats *cur, mw_ops_iface *one,
                         const mw_ops_iface **list)
{
    if (o->n_ifaces) {
        *list = o->ifaces;
        return o->n_ifaces;
    }
    memset(one, 0, sizeof *one);
    one->name = o->cfg.capture;
    one->total.received = cur->capture.pcap_received;
    one->total.dropped = cur->capture.pcap_dropped;
    one->total.if_dropped = cur->capture.pcap_if_dropped;
    one->lost = cur->capture.interface_lost;
    one->reopened = cur->capture.interface_reopened;
    *list = one;
    return o->cfg.capture ? 1 : 0;
}

static void write_kernel_json(mw_json *j, const mw_ops_kernel *k)
{
    mw_json_kv_uint(j, "kernel_received", k->received);
    mw_json_kv_uint(j, "kernel_dropped", k->dropped);
    mw_json_kv_uint(j, "interface_dropped", k->if_dropped);
}

static void write_interfaces(const mw_ops *o, const mw_stats *cur, mw_json *j)
{
    mw_ops_iface one;
    const mw_ops_iface *list;
    size_t n = interfaces(o, cur, &one, &list);
    mw_json_key(j, "interfaces");
    mw_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        mw_json_object_begin(j);
        mw_json_kv_string(j, "name", list[i].name);
        write_kernel_json(j, &list[i].total);
        mw_json_kv_uint(j, "interface_lost", list[i].lost);
        mw_json_kv_uint(j, "interface_reopened", list[i].reopened);
        /* Per socket only when there are several (or the caller says). */
        if (list[i].n_sockets) {
            mw_json_key(j, "sockets");
            mw_json_array_begin(j);
            for (size_t k = 0; k < list[i].n_sockets; k++) {
                mw_json_object_begin(j);
                mw_json_kv_uint(j, "socket", k);
                write_kernel_json(j, &list[i].sockets[k]);
                mw_json_object_end(j);
            }
            mw_json_array_end(j);
        }
        mw_json_object_end(j);
    }
    mw_json_array_end(j);
}

/* One metric family, a sample per interface (or per socket). */
static void kernel_family(FILE *f, const char *name, const char *help, const mw_ops_iface *list,
                          size_t n, size_t field, bool per_socket)
{
    fprintf(f, "# HELP mitmwatch_%s %s\n# TYPE mitmwatch_%s counter\n", name, help, name);
    for (size_t i = 0; i < n; i++) {
        if (!per_socket) {
            const uint64_t *v = (const uint64_t *)(const void *)((const char *)&list[i].total + field);
            fprintf(f, "mitmwatch_%s{interface=\"%s\"} %llu\n", name, list[i].name,
                    (unsigned long long)*v);
            continue;
        }
        for (size_t k = 0; k < list[i].n_sockets; k++) {
            const uint64_t *v =
                (const uint64_t *)(const void *)((const char *)&list[i].sockets[k] + field);
            fprintf(f, "mitmwatch_%s{interface=\"%s\",socket=\"%zu\"} %llu\n", name,
                    list[i].name, k, (unsigned long long)*v);
        }
    }
}

static void write_kernel_metrics(const mw_ops *o, const mw_stats *cur, FILE *f)
{
    mw_ops_iface one;
    const mw_ops_iface *list;
    size_t n = interfaces(o, cur, &one, &list);
    if (!o->cfg.capture && !o->n_ifaces) {
        /* Offline: the families with an empty label, as before. */
        one.name = "";
        n = 1;
    }
    static const struct {
        const char *name, *help;
        size_t field;
    } fam[] = {
        {"kernel_received", "packets the kernel received for the capture",
         offsetof(mw_ops_kernel, received)},
        {"kernel_dropped", "packets the kernel dropped (buffer full)",
         offsetof(mw_ops_kernel, dropped)},
        {"kernel_if_dropped", "packets the interface or driver dropped",
         offsetof(mw_ops_kernel, if_dropped)},
    };
    for (size_t i = 0; i < sizeof fam / sizeof *fam; i++)
        kernel_family(f, fam[i].name, fam[i].help, list, n, fam[i].field, false);
    static const struct {
        const char *name, *help;
        size_t field;
    } sfam[] = {
        {"kernel_socket_received", "packets the kernel gave this capture socket",
         offsetof(mw_ops_kernel, received)},
        {"kernel_socket_dropped", "packets the kernel dropped on this socket (buffer full)",
         offsetof(mw_ops_kernel, dropped)},
    };
    bool sockets = false;
    for (size_t i = 0; i < n; i++)
        sockets |= list[i].n_sockets > 0;
    for (size_t i = 0; sockets && i < sizeof sfam / sizeof *sfam; i++)
        kernel_family(f, sfam[i].name, sfam[i].help, list, n, sfam[i].field, true);
}

static bool write_metrics(const mw_ops *o, const mw_stats *cur, uint64_t mem, uint64_t up_s)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->cfg.metrics_path, (long)getpid()) >=
        (int)sizeof tmp)
        return false;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return false;
#define X(name, desc)                                                            \
    fprintf(f, "# HELP mitmwatch_%s_%s %s\n# TYPE mitmwatch_%s_%s %s\nmitmwatch_%s_%s %llu\n", \
            key, #name, desc, key, #name,                                        \
            strstr(#name, "peak") ? "gauge" : "counter", key, #name,            \
            (unsigned long long)g->name);
#define GROUP(field, type, key_, heading, list)                                  \
    {                                                                            \
        const char *key = key_;                                                  \
        const type *g = &cur->field;                                             \
        list(X)                                                                  \
    }
    MW_STATS_GROUPS(GROUP)
#undef GROUP
#undef X
    write_kernel_metrics(o, cur, f);
    fprintf(f, "# HELP mitmwatch_flows_active flows in the table\n"
               "# TYPE mitmwatch_flows_active gauge\nmitmwatch_flows_active %llu\n",
            (unsigned long long)mw_ops_flows_active(cur));
    fprintf(f, "# HELP mitmwatch_memory_bytes resident memory\n"
               "# TYPE mitmwatch_memory_bytes gauge\nmitmwatch_memory_bytes %llu\n",
            (unsigned long long)mem);
    fprintf(f, "# HELP mitmwatch_uptime_seconds seconds since the start\n"
               "# TYPE mitmwatch_uptime_seconds gauge\nmitmwatch_uptime_seconds %llu\n",
            (unsigned long long)up_s);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, o->cfg.metrics_path) != 0) {
        int e = errno;
        (void)unlink(tmp);
        errno = e;
        return false;
    }
    return true;
}

void mw_ops_write_stats(mw_ops *o, const mw_stats *cur, uint64_t now_ms, bool final)
{
    uint64_t mem = memory_bytes();
    uint64_t up_s = (now_ms - o->start_ms) / 1000u;
    if (o->cfg.events) {
        mw_stats delta;
        stats_sub(&delta, cur, &o->last);
        struct timeval tv;
        gettimeofday(&tv, NULL);
        mw_json *j = &o->rec;
        mw_json_reset(j);
        mw_json_object_begin(j);
        mw_json_kv_string(j, "event", "stats");
        mw_json_key(j, "ts");
        mw_json_timestamp(j, (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec);
        mw_json_kv_bool(j, "final", final);
        mw_json_kv_uint(j, "uptime_seconds", up_s);
        mw_stats_write_json_members(cur, j);
        mw_json_key(j, "since_last");
        mw_json_object_begin(j);
        mw_stats_write_json_members(&delta, j);
        mw_json_object_end(j);
        write_interfaces(o, cur, j);
        mw_json_kv_uint(j, "flows_active", mw_ops_flows_active(cur));
        mw_json_kv_uint(j, "memory_bytes", mem);
        mw_json_object_end(j);
        if (!mw_json_write_line(j, o->cfg.events) && !o->failed) {
            fprintf(stderr, "mitmwatch: cannot write output: %s\n", strerror(errno));
            o->failed = true;
        }
        mw_ops_flush(o, now_ms, true);
    }
    if (o->cfg.metrics_path && !write_metrics(o, cur, mem, up_s)) {
        fprintf(stderr, "mitmwatch: --metrics: %s: %s\n", o->cfg.metrics_path, strerror(errno));
        o->failed = true;
    }
    o->last = *cur;
    o->last_stats_ms = now_ms;
    o->records++;
}
