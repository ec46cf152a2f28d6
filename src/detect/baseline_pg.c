/*
 * baseline_pg.c - see baseline_pg.h; the schema is in docs/state.md.
 */
#include "detect/baseline_pg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/err.h>

#define SCHEMA_VERSION 3 /* SQLite's user_version numbering */
#define BATCH_SIGHTINGS 2000
#define BATCH_SECONDS 1.0
#define RETRY_DEFAULT_S 60.0
#define BACKOFF_FIRST_S 0.1
#define BACKOFF_MAX_S 5.0
#define REPLAY_ATTEMPTS 20
/* Serializes schema setup between processes connecting at once. */
#define SETUP_LOCK "7310201314"
/* What a batch may hold in memory while the server is away. */
#define LOG_MAX_BYTES ((size_t)256 << 20)
#define TLS13 0x0304

/* Every text column compares bytewise ("C"), as SQLite's do, whatever the
 * database's collation: the lookups' ORDER BY give the same answers. */
#define T " TEXT COLLATE \"C\" NOT NULL"
static const char *const schema =
    "CREATE TABLE IF NOT EXISTS certs(sha256" T " PRIMARY KEY, subject" T ", issuer" T
    ", san" T ", spki_sha256" T ", der BYTEA NOT NULL);"
    "CREATE INDEX IF NOT EXISTS certs_names ON certs(subject, san);"
    "CREATE TABLE IF NOT EXISTS sightings(name" T ", server" T ", chain" T ", leaf" T
    ", genuine INTEGER NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,"
    " sessions BIGINT NOT NULL, intercepted BIGINT NOT NULL, suspicious BIGINT NOT NULL,"
    " clean BIGINT NOT NULL, PRIMARY KEY(name, server, chain));"
    "CREATE INDEX IF NOT EXISTS sightings_leaf ON sightings(leaf);"
    "CREATE TABLE IF NOT EXISTS versions(server" T ", version INTEGER NOT NULL, name" T
    ", first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, sessions BIGINT NOT NULL,"
    " PRIMARY KEY(server, version, name));"
    "CREATE TABLE IF NOT EXISTS server_fps(server" T ", ja3" T ", ja3s" T
    ", first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, sessions BIGINT NOT NULL,"
    " PRIMARY KEY(server, ja3, ja3s));";
#undef T

enum { Q_TWIN, Q_ISSUERS, Q_TLS13, Q_SERVER_FPS, Q_CERT, Q_SIGHTING, Q_VERSION, Q_FP, Q_COUNT };

