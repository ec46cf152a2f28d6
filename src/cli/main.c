/*
 * main.c - the mitmwatch command line.
 *
 * Reads every input in turn (files, directories of captures, standard
 * input, or one live interface) through one worker and prints the counters
 * at the end. Exit codes (docs/usage.md, mitmwatch(1)):
 *   0  every input was read to its end
 *   1  an input could not be opened, had an unsupported link type, or was
 *      damaged (what was readable has been processed)
 *   2  usage error (bad option or value)
 *   3  fatal error (out of memory, output cannot be written)
 *   130 / 143  stopped by SIGINT / SIGTERM (after a clean shutdown)
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
#include "common/stats.h"
#include "cli/outputs.h"
#include "cli/paths.h"
#include "cli/progress.h"
#include "cli/version.h"
#include "cli/config.h"
#include "cli/notify.h"
#include "cli/privs.h"
#include "output/csv.h"
#include "output/summary.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2
#define EXIT_FATAL 3


typedef struct mw_cli {
    mw_config cfg;
    mw_json rec;
    const char *iface;
    const char *output_path;
    const char *vantage;
    const char *rules_dir;   /* --rules: added to the built-in rules */
    const char *targets;     /* --targets: replaces the target lists */
    const char *trust_store; /* --trust-store, or NULL for the system's */
    const char *trust_extra; /* --trust-extra: added to the trust store */
    const char *trust_at;    /* --trust-at: "now", "capture" or NULL (default) */
    FILE *events; /* where JSON records go, or NULL */
    /* --vantage NAME=PATH: the label of one input (and PATH is read). */
    struct vantage_pair {
        const char *name;
        const char *path;
    } *pairs;
    size_t n_pairs;
    const char *state_path;  /* --state */
    uint64_t state_max;      /* --state-max */
    const char *report_dir;  /* --report */
    uint64_t bucket;         /* --bucket, seconds */
    const char *certs_dir;   /* --certs */
    const char *csv_path;    /* --csv */
    mw_csv *csv;
    const char *flagged_path; /* --write-flagged */
    mw_sessions *sessions;
    mw_flagged *flagged;
    mw_summary *summary;
    mw_baseline *baseline;
    char **argv;
    mw_cliconf *conf;     /* --config: the expanded arguments */
    mw_notify *notify;    /* systemd, or NULL */
    mw_privs privs;       /* -Z */
    mw_vantage_net *nets; /* --vantage-net */
    size_t n_nets;
    mw_par *par;             /* threads > 1: the workers; else NULL */
    const char *cur_vantage; /* the vantage of the input being read */
    /* The inputs to read, in order: every -r FILE as given, then the
     * positional arguments (NAME=PATH pairs come after, see main). */
    const char **inputs;
    size_t n_inputs;
    uint64_t max_packets;  /* -c: stop after this many (0: no limit) */
    uint64_t packets_read; /* towards -c, over all inputs */
    mw_progress *progress; /* the progress line, or NULL */
    uint64_t bytes_done;   /* of the inputs already read (progress) */
    int argc;
    int status;
    int color;               /* --color: -1 auto, 0 never, 1 always */
    unsigned threads;        /* --threads; 0: not given (online cores) */
    uint16_t community_id_seed; /* --community-id-seed */
    bool json;   /* events to stdout */
    bool quiet;  /* no counters on stderr */
    bool flows;  /* a "flow" record per flow */
    bool state_reset;        /* --state-reset */
    bool no_progress;      /* --no-progress */
} mw_cli;

/* The one global: a signal handler can reach nothing else. It points at the
 * source being read so SIGINT/SIGTERM can stop it cleanly. */
static mw_source *volatile g_current_source;
static volatile sig_atomic_t g_stop_signal;

