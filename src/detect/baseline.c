/*
 * baseline.c - see baseline.h; the schema is documented in docs/state.md.
 */
#include "detect/baseline.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "common/crypto.h"
#include "detect/baseline_pg.h"
#include "detect/rules.h"

#define SCHEMA_VERSION 3
/* A write transaction is committed after this many sightings or this long,
 * whichever comes first, so other runs sharing the file wait briefly. */
#define BATCH_SIGHTINGS 2000
#define BATCH_SECONDS 1.0
#define BUSY_TIMEOUT_MS 60000
#define TLS13 0x0304

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS certs("
    " sha256 TEXT PRIMARY KEY, subject TEXT NOT NULL, issuer TEXT NOT NULL,"
    " san TEXT NOT NULL, spki_sha256 TEXT NOT NULL, der BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS certs_names ON certs(subject, san);"
    "CREATE TABLE IF NOT EXISTS sightings("
    " name TEXT NOT NULL, server TEXT NOT NULL, chain TEXT NOT NULL, leaf TEXT NOT NULL,"
    " genuine INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    " sessions INTEGER NOT NULL, intercepted INTEGER NOT NULL,"
    " suspicious INTEGER NOT NULL, clean INTEGER NOT NULL,"
    " PRIMARY KEY(name, server, chain)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS sightings_leaf ON sightings(leaf);"
    "CREATE TABLE IF NOT EXISTS versions("
    " server TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, sessions INTEGER NOT NULL,"
    " PRIMARY KEY(server, version, name)) WITHOUT ROWID;"
    /* Version 2: the JA3S a server answered a JA3 with (sessions without
     * evidence only). A version 1 file gains the table on first open. */
    "CREATE TABLE IF NOT EXISTS server_fps("
    " server TEXT NOT NULL, ja3 TEXT NOT NULL, ja3s TEXT NOT NULL,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, sessions INTEGER NOT NULL,"
    " PRIMARY KEY(server, ja3, ja3s)) WITHOUT ROWID;"
    /* Version 3: the store's identity, made once, so a summary can say
     * which baseline its sessions were judged against and `merge` can
     * tell summaries of one shared baseline from those of separate ones.
     * An in-memory baseline gets a new one every run: it is separate. */
    "CREATE TABLE IF NOT EXISTS mitmwatch_store(id TEXT NOT NULL);"
    "INSERT INTO mitmwatch_store SELECT lower(hex(randomblob(16)))"
    " WHERE NOT EXISTS (SELECT 1 FROM mitmwatch_store);";

enum {
    ST_TWIN,
    ST_ISSUERS,
    ST_TLS13,
    ST_SERVER_FPS,
    ST_PUT_CERT,
    ST_PUT_SIGHTING,
    ST_PUT_VERSION,
    ST_PUT_SERVER_FP,
    ST_COUNT
};

static const char *const statements[ST_COUNT] = {
    /* A genuine leaf with this leaf's names but another key and issuer,
     * seen for this name or at this server; the smallest hash, so the
     * answer does not depend on insertion order. */
    [ST_TWIN] = "SELECT c.der, s.name, s.server, MIN(s.first_seen), MAX(s.last_seen)"
                " FROM certs c JOIN sightings s ON s.leaf = c.sha256"
                " WHERE c.subject = ?1 AND c.san = ?2 AND c.spki_sha256 <> ?3"
                " AND c.issuer <> ?4 AND s.genuine = 1 AND (s.name = ?5 OR s.server = ?6)"
                " GROUP BY c.sha256 ORDER BY c.sha256 LIMIT 1",
    /* Issuers of genuine chains for this name and server: this leaf's
     * issuer first if it is one of them, then the most recent. */
    [ST_ISSUERS] = "SELECT c.issuer, MIN(s.first_seen), MAX(s.last_seen), SUM(s.sessions)"
                   " FROM sightings s JOIN certs c ON c.sha256 = s.leaf"
                   " WHERE s.name = ?1 AND s.server = ?2 AND s.genuine = 1"
                   " GROUP BY c.issuer ORDER BY c.issuer = ?3 DESC, 3 DESC, 1 LIMIT "
                   "4",
    /* Another name (else this one) this server gave TLS 1.3. */
    [ST_TLS13] = "SELECT name, last_seen FROM versions WHERE server = ?1 AND version = 772"
                 " ORDER BY name = ?2, last_seen DESC, name LIMIT 1",
    /* The JA3S this server gave this JA3: this session's first if known,
     * then the most used. */
    [ST_SERVER_FPS] = "SELECT ja3s, last_seen, sessions FROM server_fps"
                      " WHERE server = ?1 AND ja3 = ?2"
                      " ORDER BY ja3s = ?3 DESC, sessions DESC, ja3s LIMIT 4",
    [ST_PUT_CERT] = "INSERT INTO certs(sha256, subject, issuer, san, spki_sha256, der)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sha256) DO NOTHING",
    [ST_PUT_SIGHTING] =
        "INSERT INTO sightings(name, server, chain, leaf, genuine, first_seen, last_seen,"
        " sessions, intercepted, suspicious, clean)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6, 1, ?7, ?8, ?9)"
        " ON CONFLICT(name, server, chain) DO UPDATE SET"
        " genuine = max(genuine, excluded.genuine),"
        " first_seen = min(first_seen, excluded.first_seen),"
        " last_seen = max(last_seen, excluded.last_seen), sessions = sessions + 1,"
        " intercepted = intercepted + excluded.intercepted,"
        " suspicious = suspicious + excluded.suspicious, clean = clean + excluded.clean",
    [ST_PUT_VERSION] =
        "INSERT INTO versions(server, version, name, first_seen, last_seen, sessions)"
        " VALUES(?1, ?2, ?3, ?4, ?4, 1) ON CONFLICT(server, version, name) DO UPDATE SET"
        " first_seen = min(first_seen, excluded.first_seen),"
        " last_seen = max(last_seen, excluded.last_seen), sessions = sessions + 1",
    [ST_PUT_SERVER_FP] =
        "INSERT INTO server_fps(server, ja3, ja3s, first_seen, last_seen, sessions)"
        " VALUES(?1, ?2, ?3, ?4, ?4, 1) ON CONFLICT(server, ja3, ja3s) DO UPDATE SET"
        " first_seen = min(first_seen, excluded.first_seen),"
        " last_seen = max(last_seen, excluded.last_seen), sessions = sessions + 1",
};

struct mw_baseline {
    mw_pgstore *pg; /* --state postgresql://...: every call goes there */
    char name[512]; /* the --state value as shown (a password masked) */
    char id[65];    /* mitmwatch_store.id (hex), "" when unreadable */
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    mw_output_stats *stats;
    bool in_txn;
    unsigned pending;
    struct timespec txn_start;
    /* The first failure that is not the size cap (a full disk, an I/O
     * error): the run reports it and fails (mw_baseline_error). */
    char error[256];
};

static void set_err(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: %s", path ? path : "baseline", what);
}

static void sleep_10ms(void)
{
    struct timespec ten_ms = {0, 10000000L};
    nanosleep(&ten_ms, NULL);
}

/* Setting up a file another run is setting up at the same moment (the
 * switch to WAL, the schema) can answer "locked" without calling the busy
 * handler, to avoid a deadlock between the two: wait and try again, within
 * the same bound as the busy handler. */
static int exec_patiently(sqlite3 *db, const char *sql, char **msg)
{
    int rc;
    for (int waited_ms = 0;; waited_ms += 10) {
        sqlite3_free(*msg);
        *msg = NULL;
        rc = sqlite3_exec(db, sql, NULL, NULL, msg);
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            return rc;
        if (waited_ms >= BUSY_TIMEOUT_MS)
            return rc;
        sleep_10ms();
    }
}

/* SQLite answers SQLITE_FULL, without a system error, both at the cap
 * (max_page_count) and on a full file system: the latter is told by what
 * is left on the file system of the state file. */
#define DISK_FULL_BELOW ((uint64_t)16 << 20)
static bool disk_full(const mw_baseline *b)
{
    struct statvfs vfs;
    const char *file = sqlite3_db_filename(b->db, "main");
    if (!file || !file[0] || statvfs(file, &vfs) != 0)
        return false; /* in memory: only the cap */
    return (uint64_t)vfs.f_bavail * vfs.f_frsize < DISK_FULL_BELOW;
}

static void count_error(mw_baseline *b, int rc)
{
    /* Only the cap is an expected outcome: counted, not an error. */
    int sys = sqlite3_system_errno(b->db);
    if ((rc & 0xff) == SQLITE_FULL && !disk_full(b)) {
        b->stats->baseline_full++;
    } else {
        b->stats->baseline_errors++;
        if (!b->error[0] && (rc & 0xff) == SQLITE_FULL)
            snprintf(b->error, sizeof b->error, "%s", strerror(ENOSPC));
        else if (!b->error[0])
            snprintf(b->error, sizeof b->error, "%s%s%s", sqlite3_errstr(rc),
                     sys ? ": " : "", sys ? strerror(sys) : "");
    }
    /* Some errors roll the whole transaction back: start a new one next. */
    if (sqlite3_get_autocommit(b->db))
        b->in_txn = false;
}

static bool commit(mw_baseline *b)
{
    if (!b->in_txn)
        return true;
    int rc = sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        count_error(b, rc);
        (void)sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
        b->in_txn = false;
        return false;
    }
    b->in_txn = false;
    b->pending = 0;
    return true;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* IMMEDIATE takes the write lock now, through the busy handler, instead of
 * failing when a read transaction later wants to write. */
static bool begin(mw_baseline *b)
{
    if (b->in_txn)
        return true;
    char *msg = NULL;
    int rc = exec_patiently(b->db, "BEGIN IMMEDIATE", &msg);
    sqlite3_free(msg);
    if (rc != SQLITE_OK) {
        count_error(b, rc);
        return false;
    }
    b->in_txn = true;
    b->pending = 0;
    clock_gettime(CLOCK_MONOTONIC, &b->txn_start);
    return true;
}

static bool exec_checked(sqlite3 *db, const char *sql, const char *path, char *err,
                         size_t errlen)
{
    char *msg = NULL;
    if (exec_patiently(db, sql, &msg) == SQLITE_OK) {
        sqlite3_free(msg);
        return true;
    }
    set_err(err, errlen, path, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return false;
}

static bool read_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    for (int waited_ms = 0; rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY; waited_ms += 10) {
        rc = sqlite3_step(st);
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= BUSY_TIMEOUT_MS)
            break;
        sqlite3_reset(st);
        sleep_10ms();
    }
    bool ok = rc == SQLITE_ROW;
    if (ok)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ok;
}