/* The SQLite store's statements (baseline.c), in PostgreSQL's dialect. */
static const char *const queries[Q_COUNT] = {
    /* Where the twin was seen: its earliest sighting (SQLite takes one
     * of them), so the answer does not depend on insertion order. */
    [Q_TWIN] = "SELECT encode(c.der, 'hex'),"
               " (array_agg(s.name ORDER BY s.first_seen, s.name, s.server))[1],"
               " (array_agg(s.server ORDER BY s.first_seen, s.name, s.server))[1],"
               " MIN(s.first_seen), MAX(s.last_seen)"
               " FROM certs c JOIN sightings s ON s.leaf = c.sha256"
               " WHERE c.subject = $1 AND c.san = $2 AND c.spki_sha256 <> $3"
               " AND c.issuer <> $4 AND s.genuine = 1 AND (s.name = $5 OR s.server = $6)"
               " GROUP BY c.sha256 ORDER BY c.sha256 LIMIT 1",
    [Q_ISSUERS] = "SELECT c.issuer, MIN(s.first_seen), MAX(s.last_seen), SUM(s.sessions)"
                  " FROM sightings s JOIN certs c ON c.sha256 = s.leaf"
                  " WHERE s.name = $1 AND s.server = $2 AND s.genuine = 1"
                  " GROUP BY c.issuer ORDER BY (c.issuer = $3) DESC, 3 DESC, 1 LIMIT 4",
    [Q_TLS13] = "SELECT name, last_seen FROM versions WHERE server = $1 AND version = 772"
                " ORDER BY (name = $2), last_seen DESC, name LIMIT 1",
    [Q_SERVER_FPS] = "SELECT ja3s, last_seen, sessions FROM server_fps"
                     " WHERE server = $1 AND ja3 = $2"
                     " ORDER BY (ja3s = $3) DESC, sessions DESC, ja3s LIMIT 4",
    [Q_CERT] = "INSERT INTO certs(sha256, subject, issuer, san, spki_sha256, der)"
               " VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(sha256) DO NOTHING",
    [Q_SIGHTING] =
        "INSERT INTO sightings AS t(name, server, chain, leaf, genuine, first_seen, last_seen,"
        " sessions, intercepted, suspicious, clean)"
        " VALUES($1, $2, $3, $4, $5, $6, $6, 1, $7, $8, $9)"
        " ON CONFLICT(name, server, chain) DO UPDATE SET"
        " genuine = GREATEST(t.genuine, excluded.genuine),"
        " first_seen = LEAST(t.first_seen, excluded.first_seen),"
        " last_seen = GREATEST(t.last_seen, excluded.last_seen), sessions = t.sessions + 1,"
        " intercepted = t.intercepted + excluded.intercepted,"
        " suspicious = t.suspicious + excluded.suspicious, clean = t.clean + excluded.clean",
    [Q_VERSION] =
        "INSERT INTO versions AS t(server, version, name, first_seen, last_seen, sessions)"
        " VALUES($1, $2, $3, $4, $4, 1) ON CONFLICT(server, version, name) DO UPDATE SET"
        " first_seen = LEAST(t.first_seen, excluded.first_seen),"
        " last_seen = GREATEST(t.last_seen, excluded.last_seen), sessions = t.sessions + 1",
    [Q_FP] = "INSERT INTO server_fps AS t(server, ja3, ja3s, first_seen, last_seen, sessions)"
             " VALUES($1, $2, $3, $4, $4, 1) ON CONFLICT(server, ja3, ja3s) DO UPDATE SET"
             " first_seen = LEAST(t.first_seen, excluded.first_seen),"
             " last_seen = GREATEST(t.last_seen, excluded.last_seen),"
             " sessions = t.sessions + 1",
};
static const int n_params[Q_COUNT] = {6, 3, 2, 3, 6, 9, 4, 4};

/* One recorded session as kept until its batch commits. */
typedef struct entry {
    char *name, *server, *chain, *leaf, *subject, *issuer, *san, *spki, *ja3, *ja3s;
    unsigned char *der;
    size_t der_len, bytes;
    int64_t time;
    int genuine, verdict; /* verdict: 0 intercepted, 1 suspicious, 2 clean */
    unsigned version;
    bool has_chain, has_version, has_fp;
} entry;

struct mw_pgstore {
    char conninfo[4096];
    char display[512];
    char id[65];  /* mitmwatch_schema.store_id, read at each connection */
    PGconn *conn; /* NULL: down */
    mw_output_stats *stats;
    bool in_txn;
    struct timespec txn_start;
    entry *log; /* this batch, to replay on a new connection */
    size_t n_log, cap_log, log_bytes;
    double retry_s, backoff_s, next_try, down_since;
    bool gave_up; /* the retry window passed during this outage */
    char error[704];
};

typedef enum { R_OK, R_CONN, R_RETRY, R_FAIL } res;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&t, NULL);
}

/* ---- naming ------------------------------------------------------------ */

bool mw_pg_is_conninfo(const char *state)
{
    return state && (strncmp(state, "postgresql://", 13) == 0 ||
                     strncmp(state, "postgres://", 11) == 0 || strncmp(state, "pg:", 3) == 0);
}

static const char *conninfo_of(const char *state)
{
    return strncmp(state, "pg:", 3) == 0 ? state + 3 : state;
}

/* Masks what follows "password=" (key/value form or URI query) up to its
 * end: a space, '&', or a closing quote. */
static void mask_keyword(char *s)
{
    for (char *p = strstr(s, "password"); p; p = strstr(p + 1, "password")) {
        char *v = p + 8;
        while (*v == ' ')
            v++;
        if (*v != '=')
            continue;
        v++;
        while (*v == ' ')
            v++;
        char *e = v;
        if (*e == '\'') {
            for (e++; *e && *e != '\''; e++)
                if (*e == '\\' && e[1])
                    e++;
            if (*e)
                e++;
        } else {
            while (*e && *e != ' ' && *e != '&')
                e++;
        }
        memmove(v + 3, e, strlen(e) + 1);
        v[0] = v[1] = v[2] = '*';
    }
}

