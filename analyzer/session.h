/*
 * session.h - from flows to TLS, DTLS and QUIC sessions, and their events.
 *
 * The consumer the pipeline feeds. For each flow it runs nDPI on the first
 * packets, finds a TLS handshake by content in the first bytes of each TCP
 * direction (so STARTTLS and other cleartext upgrades need no per-protocol
 * parser), recognises DTLS and QUIC in UDP datagrams, and writes one event
 * per session when its handshake is analyzed or its flow ends. Once both
 * the handshake and nDPI are done the flow is bypassed.
 *
 * The event's fields are a contract, documented in docs/output.md.
 */
#ifndef MW_SESSION_H
#define MW_SESSION_H

#include <stdbool.h>
#include <stdio.h>

#include "pipeline.h"
#include "rules.h"
#include "stats.h"

/* How far into each TCP direction a handshake may begin: room for SMTP,
 * IMAP, POP3, FTP, XMPP, LDAP, IRC, PostgreSQL, MySQL and RDP preambles. */
#define MW_SESSION_SCAN_BYTES ((size_t)16 * 1024)
/* UDP datagrams per flow examined for DTLS or QUIC (STUN may come first). */
#define MW_SESSION_SCAN_DATAGRAMS 32u

typedef struct mw_session_config {
    const char *vantage; /* --vantage, or NULL */
    FILE *events;        /* JSON Lines, or NULL */
    FILE *text;          /* a readable line per session, or NULL */
    bool flow_records;   /* also a "flow" record per flow (--flows) */
    /* Detection rules and trust store (read only, outlive the sessions);
     * NULL: no verdicts (the fields are written as null). */
    const mw_rules *rules;
} mw_session_config;

typedef struct mw_sessions mw_sessions;

/* NULL when out of memory or nDPI cannot start. */
mw_sessions *mw_sessions_new(const mw_session_config *cfg);
void mw_sessions_free(mw_sessions *s);

/* This consumer's counters, for the run's mw_stats.session. */
const mw_session_stats *mw_sessions_stats(mw_sessions *s);

/* The consumer to give mw_worker_new(), with the mw_sessions as its arg. */
const mw_consumer *mw_sessions_consumer(void);

/* False once an output write has failed (the run should stop). */
bool mw_sessions_ok(const mw_sessions *s);

#endif /* MW_SESSION_H */
