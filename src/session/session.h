/*
 * session.h - from flows to TLS, DTLS and QUIC sessions, and their events.
 *
 * The consumer the pipeline feeds. For each flow it runs nDPI on the first
 * packets, finds a TLS handshake by content in the first bytes of each TCP
 * direction (so STARTTLS and other cleartext upgrades need no per-protocol
 * parser), recognises DTLS and QUIC in UDP datagrams, and writes one event
 * per session when its handshake is analyzed or its flow ends. Once both
 * the handshake and nDPI are done the flow is bypassed; a TCP flow whose
 * first bytes rule a handshake out (prefilter.h) is bypassed at once.
 *
 * The event's fields are a contract, documented in docs/output.md.
 */
#ifndef MW_SESSION_H
#define MW_SESSION_H

#include <stdbool.h>
#include <stdio.h>

#include "detect/baseline.h"
#include "output/certdir.h"
#include "output/flagged.h"
#include "flow/pipeline.h"
#include "detect/rules.h"
#include "common/stats.h"
#include "output/summary.h"

/* How far into each TCP direction a handshake may begin: room for SMTP,
 * IMAP, POP3, FTP, XMPP, LDAP, IRC, PostgreSQL, MySQL and RDP preambles. */
#define MW_SESSION_SCAN_BYTES ((size_t)16 * 1024)
/* UDP datagrams per flow examined for DTLS or QUIC (STUN may come first). */
#define MW_SESSION_SCAN_DATAGRAMS 32u

/* --vantage-net NAME=CIDR: sessions whose client is in the network get
 * that vantage label (a tap watching several client networks). */
typedef struct mw_vantage_net {
    const char *name;
    mw_addr net;
    unsigned prefix; /* bits */
} mw_vantage_net;

/* Parses "NAME=ADDR/BITS" (or a bare ADDR: all bits); false if malformed. */
bool mw_vantage_net_parse(const char *arg, mw_vantage_net *out);
/* Whether a is in n (same family, first n->prefix bits equal). vantage.c */
bool mw_vantage_net_contains(const mw_vantage_net *n, const mw_addr *a);

/* A session's judgement between its two steps (judge.c). */
typedef struct mw_judged mw_judged;

typedef struct mw_session_config {
    const char *vantage; /* --vantage, or NULL */
    const mw_vantage_net *vantage_nets; /* checked first, in order */
    size_t n_vantage_nets;
    FILE *events;        /* JSON Lines, or NULL */
    FILE *text;          /* a readable line per session, or NULL */
    bool flow_records;   /* also a "flow" record per flow (--flows) */
    uint16_t community_id_seed; /* --community-id-seed (0) */
    /* Detection rules and trust store (read only, outlive the sessions);
     * NULL: no verdicts (the fields are written as null). */
    const mw_rules *rules;
    /* Optional, owned by the caller; NULL: not used. */
    mw_baseline *baseline; /* history for CLONED_CERT, CHAIN_CHANGED, ... */
    mw_summary *summary;   /* every judged session is added */
    struct mw_csv *csv;    /* a row per session (--csv) */
    mw_certdir *certs;     /* every certificate is written (--certs) */
    mw_flagged *flagged;   /* intercepted and suspicious flows (--write-flagged) */
    mw_stats *output_stats; /* where certdir counts (its output group) */
    /* --threads N: several mw_sessions share the sinks above (baseline,
     * summary, certs, flagged, events, text, output_stats). sink_enter is
     * called before a flow's session or flow record uses any of them and
     * sink_leave after; the caller makes that a turn taken in one fixed
     * order (cli/parallel.h). NULL: one thread, nothing is called. */
    void (*sink_enter)(void *arg, const mw_flow *flow);
    void (*sink_leave)(void *arg);
    /* Or, instead of the whole judgement inside the turn: the part that
     * needs nothing shared is done, and the rest handed over as a
     * mw_judged for the same flow's turn; the caller runs it with
     * mw_judged_run, on this thread, when the turn comes (before it
     * takes any later turn with sink_enter). NULL: taken at once. */
    void (*sink_defer)(void *arg, const mw_flow *flow, mw_judged *jb);
    void *sink_arg;
} mw_session_config;

typedef struct mw_sessions mw_sessions;

/* The judgement handed over by sink_defer, in its turn: the verdict, the
 * baseline, summary and CSV, and the event. jb is given back. */
void mw_judged_run(mw_sessions *s, mw_judged *jb);

/* NULL when out of memory or nDPI cannot start. */
mw_sessions *mw_sessions_new(const mw_session_config *cfg);
void mw_sessions_free(mw_sessions *s);

/* This consumer's counters, for the run's mw_stats.session. */
const mw_session_stats *mw_sessions_stats(mw_sessions *s);

/* The consumer to give mw_worker_new(), with the mw_sessions as its arg.
 * Call it after the flagged writer is set up (live mode sees frames). */
const mw_consumer *mw_sessions_consumer(const mw_sessions *s);

/* The vantage label of the sessions from now on (each input may have its
 * own: --vantage NAME=PATH); NULL for none. The string must outlive them. */
void mw_sessions_set_vantage(mw_sessions *s, const char *vantage);

/* False once an output write has failed (the run should stop). */
bool mw_sessions_ok(const mw_sessions *s);

#endif /* MW_SESSION_H */