void mw_pg_display(const char *state, char *out, size_t n)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", state ? state : "");
    char *scheme = strstr(buf, "://");
    if (scheme) {
        /* URI: user:password@host -- the authority ends at '/' or '?'. */
        char *auth = scheme + 3;
        size_t alen = strcspn(auth, "/?");
        char *at = NULL;
        for (char *q = auth; q < auth + alen; q++)
            if (*q == '@')
                at = q;
        char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon) {
            memmove(colon + 4, at, strlen(at) + 1);
            colon[1] = colon[2] = colon[3] = '*';
        }
    }
    mask_keyword(buf);
    snprintf(out, n, "%s", buf);
}

/* ---- errors ------------------------------------------------------------- */

static void note_error(mw_pgstore *p, const char *what)
{
    p->stats->baseline_errors++;
    if (!p->error[0])
        snprintf(p->error, sizeof p->error, "%s", what);
}

/* libpq's message, one line. */
static const char *conn_message(PGconn *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s", c ? PQerrorMessage(c) : "out of memory");
    size_t len = strlen(buf);
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    for (char *q = buf; *q; q++)
        if (*q == '\n')
            *q = ' ';
    return buf;
}

static res classify(mw_pgstore *p, PGresult *r)
{
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
        return R_OK;
    if (PQstatus(p->conn) == CONNECTION_BAD)
        return R_CONN;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    /* deadlock_detected, serialization_failure: another process's batch
     * holds what this one wants; run it again. */
    if (state && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0))
        return R_RETRY;
    /* admin_shutdown, crash_shutdown, cannot_connect_now: the connection
     * is about to go. */
    if (state && strncmp(state, "57P", 3) == 0)
        return R_CONN;
    return R_FAIL;
}

static res exec_simple(mw_pgstore *p, const char *sql)
{
    PGresult *r = PQexec(p->conn, sql);
    res out = classify(p, r);
    if (out == R_FAIL) {
        char m[256];
        note_error(p, conn_message(p->conn, m, sizeof m));
    }
    PQclear(r);
    return out;
}

/* ---- connection and schema --------------------------------------------- */

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and the like */
}

static bool setup_schema(PGconn *c, char *id, size_t idlen, char *why, size_t n)
{
    static const char *const probe =
        "SELECT (SELECT MAX(version) FROM mitmwatch_schema),"
        " (SELECT relname FROM pg_class WHERE relname IN"
        " ('certs', 'sightings', 'versions', 'server_fps') AND pg_table_is_visible(oid)"
        " ORDER BY relname LIMIT 1)";
    char sql[2048];
    bool ok = false;
    PGresult *r = PQexec(c, "BEGIN; SELECT pg_advisory_xact_lock(" SETUP_LOCK ");"
                            " CREATE TABLE IF NOT EXISTS mitmwatch_schema(version INTEGER"
                            " NOT NULL)");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        conn_message(c, why, n);
        goto out;
    }
    PQclear(r);
    r = PQexec(c, probe);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        conn_message(c, why, n);
        goto out;
    }
    bool empty = PQgetisnull(r, 0, 0);
    long version = empty ? 0 : strtol(PQgetvalue(r, 0, 0), NULL, 10);
    if (empty && !PQgetisnull(r, 0, 1)) {
        snprintf(why, n, "not a mitmwatch baseline (the database has a table '%.64s' but no "
                         "mitmwatch_schema); use another database or schema",
                 PQgetvalue(r, 0, 1));
        goto out;
    }
    if (version > SCHEMA_VERSION) {
        snprintf(why, n, "baseline of a newer format (%ld; this is %d)", version,
                 SCHEMA_VERSION);
        goto out;
    }
    PQclear(r);
    /* Version 1 gains server_fps, as a SQLite file does; a new one gets all.
     * Version 3: the store's identity (store_id), made once, which
     * summaries record (docs/summary.md, "baselines"). */
    snprintf(sql, sizeof sql,
             "%s ALTER TABLE mitmwatch_schema ADD COLUMN IF NOT EXISTS store_id TEXT; %s;"
             " UPDATE mitmwatch_schema SET version = 3, store_id = COALESCE(store_id,"
             " replace(gen_random_uuid()::text, '-', ''))",
             schema, empty ? "INSERT INTO mitmwatch_schema(version) VALUES (3)" : "SELECT 1");
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        conn_message(c, why, n);
        goto out;
    }
    PQclear(r);
    r = PQexec(c, "SELECT store_id FROM mitmwatch_schema LIMIT 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        conn_message(c, why, n);
        goto out;
    }
    snprintf(id, idlen, "%s", PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
    PQclear(r);
    r = PQexec(c, "COMMIT");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        conn_message(c, why, n);
        goto out;
    }
    ok = true;