/* Refuses a file this program cannot use as its state before anything is
 * read: read-only, another program's database, or a damaged one. */
static bool check_file(sqlite3 *db, const char *path, int64_t version, char *err,
                       size_t errlen)
{
    if (sqlite3_db_readonly(db, "main") == 1) {
        set_err(err, errlen, path, "read-only: the baseline could not be recorded");
        return false;
    }
    sqlite3_stmt *st = NULL;
    char what[320] = "";
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (t && strcmp((const char *)t, "ok") != 0)
            snprintf(what, sizeof what, "damaged database (%s)", (const char *)t);
    } else {
        snprintf(what, sizeof what, "damaged database (%s)", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    /* A file of ours has user_version 1 (0 only while new and empty) and
     * none but our tables and indexes. */
    if (!what[0] &&
        sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE name NOT IN"
                               " ('certs','certs_names','sightings','sightings_leaf',"
                               "'versions','server_fps','mitmwatch_store') AND name NOT LIKE 'sqlite_%' LIMIT 1",
                           -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(what, sizeof what, "not a mitmwatch state file (it has a table or "
                                        "index '%.64s'%s)",
                     (const char *)sqlite3_column_text(st, 0),
                     version == 0 ? ", user_version 0" : "");
        sqlite3_finalize(st);
    }
    if (!what[0])
        return true;
    snprintf(what + strlen(what), sizeof what - strlen(what),
             "; --state-reset moves it aside and starts a new one");
    set_err(err, errlen, path, what);
    return false;
}

mw_baseline *mw_baseline_open(const char *path, uint64_t max_bytes, mw_output_stats *st,
                              char *err, size_t errlen)
{
    mw_baseline *b = calloc(1, sizeof(*b));
    if (!b) {
        set_err(err, errlen, path, "out of memory");
        return NULL;
    }
    b->stats = st;
    if (mw_pg_is_conninfo(path)) {
        mw_pg_display(path, b->name, sizeof b->name);
        b->pg = mw_pg_open(path, st, err, errlen);
        if (!b->pg) {
            free(b);
            return NULL;
        }
        return b;
    }
    snprintf(b->name, sizeof b->name, "%s", path ? path : "(memory)");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path ? path : ":memory:", &b->db, flags, NULL) != SQLITE_OK) {
        set_err(err, errlen, path, b->db ? sqlite3_errmsg(b->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(b->db, BUSY_TIMEOUT_MS);
    int64_t page = 4096, version = 0;
    /* WAL: readers never block the writer and a crash mid-write leaves the
     * file consistent; NORMAL sync is safe with WAL. The first query also
     * tells a file that is not a database. */
    if (path && !exec_checked(b->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
                              path, err, errlen))
        goto fail;
    if (!read_int(b->db, "PRAGMA page_size", &page) ||
        !read_int(b->db, "PRAGMA user_version", &version)) {
        set_err(err, errlen, path, sqlite3_errmsg(b->db));
        goto fail;
    }
    if (path && !check_file(b->db, path, version, err, errlen))
        goto fail;
    if (version > SCHEMA_VERSION) {
        char what[96];
        snprintf(what, sizeof what, "state file of a newer format (%lld; this is %d)",
                 (long long)version, SCHEMA_VERSION);
        set_err(err, errlen, path, what);
        goto fail;
    }
    char pragma[64];
    uint64_t pages = max_bytes / (uint64_t)(page > 0 ? page : 4096) + 1;
    snprintf(pragma, sizeof pragma, "PRAGMA max_page_count=%" PRIu64, pages);
    if (!exec_checked(b->db, pragma, path, err, errlen) ||
        !exec_checked(b->db, "BEGIN IMMEDIATE", path, err, errlen))
        goto fail;
    if (!exec_checked(b->db, schema, path, err, errlen) ||
        !exec_checked(b->db, "PRAGMA user_version=3; COMMIT", path, err, errlen)) {
        (void)sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
        goto fail;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(b->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &b->st[i],
                               NULL) != SQLITE_OK) {
            set_err(err, errlen, path, sqlite3_errmsg(b->db));
            goto fail;
        }
    }
    sqlite3_stmt *idq = NULL;
    if (sqlite3_prepare_v2(b->db, "SELECT id FROM mitmwatch_store ORDER BY id LIMIT 1", -1,
                           &idq, NULL) == SQLITE_OK &&
        sqlite3_step(idq) == SQLITE_ROW && sqlite3_column_text(idq, 0))
        snprintf(b->id, sizeof b->id, "%s", (const char *)sqlite3_column_text(idq, 0));
    sqlite3_finalize(idq);
    int64_t known = 0;
    if (read_int(b->db, "SELECT COUNT(*) FROM sightings", &known))
        st->baseline_chains_known = (uint64_t)known;
    return b;
fail:
    if (path && b->db && ((sqlite3_errcode(b->db) & 0xff) == SQLITE_NOTADB ||
                          (sqlite3_errcode(b->db) & 0xff) == SQLITE_CORRUPT) &&
        !strstr(err, "--state-reset")) {
        size_t len = strlen(err);
        snprintf(err + len, errlen - len, " (damaged, or not a mitmwatch state file; "
                                          "--state-reset moves it aside and starts a new one)");
    }
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(b->st[i]);
    sqlite3_close(b->db);
    free(b);
    return NULL;
}

const char *mw_baseline_error(const mw_baseline *b)
{
    if (b && b->pg)
        return mw_pg_error(b->pg);
    return b && b->error[0] ? b->error : NULL;
}

const char *mw_baseline_name(const mw_baseline *b)
{
    return b ? b->name : "(memory)";
}

const char *mw_baseline_kind(const mw_baseline *b)
{
    if (!b)
        return "none";
    return b->pg ? "postgresql" : b->db && sqlite3_db_filename(b->db, "main") &&
                                          sqlite3_db_filename(b->db, "main")[0]
                                      ? "sqlite"
                                      : "none";
}

const char *mw_baseline_id(const mw_baseline *b)
{
    const char *id = !b ? "" : b->pg ? mw_pg_store_id(b->pg) : b->id;
    return id && id[0] ? id : NULL;
}

bool mw_baseline_set_aside(const char *path, char *aside, size_t asidelen, char *err,
                           size_t errlen)
{
    aside[0] = '\0';
    if (mw_pg_is_conninfo(path)) {
        char name[512];
        mw_pg_display(path, name, sizeof name);
        set_err(err, errlen, name, "--state-reset moves a SQLite file aside; a PostgreSQL "
                                   "baseline is reset by dropping its tables (docs/state.md)");
        return false;
    }
    if (access(path, F_OK) != 0) {
        if (errno == ENOENT)
            return true; /* nothing to move: a new file */
        set_err(err, errlen, path, strerror(errno));
        return false;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    if ((size_t)snprintf(aside, asidelen, "%s.old-%s", path, stamp) >= asidelen) {
        set_err(err, errlen, path, "path too long");
        return false;
    }
    /* The journal files belong with the database they were written for. */
    static const char *const sfx[] = {"-wal", "-shm"};
    for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
        char from[4200], to[4200];
        snprintf(from, sizeof from, "%s%s", path, sfx[i]);
        snprintf(to, sizeof to, "%s%s", aside, sfx[i]);
        if (rename(from, to) != 0 && errno != ENOENT) {
            set_err(err, errlen, from, strerror(errno));
            return false;
        }
    }
    if (rename(path, aside) != 0) {
        set_err(err, errlen, path, strerror(errno));
        return false;
    }
    return true;
}

bool mw_baseline_flush(mw_baseline *b)
{
    if (!b)
        return true;
    if (b->pg)
        return mw_pg_flush(b->pg);
    return commit(b);
}

bool mw_baseline_close(mw_baseline *b)
{
    if (!b)
        return true;
    if (b->pg) {
        bool pg_ok = mw_pg_close(b->pg);
        free(b);
        return pg_ok;
    }
    bool ok = commit(b);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(b->st[i]);
    if (sqlite3_close(b->db) != SQLITE_OK)
        ok = false;
    free(b);
    return ok;
}

/* ---- leaf identity --------------------------------------------------- */

void mw_hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DNS names lowercased and IP addresses, sorted: two certificates list the
 * same names in any order. */
static char *san_text(X509 *x)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int n = gens ? sk_GENERAL_NAME_num(gens) : 0;
    char **items = calloc((size_t)n + 1, sizeof(*items));
    size_t k = 0, total = 1;
    for (int i = 0; items && i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char *t = NULL;
        if (g->type == GEN_DNS) {
            const ASN1_IA5STRING *s = g->d.dNSName;
            t = malloc((size_t)s->length + 1);
            if (t) {
                for (int j = 0; j < s->length; j++)
                    t[j] = (char)tolower(s->data[j]);
                t[s->length] = '\0';
            }
        } else if (g->type == GEN_IPADD) {
            t = malloc((size_t)g->d.iPAddress->length * 2 + 4);
            if (t) {
                t[0] = '#';
                mw_hex(g->d.iPAddress->data, (size_t)g->d.iPAddress->length, t + 1);
            }
        }
        if (t) {
            items[k++] = t;
            total += strlen(t) + 1;
        }
    }
    GENERAL_NAMES_free(gens);
    char *out = items ? malloc(total) : NULL;
    if (out) {
        qsort(items, k, sizeof(*items), cmp_strp);
        size_t o = 0;
        out[0] = '\0';
        for (size_t i = 0; i < k; i++) {
            size_t l = strlen(items[i]);
            if (i)
                out[o++] = ',';
            memcpy(out + o, items[i], l);
            o += l;
            out[o] = '\0';
        }
    }
    for (size_t i = 0; i < k; i++)
        free(items[i]);
    free(items);
    return out;
}

