/*
 * main.c - the mitmwatch command line.
 *
 * Reads every input in turn (files, directories of captures, standard
 * input, or one live interface) through one worker and prints the counters
 * at the end. Exit codes, one rule offline and live (docs/usage.md,
 * mitmwatch(1)):
 *   0  every input was read to its end and every output written
 *   1  the run went on, but something was not read or not written: an
 *      input could not be opened, had an unsupported link type or was
 *      damaged, an interface could not be captured again after -Z, or
 *      an output failed (at start or during the run); stderr and the
 *      counters say which
 *   2  usage or configuration error (bad option, value or file)
 *   3  fatal: out of memory, the privileges not dropped (-Z), or the
 *      built-in rules missing (a broken installation)
 *   130 / 143  offline: stopped by SIGINT / SIGTERM (after a clean shutdown);
 *              live (-i) a signal is the normal stop: 0 or 1 as above
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "detect/baseline.h"
#include "capture/capture.h"
#include "output/certdir.h"
#include "output/flagged.h"
#include "common/json.h"
#include "common/jsonparse.h"
#include "flow/pipeline.h"
#include "cli/parallel.h"
#include "output/report_html.h"
#include "detect/rules.h"
#include "session/session.h"
#include "common/siphash.h"
#include "common/stats.h"
#include "cli/live.h"
#include "cli/ops.h"
#include "cli/options.h"
#include "cli/outputs.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "cli/version.h"
#include "output/csv.h"
#include "output/summary.h"

#define EXIT_FAILED MW_EXIT_FAILED
#define EXIT_USAGE MW_EXIT_USAGE
#define EXIT_FATAL MW_EXIT_FATAL

/* The one global: a signal handler can reach nothing else. It points at the
 * source being read so SIGINT/SIGTERM can stop it cleanly. */
static mw_source *volatile g_current_source;
static volatile sig_atomic_t g_stop_signal;
static volatile sig_atomic_t g_hup;  /* SIGHUP: reopen the outputs */
static volatile sig_atomic_t g_usr1; /* SIGUSR1: a stats record now */

static void on_signal(int sig)
{
    g_stop_signal = sig;
    mw_source *s = g_current_source;
    /* A live source is drained by the loop (what the kernel holds is read). */
    if (s && !mw_source_is_live(s))
        mw_source_stop(s);
}

static void on_flag(int sig)
{
    if (sig == SIGHUP)
        g_hup = 1;
    else
        g_usr1 = 1;
}

/* The counters since the start, as the final record would have them now. */
static void current_stats(const mw_cli *cli, mw_worker *w, mw_stats *cur)
{
    if (cli->par) {
        *cur = *mw_par_reader_stats(cli->par);
    } else {
        *cur = *mw_worker_stats(w);
        cur->session = *mw_sessions_stats(cli->sessions);
    }
    mw_stats_add(cur, cli->out_stats);
}

/* Between records: SIGHUP, SIGUSR1 and interval records, and the events
 * flushed at least once a second. (Live runs have their own: cli/live.c.) */
static bool write_report(const mw_summary *sum, const char *dir);

static void poll_ops(mw_cli *cli, mw_worker *w)
{
    mw_ops *o = cli->ops;
    uint64_t now = mw_ops_now_ms();
    if (g_hup) {
        g_hup = 0;
        mw_ops_reopen(o);
    }
    if (g_usr1 || mw_ops_stats_due(o, now)) {
        g_usr1 = 0;
        mw_stats cur;
        current_stats(cli, w, &cur);
        mw_ops_write_stats(o, &cur, now, false);
    }
    mw_ops_flush(o, now, false);
}

static void show_progress(mw_cli *cli, const mw_source *src, const mw_stats *st)
{
    mw_progress_counts c = {
        .bytes = cli->bytes_done + mw_source_bytes_in(src),
        .packets = st->capture.packets,
    };
    if (cli->par) {
        mw_par_progress(cli->par, &c.sessions, &c.intercepted);
    } else {
        const mw_session_stats *ss = mw_sessions_stats(cli->sessions);
        c.sessions = ss->tls + ss->dtls + ss->quic;
        c.intercepted = ss->verdict_intercepted;
    }
    mw_progress_update(cli->progress, &c);
}

/* A signal, or -c's count reached: no further input is opened. */
static bool stopped(const mw_cli *cli)
{
    return g_stop_signal || (cli->max_packets && cli->packets_read >= cli->max_packets);
}

/* An output not written: the run goes on and ends with 1, unless a worse
 * status (out of memory) is already set. */