out:
    PQclear(r);
    if (!ok)
        PQclear(PQexec(c, "ROLLBACK"));
    return ok;
}

/* A connection with the schema in place and the statements prepared, or
 * NULL with why. */
static PGconn *connect_store(mw_pgstore *p, char *why, size_t n)
{
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
    const char *const vals[] = {"10", "mitmwatch", p->conninfo, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        conn_message(c, why, n);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet_notice, NULL);
    if (!setup_schema(c, p->id, sizeof p->id, why, n)) {
        PQfinish(c);
        return NULL;
    }
    for (int i = 0; i < Q_COUNT; i++) {
        char name[8];
        snprintf(name, sizeof name, "q%d", i);
        PGresult *r = PQprepare(c, name, queries[i], n_params[i], NULL);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            conn_message(c, why, n);
            PQfinish(c);
            return NULL;
        }
    }
    return c;
}

static void go_down(mw_pgstore *p)
{
    PQfinish(p->conn);
    p->conn = NULL;
    p->in_txn = false;
    double t = now_s();
    if (p->down_since == 0) {
        p->down_since = t;
        p->backoff_s = BACKOFF_FIRST_S;
        p->gave_up = false;
    }
    p->next_try = t + p->backoff_s;
}

/* ---- one batch ---------------------------------------------------------- */

static res run(mw_pgstore *p, int q, const char *const *vals, const int *lens,
               const int *fmts, PGresult **out)
{
    char name[8];
    snprintf(name, sizeof name, "q%d", q);
    PGresult *r = PQexecPrepared(p->conn, name, n_params[q], vals, lens, fmts, 0);
    res x = classify(p, r);
    if (x == R_FAIL) {
        char m[256];
        note_error(p, conn_message(p->conn, m, sizeof m));
    }
    if (out && x == R_OK)
        *out = r;
    else
        PQclear(r);
    return x;
}

static res put_entry(mw_pgstore *p, const entry *e)
{
    char t[24], g[4], v[8], ci[4], cs[4], cc[4];
    snprintf(t, sizeof t, "%" PRId64, e->time);
    res x = R_OK;
    if (e->has_chain) {
        const char *vals[6] = {e->leaf, e->subject, e->issuer, e->san, e->spki,
                               (const char *)e->der};
        int lens[6] = {0, 0, 0, 0, 0, (int)e->der_len}, fmts[6] = {0, 0, 0, 0, 0, 1};
        x = run(p, Q_CERT, vals, lens, fmts, NULL);
        snprintf(g, sizeof g, "%d", e->genuine);
        snprintf(ci, sizeof ci, "%d", e->verdict == 0);
        snprintf(cs, sizeof cs, "%d", e->verdict == 1);
        snprintf(cc, sizeof cc, "%d", e->verdict == 2);
        const char *sv[9] = {e->name, e->server, e->chain, e->leaf, g, t, ci, cs, cc};
        if (x == R_OK)
            x = run(p, Q_SIGHTING, sv, NULL, NULL, NULL);
    }
    if (x == R_OK && e->has_version) {
        snprintf(v, sizeof v, "%u", e->version);
        const char *vals[4] = {e->server, v, e->name, t};
        x = run(p, Q_VERSION, vals, NULL, NULL, NULL);
    }
    if (x == R_OK && e->has_fp) {
        const char *vals[4] = {e->server, e->ja3, e->ja3s, t};
        x = run(p, Q_FP, vals, NULL, NULL, NULL);
    }
    return x;
}