bool mw_leaf_names_of(X509 *leaf, mw_leaf_names *out)
{
    unsigned char d[32];
    unsigned int len = 0;
    memset(out, 0, sizeof(*out));
    if (!leaf)
        return false;
    out->subject = mw_rules_name_text(X509_get_subject_name(leaf));
    out->issuer = mw_rules_name_text(X509_get_issuer_name(leaf));
    out->san = san_text(leaf);
    bool ok = out->subject && out->issuer && out->san &&
              X509_pubkey_digest(leaf, mw_md_sha256(), d, &len) == 1;
    if (ok)
        mw_hex(d, 32, out->spki_sha256);
    ok = ok && X509_digest(leaf, mw_md_sha256(), d, &len) == 1;
    if (ok)
        mw_hex(d, 32, out->sha256);
    ERR_clear_error();
    if (!ok)
        mw_leaf_names_free(out);
    return ok;
}

void mw_leaf_names_free(mw_leaf_names *n)
{
    free(n->subject);
    free(n->issuer);
    free(n->san);
    memset(n, 0, sizeof(*n));
}

/* ---- lookups ---------------------------------------------------------- */

static void copy_text(sqlite3_stmt *st, int col, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, n, "%s", t ? (const char *)t : "");
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

/* Runs a bound lookup to its end: SQLITE_ROW rows go to the caller one at
 * a time through step(); this finishes and resets. */
