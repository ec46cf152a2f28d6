/*
 * test_rules.c - loading rules: errors name file and line, target
 * matching (exact vs "." prefix), the built-in rules/ directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "detect/rules.h"

#ifndef MW_TEST_DATA_DIR
#define MW_TEST_DATA_DIR "tests/data"
#endif
#define RULES_DIR MW_TEST_DATA_DIR "/../../rules"
#define SUPERFISH RULES_DIR "/rogue-roots/superfish-2014.pem"

static char tmpdir[64];

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    /* A read error leaves the buffer empty: the caller's checks fail. */
    if (buf && fread(buf, 1, (1 << 16) - 1, f) == 0 && ferror(f))
        buf[0] = '\0';
    fclose(f);
    return buf;
}

/* Writes text to tmpdir/name and returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static void test_good_pem_with_comments(void)
{
    char *pem = slurp(SUPERFISH);
    CHECK(pem != NULL);
    if (!pem)
        return;
    char *text = malloc(strlen(pem) + 200);
    sprintf(text, "# a comment\n\nSuperfish, from the blocklist\n%s", pem);
    const char *path = write_file("good.pem", text);
    char err[MW_RULES_ERRLEN] = "";
    mw_rules *r = mw_rules_new();
    CHECK(mw_rules_load_roots_file(r, path, err, sizeof err));
    CHECK_EQ_U(mw_rules_n_roots(r), 1);
    const mw_rogue_root *root = mw_rules_root(r, 0);
    CHECK_EQ_S(root->label, "good");
    /* Known from `openssl x509 -noout -subject -nameopt RFC2253`. */
    CHECK_EQ_S(root->subject, "CN=Superfish\\, Inc.,C=US,ST=CA,L=SF,O=Superfish\\, Inc.");
    /* The blocklist's SHA-256 of the DER (rules-data README). */
    static const unsigned char want[4] = {0xb6, 0xfe, 0x91, 0x51};
    CHECK_MEM(root->der_sha256, want, 4);
    CHECK(mw_rules_rogue_name(r, root->subject) != NULL);
    CHECK(mw_rules_rogue_name(r, "CN=Superfish") == NULL);
    mw_rules_free(r);
    free(text);
    free(pem);
}

static void test_bad_pem_names_line(void)
{
    char *pem = slurp(SUPERFISH);
    if (!pem)
        return;
    size_t lines = 0;
    for (const char *p = pem; *p; p++)
        lines += *p == '\n';
    /* A good block, a comment line, then a block whose base64 is broken:
     * the error must name the line of the broken block's BEGIN. */
    char *text = malloc(strlen(pem) + 400);
    sprintf(text, "%s# next one is damaged\n-----BEGIN CERTIFICATE-----\n"
                  "MIIC9TCCAl6gAwIBAgIJANL8E4epRNznMA0GCSqGSIb3DQEBBQUAMFsxGDAWBgNV\n"
                  "!!!!\n-----END CERTIFICATE-----\n",
            pem);
    const char *path = write_file("bad.pem", text);
    char err[MW_RULES_ERRLEN] = "", want[300];
    mw_rules *r = mw_rules_new();
    CHECK(!mw_rules_load_roots_file(r, path, err, sizeof err));
    snprintf(want, sizeof want, "%s:%zu: bad certificate", path, lines + 2);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    if (strncmp(err, want, strlen(want)) != 0)
        fprintf(stderr, "  got: %s\n  want prefix: %s\n", err, want);
    mw_rules_free(r);

    /* BEGIN without END, on line 3. */
    path = write_file("open.pem", "x\n\n-----BEGIN CERTIFICATE-----\nMIIC\n");
    r = mw_rules_new();
    CHECK(!mw_rules_load_roots_file(r, path, err, sizeof err));
    snprintf(want, sizeof want, "%s:3: BEGIN CERTIFICATE without END", path);
    CHECK_EQ_S(err, want);
    mw_rules_free(r);

    /* No certificate at all. */
    path = write_file("empty.pem", "# nothing here\n");
    r = mw_rules_new();
    CHECK(!mw_rules_load_roots_file(r, path, err, sizeof err));
    snprintf(want, sizeof want, "%s: no certificate", path);
    CHECK_EQ_S(err, want);
    mw_rules_free(r);

    /* The trust store loader reads PEM the same way. */
    path = write_file("bad.pem", text);
    r = mw_rules_new();
    CHECK(!mw_rules_set_trust_store(r, path, err, sizeof err));
    snprintf(want, sizeof want, "%s:%zu: bad certificate", path, lines + 2);
    CHECK(strncmp(err, want, strlen(want)) == 0);
    CHECK(mw_rules_trust_store(r) == NULL);
    CHECK(!mw_rules_set_trust_store(r, "/nonexistent/store.pem", err, sizeof err));
    CHECK_EQ_S(err, "/nonexistent/store.pem: No such file or directory");
    mw_rules_free(r);
    free(text);
    free(pem);
}