static void output_failed(mw_cli *cli)
{
    if (cli->status == 0)
        cli->status = EXIT_FAILED;
}

/* Where the sources count: the one worker's counters, or the reader's. */
static mw_stats *input_stats(mw_cli *cli, mw_worker *w)
{
    return cli->par ? mw_par_reader_stats(cli->par) : mw_worker_stats(w);
}

/* Reads src (a file or standard input) to its end. */
static void run_source(mw_cli *cli, mw_worker *w, mw_source *src)
{
    const char *name = mw_source_name(src);
    /* Events name the input as given; standard input is "stdin" rather
     * than "-". */
    const char *label = strcmp(mw_source_path(src), "-") == 0 ? name : mw_source_path(src);
    bool rereadable = strcmp(mw_source_path(src), "-") != 0;
    uint64_t last_number = 0;
    int linktype = mw_source_linktype(src);
    mw_stats *st = input_stats(cli, w);

    if (!mw_linktype_supported(linktype)) {
        mw_progress_clear(cli->progress);
        fprintf(stderr, "mitmwatch: %s: unsupported link type %d\n",
                mw_source_path(src), linktype);
        st->capture.inputs_failed++;
        cli->status = EXIT_FAILED;
        return;
    }
    if (cli->summary)
        mw_summary_add_source(cli->summary, name, mw_source_path(src), cli->cur_vantage,
                              rereadable);
    if (cli->flagged)
        mw_flagged_begin_input(cli->flagged, mw_source_path(src), rereadable);
    if (cli->par)
        mw_par_begin_input(cli->par, linktype, label, cli->cur_vantage, cli->run_packets);
    else
        mw_worker_set_number_base(w, cli->run_packets);
    g_current_source = src;
    for (;;) {
        mw_source_packet p;
        mw_source_status s = mw_source_next(src, &p);
        mw_notify_alive(cli->notify);
        if (s != MW_SOURCE_PACKET) {
            if (s == MW_SOURCE_ERROR) {
                mw_progress_clear(cli->progress);
                fprintf(stderr, "mitmwatch: %s\n", mw_source_error(src));
                cli->status = EXIT_FAILED;
            }
            break;
        }
        if ((p.number & 255) == 0)
            poll_ops(cli, w);
        if (cli->par)
            mw_par_packet(cli->par, &p);
        else
            mw_worker_packet(w, linktype, label, &p);
        last_number = p.number;
        if (cli->progress && (p.number & 1023) == 0)
            show_progress(cli, src, st);
        if (cli->max_packets && ++cli->packets_read >= cli->max_packets)
            break; /* -c: as if the input ended here */
    }
    g_current_source = NULL;
    cli->run_packets += last_number;
    cli->bytes_done += mw_source_bytes_in(src);
    if (cli->par)
        mw_par_end_input(cli->par);
    else
        mw_worker_end_input(w);
    /* Other runs sharing --state see this input's sightings from now. */
    (void)mw_baseline_flush(cli->baseline);
}

/* Sizes of the inputs to read (directories: their regular files); 0 when
 * one cannot be known (standard input from a pipe). */
static uint64_t input_bytes(const char *path)
{
    struct stat sb;
    if (strcmp(path, "-") == 0)
        return fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
    if (stat(path, &sb) != 0)
        return 0;
    if (S_ISREG(sb.st_mode))
        return (uint64_t)sb.st_size;
    uint64_t sum = 0;
    DIR *d = S_ISDIR(sb.st_mode) ? opendir(path) : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[PATH_MAX];
        if (e->d_name[0] != '.' &&
            snprintf(p, sizeof p, "%s/%s", path, e->d_name) < (int)sizeof p &&
            stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
            sum += (uint64_t)sb.st_size;
    }
    if (d)
        closedir(d);
    return sum;
}

/* Offline, not -q, standard error a terminal, not --no-progress. */
static void start_progress(mw_cli *cli)
{
    if (cli->iface || cli->quiet || cli->no_progress || cli->cfg.verbose ||
        !isatty(STDERR_FILENO))
        return;
    uint64_t total = 0;
    bool known = true;
    for (size_t i = 0; i < cli->n_inputs; i++) {
        uint64_t b = input_bytes(cli->inputs[i]);
        known &= b > 0;
        total += b;
    }
    for (size_t i = 0; i < cli->n_pairs; i++) {
        uint64_t b = input_bytes(cli->pairs[i].path);
        known &= b > 0;
        total += b;
    }
    cli->progress = mw_progress_new(stderr, known ? total : 0);
}