static void entry_free(entry *e)
{
    char **s[] = {&e->name, &e->subject, &e->issuer, &e->san, &e->server,
                  &e->chain, &e->leaf, &e->spki, &e->ja3, &e->ja3s};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        free(*s[i]);
    free(e->der);
    memset(e, 0, sizeof(*e));
}

static void drop_entry(mw_pgstore *p, size_t i)
{
    p->log_bytes -= p->log[i].bytes;
    entry_free(&p->log[i]);
    memmove(&p->log[i], &p->log[i + 1], (p->n_log - i - 1) * sizeof(*p->log));
    p->n_log--;
}

static bool begin_txn(mw_pgstore *p)
{
    if (p->in_txn)
        return true;
    res x = exec_simple(p, "BEGIN");
    if (x == R_CONN)
        go_down(p);
    if (x != R_OK)
        return false;
    p->in_txn = true;
    clock_gettime(CLOCK_MONOTONIC, &p->txn_start);
    return true;
}

/* The batch again in a new transaction after a rollback: a deadlock, a
 * new connection, or an entry the server refused (dropped, counted). */
static bool replay(mw_pgstore *p)
{
    for (int attempt = 0; p->conn && attempt < REPLAY_ATTEMPTS; attempt++) {
        if (p->in_txn)
            PQclear(PQexec(p->conn, "ROLLBACK"));
        p->in_txn = false;
        if (!begin_txn(p))
            return false;
        res x = R_OK;
        size_t i = 0;
        for (; i < p->n_log && x == R_OK; i++)
            x = put_entry(p, &p->log[i]);
        if (x == R_OK)
            return true;
        if (x == R_CONN) {
            go_down(p);
            return false;
        }
        if (x == R_FAIL) {
            drop_entry(p, i - 1);
            p->stats->baseline_unstored++;
        } else {
            sleep_s(0.01 * (attempt + 1)); /* a deadlock: let the other finish */
        }
        p->stats->baseline_replayed += i;
    }
    return false;
}

/* A new connection, when one is due (or, with wait, until the retry window
 * of this outage has passed); the batch replayed on it. */
static bool reconnect(mw_pgstore *p, bool wait)
{
    while (!p->conn) {
        double t = now_s();
        double deadline = p->down_since + p->retry_s;
        /* Waiting: the last try falls on the end of the window. */
        if (wait && !p->gave_up && p->next_try > deadline)
            p->next_try = deadline > t ? deadline : t;
        if (t < p->next_try) {
            if (!wait || p->gave_up)
                break;
            sleep_s(p->next_try - t);
            continue;
        }
        char why[512];
        p->conn = connect_store(p, why, sizeof why);
        if (p->conn) {
            p->stats->baseline_reconnects++;
            p->down_since = 0;
            p->gave_up = false;
            p->stats->baseline_replayed += p->n_log;
            if (p->n_log && !replay(p))
                continue; /* lost again (go_down set the next try) */
            return true;
        }
        p->backoff_s = p->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : p->backoff_s * 2;
        p->next_try = now_s() + p->backoff_s;
        if (now_s() >= deadline && !p->gave_up) {
            p->gave_up = true;
            char m[640];
            snprintf(m, sizeof m, "server unreachable for %.0f s (%s)", p->retry_s, why);
            note_error(p, m);
        }
        if (!wait || p->gave_up)
            break;
    }
    return p->conn != NULL;
}

static bool commit(mw_pgstore *p)
{
    for (int attempt = 0; attempt < REPLAY_ATTEMPTS; attempt++) {
        if (!p->conn || !p->in_txn)
            return p->conn != NULL || p->n_log == 0;
        PGresult *r = PQexec(p->conn, "COMMIT");
        res x = classify(p, r);
        /* A transaction that failed earlier answers COMMIT with ROLLBACK. */
        bool done = x == R_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
        PQclear(r);
        p->in_txn = false;
        if (done) {
            for (size_t i = 0; i < p->n_log; i++) {
                p->stats->baseline_chains_recorded += p->log[i].has_chain;
                entry_free(&p->log[i]);
            }
            p->n_log = 0;
            p->log_bytes = 0;
            return true;
        }
        if (x == R_CONN) {
            go_down(p);
            return false;
        }
        if (!replay(p))
            return false;
    }
    return false;
}