static void on_signal(int sig)
{
    g_stop_signal = sig;
    mw_source *s = g_current_source;
    if (s)
        mw_source_stop(s);
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

static void add_input(mw_cli *cli, const char *path)
{
    const char **in = realloc(cli->inputs, (cli->n_inputs + 1) * sizeof(*in));
    if (!in) {
        fputs("mitmwatch: out of memory\n", stderr);
        exit(EXIT_FATAL);
    }
    in[cli->n_inputs++] = path;
    cli->inputs = in;
}

static void usage(FILE *out)
{
    fputs(
        "usage: mitmwatch [options] [-r FILE] FILE|DIR|- ...\n"
        "       mitmwatch [options] -i IFACE\n"
        "       mitmwatch merge [--report DIR] [--csv FILE] [--color WHEN] [-q] FILE ...\n"
        "\n"
        "Finds TLS interception in packet captures (pcap, pcapng; plain, gzip, xz,\n"
        "zstd or bzip2) and on live interfaces.\n"
        "\n"
        "input:\n"
        "  -r FILE                 read FILE (as a FILE operand; - is standard input)\n"
        "  -i, --interface IFACE   capture live from IFACE until SIGINT/SIGTERM\n"
        "  -c COUNT                stop after COUNT packets (over all inputs)\n"
        "  -n                      accepted for tcpdump's habit: names are never resolved\n"
        "  -f, --filter EXPR       BPF filter, for files and interfaces\n"
        "  -s, --snaplen N         live: bytes kept per packet (65535)\n"
        "  -p, --no-promisc        live: do not put the interface in promiscuous mode\n"
        "      --buffer-size MIB   live: kernel capture buffer in MiB\n"
        "\n"
        "output:\n"
        "      --json              JSON Lines records on standard output\n"
        "  -o, --output FILE       JSON Lines records to FILE\n"
        "      --flows             a \"flow\" record for every flow\n"
        "      --vantage NAME      label the sessions with this vantage point;\n"
        "      --vantage NAME=PATH label those of input PATH (which is then read)\n"
        "      --vantage-net NAME=ADDR/BITS  label sessions whose client is in the\n"
        "                          network (checked first, in the order given)\n"
        "  -q, --quiet             events only: no summary, no counters on stderr\n"
        "      --no-progress       no progress line (shown offline when stderr is a terminal)\n"
        "      --color WHEN        colour the summary: auto (a terminal), always, never\n"
        "\n"
        "report and forensics:\n"
        "      --report DIR        write DIR/summary.json and DIR/report.html\n"
        "      --bucket DURATION   timeline bucket: N[s|m|h|d] (1h)\n"
        "      --write-flagged FILE  packets of flows judged intercepted or suspicious\n"
        "      --csv FILE          a CSV row per session (for spreadsheets)\n"        "      --community-id-seed N  seed of the events' community_id (0)\n"
        "      --certs DIR         every distinct certificate seen, DIR/SHA256.pem\n"
        "      --state FILE        baseline store (SQLite) shared across runs\n"
        "      --state-max SIZE    cap of the baseline store (256M)\n"
        "      --state-reset       move a --state file aside (FILE.old-STAMP), start anew\n"
        "  -v, --verbose           report every malformed packet\n"
        "      --threads N         worker threads (default: online cores; 1: no\n"
        "                          threads; live interfaces use one)\n"
        "      --checksums MODE    auto (default), on or off: drop wrong checksums\n"
        "\n"
        "detection:\n"
        "      --rules DIR         also load DIR/rogue-roots/*.pem, DIR/rogue-names.txt,\n"
        "                          DIR/targets/*.txt and DIR/fingerprints/*.txt\n"
        "                          (built-in: see --version)\n"
        "      --targets FILE      use FILE as the only target domain list\n"
        "      --trust-store PATH  PEM file or hashed directory of trusted roots\n"
        "      --trust-extra FILE  PEM file of roots trusted besides the trust store\n"
        "                          (default: the system CA bundle)\n"
        "      --trust-at now|capture  roots that count: today's store only, or also\n"
        "                          removed roots still shipped at capture time\n"
        "                          (default: capture; now with --trust-store)\n"
        "  (rules directories may also hold pins/*.txt: DOMAIN sha256/BASE64= a line)\n"
        "\n"
        "limits (sizes take K, M, G suffixes):\n"
        "      --max-flows N       flows tracked at once (262144); LRU eviction\n"
        "      --stream-bytes N    bytes kept per TCP direction (1M)\n"
        "      --reasm-memcap N    all TCP reassembly buffers together (1G)\n"
        "      --max-ahead N       bytes held behind a TCP hole before skipping it (256K)\n"
        "      --frag-max N        IP datagrams in reassembly at once (1024)\n"
        "      --frag-timeout S    seconds before an incomplete datagram is dropped (30)\n"
        "      --timeout STATE=S   flow idle timeout; STATE is udp, syn, established,\n"
        "                          closing or closed (60, 30, 600, 120, 10)\n"
        "\n"
        "  -Z, --user USER         once capture and outputs are open, become USER and\n"
        "                          drop every capability\n"
        "      --config FILE       options from FILE, one long option a line\n"
        "                          (name value); the command line wins\n"
        "  -h, --help              this text\n"
        "  -V, --version           version\n"
        "\n"
        "Exit status: 0 all inputs read, 1 an input failed or was damaged,\n"
        "2 usage error, 3 fatal error, 130/143 stopped by SIGINT/SIGTERM.\n",
        out);
}

/* Parses a decimal size with an optional K/M/G (binary) suffix. */
static bool parse_size(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    uint64_t mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1024;
    else if (*end == 'M' || *end == 'm')
        mult = 1024ull * 1024u;
    else if (*end == 'G' || *end == 'g')
        mult = 1024ull * 1024u * 1024u;
    if (mult != 1)
        end++;
    if (*end != '\0' || v > max / mult)
        return false;
    *out = v * mult;
    return *out <= max;
}

static bool parse_timeout(mw_cli *cli, const char *arg)
{
    static const char *const names[MW_FLOW_STATE_COUNT] = {
        "udp", "syn", "established", "closing", "closed"};
    const char *eq = strchr(arg, '=');
    uint64_t secs;
    if (!eq || !parse_size(eq + 1, UINT32_MAX, &secs) || secs == 0)
        return false;
    for (int i = 0; i < MW_FLOW_STATE_COUNT; i++) {
        if (strlen(names[i]) == (size_t)(eq - arg) &&
            strncmp(arg, names[i], (size_t)(eq - arg)) == 0) {
            cli->cfg.flow.timeout_us[i] = secs * 1000000u;
            return true;
        }
    }
    return false;
}

static void bad_value(const char *opt, const char *value)
{
    fprintf(stderr, "mitmwatch: invalid value '%s' for %s\n", value, opt);
    exit(EXIT_USAGE);
}

static void write_or_die(mw_cli *cli)
{
    if (!mw_json_write_line(&cli->rec, cli->events)) {
        fprintf(stderr, "mitmwatch: cannot write output: %s\n", strerror(errno));
        exit(EXIT_FATAL);
    }
}

/* Where the sources count: the one worker's counters, or the reader's. */
static mw_stats *input_stats(mw_cli *cli, mw_worker *w)
{
    return cli->par ? mw_par_reader_stats(cli->par) : mw_worker_stats(w);
}

static void run_source(mw_cli *cli, mw_worker *w, mw_source *src)
{
    const char *name = mw_source_name(src);
    int linktype = mw_source_linktype(src);
    mw_stats *st = input_stats(cli, w);

    if (!mw_linktype_supported(linktype)) {
        mw_progress_clear(cli->progress);
        fprintf(stderr, "mitmwatch: %s: unsupported link type %d\n",
                mw_source_path(src), linktype);
        st->capture.inputs_failed++;
        cli->status = EXIT_INPUT;
        return;
    }
    if (cli->summary)
        mw_summary_add_source(cli->summary, name, mw_source_path(src), cli->cur_vantage, !mw_source_is_live(src) && strcmp(mw_source_path(src), "-") != 0);
    if (cli->flagged)
        mw_flagged_begin_input(cli->flagged, mw_source_path(src),
                               !mw_source_is_live(src) && strcmp(mw_source_path(src), "-") != 0);
    if (cli->par)
        mw_par_begin_input(cli->par, linktype, name, cli->cur_vantage);
    g_current_source = src;
    for (;;) {
        mw_source_packet p;
        mw_source_status s = mw_source_next(src, &p);
        mw_notify_alive(cli->notify);
        if (s == MW_SOURCE_PACKET) {
            if (cli->par)
                mw_par_packet(cli->par, &p);
            else
                mw_worker_packet(w, linktype, name, &p);
            if (cli->progress && (p.number & 1023) == 0)
                show_progress(cli, src, st);
            if (cli->max_packets && ++cli->packets_read >= cli->max_packets)
                break; /* -c: as if the input ended here */
        } else if (s == MW_SOURCE_IDLE) {
            struct timeval tv;
            gettimeofday(&tv, NULL);
            mw_worker_tick(w, (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec);
            /* A quiet tap must not hold the state file's write lock. */
            (void)mw_baseline_flush(cli->baseline);
        } else {
            if (s == MW_SOURCE_ERROR) {
                mw_progress_clear(cli->progress);
                fprintf(stderr, "mitmwatch: %s\n", mw_source_error(src));
                cli->status = EXIT_INPUT;
            }
            break;
        }
    }
    g_current_source = NULL;
    cli->bytes_done += mw_source_bytes_in(src);
    if (mw_source_is_live(src))
        mw_source_add_drop_stats(src, &st->capture);
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
        cli->status = EXIT_INPUT;
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
            cli->status = EXIT_INPUT;
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

static void run_live(mw_cli *cli, mw_worker *w)
{
    char err[MW_CAPTURE_ERRLEN];
    mw_stats *st = mw_worker_stats(w);
    mw_source *src = mw_source_open_live(cli->iface, &cli->cfg.capture, &st->capture,
                                         err, sizeof err);
    if (!src) {
        fprintf(stderr, "mitmwatch: %s\n", err);
        cli->status = EXIT_INPUT;
        return;
    }
    if (!cli->quiet)
        fprintf(stderr, "mitmwatch: listening on %s, link type %d\n", cli->iface,
                mw_source_linktype(src));
    started(cli, true);
    run_source(cli, w, src);
    mw_source_close(src);
}

enum {
    OPT_JSON = 256,
    OPT_FLOWS,
    OPT_VANTAGE,
    OPT_BUFFER_SIZE,
    OPT_MAX_FLOWS,
    OPT_STREAM_BYTES,
    OPT_REASM_MEMCAP,
    OPT_MAX_AHEAD,
    OPT_FRAG_MAX,
    OPT_FRAG_TIMEOUT,
    OPT_TIMEOUT,
    OPT_RULES,
    OPT_TARGETS,
    OPT_TRUST_STORE,
    OPT_TRUST_EXTRA,
    OPT_TRUST_AT,
    OPT_STATE,
    OPT_STATE_MAX,
    OPT_STATE_RESET,
    OPT_REPORT,
    OPT_BUCKET,
    OPT_COLOR,
    OPT_CERTS,
    OPT_CSV,
    OPT_COMMUNITY_ID_SEED,
    OPT_WRITE_FLAGGED,
    OPT_VANTAGE_NET,
    OPT_THREADS,
    OPT_CHECKSUMS,
    OPT_NO_PROGRESS,
    OPT_CONFIG,
};

/* "90", "90s", "15m", "1h", "1d" -> seconds. */
static bool parse_duration(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mult = 1;
    switch (*end) {
    case '\0': case 's': break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = 86400; break;
    default: return false;
    }
    if (*end && end[1])
        return false;
    if (errno || v == 0 || v > 366ull * 86400 / mult)
        return false;
    *out = v * mult;
    return true;
}

static int parse_color(const char *s)
{
    if (strcmp(s, "auto") == 0)
        return -1;
    if (strcmp(s, "never") == 0)
        return 0;
    if (strcmp(s, "always") == 0)
        return 1;
    bad_value("--color (auto, always, never)", s);
    return -1;
}

static void add_vantage_pair(mw_cli *cli, const char *arg)
{
    const char *eq = strchr(arg, '=');
    struct vantage_pair *p = realloc(cli->pairs, (cli->n_pairs + 1) * sizeof(*p));
    char *name = strndup(arg, (size_t)(eq - arg));
    if (!p || !name) {
        fprintf(stderr, "mitmwatch: out of memory\n");
        exit(EXIT_FATAL);
    }
    cli->pairs = p;
    p[cli->n_pairs].name = name;
    p[cli->n_pairs].path = eq + 1;
    cli->n_pairs++;
    if (eq == arg || eq[1] == '\0')
        bad_value("--vantage (NAME or NAME=PATH)", arg);
}

static void parse_args(mw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"interface", required_argument, NULL, 'i'},
        {"filter", required_argument, NULL, 'f'},
        {"snaplen", required_argument, NULL, 's'},
        {"no-promisc", no_argument, NULL, 'p'},
        {"buffer-size", required_argument, NULL, OPT_BUFFER_SIZE},
        {"json", no_argument, NULL, OPT_JSON},
        {"output", required_argument, NULL, 'o'},
        {"flows", no_argument, NULL, OPT_FLOWS},
        {"vantage", required_argument, NULL, OPT_VANTAGE},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
        {"stream-bytes", required_argument, NULL, OPT_STREAM_BYTES},
        {"reasm-memcap", required_argument, NULL, OPT_REASM_MEMCAP},
        {"max-ahead", required_argument, NULL, OPT_MAX_AHEAD},
        {"frag-max", required_argument, NULL, OPT_FRAG_MAX},
        {"frag-timeout", required_argument, NULL, OPT_FRAG_TIMEOUT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"rules", required_argument, NULL, OPT_RULES},
        {"targets", required_argument, NULL, OPT_TARGETS},
        {"trust-store", required_argument, NULL, OPT_TRUST_STORE},
        {"trust-extra", required_argument, NULL, OPT_TRUST_EXTRA},
        {"trust-at", required_argument, NULL, OPT_TRUST_AT},
        {"state", required_argument, NULL, OPT_STATE},
        {"state-max", required_argument, NULL, OPT_STATE_MAX},
        {"state-reset", no_argument, NULL, OPT_STATE_RESET},
        {"report", required_argument, NULL, OPT_REPORT},
        {"bucket", required_argument, NULL, OPT_BUCKET},
        {"color", required_argument, NULL, OPT_COLOR},
        {"certs", required_argument, NULL, OPT_CERTS},
        {"csv", required_argument, NULL, OPT_CSV},
        {"community-id-seed", required_argument, NULL, OPT_COMMUNITY_ID_SEED},
        {"write-flagged", required_argument, NULL, OPT_WRITE_FLAGGED},
        {"vantage-net", required_argument, NULL, OPT_VANTAGE_NET},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"checksums", required_argument, NULL, OPT_CHECKSUMS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"user", required_argument, NULL, 'Z'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    mw_config *cfg = &cli->cfg;
    uint64_t v;
    int c;
    char perr[4200];

    if (!mw_cliconf_expand(argc, argv, opts, &cli->conf, perr, sizeof perr)) {
        fprintf(stderr, "mitmwatch: %s\n", perr);
        exit(EXIT_USAGE);
    }
    argc = cli->conf ? mw_cliconf_argc(cli->conf) : argc;
    argv = cli->conf ? mw_cliconf_argv(cli->conf) : argv;
    while ((c = getopt_long(argc, argv, "r:c:ni:f:s:po:qvhVZ:", opts, NULL)) != -1) {
        switch (c) {
        case 'r': add_input(cli, optarg); break;
        case 'c':
            /* A plain count, as tcpdump's: no K/M suffix. */
            if (strspn(optarg, "0123456789") != strlen(optarg) ||
                !parse_size(optarg, UINT64_MAX / 2, &v) || v == 0)
                bad_value("-c (a packet count, at least 1)", optarg);
            cli->max_packets = v;
            break;
        case 'n': break;
        case 'i': cli->iface = optarg; break;
        case 'f': cfg->capture.filter = optarg; break;
        case 's':
            if (!parse_size(optarg, 262144, &v) || v < 64)
                bad_value("--snaplen (64..262144)", optarg);
            cfg->capture.snaplen = (int)v;
            break;
        case 'p': cfg->capture.promisc = false; break;
        case OPT_BUFFER_SIZE:
            if (!parse_size(optarg, 4096, &v) || v == 0)
                bad_value("--buffer-size (1..4096 MiB)", optarg);
            cfg->capture.buffer_mib = (int)v;
            break;
        case OPT_JSON: cli->json = true; break;
        case 'o': cli->output_path = optarg; break;
        case OPT_FLOWS: cli->flows = true; break;
        case OPT_VANTAGE:
            if (strchr(optarg, '='))
                add_vantage_pair(cli, optarg);
            else
                cli->vantage = optarg;
            break;
        case 'q': cli->quiet = true; break;
        case OPT_NO_PROGRESS: cli->no_progress = true; break;
        case 'v': cfg->verbose = true; break;
        case OPT_MAX_FLOWS:
            if (!parse_size(optarg, 1u << 26, &v) || v < 16)
                bad_value("--max-flows (16..67108864)", optarg);
            cfg->flow.max_flows = (uint32_t)v;
            break;
        case OPT_STREAM_BYTES:
            /* A power of two keeps buffer growth simple (doubling). */
            if (!parse_size(optarg, 64u << 20, &v) || v < MW_REASM_MIN_BUFFER ||
                (v & (v - 1)) != 0)
                bad_value("--stream-bytes (power of two, 4K..64M)", optarg);
            cfg->reasm.max_stream_bytes = (uint32_t)v;
            break;
        case OPT_REASM_MEMCAP:
            if (!parse_size(optarg, UINT64_MAX / 2, &v) || v < MW_REASM_MIN_BUFFER)
                bad_value("--reasm-memcap (at least 4K)", optarg);
            cfg->reasm.memcap = v;
            break;
        case OPT_MAX_AHEAD:
            if (!parse_size(optarg, 64u << 20, &v) || v == 0)
                bad_value("--max-ahead", optarg);
            cfg->reasm.max_ahead = (uint32_t)v;
            break;
        case OPT_FRAG_MAX:
            if (!parse_size(optarg, 1u << 20, &v) || v == 0)
                bad_value("--frag-max", optarg);
            cfg->frag.max_datagrams = (uint32_t)v;
            break;
        case OPT_FRAG_TIMEOUT:
            if (!parse_size(optarg, 86400, &v) || v == 0)
                bad_value("--frag-timeout (seconds)", optarg);
            cfg->frag.timeout_us = v * 1000000u;
            break;
        case OPT_TIMEOUT:
            if (!parse_timeout(cli, optarg))
                bad_value("--timeout (STATE=SECONDS)", optarg);
            break;
        case OPT_RULES: cli->rules_dir = optarg; break;
        case OPT_TARGETS: cli->targets = optarg; break;
        case OPT_TRUST_STORE: cli->trust_store = optarg; break;
        case OPT_TRUST_EXTRA: cli->trust_extra = optarg; break;
        case OPT_TRUST_AT:
            if (strcmp(optarg, "now") != 0 && strcmp(optarg, "capture") != 0)
                bad_value("--trust-at (now or capture)", optarg);
            cli->trust_at = optarg;
            break;
        case OPT_STATE: cli->state_path = optarg; break;
        case OPT_STATE_RESET: cli->state_reset = true; break;
        case OPT_STATE_MAX:
            if (!parse_size(optarg, UINT64_MAX / 2, &v) || v < (1u << 20))
                bad_value("--state-max (at least 1M)", optarg);
            cli->state_max = v;
            break;
        case OPT_REPORT: cli->report_dir = optarg; break;
        case OPT_THREADS:
            if (!parse_size(optarg, MW_PAR_MAX_THREADS, &v) || v == 0)
                bad_value("--threads (1..64)", optarg);
            cli->threads = (unsigned)v;
            break;
        case OPT_CHECKSUMS:
            if (!mw_checksum_mode_parse(optarg, &cfg->checksums))
                bad_value("--checksums (auto, on or off)", optarg);
            break;
        case OPT_BUCKET:
            if (!parse_duration(optarg, &cli->bucket))
                bad_value("--bucket (N[s|m|h|d], up to a year)", optarg);
            break;
        case OPT_COLOR: cli->color = parse_color(optarg); break;
        case OPT_CERTS: cli->certs_dir = optarg; break;
        case OPT_CSV: cli->csv_path = optarg; break;
        case OPT_COMMUNITY_ID_SEED:
            if (strspn(optarg, "0123456789") != strlen(optarg) ||
                !parse_size(optarg, 65535, &v))
                bad_value("--community-id-seed (0..65535)", optarg);
            cli->community_id_seed = (uint16_t)v;
            break;
        case OPT_WRITE_FLAGGED: cli->flagged_path = optarg; break;
        case OPT_VANTAGE_NET: {
            mw_vantage_net *n = realloc(cli->nets, (cli->n_nets + 1) * sizeof(*n));
            if (!n) {
                fputs("mitmwatch: out of memory\n", stderr);
                exit(EXIT_FATAL);
            }
            cli->nets = n;
            if (!mw_vantage_net_parse(optarg, &n[cli->n_nets]))
                bad_value("--vantage-net (NAME=ADDRESS/BITS)", optarg);
            n[cli->n_nets].name = strndup(optarg, (size_t)(strchr(optarg, '=') - optarg));
            if (!n[cli->n_nets].name)
                exit(EXIT_FATAL);
            cli->n_nets++;
            break;
        }
        case 'Z':
            if (!mw_privs_lookup(&cli->privs, optarg, perr, sizeof perr)) {
                fprintf(stderr, "mitmwatch: %s\n", perr);
                exit(EXIT_USAGE);
            }
            break;
        case OPT_CONFIG: break; /* read by mw_cliconf_expand */
        case 'h': usage(stdout); exit(0);
        case 'V': mw_print_version(stdout); exit(0);
        default: usage(stderr); exit(EXIT_USAGE);
        }
    }
    for (int i = optind; i < argc; i++)
        add_input(cli, argv[i]);
    if (cli->iface && (cli->n_inputs || cli->n_pairs)) {
        fprintf(stderr, "mitmwatch: -i and input files are exclusive\n");
        exit(EXIT_USAGE);
    }
    if (!cli->iface && cli->n_inputs == 0 && cli->n_pairs == 0) {
        usage(stderr);
        exit(EXIT_USAGE);
    }
    if (cfg->capture.filter) {
        /* Checked once up front so a typo is a usage error, not one failed
         * input per file. Ethernet is the usual link type; a filter that
         * only fits another one is still compiled per input. */
        pcap_t *dead = pcap_open_dead(DLT_EN10MB, MW_CAPTURE_DEFAULT_SNAPLEN);
        struct bpf_program prog;
        if (!dead || pcap_compile(dead, &prog, cfg->capture.filter, 1,
                                  PCAP_NETMASK_UNKNOWN) != 0) {
            fprintf(stderr, "mitmwatch: bad filter expression '%s': %s\n",
                    cfg->capture.filter, dead ? pcap_geterr(dead) : "out of memory");
            exit(EXIT_USAGE);
        }
        pcap_freecode(&prog);
        pcap_close(dead);
    }
    if (cli->json && cli->output_path) {
        fprintf(stderr, "mitmwatch: --json and -o are exclusive\n");
        exit(EXIT_USAGE);
    }
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

/* DIR/summary.json, then DIR/report.html drawn from that file as written,
 * so the page shows exactly what the file says (and what merge reads). */
static bool write_report(const mw_summary *sum, const char *dir)
{
    char path[4096], err[512];
    FILE *f;
    if (!make_dir(dir)) {
        fprintf(stderr, "mitmwatch: %s: %s\n", dir, strerror(errno));
        return false;
    }
    snprintf(path, sizeof path, "%s/summary.json", dir);
    f = fopen(path, "w");
    if (!f || !mw_summary_write_json(sum, f) || fclose(f) != 0) {
        fprintf(stderr, "mitmwatch: %s: %s\n", path, strerror(errno));
        return false;
    }
    mw_jdoc *doc = mw_jdoc_load_file(path, SUMMARY_MAX_BYTES, err, sizeof err);
    if (!doc) {
        fprintf(stderr, "mitmwatch: %s\n", err);
        return false;
    }
    snprintf(path, sizeof path, "%s/report.html", dir);
    f = fopen(path, "w");
    bool ok = f && mw_report_html_write(mw_jdoc_root(doc), f, err, sizeof err);
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        fprintf(stderr, "mitmwatch: %s: %s\n", path, f ? err : strerror(errno));
    mw_jdoc_free(doc);
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
    static const struct option opts[] = {
        {"report", required_argument, NULL, OPT_REPORT},
        {"color", required_argument, NULL, OPT_COLOR},
        {"csv", required_argument, NULL, OPT_CSV},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char usage_line[] =
        "usage: mitmwatch merge [--report DIR] [--csv FILE] [--color WHEN] [-q] "
        "SUMMARY.json|EVENTS.json ...";
    const char *report = NULL, *csv_path = NULL;
    mw_csv *csv = NULL;
    int color = -1, c;
    bool quiet = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_REPORT: report = optarg; break;
        case OPT_COLOR: color = parse_color(optarg); break;
        case OPT_CSV: csv_path = optarg; break;
        case 'q': quiet = true; break;
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
            return EXIT_FATAL;
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
                status = EXIT_INPUT;
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
            status = EXIT_INPUT;
        } else if ((res = mw_summary_merge_json_ex(sum, mw_jdoc_root(doc), err, sizeof err)) != MW_MERGE_ADDED) {
            fprintf(stderr, "mitmwatch merge: %s: %s\n", argv[i], res == MW_MERGE_DUPLICATE ? "warning: every input already merged, skipped (counted once)" : res == MW_MERGE_UNCHECKED ? "warning: no sources, not checked for duplicates" : err);
            status = res == MW_MERGE_ERROR ? EXIT_INPUT : status;
        }
        mw_jdoc_free(doc);
    }
    if (!mw_csv_close(csv)) {
        fprintf(stderr, "mitmwatch merge: --csv: %s: not all rows could be written\n",
                csv_path);
        status = EXIT_FATAL;
    }
    if (!sum)
        return status;
    if (!quiet)
        mw_summary_write_text(sum, stdout, use_color(color, stdout));
    if (report && !write_report(sum, report))
        status = EXIT_FATAL;
    if (fflush(stdout) != 0)
        status = EXIT_FATAL;
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
        exit(EXIT_FATAL);
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
        exit(EXIT_FATAL);
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
        exit(EXIT_FATAL);
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
    }
}

/* What parse_args allocated, and the record buffer. */
static void free_args(mw_cli *cli)
{
    mw_json_free(&cli->rec);
    for (size_t i = 0; i < cli->n_pairs; i++)
        free((char *)cli->pairs[i].name);
    free(cli->pairs);
    free(cli->inputs);
    for (size_t i = 0; i < cli->n_nets; i++)
        free((char *)cli->nets[i].name);
    free(cli->nets);
    mw_cliconf_free(cli->conf);
}

int main(int argc, char **argv)
{
    mw_cli cli;
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return merge_main(argc - 1, argv + 1);
    memset(&cli, 0, sizeof cli);
    cli.color = -1;
    mw_config_defaults(&cli.cfg);
    mw_json_init(&cli.rec);
    parse_args(&cli, argc, argv);
    const mw_output_path outs[] = {
        {"--report", cli.report_dir, true},     {"--certs", cli.certs_dir, true},
        {"-o", cli.output_path, false},         {"--csv", cli.csv_path, false},
        {"--write-flagged", cli.flagged_path, false},
    };
    char oerr[4400];
    if (!mw_outputs_check(outs, sizeof outs / sizeof *outs, oerr, sizeof oerr)) {
        fprintf(stderr, "mitmwatch: %s\n", oerr);
        free_args(&cli);
        return EXIT_FATAL;
    }
    cli.argc = argc;
    cli.argv = argv;
    mw_rules *rules = load_rules(&cli);

    if (cli.json) {
        cli.events = stdout;
    } else if (cli.output_path) {
        cli.events = fopen(cli.output_path, "w");
        if (!cli.events) {
            fprintf(stderr, "mitmwatch: %s: %s\n", cli.output_path, strerror(errno));
            mw_rules_free(rules); /* no leak on the way out (LeakSanitizer) */
            free_args(&cli);
            return EXIT_FATAL;
        }
    }
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
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores < 1 ? 1 : cores > (long)MW_PAR_MAX_THREADS ? MW_PAR_MAX_THREADS
                                                                      : (unsigned)cores;
    }
    /* A live interface, and frames held for --write-flagged (standard
     * input or an interface: every frame goes to the flagged writer), stay
     * on one thread. */
    if (cli.iface || mw_flagged_is_live(cli.flagged))
        threads = 1;
    mw_sessions *sessions = NULL;
    mw_worker *w = NULL;
    if (threads > 1) {
        cli.par = mw_par_new(threads, &cli.cfg, &scfg);
    } else {
        sessions = mw_sessions_new(&scfg);
        cli.sessions = sessions;
        w = sessions ? mw_worker_new(&cli.cfg, mw_sessions_consumer(sessions), sessions) : NULL;
    }
    if (!w && !cli.par) {
        fprintf(stderr, "mitmwatch: out of memory creating the flow table "
                        "(--max-flows %" PRIu32 ") or starting nDPI\n",
                cli.cfg.flow.max_flows);
        (void)mw_baseline_close(baseline);
        mw_certdir_close(certs);
        (void)mw_csv_close(cli.csv);
        mw_flagged_free(cli.flagged);
        mw_summary_free(cli.summary);
        if (cli.output_path)
            fclose(cli.events);
        cli.status = EXIT_FATAL;
        goto done;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    start_progress(&cli);
    if (cli.iface)
        run_live(&cli, w);
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
        if (cli.cfg.verbose)
            fprintf(stderr, "mitmwatch: %u worker threads; the reader waited %" PRIu64
                            " times for a full queue\n",
                    threads, mw_par_reader_waits(cli.par));
    } else {
        st = mw_worker_stats(w);
        st->session = *mw_sessions_stats(sessions);
    }
    /* A sighting the state file could not take (full disk, I/O error) is
     * an output failure: said, and the exit status shows it. */
    bool state_ok = mw_baseline_flush(baseline) && !mw_baseline_error(baseline);
    if (!state_ok)
        fprintf(stderr, "mitmwatch: state: %s: %s\n",
                cli.state_path ? cli.state_path : "(memory)",
                mw_baseline_error(baseline) ? mw_baseline_error(baseline)
                                            : "the last changes could not be saved");
    if (!mw_baseline_close(baseline) || !state_ok)
        cli.status = EXIT_FATAL;
    mw_certdir_close(certs);
    if (!mw_csv_close(cli.csv)) {
        fprintf(stderr, "mitmwatch: --csv: %s: not all rows could be written\n", cli.csv_path);
        cli.status = EXIT_FATAL;
    }
    cli.csv = NULL;
    if (cli.flagged) {
        char err[MW_CAPTURE_ERRLEN];
        if (!mw_flagged_write(cli.flagged, cli.flagged_path, &cli.cfg.capture, &out_stats, err,
                              sizeof err)) {
            fprintf(stderr, "mitmwatch: --write-flagged: %s\n", err);
            cli.status = EXIT_FATAL;
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
    if (cli.par ? !mw_par_ok(cli.par) : !mw_sessions_ok(sessions)) {
        fprintf(stderr, "mitmwatch: %s: cannot write output\n",
                cli.output_path ? cli.output_path : "standard output");
        if (cli.output_path)
            fclose(cli.events);
        mw_summary_free(cli.summary);
        cli.status = EXIT_FATAL;
        goto done;
    }
    if (cli.events) {
        mw_json *j = &cli.rec;
        mw_json_object_begin(j);
        mw_json_kv_string(j, "event", "stats");
        mw_stats_write_json_members(st, j);
        mw_json_object_end(j);
        write_or_die(&cli);
        if (fflush(cli.events) != 0 || (cli.output_path && fclose(cli.events) != 0)) {
            fprintf(stderr, "mitmwatch: cannot write output: %s\n", strerror(errno));
            mw_summary_free(cli.summary);
            cli.status = EXIT_FATAL;
            goto done;
        }
    }
    if (cli.summary) {
        mw_summary_add_counters(cli.summary, st);
        /* With --json standard output is the event stream: JSON only. */
        if (!cli.quiet && !cli.json)
            mw_summary_write_text(cli.summary, stdout, use_color(cli.color, stdout));
        if (cli.report_dir && !write_report(cli.summary, cli.report_dir))
            cli.status = EXIT_FATAL;
        mw_summary_free(cli.summary);
    }
    if (!cli.quiet)
        mw_stats_write_text(st, stderr);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "mitmwatch: cannot write output: %s\n", strerror(errno));
        cli.status = EXIT_FATAL;
    }
done:
    mw_notify_free(cli.notify);
    mw_par_free(cli.par);
    mw_worker_free(w);
    mw_sessions_free(sessions);
    mw_rules_free(rules);
    free_args(&cli);
    if (g_stop_signal)
        return 128 + g_stop_signal;
    return cli.status;
}