static void run_file(mw_cli *cli, mw_worker *w, const char *path)
{
    char err[MW_CAPTURE_ERRLEN];
    mw_stats *st = input_stats(cli, w);
    mw_source *src = mw_source_open_file(path, &cli->cfg.capture, &st->capture, err,
                                         sizeof err);
    if (!src) {
        mw_progress_clear(cli->progress);
        fprintf(stderr, "mitmwatch: %s\n", err);
        cli->status = EXIT_FAILED;
        return;
    }
    run_source(cli, w, src);
    mw_source_close(src);
}

static void run_path(mw_cli *cli, mw_worker *w, const char *path)
{
    struct stat sb;
    /* The vantage of this input: its NAME=PATH pair, else --vantage NAME. */
    const char *vantage = cli->vantage;
    for (size_t i = 0; i < cli->n_pairs; i++)
        if (strcmp(cli->pairs[i].path, path) == 0)
            vantage = cli->pairs[i].name;
    if (cli->sessions)
        mw_sessions_set_vantage(cli->sessions, vantage);
    cli->cur_vantage = vantage;
    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        char err[MW_CAPTURE_ERRLEN];
        char **paths;
        int n = mw_capture_list_dir(path, &input_stats(cli, w)->capture, &paths, err,
                                    sizeof err);
        if (n < 0) {
            mw_progress_clear(cli->progress);
            fprintf(stderr, "mitmwatch: %s\n", err);
            cli->status = EXIT_FAILED;
            return;
        }
        if (n == 0) {
            mw_progress_clear(cli->progress);
            fprintf(stderr, "mitmwatch: %s: no capture files in directory\n", path);
        }
        for (int i = 0; i < n && !stopped(cli); i++)
            run_file(cli, w, paths[i]);
        mw_capture_free_paths(paths, n);
        return;
    }
    run_file(cli, w, path);
}

/* Everything that needs root is open: -Z, or only the capture's
 * capabilities kept (privs.h), then READY=1 to systemd (notify.h). */
static void started(mw_cli *cli, bool live)
{
    char err[600];
    if (!mw_privs_drop(&cli->privs, live, err, sizeof err)) {
        fprintf(stderr, "mitmwatch: %s\n", err);
        exit(EXIT_FATAL);
    }
    cli->notify = cli->notify ? cli->notify : mw_notify_new();
    mw_notify_ready(cli->notify, live ? cli->iface : "files");
}

static void started_live(mw_cli *cli)
{
    started(cli, true);
}

/* The built-in rules, then --rules, --targets and the trust store. A bad
 * file is a usage error naming it (and its line). */
static mw_rules *load_rules(const mw_cli *cli)
{
    char err[MW_RULES_ERRLEN];
    mw_rules *r = mw_rules_new();
    if (!r) {
        fprintf(stderr, "mitmwatch: out of memory loading rules\n");
        exit(EXIT_FATAL);
    }
    char builtin[4200];
    if (!mw_builtin_rules_dir(NULL, builtin, sizeof builtin)) {
        fprintf(stderr, "mitmwatch: built-in rules not found (looked in %s): "
                        "reinstall, or run from the build tree\n", builtin);
        mw_rules_free(r);
        exit(EXIT_FATAL);
    }
    bool ok = mw_rules_load_dir(r, builtin, !cli->targets, err, sizeof err) &&
              (!cli->rules_dir ||
               mw_rules_load_dir(r, cli->rules_dir, !cli->targets, err, sizeof err)) &&
              (!cli->targets || mw_rules_load_targets_file(r, cli->targets, err, sizeof err)) &&
              mw_rules_set_trust_store(r, cli->trust_store, err, sizeof err) &&
              (!cli->trust_extra ||
               mw_rules_add_trusted(r, cli->trust_extra, err, sizeof err));
    if (!ok) {
        fprintf(stderr, "mitmwatch: rules: %s\n", err);
        mw_rules_free(r);
        exit(EXIT_USAGE);
    }
    /* A store given with --trust-store replaces the whole of trust,
     * removed roots included, unless --trust-at capture asks for them. */
    const char *at = cli->trust_at ? cli->trust_at : cli->trust_store ? "now" : "capture";
    mw_rules_set_trust_at(r, strcmp(at, "now") == 0 ? MW_TRUST_AT_NOW : MW_TRUST_AT_CAPTURE);
    return r;
}

/* Where summary.json and report.html go: created when missing. */
static bool make_dir(const char *dir)
{
    struct stat sb;
    if (mkdir(dir, 0755) == 0 || (errno == EEXIST && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)))
        return true;
    if (errno == EEXIST)
        errno = ENOTDIR;
    return false;
}