/* ---- the backend's API -------------------------------------------------- */

mw_pgstore *mw_pg_open(const char *state, mw_output_stats *st, char *err, size_t errlen)
{
    mw_pgstore *p = calloc(1, sizeof(*p));
    char display[512];
    mw_pg_display(state, display, sizeof display);
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", display);
        return NULL;
    }
    snprintf(p->display, sizeof p->display, "%s", display);
    if ((size_t)snprintf(p->conninfo, sizeof p->conninfo, "%s", conninfo_of(state)) >=
        sizeof p->conninfo) {
        snprintf(err, errlen, "%s: connection string too long", display);
        free(p);
        return NULL;
    }
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(p->conninfo, &perr);
    bool password = false;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        password |= strcmp(o->keyword, "password") == 0 && o->val && o->val[0];
    PQconninfoFree(opts);
    if (!opts || password) {
        char why[256];
        snprintf(why, sizeof why, "%s", perr ? perr : "cannot parse the connection string");
        why[strcspn(why, "\n")] = '\0';
        mask_keyword(why);
        snprintf(err, errlen, "%s: %s", display,
                 password ? "a password in --state is refused (it would show in ps and "
                            "shell history); use PGPASSWORD or ~/.pgpass"
                          : why);
        PQfreemem(perr);
        free(p);
        return NULL;
    }
    PQfreemem(perr);
    const char *env = getenv("MITMWATCH_STATE_RETRY");
    p->retry_s = env && *env ? strtod(env, NULL) : RETRY_DEFAULT_S;
    if (p->retry_s < 0)
        p->retry_s = 0;
    p->stats = st;
    char why[512];
    p->conn = connect_store(p, why, sizeof why);
    if (!p->conn) {
        snprintf(err, errlen, "%s: %s", display, why);
        free(p);
        return NULL;
    }
    PGresult *r = PQexec(p->conn, "SELECT COUNT(*) FROM sightings");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        st->baseline_chains_known = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return p;
}

const char *mw_pg_store_id(const mw_pgstore *p)
{
    return p ? p->id : "";
}

const char *mw_pg_error(const mw_pgstore *p)
{
    return p && p->error[0] ? p->error : NULL;
}

/* PostgreSQL's text must be valid UTF-8: other bytes as \xNN (SQLite keeps
 * them as they are; names of this kind are rare). */
static char *text_copy(const char *s, size_t *bytes)
{
    s = s ? s : "";
    size_t n = strlen(s);
    char *out = malloc(n * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                                  : (c & 0xf8) == 0xf0 ? 4 : 0;
        bool ok = len > 0 && i + len <= n && !(len == 2 && c < 0xc2);
        for (size_t k = 1; ok && k < len; k++)
            ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
        if (ok) {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        } else {
            o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
            i++;
        }
    }
    out[o] = '\0';
    *bytes += o + 1;
    return out;
}