static void finish(mw_baseline *b, sqlite3_stmt *st, int rc)
{
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        count_error(b, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void lookup_twin(mw_baseline *b, const mw_sighting *s, const mw_leaf_names *ln,
                        mw_history *h)
{
    sqlite3_stmt *st = b->st[ST_TWIN];
    /* A leaf without names copies nothing worth matching. */
    if (ln->subject[0] == '\0' && ln->san[0] == '\0')
        return;
    bind_text(st, 1, ln->subject);
    bind_text(st, 2, ln->san);
    bind_text(st, 3, ln->spki_sha256);
    bind_text(st, 4, ln->issuer);
    bind_text(st, 5, s->name);
    bind_text(st, 6, s->server);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *der = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        h->twin = der && len > 0 ? d2i_X509(NULL, &der, len) : NULL;
        ERR_clear_error();
        copy_text(st, 1, h->twin_name, sizeof h->twin_name);
        copy_text(st, 2, h->twin_server, sizeof h->twin_server);
        h->twin_first = sqlite3_column_int64(st, 3);
        h->twin_last = sqlite3_column_int64(st, 4);
    }
    finish(b, st, rc);
}

static void lookup_issuers(mw_baseline *b, const mw_sighting *s, const mw_leaf_names *ln,
                           mw_history *h)
{
    sqlite3_stmt *st = b->st[ST_ISSUERS];
    bind_text(st, 1, s->name);
    bind_text(st, 2, s->server);
    bind_text(st, 3, ln->issuer);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && h->n_issuers < MW_HISTORY_MAX_ISSUERS) {
        size_t i = h->n_issuers++;
        copy_text(st, 0, h->issuers[i].issuer, sizeof h->issuers[i].issuer);
        h->issuers[i].first = sqlite3_column_int64(st, 1);
        h->issuers[i].last = sqlite3_column_int64(st, 2);
        h->issuers[i].sessions = (uint64_t)sqlite3_column_int64(st, 3);
    }
    finish(b, st, rc);
}