#define SUMMARY_MAX_BYTES ((size_t)1 << 30)

/* DIR/summary.json and DIR/report.html drawn from that file as written,
 * so the page shows exactly what the file says (and what merge reads). */
static bool write_report(const mw_summary *sum, const char *dir)
{
    char path[4096], jtmp[4096], tmp[4096], err[512];
    FILE *f;
    if (!make_dir(dir)) {
        fprintf(stderr, "mitmwatch: %s: %s\n", dir, strerror(errno));
        return false;
    }
    /* Each file is written beside its place and renamed over it: a reader
     * (a browser, a live sensor's refresh) sees the old file or the new.
     * The page is drawn from the new summary.json before either is renamed,
     * and the page goes first: whoever sees the new summary.json finds the
     * page that shows it. */
    snprintf(jtmp, sizeof jtmp, "%s/.summary.json.tmp", dir);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    f = fopen(jtmp, "w");
    if (!f || !mw_summary_write_json(sum, f) || fclose(f) != 0) {
        fprintf(stderr, "mitmwatch: %s: %s\n", path, strerror(errno));
        (void)unlink(jtmp);
        return false;
    }
    mw_jdoc *doc = mw_jdoc_load_file(jtmp, SUMMARY_MAX_BYTES, err, sizeof err);
    if (!doc) {
        fprintf(stderr, "mitmwatch: %s\n", err);
        (void)unlink(jtmp);
        return false;
    }
    snprintf(tmp, sizeof tmp, "%s/.report.html.tmp", dir);
    snprintf(path, sizeof path, "%s/report.html", dir);
    f = fopen(tmp, "w");
    bool ok = f && mw_report_html_write(mw_jdoc_root(doc), f, err, sizeof err);
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        f = NULL; /* the cause is errno */
    }
    if (!ok) {
        fprintf(stderr, "mitmwatch: %s: %s\n", path, f ? err : strerror(errno));
        (void)unlink(tmp);
    }
    mw_jdoc_free(doc);
    /* summary.json is kept even when the page could not be written. */
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (rename(jtmp, path) != 0) {
        fprintf(stderr, "mitmwatch: %s: %s\n", path, strerror(errno));
        (void)unlink(jtmp);
        ok = false;
    }
    return ok;
}

static bool use_color(int color, FILE *out)
{
    return color < 0 ? isatty(fileno(out)) && getenv("NO_COLOR") == NULL : color != 0;
}

/* mitmwatch merge [--report DIR] [--csv FILE] [--color WHEN] [-q] FILE ...
 * FILE: a summary.json, or with --csv an event file (JSON Lines). */
