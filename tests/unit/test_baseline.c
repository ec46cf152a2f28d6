/*
 * test_baseline.c - the baseline store: what is recorded comes back for
 * the lookups that need it (twin leaves, issuers, TLS 1.3 servers), in
 * memory and in a file; the file survives two processes writing at once;
 * the size cap is counted; bad files are refused with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "detect/baseline.h"
#include "detect/baseline_pg.h"
#include "check.h"

static char tmpdir[64];

static X509 *make_leaf(const char *cn, const char *san, const char *issuer_cn, long serial)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new(), *in = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(in, "CN", MBSTRING_ASC, (const unsigned char *)issuer_cn, -1,
                               -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, in);
    ASN1_TIME_set(X509_getm_notBefore(x), 1546300800);
    ASN1_TIME_set(X509_getm_notAfter(x), 1640995200);
    X509_set_pubkey(x, k);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    X509_sign(x, k, EVP_sha256());
    X509_NAME_free(n);
    X509_NAME_free(in);
    EVP_PKEY_free(k);
    return x;
}

typedef struct leaf_der {
    unsigned char *der;
    int len;
} leaf_der;

static void record(mw_baseline *b, X509 *leaf, const char *name, const char *server,
                   int64_t t, bool genuine, const char *verdict, const char *chain)
{
    leaf_der d = {NULL, 0};
    d.len = i2d_X509(leaf, &d.der);
    mw_leaf_names ln;
    CHECK(mw_leaf_names_of(leaf, &ln));
    mw_sighting s = {.name = name, .server = server, .time = t, .leaf = leaf,
                     .leaf_names = &ln, .leaf_der = d.der, .leaf_der_len = (size_t)d.len,
                     .chain_sha256 = chain, .genuine = genuine, .verdict = verdict};
    mw_baseline_record(b, &s);
    mw_leaf_names_free(&ln);
    OPENSSL_free(d.der);
}

static void test_leaf_names(void)
{
    X509 *x = make_leaf("a.test", "DNS:www.A.test,IP:192.0.2.1,DNS:a.test", "CA One", 1);
    mw_leaf_names n;
    CHECK(mw_leaf_names_of(x, &n));
    CHECK_EQ_S(n.subject, "CN=a.test");
    CHECK_EQ_S(n.issuer, "CN=CA One");
    /* Sorted, lowercase, IPs as #hex: order on the wire does not matter. */
    CHECK_EQ_S(n.san, "#c0000201,a.test,www.a.test");
    CHECK_EQ_U(strlen(n.sha256), 64);
    mw_leaf_names_free(&n);
    X509_free(x);
}