static void lookup_tls13(mw_baseline *b, const mw_sighting *s, mw_history *h)
{
    sqlite3_stmt *st = b->st[ST_TLS13];
    bind_text(st, 1, s->server);
    bind_text(st, 2, s->name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_text(st, 0, h->tls13_name, sizeof h->tls13_name);
        h->tls13_last = sqlite3_column_int64(st, 1);
        /* A TLS 1.3 server for no name at all still says what it can do. */
        if (h->tls13_name[0] == '\0')
            snprintf(h->tls13_name, sizeof h->tls13_name, "(no SNI)");
    }
    finish(b, st, rc);
}

static void lookup_server_fps(mw_baseline *b, const mw_sighting *s, mw_history *h)
{
    sqlite3_stmt *st = b->st[ST_SERVER_FPS];
    bind_text(st, 1, s->server);
    bind_text(st, 2, s->ja3);
    bind_text(st, 3, s->ja3s);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && h->n_server_fps < MW_HISTORY_MAX_ISSUERS) {
        size_t i = h->n_server_fps++;
        copy_text(st, 0, h->server_fps[i].ja3s, sizeof h->server_fps[i].ja3s);
        h->server_fps[i].last = sqlite3_column_int64(st, 1);
        h->server_fps[i].sessions = (uint64_t)sqlite3_column_int64(st, 2);
    }
    finish(b, st, rc);
}

