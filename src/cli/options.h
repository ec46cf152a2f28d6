/*
 * options.h - the command line of a run: its options, parsed.
 *
 * mw_cli holds what the options say and, filled in later by main.c, the
 * outputs and workers of the run. Parsing is strict: a bad value, an
 * unknown option or a conflict is a usage error (exit status 2, after a
 * message); --help and --version print and exit 0.
 */
#ifndef MW_CLI_OPTIONS_H
#define MW_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/config.h"
#include "cli/notify.h"
#include "cli/parallel.h"
#include "cli/privs.h"
#include "cli/progress.h"
#include "common/json.h"
#include "detect/baseline.h"
#include "flow/pipeline.h"
#include "output/csv.h"
#include "output/flagged.h"
#include "output/summary.h"
#include "session/session.h"

/* Exit statuses (docs/usage.md, mitmwatch(1)), one rule offline and live.
 * FAILED: the run went on, but an input was not read to its end or an
 * output was not written (the message on stderr says which); the results
 * are incomplete, not wrong. FATAL only where the run cannot be trusted
 * to go on at all: out of memory, or the privileges not dropped. */
#define MW_EXIT_FAILED 1
#define MW_EXIT_USAGE 2
#define MW_EXIT_FATAL 3

/* -i given this many times at most. */
#define MW_CLI_MAX_IFACES 16

typedef struct mw_cli {
    mw_config cfg;
    mw_json rec;
    const char *iface; /* the first -i (NULL: offline) */
    /* Every -i, in order (each its own capture: cli/live.h). */
    const char *ifaces[MW_CLI_MAX_IFACES];
    size_t n_ifaces;
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
    uint64_t report_interval; /* --report-interval, seconds (0: at the stop) */
    uint64_t last_report_ms;  /* when the live report was last written */
    uint64_t stats_interval; /* --stats-interval, seconds (0: off) */
    const char *certs_dir;   /* --certs */
    const char *csv_path;    /* --csv */
    mw_csv *csv;
    const char *flagged_path; /* --write-flagged */
    const char *metrics_path; /* --metrics */
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
    struct mw_ops *ops;      /* flushing, SIGHUP, stats records (cli/ops.h) */
    mw_stats *out_stats;     /* the outputs' counters */
    const char *cur_vantage; /* the vantage of the input being read */
    /* The inputs to read, in order: every -r FILE as given, then the
     * positional arguments (NAME=PATH pairs come after, see main). */
    const char **inputs;
    size_t n_inputs;
    uint64_t max_packets;  /* -c: stop after this many (0: no limit) */
    uint64_t packets_read; /* towards -c, over all inputs */
    uint64_t run_packets;  /* records of the inputs already read (flow_id) */
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
    bool stats_interval_given; /* else 60 s live, off offline */
    bool report_interval_given;
} mw_cli;

/* Zeroes cli and sets the defaults (mw_config_defaults, --color auto). */
void mw_cli_init(mw_cli *cli);

/* Parses argv into cli; exits with MW_EXIT_USAGE (after a message) on a
 * bad command line, 0 after --help or --version. */
void mw_cli_parse(mw_cli *cli, int argc, char **argv);

/* --color's value: -1 auto, 0 never, 1 always; a usage error otherwise. */
int mw_cli_parse_color(const char *s);

/* Frees what mw_cli_parse allocated, and the record buffer. */
void mw_cli_free(mw_cli *cli);

#endif /* MW_CLI_OPTIONS_H */
