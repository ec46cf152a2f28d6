/*
 * options.c - the command line: usage text, getopt_long table, values.
 */
#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture/capture.h"
#include "cli/version.h"

void mw_cli_init(mw_cli *cli)
{
    memset(cli, 0, sizeof *cli);
    cli->color = -1;
    cli->report_interval = 300;
    mw_config_defaults(&cli->cfg);
    mw_json_init(&cli->rec);
}

static void add_input(mw_cli *cli, const char *path)
{
    const char **in = realloc(cli->inputs, (cli->n_inputs + 1) * sizeof(*in));
    if (!in) {
        fputs("mitmwatch: out of memory\n", stderr);
        exit(MW_EXIT_FATAL);
    }
    in[cli->n_inputs++] = path;
    cli->inputs = in;
}

static void usage(FILE *out)
{
    fputs(
        "usage: mitmwatch [options] [-r FILE] FILE|DIR|- ...\n"
        "       mitmwatch [options] -i IFACE [-i IFACE ...]\n"
        "       mitmwatch merge [--report DIR] [--csv FILE] [--color WHEN] [-q] FILE ...\n"
        "\n"
        "Finds TLS interception in packet captures (pcap, pcapng; plain, gzip, xz,\n"
        "zstd or bzip2) and on live interfaces.\n"
        "\n"
        "input:\n"
        "  -r FILE                 read FILE (as a FILE operand; - is standard input)\n"
        "  -i, --interface IFACE   capture live from IFACE until SIGINT/SIGTERM\n"
        "                          (again for more interfaces, each its own capture)\n"
        "  -c COUNT                stop after COUNT packets (over all inputs)\n"
        "  -n                      accepted for tcpdump's habit: names are never resolved\n"
        "  -f, --filter EXPR       BPF filter, for files and interfaces\n"
        "  -s, --snaplen N         live: bytes kept per packet (65535)\n"
        "  -p, --no-promisc        live: do not put the interface in promiscuous mode\n"
        "      --buffer-size MIB   live: kernel capture buffer in MiB\n"
        "\n"
        "output:\n"
        "      --json              JSON Lines records on standard output\n"
        "  -o, --output FILE       JSON Lines records to FILE (appended; SIGHUP reopens)\n"
        "      --flows             a \"flow\" record for every flow\n"
        "      --vantage NAME      label the sessions with this vantage point;\n"
        "      --vantage NAME=PATH label those of input PATH (which is then read)\n"
        "      --vantage-net NAME=ADDR/BITS  label sessions whose client is in the\n"
        "                          network (checked first, in the order given)\n"
        "  -q, --quiet             events only: no summary, no counters on stderr\n"
        "      --no-progress       no progress line (shown offline when stderr is a terminal)\n"
        "      --color WHEN        colour the summary: auto (a terminal), always, never\n"
        "      --stats-interval S  a \"stats\" record every S (N[s|m|h|d]; 0 off;\n"
        "                          default 60s live, off offline); SIGUSR1: one now\n"
        "      --metrics FILE      the counters in Prometheus text format, rewritten\n"
        "                          atomically at each interval (textfile collector)\n"
        "\n"
        "report and forensics:\n"
        "      --report DIR        write DIR/summary.json and DIR/report.html\n"
        "      --report-interval S live: rewrite them every S (N[s|m|h|d]; 0 only\n"
        "                          at the stop; default 5m)\n"
        "      --bucket DURATION   timeline bucket: N[s|m|h|d] (1h)\n"
        "      --write-flagged FILE  packets of flows judged intercepted or suspicious\n"
        "      --csv FILE          a CSV row per session (for spreadsheets)\n"        "      --community-id-seed N  seed of the events' community_id (0)\n"
        "      --certs DIR         every distinct certificate seen, DIR/SHA256.pem\n"
        "      --state FILE|URL    baseline store (SQLite file, or postgresql://...)\n"
        "      --state-max SIZE    cap of the baseline store (256M)\n"
        "      --state-reset       move a --state file aside (FILE.old-STAMP), start anew\n"
        "  -v, --verbose           report every malformed packet\n"
        "      --threads N         worker threads (default: online cores - 1, at\n"
        "                          least 1; 1: no threads); live: capture sockets\n"
        "                          an interface, one PACKET_FANOUT group (default 1)\n"
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
        "2 usage error, 3 fatal error (an output failed), 130/143 stopped by\n"
        "SIGINT/SIGTERM (live: 0 after a clean stop).\n",
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
    exit(MW_EXIT_USAGE);
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
    OPT_REPORT_INTERVAL,
    OPT_COLOR,
    OPT_CERTS,
    OPT_CSV,
    OPT_COMMUNITY_ID_SEED,
    OPT_WRITE_FLAGGED,
    OPT_VANTAGE_NET,
    OPT_THREADS,
    OPT_CHECKSUMS,
    OPT_NO_PROGRESS,
    OPT_STATS_INTERVAL,
    OPT_METRICS,
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

/* A duration, or "0" for "never" (a usage error otherwise). */
static void parse_interval(const char *arg, uint64_t *out, const char *what)
{
    if (strcmp(arg, "0") == 0)
        *out = 0;
    else if (!parse_duration(arg, out))
        bad_value(what, arg);
}

int mw_cli_parse_color(const char *s)
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
        exit(MW_EXIT_FATAL);
    }
    cli->pairs = p;
    p[cli->n_pairs].name = name;
    p[cli->n_pairs].path = eq + 1;
    cli->n_pairs++;
    if (eq == arg || eq[1] == '\0')
        bad_value("--vantage (NAME or NAME=PATH)", arg);
}