void mw_baseline_lookup(mw_baseline *b, const mw_sighting *s, mw_history *h)
{
    memset(h, 0, sizeof(*h));
    if (!b)
        return;
    if (b->pg) {
        mw_pg_lookup(b->pg, s, h);
        return;
    }
    if (s->leaf && s->leaf_names) {
        lookup_twin(b, s, s->leaf_names, h);
        lookup_issuers(b, s, s->leaf_names, h);
    }
    if (s->offered_tls13 && s->version && s->version < TLS13)
        lookup_tls13(b, s, h);
    if (s->ja3 && s->ja3s)
        lookup_server_fps(b, s, h);
}

void mw_history_free(mw_history *h)
{
    X509_free(h->twin);
    h->twin = NULL;
}

/* ---- recording -------------------------------------------------------- */

static bool step_done(mw_baseline *b, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    finish(b, st, rc);
    return rc == SQLITE_DONE;
}

static bool put_chain(mw_baseline *b, const mw_sighting *s)
{
    const mw_leaf_names *ln = s->leaf_names;
    sqlite3_stmt *st = b->st[ST_PUT_CERT];
    bind_text(st, 1, ln->sha256);
    bind_text(st, 2, ln->subject);
    bind_text(st, 3, ln->issuer);
    bind_text(st, 4, ln->san);
    bind_text(st, 5, ln->spki_sha256);
    sqlite3_bind_blob(st, 6, s->leaf_der, (int)s->leaf_der_len, SQLITE_STATIC);
    bool ok = step_done(b, st);
    if (ok) {
        st = b->st[ST_PUT_SIGHTING];
        bind_text(st, 1, s->name);
        bind_text(st, 2, s->server);
        bind_text(st, 3, s->chain_sha256);
        bind_text(st, 4, ln->sha256);
        sqlite3_bind_int(st, 5, s->genuine);
        sqlite3_bind_int64(st, 6, s->time);
        sqlite3_bind_int(st, 7, strcmp(s->verdict, "intercepted") == 0);
        sqlite3_bind_int(st, 8, strcmp(s->verdict, "suspicious") == 0);
        sqlite3_bind_int(st, 9, strcmp(s->verdict, "clean") == 0);
        ok = step_done(b, st);
    }
    return ok;
}