static void test_lookups_in_memory(void)
{
    char err[256];
    mw_output_stats st;
    memset(&st, 0, sizeof st);
    mw_baseline *b = mw_baseline_open(NULL, 64u << 20, &st, err, sizeof err);
    CHECK(b != NULL);
    if (!b)
        return;
    X509 *genuine = make_leaf("shop.test", "DNS:shop.test", "Public CA", 100);
    X509 *copy = make_leaf("shop.test", "DNS:shop.test", "Security Certificate", 101);
    X509 *other = make_leaf("news.test", "DNS:news.test", "Public CA", 102);
    record(b, genuine, "shop.test", "192.0.2.9:443", 1000, true, "clean", "c1");
    record(b, genuine, "shop.test", "192.0.2.9:443", 3000, true, "clean", "c1");
    record(b, other, "news.test", "192.0.2.10:443", 2000, true, "clean", "c2");
    CHECK_EQ_U(st.baseline_chains_recorded, 3);

    /* The copy at the same server: its twin and the known issuer. */
    mw_leaf_names copy_names, genuine_names;
    CHECK(mw_leaf_names_of(copy, &copy_names) && mw_leaf_names_of(genuine, &genuine_names));
    mw_sighting s = {.name = "shop.test", .server = "192.0.2.9:443", .time = 5000,
                     .leaf = copy, .leaf_names = &copy_names};
    mw_history h;
    mw_baseline_lookup(b, &s, &h);
    CHECK(h.twin != NULL && X509_cmp(h.twin, genuine) == 0);
    CHECK_EQ_S(h.twin_name, "shop.test");
    CHECK_EQ_S(h.twin_server, "192.0.2.9:443");
    CHECK(h.twin_first == 1000 && h.twin_last == 3000);
    CHECK_EQ_U(h.n_issuers, 1);
    CHECK_EQ_S(h.issuers[0].issuer, "CN=Public CA");
    CHECK_EQ_U(h.issuers[0].sessions, 2);
    mw_history_free(&h);

    /* Same name elsewhere still finds the twin (by name), but no issuers:
     * those are per name and server. */
    s.server = "198.51.100.1:443";
    mw_baseline_lookup(b, &s, &h);
    CHECK(h.twin != NULL);
    CHECK_EQ_U(h.n_issuers, 0);
    mw_history_free(&h);
    /* Neither name nor server: nothing. */
    s.name = "elsewhere.test";
    mw_baseline_lookup(b, &s, &h);
    CHECK(h.twin == NULL);
    mw_history_free(&h);
    /* The genuine leaf itself is no twin of itself (same key). */
    s.name = "shop.test";
    s.leaf = genuine;
    s.leaf_names = &genuine_names;
    mw_baseline_lookup(b, &s, &h);
    CHECK(h.twin == NULL);
    mw_history_free(&h);
    /* A non-genuine sighting teaches nothing: the copy recorded as
     * intercepted is no issuer of record. */
    record(b, copy, "shop.test", "192.0.2.9:443", 5000, false, "intercepted", "c3");
    s.leaf = copy;
    s.leaf_names = &copy_names;
    s.server = "192.0.2.9:443";
    mw_baseline_lookup(b, &s, &h);
    CHECK_EQ_U(h.n_issuers, 1);
    CHECK_EQ_S(h.issuers[0].issuer, "CN=Public CA");
    mw_history_free(&h);

    /* Versions: the server gave TLS 1.3 to news.test; a 1.2 answer to a
     * client offering 1.3 for shop.test finds it. */
    mw_sighting v13 = {.name = "news.test", .server = "192.0.2.9:443", .time = 6000,
                       .version = 0x0304, .offered_tls13 = true};
    mw_baseline_record(b, &v13);
    mw_sighting v12 = {.name = "shop.test", .server = "192.0.2.9:443", .time = 7000,
                       .version = 0x0303, .offered_tls13 = true};
    mw_baseline_lookup(b, &v12, &h);
    CHECK_EQ_S(h.tls13_name, "news.test");
    CHECK(h.tls13_last == 6000);
    mw_history_free(&h);
    v12.server = "192.0.2.10:443";
    mw_baseline_lookup(b, &v12, &h);
    CHECK_EQ_S(h.tls13_name, "");
    mw_history_free(&h);

    /* Server fingerprints: learnt from sessions without evidence, per
     * server and JA3; the asked-for JA3S first when known, else the most
     * used. */
    const char *ja3 = "0123456789abcdef0123456789abcdef";
    mw_sighting f = {.name = "news.test", .server = "192.0.2.9:443", .time = 8000,
                     .ja3 = ja3, .ja3s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    mw_baseline_record(b, &f);
    f.time = 8100;
    mw_baseline_record(b, &f);
    f.ja3s = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    mw_baseline_record(b, &f);
    f.ja3s = "cccccccccccccccccccccccccccccccc";
    f.evidence = true; /* the box's answer: not learnt */
    mw_baseline_record(b, &f);
    mw_sighting q = {.name = "shop.test", .server = "192.0.2.9:443", .time = 9000,
                     .ja3 = ja3, .ja3s = "cccccccccccccccccccccccccccccccc"};
    mw_baseline_lookup(b, &q, &h);
    CHECK_EQ_U(h.n_server_fps, 2);
    CHECK_EQ_S(h.server_fps[0].ja3s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    CHECK_EQ_U(h.server_fps[0].sessions, 2);
    CHECK(h.server_fps[0].last == 8100);
    CHECK_EQ_S(h.server_fps[1].ja3s, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    mw_history_free(&h);
    q.ja3s = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    mw_baseline_lookup(b, &q, &h);
    CHECK_EQ_S(h.server_fps[0].ja3s, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    mw_history_free(&h);
    q.ja3 = "ffffffffffffffffffffffffffffffff"; /* another client: nothing known */
    mw_baseline_lookup(b, &q, &h);
    CHECK_EQ_U(h.n_server_fps, 0);
    mw_history_free(&h);
    CHECK_EQ_U(st.baseline_errors, 0);
    CHECK(mw_baseline_close(b));
    mw_leaf_names_free(&copy_names);
    mw_leaf_names_free(&genuine_names);
    X509_free(genuine);
    X509_free(copy);
    X509_free(other);
}

static int64_t query_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Two processes record into one file at once, 3000 sightings each, in
 * many short transactions; afterwards the file is intact and holds every
 * session of both. */
static void test_file_shared_by_two_processes(void)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/state.db", tmpdir);
    X509 *leaf = make_leaf("busy.test", "DNS:busy.test", "Public CA", 7);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            mw_output_stats st;
            memset(&st, 0, sizeof st);
            mw_baseline *b = mw_baseline_open(path, 64u << 20, &st, err, sizeof err);
            if (!b) {
                fprintf(stderr, "child %d: %s\n", k, err);
                _exit(2);
            }
            for (int i = 0; i < 3000; i++) {
                char server[32];
                snprintf(server, sizeof server, "192.0.2.%d:443", i % 50);
                record(b, leaf, "busy.test", server, 1000 + i, true, "clean", "c");
                if (i % 500 == 0)
                    (void)mw_baseline_flush(b);
            }
            bool ok = mw_baseline_close(b) && st.baseline_errors == 0 && st.baseline_full == 0;
            if (!ok)
                fprintf(stderr, "child %d: errors %llu, full %llu\n", k,
                        (unsigned long long)st.baseline_errors,
                        (unsigned long long)st.baseline_full);
            _exit(ok ? 0 : 1);
        }
    }
    for (int k = 0; k < 2; k++) {
        int status = -1;
        waitpid(kids[k], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK(query_int(path, "SELECT COUNT(*) FROM sightings") == 50);
    CHECK(query_int(path, "SELECT SUM(sessions) FROM sightings") == 6000);
    CHECK(query_int(path, "SELECT SUM(clean) FROM sightings") == 6000);
    CHECK(query_int(path, "SELECT MIN(first_seen) FROM sightings") == 1000);
    CHECK(query_int(path, "SELECT COUNT(*) FROM certs") == 1);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const unsigned char *res = NULL;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        res = sqlite3_column_text(st, 0);
    CHECK(res && strcmp((const char *)res, "ok") == 0);
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* A later run knows what was learned. */
    mw_output_stats os;
    memset(&os, 0, sizeof os);
    mw_baseline *b = mw_baseline_open(path, 64u << 20, &os, err, sizeof err);
    CHECK(b != NULL);
    CHECK_EQ_U(os.baseline_chains_known, 50);
    mw_baseline_close(b);
    X509_free(leaf);
}

static void test_cap_and_bad_files(void)
{
    char err[256], path[128];
    mw_output_stats st;
    memset(&st, 0, sizeof st);
    /* 1 MiB: a few hundred certificates fit, then sightings are counted. */
    mw_baseline *b = mw_baseline_open(NULL, 1u << 20, &st, err, sizeof err);
    CHECK(b != NULL);
    for (int i = 0; b && i < 3000; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%d.test", i);
        X509 *x = make_leaf(name, "DNS:x.test", "CA", i);
        record(b, x, name, "192.0.2.1:443", i, true, "clean", name);
        X509_free(x);
    }
    CHECK(st.baseline_full > 0);
    CHECK(st.baseline_chains_recorded > 100);
    CHECK_EQ_U(st.baseline_chains_recorded + st.baseline_full, 3000);
    mw_baseline_close(b);

    snprintf(path, sizeof path, "%s/notdb", tmpdir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("this is not a database, but some text long enough to look like a header\n",
              f);
        fclose(f);
    }
    CHECK(mw_baseline_open(path, 1u << 20, &st, err, sizeof err) == NULL);
    CHECK(strstr(err, "notdb: file is not a database") != NULL);
    snprintf(path, sizeof path, "%s/newer.db", tmpdir);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) == SQLITE_OK)
        sqlite3_exec(db, "PRAGMA user_version=9", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(mw_baseline_open(path, 1u << 20, &st, err, sizeof err) == NULL);
    CHECK(strstr(err, "newer.db: state file of a newer format (9; this is 3)") != NULL);

    /* A version 1 file (before server_fps) is upgraded in place and keeps
     * what it held. */
    snprintf(path, sizeof path, "%s/v1.db", tmpdir);
    db = NULL;
    if (sqlite3_open(path, &db) == SQLITE_OK)
        sqlite3_exec(db,
                     "CREATE TABLE versions(server TEXT NOT NULL, version INTEGER NOT NULL,"
                     " name TEXT NOT NULL, first_seen INTEGER NOT NULL,"
                     " last_seen INTEGER NOT NULL, sessions INTEGER NOT NULL,"
                     " PRIMARY KEY(server, version, name)) WITHOUT ROWID;"
                     "INSERT INTO versions VALUES('192.0.2.1:443', 772, 'a.test', 1, 2, 3);"
                     "PRAGMA user_version=1",
                     NULL, NULL, NULL);
    sqlite3_close(db);
    b = mw_baseline_open(path, 1u << 20, &st, err, sizeof err);
    CHECK(b != NULL);
    CHECK(mw_baseline_close(b));
    CHECK(query_int(path, "PRAGMA user_version") == 3);
    CHECK(query_int(path, "SELECT COUNT(*) FROM mitmwatch_store") == 1);
    CHECK(query_int(path, "SELECT COUNT(*) FROM server_fps") == 0);
    CHECK(query_int(path, "SELECT sessions FROM versions WHERE name = 'a.test'") == 3);

    /* The store's identity: made once in the file, the same at every open;
     * an in-memory baseline is a new one every time. */
    char id[65] = "";
    b = mw_baseline_open(path, 1u << 20, &st, err, sizeof err);
    CHECK(b && mw_baseline_id(b) && strlen(mw_baseline_id(b)) == 32);
    CHECK(b && strcmp(mw_baseline_kind(b), "sqlite") == 0);
    if (b && mw_baseline_id(b))
        snprintf(id, sizeof id, "%s", mw_baseline_id(b));
    CHECK(b && mw_baseline_close(b));
    b = mw_baseline_open(path, 1u << 20, &st, err, sizeof err);
    CHECK(b && mw_baseline_id(b) && strcmp(mw_baseline_id(b), id) == 0);
    CHECK(b && mw_baseline_close(b));
    mw_baseline *m1 = mw_baseline_open(NULL, 1u << 20, &st, err, sizeof err);
    mw_baseline *m2 = mw_baseline_open(NULL, 1u << 20, &st, err, sizeof err);
    CHECK(m1 && m2 && strcmp(mw_baseline_kind(m1), "none") == 0);
    CHECK(m1 && m2 && mw_baseline_id(m1) && mw_baseline_id(m2) &&
          strlen(mw_baseline_id(m1)) == 32 && strcmp(mw_baseline_id(m1), mw_baseline_id(m2)) != 0 &&
          strcmp(mw_baseline_id(m1), id) != 0);
    CHECK(m1 && mw_baseline_close(m1));
    CHECK(m2 && mw_baseline_close(m2));
}

/* What --state names may show: the password masked, the rest as given. */
static void test_pg_display(void)
{
    static const char *const cases[][2] = {
        {"postgresql://mw:s3cret@db.example:5432/base", "postgresql://mw:***@db.example:5432/base"},
        {"postgres://mw@db/base?sslmode=require&password=x&a=b",
         "postgres://mw@db/base?sslmode=require&password=***&a=b"},
        {"postgresql://u:p@ss@h/d", "postgresql://u:***@h/d"},
        {"pg:host=h password=secret dbname=d", "pg:host=h password=*** dbname=d"},
        {"pg:host=h password = 'a b\\' c' dbname=d", "pg:host=h password = *** dbname=d"},
        {"postgresql://h/d", "postgresql://h/d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[256];
        CHECK(mw_pg_is_conninfo(cases[i][0]));
        mw_pg_display(cases[i][0], out, sizeof out);
        CHECK_EQ_S(out, cases[i][1]);
    }
    CHECK(!mw_pg_is_conninfo("/var/lib/mw/state.db"));
    CHECK(!mw_pg_is_conninfo("postgresql.db"));
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mw_baseline_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    RUN(test_leaf_names);
    RUN(test_lookups_in_memory);
    RUN(test_file_shared_by_two_processes);
    RUN(test_cap_and_bad_files);
    RUN(test_pg_display);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