static int merge_main(int argc, char **argv)
{
    enum { OPT_REPORT = 256, OPT_COLOR, OPT_CSV };
    static const struct option opts[] = {
        {"report", required_argument, NULL, OPT_REPORT},
        {"color", required_argument, NULL, OPT_COLOR},
        {"csv", required_argument, NULL, OPT_CSV},
        {"quiet", no_argument, NULL, 'q'},
        {"allow-duplicates", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char usage_line[] =
        "usage: mitmwatch merge [--report DIR] [--csv FILE] [--color WHEN] [-q] [--allow-duplicates] "
        "SUMMARY.json|EVENTS.json ...";
    const char *report = NULL, *csv_path = NULL;
    mw_csv *csv = NULL;
    int color = -1, c;
    bool quiet = false, allow_dups = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_REPORT: report = optarg; break;
        case OPT_COLOR: color = mw_cli_parse_color(optarg); break;
        case OPT_CSV: csv_path = optarg; break;
        case 'q': quiet = true; break;
        case 'D': allow_dups = true; break;
        case 'h':
            puts(usage_line);
            return 0;
        default:
            fprintf(stderr, "%s\n", usage_line);
            return EXIT_USAGE;
        }
    }
    if (optind == argc) {
        fputs("mitmwatch merge: no summary.json given\n", stderr);
        return EXIT_USAGE;
    }
    if (csv_path) {
        char err[600];
        if (!(csv = mw_csv_open(csv_path, err, sizeof err))) {
            fprintf(stderr, "mitmwatch merge: --csv: %s\n", err);
            return EXIT_FAILED;
        }
    }
    mw_summary *sum = NULL;
    int status = 0;
    for (int i = optind; i < argc; i++) {
        char err[600];
        /* Event files hold sessions, summaries only their counts: the CSV
         * rows come from the former. */
        if (mw_csv_is_events_file(argv[i])) {
            size_t rows;
            if (!csv) {
                fprintf(stderr, "mitmwatch merge: %s: an event file (JSON Lines): "
                                "give --csv FILE to tabulate its sessions\n", argv[i]);
                status = EXIT_USAGE;
            } else if (!mw_csv_add_events_file(csv, argv[i], &rows, err, sizeof err)) {
                fprintf(stderr, "mitmwatch merge: %s\n", err);
                status = EXIT_FAILED;
            }
            continue;
        }
        mw_merge_result res;
        mw_jdoc *doc = mw_jdoc_load_file(argv[i], SUMMARY_MAX_BYTES, err, sizeof err);
        if (doc && !sum) {
            /* The first file sets the bucket width; the others must agree. */
            mw_summary_config cfg;
            uint64_t bucket = 0;
            mw_summary_config_defaults(&cfg);
            if (mw_jv_u64(mw_jv_get(mw_jdoc_root(doc), "bucket_seconds"), &bucket))
                cfg.bucket_seconds = bucket;
            sum = mw_summary_new(&cfg, NULL);
            if (!sum) {
                fputs("mitmwatch merge: out of memory\n", stderr);
                return EXIT_FATAL;
            }
        }
        if (!doc) {
            fprintf(stderr, "mitmwatch merge: %s\n", err);
            status = EXIT_FAILED;
        } else if ((res = mw_summary_merge_json_ex(sum, mw_jdoc_root(doc), err, sizeof err)) != MW_MERGE_ADDED) {
            fprintf(stderr, "mitmwatch merge: %s: %s\n", argv[i], res == MW_MERGE_DUPLICATE ? (allow_dups ? "warning: every input already merged, skipped (counted once)" : "every input already merged: the same input twice (--allow-duplicates counts it once)") : res == MW_MERGE_UNCHECKED ? "warning: no sources, not checked for duplicates" : err);
            status = res == MW_MERGE_ERROR || (res == MW_MERGE_DUPLICATE && !allow_dups) ? EXIT_FAILED : status;
        }
        mw_jdoc_free(doc);
    }
    if (!mw_csv_close(csv)) {
        fprintf(stderr, "mitmwatch merge: --csv: %s: not all rows could be written\n",
                csv_path);
        status = EXIT_FAILED;
    }
    if (!sum)
        return status;
    if (!quiet)
        mw_summary_write_text(sum, stdout, use_color(color, stdout));
    if (report && !write_report(sum, report))
        status = EXIT_FAILED;
    if (fflush(stdout) != 0)
        status = EXIT_FAILED;
    mw_summary_free(sum);
    return status;
}

static void open_outputs(mw_cli *cli, mw_rules *rules, mw_stats *out_stats,
                         mw_baseline **baseline, mw_certdir **certs)
{
    char err[MW_RULES_ERRLEN], aside[4200];
    if (cli->state_reset && cli->state_path &&
        !mw_baseline_set_aside(cli->state_path, aside, sizeof aside, err, sizeof err)) {
        fprintf(stderr, "mitmwatch: --state-reset: %s\n", err);
        exit(EXIT_FAILED);
    }
    if (cli->state_reset && cli->state_path && aside[0])
        fprintf(stderr, "mitmwatch: state: %s moved aside to %s\n", cli->state_path, aside);
    *baseline = mw_baseline_open(cli->state_path, cli->state_max ? cli->state_max : 256u << 20,
                                 &out_stats->output, err, sizeof err);
    if (!*baseline) {
        fprintf(stderr, "mitmwatch: state: %s\n", err);
        exit(cli->state_path ? EXIT_USAGE : EXIT_FATAL);
    }
    if (cli->certs_dir && !(*certs = mw_certdir_open(cli->certs_dir, err, sizeof err))) {
        fprintf(stderr, "mitmwatch: --certs: %s\n", err);
        exit(EXIT_USAGE);
    }
    if (cli->csv_path && !(cli->csv = mw_csv_open(cli->csv_path, err, sizeof err))) {
        fprintf(stderr, "mitmwatch: --csv: %s\n", err);
        exit(EXIT_FAILED);
    }
    if (cli->flagged_path && !(cli->flagged = mw_flagged_new(0))) {
        fputs("mitmwatch: out of memory\n", stderr);
        exit(EXIT_FATAL);
    }
    /* Standard input and interfaces cannot be read a second time: then
     * frames are held until their flow is judged (flagged.h). */
    bool once = cli->iface != NULL;
    for (size_t i = 0; cli->flagged && i < cli->n_inputs; i++)
        once |= strcmp(cli->inputs[i], "-") == 0;
    for (size_t i = 0; cli->flagged && i < cli->n_pairs; i++)
        once |= strcmp(cli->pairs[i].path, "-") == 0;
    if (cli->flagged && once &&
        !mw_flagged_live_open(cli->flagged, cli->flagged_path, err, sizeof err)) {
        fprintf(stderr, "mitmwatch: --write-flagged: %s\n", err);
        exit(EXIT_FAILED);
    }
    /* The summary is made only when someone reads it: printed (not with
     * --json or --quiet) or written (--report). */
    if ((!cli->quiet && !cli->json) || cli->report_dir) {
        mw_summary_config scfg;
        mw_summary_config_defaults(&scfg);
        if (cli->bucket)
            scfg.bucket_seconds = cli->bucket;
        cli->summary = mw_summary_new(&scfg, rules);
        if (!cli->summary) {
            fputs("mitmwatch: out of memory\n", stderr);
            exit(EXIT_FATAL);
        }
        mw_summary_set_baseline(cli->summary, mw_baseline_kind(*baseline),
                                mw_baseline_id(*baseline));
    }
}