void mw_baseline_record(mw_baseline *b, const mw_sighting *s)
{
    bool chain = s->leaf && s->leaf_names && s->leaf_der && s->leaf_der_len &&
                 s->chain_sha256 && s->verdict;
    bool version = s->offered_tls13 && s->version;
    /* A fingerprint seen with evidence may be the box's: not learnt. */
    bool fp = s->ja3 && s->ja3s && !s->evidence;
    if (b && b->pg) {
        mw_pg_record(b->pg, s);
        return;
    }
    if (!b || (!chain && !version && !fp) || !begin(b))
        return;
    if (chain && put_chain(b, s))
        b->stats->baseline_chains_recorded++;
    if (version) {
        sqlite3_stmt *st = b->st[ST_PUT_VERSION];
        bind_text(st, 1, s->server);
        sqlite3_bind_int(st, 2, s->version);
        bind_text(st, 3, s->name);
        sqlite3_bind_int64(st, 4, s->time);
        (void)step_done(b, st);
    }
    if (fp) {
        sqlite3_stmt *st = b->st[ST_PUT_SERVER_FP];
        bind_text(st, 1, s->server);
        bind_text(st, 2, s->ja3);
        bind_text(st, 3, s->ja3s);
        sqlite3_bind_int64(st, 4, s->time);
        (void)step_done(b, st);
    }
    if (b->in_txn &&
        (++b->pending >= BATCH_SIGHTINGS || seconds_since(&b->txn_start) > BATCH_SECONDS))
        (void)commit(b);
}