static bool entry_of(const mw_sighting *s, entry *e)
{
    memset(e, 0, sizeof(*e));
    const mw_leaf_names *ln = s->leaf_names;
    e->has_chain = s->leaf && ln && s->leaf_der && s->leaf_der_len && s->chain_sha256 &&
                   s->verdict;
    e->has_version = s->offered_tls13 && s->version;
    e->has_fp = s->ja3 && s->ja3s && !s->evidence;
    if (!e->has_chain && !e->has_version && !e->has_fp)
        return false;
    e->time = s->time;
    e->version = s->version;
    e->genuine = s->genuine;
    e->verdict = !s->verdict                            ? 3
                 : strcmp(s->verdict, "intercepted") == 0 ? 0
                 : strcmp(s->verdict, "suspicious") == 0  ? 1
                 : strcmp(s->verdict, "clean") == 0       ? 2
                                                          : 3;
    e->bytes = sizeof(*e);
    e->name = text_copy(s->name, &e->bytes);
    e->server = text_copy(s->server, &e->bytes);
    bool ok = e->name && e->server;
    if (e->has_chain && ln) {
        e->chain = text_copy(s->chain_sha256, &e->bytes);
        e->leaf = text_copy(ln->sha256, &e->bytes);
        e->subject = text_copy(ln->subject, &e->bytes);
        e->issuer = text_copy(ln->issuer, &e->bytes);
        e->san = text_copy(ln->san, &e->bytes);
        e->spki = text_copy(ln->spki_sha256, &e->bytes);
        e->der = malloc(s->leaf_der_len ? s->leaf_der_len : 1);
        if (e->der && s->leaf_der)
            memcpy(e->der, s->leaf_der, s->leaf_der_len);
        e->der_len = s->leaf_der_len;
        e->bytes += s->leaf_der_len;
        ok = ok && e->chain && e->leaf && e->subject && e->issuer && e->san && e->spki &&
             e->der;
    }
    if (e->has_fp) {
        e->ja3 = text_copy(s->ja3, &e->bytes);
        e->ja3s = text_copy(s->ja3s, &e->bytes);
        ok = ok && e->ja3 && e->ja3s;
    }
    if (!ok)
        entry_free(e);
    return ok;
}

void mw_pg_record(mw_pgstore *p, const mw_sighting *s)
{
    entry e;
    if (!entry_of(s, &e))
        return; /* nothing to record (or no memory for it: counted below) */
    if (p->log_bytes + e.bytes > LOG_MAX_BYTES || p->n_log == SIZE_MAX / sizeof(entry)) {
        entry_free(&e);
        p->stats->baseline_unstored++;
        note_error(p, "the server was away too long: sightings held in memory reached "
                      "their cap");
        return;
    }
    if (p->n_log == p->cap_log) {
        size_t cap = p->cap_log ? p->cap_log * 2 : 256;
        entry *n = realloc(p->log, cap * sizeof(*n));
        if (!n) {
            entry_free(&e);
            p->stats->baseline_unstored++;
            note_error(p, "out of memory");
            return;
        }
        p->log = n;
        p->cap_log = cap;
    }
    p->log[p->n_log++] = e;
    p->log_bytes += e.bytes;
    if (!p->conn) {
        (void)reconnect(p, false); /* replays the batch, this one too */
        return;
    }
    if (!begin_txn(p))
        return;
    res x = put_entry(p, &p->log[p->n_log - 1]);
    if (x == R_CONN) {
        go_down(p);
        return;
    }
    if (x == R_FAIL) {
        drop_entry(p, p->n_log - 1);
        p->stats->baseline_unstored++;
    }
    if (x != R_OK && !replay(p))
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double age = (double)(now.tv_sec - p->txn_start.tv_sec) +
                 (double)(now.tv_nsec - p->txn_start.tv_nsec) / 1e9;
    if (p->n_log >= BATCH_SIGHTINGS || age > BATCH_SECONDS)
        (void)commit(p);
}

/* ---- lookups ------------------------------------------------------------ */

static int64_t int_at(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static X509 *x509_of_hex(const char *hex)
{
    size_t n = strlen(hex) / 2;
    unsigned char *der = n ? malloc(n) : NULL;
    if (!der)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        (void)sscanf(hex + 2 * i, "%2x", &v);
        der[i] = (unsigned char)v;
    }
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, (long)n);
    ERR_clear_error();
    free(der);
    return x;
}

/* One lookup; NULL when the store did not answer (counted). */
static PGresult *query(mw_pgstore *p, int q, const char *const *vals, bool *offline)
{
    PGresult *r = NULL;
    if (*offline)
        return NULL;
    char *fixed[6] = {0};
    const char *use[6] = {0};
    size_t ignored = 0;
    for (int i = 0; i < n_params[q]; i++) {
        fixed[i] = text_copy(vals[i], &ignored);
        use[i] = fixed[i] ? fixed[i] : "";
    }
    res x = run(p, q, use, NULL, NULL, &r);
    for (int i = 0; i < n_params[q]; i++)
        free(fixed[i]);
    if (x == R_CONN)
        go_down(p);
    else if (x != R_OK && p->in_txn)
        (void)replay(p); /* the failed lookup aborted the batch */
    if (x != R_OK) {
        *offline = true;
        p->stats->baseline_lookups_offline++;
    }
    return r;
}