/* Start-up failed after the outputs were opened: close them unwritten. */
static void abandon_outputs(mw_cli *cli, mw_baseline *baseline, mw_certdir *certs)
{
    (void)mw_baseline_close(baseline);
    mw_certdir_close(certs);
    (void)mw_csv_close(cli->csv);
    mw_flagged_free(cli->flagged);
    mw_summary_free(cli->summary);
    if (cli->output_path)
        fclose(cli->events);
}

int main(int argc, char **argv)
{
    mw_cli cli;
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return merge_main(argc - 1, argv + 1);
    mw_cli_init(&cli);
    mw_cli_parse(&cli, argc, argv);
    {
        /* The flow tables draw their hash keys themselves; a bad test key
         * or no random bytes is said here, once. */
        mw_hashkey probe;
        const char *why;
        if (!mw_hashkey_init(&probe, &why))
            fprintf(stderr, "mitmwatch: warning: %s\n", why);
    }
    const mw_output_path outs[] = {
        {"--report", cli.report_dir, true},     {"--certs", cli.certs_dir, true},
        {"-o", cli.output_path, false},         {"--csv", cli.csv_path, false},
        {"--write-flagged", cli.flagged_path, false},
    };
    char oerr[4400];
    if (!mw_outputs_check(outs, sizeof outs / sizeof *outs, oerr, sizeof oerr)) {
        fprintf(stderr, "mitmwatch: %s\n", oerr);
        mw_cli_free(&cli);
        return EXIT_FAILED;
    }
    cli.argc = argc;
    cli.argv = argv;
    mw_rules *rules = load_rules(&cli);

    if (cli.json) {
        cli.events = stdout;
    } else if (cli.output_path) {
        /* Appended: a restarted sensor adds to its file (logrotate moves it). */
        cli.events = fopen(cli.output_path, "a");
        if (!cli.events) {
            fprintf(stderr, "mitmwatch: %s: %s\n", cli.output_path, strerror(errno));
            mw_rules_free(rules); /* no leak on the way out (LeakSanitizer) */
            mw_cli_free(&cli);
            return EXIT_FAILED;
        }
    }
    /* Live, a record goes out when its line is complete (a reader never
     * waits on a full buffer); lines are rarely longer than the buffer. */
    if (cli.events && cli.iface)
        (void)setvbuf(cli.events, NULL, _IOLBF, 1u << 18);
    mw_stats out_stats;
    memset(&out_stats, 0, sizeof out_stats);
    mw_baseline *baseline = NULL;
    mw_certdir *certs = NULL;
    open_outputs(&cli, rules, &out_stats, &baseline, &certs);
    cli.baseline = baseline;

    mw_session_config scfg = {
        .vantage = cli.vantage,
        .vantage_nets = cli.nets,
        .n_vantage_nets = cli.n_nets,
        .events = cli.events,
        .text = cli.events ? NULL : stdout,
        .flow_records = cli.flows,
        .community_id_seed = cli.community_id_seed,
        .rules = rules,
        .baseline = baseline,
        .summary = cli.summary,
        .csv = cli.csv,
        .certs = certs,
        .flagged = cli.flagged,
        .output_stats = &out_stats,
    };
    unsigned threads = cli.threads;
    if (threads == 0) {
        /* The reader needs a core of its own: on 2 cores, 2 workers and
         * the reader were 21 % slower than one thread (performance.md). */
        long workers = sysconf(_SC_NPROCESSORS_ONLN) - 1;
        threads = workers < 1 ? 1 : workers > (long)MW_PAR_MAX_THREADS ? MW_PAR_MAX_THREADS
                                                                        : (unsigned)workers;
    }
    /* Frames held for --write-flagged from standard input stay on one
     * thread. Live, --threads is the sockets an interface (default 1:
     * the operator says how many cores the sensor may take). */
    if (mw_flagged_is_live(cli.flagged) && !cli.iface)
        threads = 1;
    if (cli.iface && !cli.threads)
        threads = 1;
    mw_sessions *sessions = NULL;
    mw_worker *w = NULL;
    mw_live *live = NULL;
    if (cli.iface) {
        /* Made below, once the operations are set up. */
    } else if (threads > 1) {
        cli.par = mw_par_new(threads, &cli.cfg, &scfg);
    } else {
        sessions = mw_sessions_new(&scfg);
        cli.sessions = sessions;
        w = sessions ? mw_worker_new(&cli.cfg, mw_sessions_consumer(sessions), sessions) : NULL;
    }
    mw_ops ops;
    mw_ops_config ocfg = {
        .events = cli.events,
        .events_path = cli.output_path,
        .flagged = mw_flagged_is_live(cli.flagged) ? cli.flagged : NULL,
        .metrics_path = cli.metrics_path,
        .capture = cli.iface,
        .interval_ms = (cli.stats_interval_given ? cli.stats_interval
                                                 : cli.iface ? 60 : 0) * 1000u,
    };
    /* --metrics alone, offline: written at the end only. */
    mw_ops_init(&ops, &ocfg);
    cli.ops = &ops;
    cli.out_stats = &out_stats;
    static const mw_live_hooks hooks = {
        .stop = &g_stop_signal, .hup = &g_hup, .usr1 = &g_usr1,
        .write_report = write_report, .started = started_live,
    };
    if (cli.iface && !(live = mw_live_new(&cli, &scfg, threads, &hooks))) {
        abandon_outputs(&cli, baseline, certs);
        goto done;
    }
    if (!w && !cli.par && !live) {
        fprintf(stderr, "mitmwatch: out of memory creating the flow table "
                        "(--max-flows %" PRIu32 ") or starting nDPI\n",
                cli.cfg.flow.max_flows);
        abandon_outputs(&cli, baseline, certs);
        cli.status = EXIT_FATAL;
        goto done;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_flag;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    start_progress(&cli);
    if (live)
        mw_live_run(live);
    else
        started(&cli, false);
    for (size_t i = 0; i < cli.n_inputs && !stopped(&cli); i++)
        run_path(&cli, w, cli.inputs[i]);
    /* NAME=PATH pairs name inputs too; one also given plainly is read once. */
    for (size_t i = 0; i < cli.n_pairs && !stopped(&cli); i++) {
        bool listed = false;
        for (size_t k = 0; k < cli.n_inputs; k++)
            listed |= strcmp(cli.inputs[k], cli.pairs[i].path) == 0;
        for (size_t k = 0; k < i; k++)
            listed |= strcmp(cli.pairs[k].path, cli.pairs[i].path) == 0;
        if (!listed)
            run_path(&cli, w, cli.pairs[i].path);
    }

    mw_notify_stopping(cli.notify);
    mw_progress_end(cli.progress);
    cli.progress = NULL;
    /* Said, since the rest of the input was not read (tcpdump is silent). */
    if (cli.max_packets && cli.packets_read >= cli.max_packets && !cli.quiet)
        fprintf(stderr, "mitmwatch: stopped after %" PRIu64 " packets (-c); later packets and inputs not read\n",
                cli.packets_read);
    /* Every input's flows have ended (mw_worker_end_input), so all
     * session events are out before the counters. */
    mw_stats par_stats;
    mw_stats *st = &par_stats;
    if (cli.par) {
        memset(&par_stats, 0, sizeof par_stats);
        mw_par_add_stats(cli.par, &par_stats);
        if (cli.cfg.verbose) {
            uint64_t waits, full;
            mw_par_turn_waits(cli.par, &waits, &full);
            fprintf(stderr, "mitmwatch: %u worker threads; the reader waited %" PRIu64
                            " times for a full queue; workers waited %" PRIu64
                            " times for a turn (%" PRIu64 " holding the most judgements)\n",
                    threads, mw_par_reader_waits(cli.par), waits, full);
        }
    } else if (live) {
        memset(&par_stats, 0, sizeof par_stats);
        mw_live_add_stats(live, &par_stats);
    } else {
        st = mw_worker_stats(w);
        st->session = *mw_sessions_stats(sessions);
    }
    /* A sighting the state file could not take (full disk, I/O error) is
     * an output failure: said, and the exit status shows it. */
    bool state_ok = mw_baseline_flush(baseline) && !mw_baseline_error(baseline);
    if (!state_ok)
        fprintf(stderr, "mitmwatch: state: %s: %s\n",
                mw_baseline_name(baseline), mw_baseline_error(baseline) ? mw_baseline_error(baseline)
                                            : "the last changes could not be saved");
    if (!mw_baseline_close(baseline) || !state_ok)
        output_failed(&cli);
    mw_certdir_close(certs);
    if (!mw_csv_close(cli.csv)) {
        fprintf(stderr, "mitmwatch: --csv: %s: not all rows could be written\n", cli.csv_path);
        output_failed(&cli);
    }
    cli.csv = NULL;
    if (cli.flagged) {
        char err[MW_CAPTURE_ERRLEN];
        if (!mw_flagged_write(cli.flagged, cli.flagged_path, &cli.cfg.capture, &out_stats, err,
                              sizeof err)) {
            fprintf(stderr, "mitmwatch: --write-flagged: %s\n", err);
            output_failed(&cli);
        }
        if (out_stats.output.flagged_flows_unwritable)
            fprintf(stderr,
                    "mitmwatch: --write-flagged: %" PRIu64 " flagged flows not written "
                    "(past the cap, or the input could not be read again; counted in "
                    "flagged_flows_unwritable)\n",
                    out_stats.output.flagged_flows_unwritable);
        mw_flagged_free(cli.flagged);
    }
    mw_stats_add(st, &out_stats);
    /* The final record is written below; --metrics gets the final counters. */
    ops.cfg.events = NULL;
    if (cli.metrics_path)
        mw_ops_write_stats(&ops, st, mw_ops_now_ms(), true);
    if (ops.failed)
        output_failed(&cli);
    if (cli.par ? !mw_par_ok(cli.par) : live ? !mw_live_ok(live) : !mw_sessions_ok(sessions)) {
        fprintf(stderr, "mitmwatch: %s: cannot write output\n",
                cli.output_path ? cli.output_path : "standard output");
        if (cli.output_path)
            fclose(cli.events);
        mw_summary_free(cli.summary);
        output_failed(&cli);
        goto done;
    }
    if (cli.events) {
        mw_json *j = &cli.rec;
        mw_json_object_begin(j);
        mw_json_kv_string(j, "event", "stats");
        mw_stats_write_json_members(st, j);
        mw_json_object_end(j);
        /* Flushed and closed even when the line failed: the message names
         * the first error, and no stream is left open. */
        bool ok = mw_json_write_line(&cli.rec, cli.events);
        int err = errno;
        if (fflush(cli.events) != 0 && ok) {
            ok = false;
            err = errno;
        }
        if (cli.output_path && fclose(cli.events) != 0 && ok) {
            ok = false;
            err = errno;
        }
        if (!ok) {
            fprintf(stderr, "mitmwatch: %s: cannot write output: %s\n",
                    cli.output_path ? cli.output_path : "standard output", strerror(err));
            mw_summary_free(cli.summary);
            output_failed(&cli);
            goto done;
        }
    }
    if (cli.summary) {
        mw_summary_set_counters(cli.summary, st);
        /* With --json standard output is the event stream: JSON only. */
        if (!cli.quiet && !cli.json)
            mw_summary_write_text(cli.summary, stdout, use_color(cli.color, stdout));
        if (cli.report_dir && !write_report(cli.summary, cli.report_dir))
            output_failed(&cli);
        mw_summary_free(cli.summary);
    }
    if (!cli.quiet)
        mw_stats_write_text(st, stderr);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "mitmwatch: cannot write output: %s\n", strerror(errno));
        output_failed(&cli);
    }
done:
    mw_notify_free(cli.notify);
    mw_ops_free(&ops);
    mw_par_free(cli.par);
    mw_live_free(live);
    mw_worker_free(w);
    mw_sessions_free(sessions);
    mw_rules_free(rules);
    mw_cli_free(&cli);
    /* Live, a signal is the normal way to stop: the status tells whether
     * every output was written. */
    if (g_stop_signal && !cli.iface)
        return 128 + g_stop_signal;
    return cli.status;
}