static void test_targets(void)
{
    const char *path = write_file("t.txt", "# comment\n"
                                           "google.com\n"
                                           "  .mail.ru   # and its subdomains\n"
                                           "\n"
                                           "Example.COM\n");
    char err[MW_RULES_ERRLEN] = "";
    mw_rules *r = mw_rules_new();
    CHECK(mw_rules_load_targets_file(r, path, err, sizeof err));
    CHECK_EQ_U(mw_rules_n_targets(r), 3);
#define M(s) mw_rules_match_target(r, s, strlen(s))
    CHECK_EQ_S(M("google.com"), "google.com");
    CHECK_EQ_S(M("GOOGLE.com"), "google.com");
    CHECK(M("www.google.com") == NULL); /* exact entries are exact */
    CHECK(M("oogle.com") == NULL);
    CHECK(M("google.co") == NULL);
    CHECK_EQ_S(M("mail.ru"), ".mail.ru");
    CHECK_EQ_S(M("e.mail.ru"), ".mail.ru");
    CHECK_EQ_S(M("a.b.mail.ru"), ".mail.ru");
    CHECK(M("xmail.ru") == NULL); /* a suffix, but not at a label boundary */
    CHECK(M("ru") == NULL);
    CHECK_EQ_S(M("example.com"), "example.com");
    CHECK(M("") == NULL);
#undef M
    /* An embedded NUL must not match "google.com" by truncation. */
    CHECK(mw_rules_match_target(r, "google.com\0.x", 13) == NULL);
    CHECK(mw_rules_match_target(r, "google.com\0", 11) == NULL);
    mw_rules_clear_targets(r);
    CHECK_EQ_U(mw_rules_n_targets(r), 0);
    CHECK(mw_rules_match_target(r, "google.com", 10) == NULL);
    mw_rules_free(r);

    path = write_file("bad.txt", "# ok\ngood.example\nnot a domain\n");
    r = mw_rules_new();
    CHECK(!mw_rules_load_targets_file(r, path, err, sizeof err));
    char want[300];
    snprintf(want, sizeof want, "%s:3: not a domain name: \"not a domain\"", path);
    CHECK_EQ_S(err, want);
    mw_rules_free(r);

    path = write_file("bad2.txt", "..example.com\n");
    r = mw_rules_new();
    CHECK(!mw_rules_load_targets_file(r, path, err, sizeof err));
    snprintf(want, sizeof want, "%s:1: not a domain name: \"..example.com\"", path);
    CHECK_EQ_S(err, want);
    mw_rules_free(r);
}

static void test_names_file(void)
{
    const char *path = write_file("names.txt", "# x\nCN=Evil CA,C=ZZ\n\nbogus line\n");
    char err[MW_RULES_ERRLEN] = "", want[300];
    mw_rules *r = mw_rules_new();
    CHECK(!mw_rules_load_names_file(r, path, err, sizeof err));
    snprintf(want, sizeof want, "%s:4: not an RFC 2253 name: \"bogus line\"", path);
    CHECK_EQ_S(err, want);
    /* The line before the error was kept. */
    CHECK_EQ_S(mw_rules_rogue_name(r, "CN=Evil CA,C=ZZ"), "names");
    mw_rules_free(r);
}

static void test_builtin_dir(void)
{
    char err[MW_RULES_ERRLEN] = "";
    mw_rules *r = mw_rules_new();
    CHECK(mw_rules_load_dir(r, RULES_DIR, true, err, sizeof err));
    if (err[0])
        fprintf(stderr, "  %s\n", err);
    /* 11 roots from the Chromium blocklist; 37 + 14 target domains. */
    CHECK_EQ_U(mw_rules_n_roots(r), 11);
    CHECK_EQ_U(mw_rules_n_targets(r), 51);
    CHECK_EQ_S(mw_rules_match_target(r, "facebook.com", 12), "facebook.com");
    CHECK_EQ_S(mw_rules_match_target(r, "rutracker.org", 13), "rutracker.org");
    /* Seven roots share this name; the first file in sorted order names it. */
    CHECK_EQ_S(mw_rules_rogue_name(
                   r, "C=KZ,O=ISCA,CN=Information Security Certification Authority"),
               "isca-kz-2020-b");
    CHECK_EQ_S(mw_rules_rogue_name(r, "CN=Qaznet Trust Network,C=KZ"),
               "qaznet-trust-network-2016");
    CHECK_EQ_S(mw_rules_rogue_name(r, "CN=Security Certificate,C=KZ"), "rogue-names");
    mw_rules_free(r);

    /* Without targets (--targets replaces them). */
    r = mw_rules_new();
    CHECK(mw_rules_load_dir(r, RULES_DIR, false, err, sizeof err));
    CHECK_EQ_U(mw_rules_n_targets(r), 0);
    CHECK(!mw_rules_load_dir(r, "/nonexistent-rules", true, err, sizeof err));
    CHECK_EQ_S(err, "/nonexistent-rules: No such file or directory");
    mw_rules_free(r);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mw_rules_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_good_pem_with_comments);
    RUN(test_bad_pem_names_line);
    RUN(test_targets);
    RUN(test_names_file);
    RUN(test_builtin_dir);
    const char *names[] = {"good.pem", "bad.pem", "open.pem", "empty.pem", "t.txt",
                           "bad.txt", "bad2.txt", "names.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return check_summary();
}
