/*
 * baseline.h - what earlier sessions showed, for evidence that needs
 * history: CLONED_CERT, CHAIN_CHANGED, VERSION_DOWNGRADE,
 * SERVER_FINGERPRINT_CHANGED.
 *
 * A SQLite database, or a PostgreSQL one (baseline_pg.h) with the same
 * tables (docs/state.md has the schema): per name and server
 * the chains seen, with first and last time, session counts per verdict
 * and whether the chain was genuine (it validated at capture time and no
 * rogue or pin evidence fired); the leaf certificates themselves; and the
 * versions servers negotiated with clients that offered TLS 1.3; and
 * the JA3S each server answered each JA3 with.
 *
 * Without a file (--state) it lives in memory for one run, so a run still
 * learns from its own earlier sessions. With a file, runs learn from each
 * other: writes are batched in short transactions (WAL journal, a busy
 * timeout) so several runs may share one file at once without corrupting
 * it. Its size is capped (max_bytes); sightings past the cap are counted
 * (output.baseline_full), not recorded.
 */
#ifndef MW_BASELINE_H
#define MW_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "common/stats.h"

typedef struct mw_baseline mw_baseline;

/* path NULL: in memory; "postgresql://...", "postgres://..." or
 * "pg:CONNINFO": the PostgreSQL backend (baseline_pg.h). NULL on error
 * with "PATH: what" in err (a password in PATH masked). */
mw_baseline *mw_baseline_open(const char *path, uint64_t max_bytes, mw_output_stats *st,
                              char *err, size_t errlen);
/* The first failure to record (a full disk, an I/O error; not the size
 * cap) as "cause", or NULL when there was none. */
const char *mw_baseline_error(const mw_baseline *b);
/* The store as it may be shown: the path, "(memory)", or the PostgreSQL
 * connection string with any password masked. */
const char *mw_baseline_name(const mw_baseline *b);
/* What the sessions are judged against, for summary.json's "baselines":
 * "none" (in memory, this run only), "sqlite" or "postgresql". */
const char *mw_baseline_kind(const mw_baseline *b);
/* The store's identity, 32 hex digits made once in the store on first use
 * (a new one every run in memory), or NULL when it could not be read. */
const char *mw_baseline_id(const mw_baseline *b);
/* --state-reset: renames PATH (and its -wal, -shm) to PATH.old-STAMP, the
 * new name in aside ("" when PATH did not exist). False with err on error. */
bool mw_baseline_set_aside(const char *path, char *aside, size_t asidelen, char *err,
                           size_t errlen);
/* Commits what is pending and closes; false when the commit failed. */
bool mw_baseline_close(mw_baseline *b);
/* Commits what is pending (end of an input; the state file is then
 * current for other runs). */
bool mw_baseline_flush(mw_baseline *b);

/* A leaf identity: what CLONED_CERT compares. */
typedef struct mw_leaf_names {
    char *subject; /* RFC 2253 */
    char *issuer;
    char *san;     /* DNS names (lowercase) and IP addresses, sorted, ',' between */
    char spki_sha256[65];
    char sha256[65];
} mw_leaf_names;
bool mw_leaf_names_of(X509 *leaf, mw_leaf_names *out);
/* n bytes as 2n lowercase hex digits and a NUL. */
void mw_hex(const unsigned char *d, size_t n, char *out);
void mw_leaf_names_free(mw_leaf_names *n);

#define MW_HISTORY_MAX_ISSUERS 4

/* What the baseline knows that bears on one session. */
typedef struct mw_history {
    /* CLONED_CERT candidate: a genuine leaf recorded for this name or this
     * server with the same subject and SAN, another key and issuer. */
    X509 *twin;                /* owned by the history; NULL: none */
    char twin_name[256];       /* where it was seen: name and server */
    char twin_server[64];
    int64_t twin_first, twin_last;
    /* CHAIN_CHANGED: issuers of genuine chains recorded for this name and
     * server, most recent first. */
    struct {
        char issuer[256];
        int64_t first, last;
        uint64_t sessions;
    } issuers[MW_HISTORY_MAX_ISSUERS];
    size_t n_issuers;
    /* VERSION_DOWNGRADE: a name for which this server negotiated TLS 1.3
     * with a client offering it, or "" when none is recorded. */
    char tls13_name[256];
    int64_t tls13_last;
    /* SERVER_FINGERPRINT_CHANGED: the JA3S this server answered the same
     * client hello (JA3) with in sessions without evidence, most sessions
     * first; this session's own JA3S first when it is one of them. */
    struct {
        char ja3s[33];
        int64_t last;
        uint64_t sessions;
    } server_fps[MW_HISTORY_MAX_ISSUERS];
    size_t n_server_fps;
} mw_history;

/* What this session is: the key of every lookup and of what is recorded. */
typedef struct mw_sighting {
    const char *name;   /* SNI text (escaped), "" without one */
    const char *server; /* "192.0.2.1:443", "[2001:db8::1]:443" */
    int64_t time;       /* seconds since the epoch */
    X509 *leaf;         /* NULL: no chain */
    /* The leaf's names (mw_leaf_names_of), computed once by the caller for
     * both the lookup and the record; NULL when there is no leaf. */
    const struct mw_leaf_names *leaf_names;
    const uint8_t *leaf_der;
    size_t leaf_der_len;
    const char *chain_sha256; /* over the chain's certificate hashes, hex */
    bool genuine;
    const char *verdict;  /* "intercepted", "suspicious", "clean" */
    uint16_t version;     /* negotiated; 0: none */
    bool offered_tls13;
    const char *ja3;      /* MD5 hex of the ClientHello's and ServerHello's */
    const char *ja3s;     /* fingerprints, NULL when either was not seen */
    bool evidence;        /* the verdict had reasons: not recorded as the
                           * server's own fingerprint */
} mw_sighting;

/* Fills *h (zeroed first) for this session; release with mw_history_free. */
void mw_baseline_lookup(mw_baseline *b, const mw_sighting *s, mw_history *h);
void mw_history_free(mw_history *h);

/* Records the session (its chain if it has one, its version if the client
 * offered TLS 1.3 and the server answered). */
void mw_baseline_record(mw_baseline *b, const mw_sighting *s);

#endif /* MW_BASELINE_H */