void mw_pg_lookup(mw_pgstore *p, const mw_sighting *s, mw_history *h)
{
    if (!p->conn && !reconnect(p, false)) {
        p->stats->baseline_lookups_offline++;
        return;
    }
    bool offline = false;
    const mw_leaf_names *ln = s->leaf_names;
    if (s->leaf && ln && (ln->subject[0] || ln->san[0])) {
        const char *v[6] = {ln->subject, ln->san, ln->spki_sha256, ln->issuer, s->name,
                            s->server};
        PGresult *r = query(p, Q_TWIN, v, &offline);
        if (r && PQntuples(r) == 1) {
            h->twin = x509_of_hex(PQgetvalue(r, 0, 0));
            snprintf(h->twin_name, sizeof h->twin_name, "%s", PQgetvalue(r, 0, 1));
            snprintf(h->twin_server, sizeof h->twin_server, "%s", PQgetvalue(r, 0, 2));
            h->twin_first = int_at(r, 0, 3);
            h->twin_last = int_at(r, 0, 4);
        }
        PQclear(r);
    }
    if (s->leaf && ln) {
        const char *v[3] = {s->name, s->server, ln->issuer};
        PGresult *r = query(p, Q_ISSUERS, v, &offline);
        for (int i = 0; r && i < PQntuples(r) && h->n_issuers < MW_HISTORY_MAX_ISSUERS; i++) {
            size_t k = h->n_issuers++;
            snprintf(h->issuers[k].issuer, sizeof h->issuers[k].issuer, "%s",
                     PQgetvalue(r, i, 0));
            h->issuers[k].first = int_at(r, i, 1);
            h->issuers[k].last = int_at(r, i, 2);
            h->issuers[k].sessions = (uint64_t)int_at(r, i, 3);
        }
        PQclear(r);
    }
    if (s->offered_tls13 && s->version && s->version < TLS13) {
        const char *v[2] = {s->server, s->name};
        PGresult *r = query(p, Q_TLS13, v, &offline);
        if (r && PQntuples(r) == 1) {
            snprintf(h->tls13_name, sizeof h->tls13_name, "%s", PQgetvalue(r, 0, 0));
            h->tls13_last = int_at(r, 0, 1);
            if (h->tls13_name[0] == '\0')
                snprintf(h->tls13_name, sizeof h->tls13_name, "(no SNI)");
        }
        PQclear(r);
    }
    if (s->ja3 && s->ja3s) {
        const char *v[3] = {s->server, s->ja3, s->ja3s};
        PGresult *r = query(p, Q_SERVER_FPS, v, &offline);
        for (int i = 0; r && i < PQntuples(r) && h->n_server_fps < MW_HISTORY_MAX_ISSUERS;
             i++) {
            size_t k = h->n_server_fps++;
            snprintf(h->server_fps[k].ja3s, sizeof h->server_fps[k].ja3s, "%s",
                     PQgetvalue(r, i, 0));
            h->server_fps[k].last = int_at(r, i, 1);
            h->server_fps[k].sessions = (uint64_t)int_at(r, i, 2);
        }
        PQclear(r);
    }
}

/* ---- end of a batch, of the run ---------------------------------------- */

bool mw_pg_flush(mw_pgstore *p)
{
    if (!p->conn && p->n_log == 0)
        return true; /* nothing waits: reconnect when something does */
    if (!p->conn && !reconnect(p, true))
        return false;
    return commit(p);
}

bool mw_pg_close(mw_pgstore *p)
{
    bool ok = mw_pg_flush(p);
    if (p->n_log) {
        p->stats->baseline_unstored += p->n_log;
        char m[640];
        snprintf(m, sizeof m, "%zu sightings could not be stored", p->n_log);
        note_error(p, m);
        ok = false;
    }
    for (size_t i = 0; i < p->n_log; i++)
        entry_free(&p->log[i]);
    free(p->log);
    PQfinish(p->conn);
    free(p);
    return ok;
}