void mw_cli_parse(mw_cli *cli, int argc, char **argv)
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
        {"report-interval", required_argument, NULL, OPT_REPORT_INTERVAL},
        {"color", required_argument, NULL, OPT_COLOR},
        {"certs", required_argument, NULL, OPT_CERTS},
        {"csv", required_argument, NULL, OPT_CSV},
        {"community-id-seed", required_argument, NULL, OPT_COMMUNITY_ID_SEED},
        {"write-flagged", required_argument, NULL, OPT_WRITE_FLAGGED},
        {"vantage-net", required_argument, NULL, OPT_VANTAGE_NET},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"checksums", required_argument, NULL, OPT_CHECKSUMS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
        {"metrics", required_argument, NULL, OPT_METRICS},
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
        exit(MW_EXIT_USAGE);
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
        case 'i':
            /* Several interfaces, each its own capture; the same one twice
             * would read every packet twice. */
            for (size_t k = 0; k < cli->n_ifaces; k++)
                if (strcmp(cli->ifaces[k], optarg) == 0) {
                    fprintf(stderr, "mitmwatch: -i %s given twice\n", optarg);
                    exit(MW_EXIT_USAGE);
                }
            if (cli->n_ifaces == MW_CLI_MAX_IFACES) {
                fprintf(stderr, "mitmwatch: -i %s: at most %d interfaces a run\n", optarg,
                        MW_CLI_MAX_IFACES);
                exit(MW_EXIT_USAGE);
            }
            cli->ifaces[cli->n_ifaces++] = optarg;
            cli->iface = cli->ifaces[0];
            break;
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
        case OPT_REPORT_INTERVAL:
            cli->report_interval_given = true;
            parse_interval(optarg, &cli->report_interval,
                           "--report-interval (N[s|m|h|d], 0: only at the stop)");
            break;
        case OPT_COLOR: cli->color = mw_cli_parse_color(optarg); break;
        case OPT_CERTS: cli->certs_dir = optarg; break;
        case OPT_CSV: cli->csv_path = optarg; break;
        case OPT_COMMUNITY_ID_SEED:
            if (strspn(optarg, "0123456789") != strlen(optarg) ||
                !parse_size(optarg, 65535, &v))
                bad_value("--community-id-seed (0..65535)", optarg);
            cli->community_id_seed = (uint16_t)v;
            break;
        case OPT_WRITE_FLAGGED: cli->flagged_path = optarg; break;
        case OPT_STATS_INTERVAL:
            /* 0 turns the records off (also live). */
            cli->stats_interval_given = true;
            parse_interval(optarg, &cli->stats_interval, "--stats-interval (N[s|m|h|d], 0: off)");
            break;
        case OPT_METRICS: cli->metrics_path = optarg; break;
        case OPT_VANTAGE_NET: {
            mw_vantage_net *n = realloc(cli->nets, (cli->n_nets + 1) * sizeof(*n));
            if (!n) {
                fputs("mitmwatch: out of memory\n", stderr);
                exit(MW_EXIT_FATAL);
            }
            cli->nets = n;
            if (!mw_vantage_net_parse(optarg, &n[cli->n_nets]))
                bad_value("--vantage-net (NAME=ADDRESS/BITS)", optarg);
            n[cli->n_nets].name = strndup(optarg, (size_t)(strchr(optarg, '=') - optarg));
            if (!n[cli->n_nets].name)
                exit(MW_EXIT_FATAL);
            cli->n_nets++;
            break;
        }
        case 'Z':
            if (!mw_privs_lookup(&cli->privs, optarg, perr, sizeof perr)) {
                fprintf(stderr, "mitmwatch: %s\n", perr);
                exit(MW_EXIT_USAGE);
            }
            break;
        case OPT_CONFIG: break; /* read by mw_cliconf_expand */
        case 'h': usage(stdout); exit(0);
        case 'V': mw_print_version(stdout); exit(0);
        default: usage(stderr); exit(MW_EXIT_USAGE);
        }
    }
    for (int i = optind; i < argc; i++)
        add_input(cli, argv[i]);
    if (cli->iface && (cli->n_inputs || cli->n_pairs)) {
        fprintf(stderr, "mitmwatch: -i and input files are exclusive\n");
        exit(MW_EXIT_USAGE);
    }
    if (cli->report_interval_given && (!cli->iface || !cli->report_dir)) {
        /* Offline the workers update the summary while they run; the
         * report is written once, at the end. */
        fprintf(stderr, "mitmwatch: --report-interval needs -i and --report\n");
        exit(MW_EXIT_USAGE);
    }
    if (!cli->iface && cli->n_inputs == 0 && cli->n_pairs == 0) {
        usage(stderr);
        exit(MW_EXIT_USAGE);
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
            exit(MW_EXIT_USAGE);
        }
        pcap_freecode(&prog);
        pcap_close(dead);
    }
    if (cli->json && cli->output_path) {
        fprintf(stderr, "mitmwatch: --json and -o are exclusive\n");
        exit(MW_EXIT_USAGE);
    }
}

void mw_cli_free(mw_cli *cli)
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
