/*
 * test_certdir.c - --certs DIR (src/output/certdir.h): a real certificate
 * (samples/trust-store.pem) and garbage bytes are written; names are
 * checked against SHA-256 computed here, contents by reading the PEM back
 * with OpenSSL.
 */
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "output/certdir.h"
#include "check.h"

#ifndef MW_TEST_DATA_DIR
#define MW_TEST_DATA_DIR "tests/data"
#endif

static char tmpdir[] = "/tmp/mw_test_certdir.XXXXXX";

static void path_in(char *out, const char *name)
{
    snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);
}

static void hash_name(char *out, const char *dir, const uint8_t *der, size_t len,
                      uint8_t md[32])
{
    SHA256(der, len, md);
    int n = snprintf(out, PATH_MAX, "%s/", dir);
    for (int i = 0; i < 32; i++)
        n += snprintf(out + n, (size_t)(PATH_MAX - n), "%02x", md[i]);
    snprintf(out + n, (size_t)(PATH_MAX - n), ".pem");
}

/* The first certificate of samples/trust-store.pem, as DER. */
static uint8_t *sample_der(size_t *len)
{
    FILE *f = fopen(MW_TEST_DATA_DIR "/../../samples/trust-store.pem", "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    uint8_t *der = NULL;
    int n = x ? i2d_X509(x, &der) : -1;
    if (f)
        fclose(f);
    X509_free(x);
    if (n <= 0)
        abort();
    *len = (size_t)n;
    return der;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    const struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.' || strncmp(e->d_name, ".tmp", 4) == 0;
    closedir(d);
    return n;
}

static void test_real_and_garbage(void)
{
    char dir[PATH_MAX], name[PATH_MAX], gname[PATH_MAX], err[256];
    uint8_t md[32], gmd[32];
    size_t len;
    uint8_t *der = sample_der(&len);
    uint8_t garbage[300];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (uint8_t)(i * 7 + 3);

    path_in(dir, "certs"); /* missing: created */
    mw_certdir *d = mw_certdir_open(dir, err, sizeof err);
    CHECK(d != NULL);
    if (!d)
        return;
    struct stat sb;
    CHECK(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode));

    mw_stats st;
    memset(&st, 0, sizeof st);
    hash_name(name, dir, der, len, md);
    mw_certdir_put(d, md, der, len, &st);
    CHECK_EQ_U(st.output.certs_written, 1);

    /* The file reads back as the same certificate, DER byte for byte. */
    FILE *f = fopen(name, "r");
    CHECK(f != NULL);
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    CHECK(x != NULL);
    uint8_t *back = NULL;
    int blen = x ? i2d_X509(x, &back) : -1;
    CHECK_EQ_U(blen, len);
    if (blen == (int)len)
        CHECK_MEM(back, der, len);
    OPENSSL_free(back);
    X509_free(x);

    /* Base64 lines of 64 characters, the last one shorter. */
    if (f) {
        char line[256];
        int lines = 0, shorter = 0;
        rewind(f);
        while (fgets(line, sizeof line, f)) {
            size_t n = strcspn(line, "\n");
            if (line[0] == '-')
                continue;
            lines++;
            CHECK(n <= 64);
            shorter += n < 64;
        }
        CHECK(lines > 1);
        CHECK(shorter <= 1);
        fclose(f);
    }

    /* Garbage is written too, and decodes back exactly. */
    hash_name(gname, dir, garbage, sizeof garbage, gmd);
    mw_certdir_put(d, gmd, garbage, sizeof garbage, &st);
    CHECK_EQ_U(st.output.certs_written, 2);
    f = fopen(gname, "r");
    CHECK(f != NULL);
    if (f) {
        char *pname = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        BIO *b = BIO_new_fp(f, BIO_NOCLOSE);
        CHECK(PEM_read_bio(b, &pname, &header, &data, &dlen) == 1);
        CHECK_EQ_S(pname, "CERTIFICATE");
        CHECK_EQ_U(dlen, sizeof garbage);
        if (dlen == (long)sizeof garbage)
            CHECK_MEM(data, garbage, sizeof garbage);
        OPENSSL_free(pname);
        OPENSSL_free(header);
        OPENSSL_free(data);
        BIO_free(b);
        fclose(f);
    }

    /* Seen again, by this run (the set) or a later one (the directory):
     * not rewritten, not counted. */
    struct stat before, after;
    CHECK(stat(name, &before) == 0);
    sleep(1); /* a rewrite would change the mtime */
    mw_certdir_put(d, md, der, len, &st);
    mw_certdir_close(d);
    d = mw_certdir_open(dir, err, sizeof err);
    CHECK(d != NULL);
    if (d)
        mw_certdir_put(d, md, der, len, &st);
    CHECK(stat(name, &after) == 0);
    CHECK_EQ_U(after.st_ino, before.st_ino);
    CHECK_EQ_U(after.st_mtime, before.st_mtime);
    CHECK_EQ_U(st.output.certs_written, 2);
    CHECK_EQ_U(st.output.certs_write_failed, 0);
    CHECK_EQ_U(count_entries(dir), 2); /* no temporary files left */
    mw_certdir_close(d);
    OPENSSL_free(der);
}

/* Many distinct certificates: the set grows, names stay right. */
static void test_many(void)
{
    char dir[PATH_MAX], name[PATH_MAX], err[256];
    path_in(dir, "many");
    mw_certdir *d = mw_certdir_open(dir, err, sizeof err);
    CHECK(d != NULL);
    if (!d)
        return;
    mw_stats st;
    memset(&st, 0, sizeof st);
    for (int round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < 1500; i++) {
            uint8_t b[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
                            (uint8_t)i};
            uint8_t md[32];
            hash_name(name, dir, b, sizeof b, md);
            mw_certdir_put(d, md, b, sizeof b, &st);
            if (i % 500 == 0)
                CHECK(access(name, R_OK) == 0);
        }
    }
    CHECK_EQ_U(st.output.certs_written, 1500);
    CHECK_EQ_U(count_entries(dir), 1500);
    mw_certdir_close(d);
}

static void test_errors(void)
{
    char file[PATH_MAX], under[PATH_MAX], dir[PATH_MAX], err[256] = "";
    path_in(file, "plain-file");
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);

    CHECK(mw_certdir_open(file, err, sizeof err) == NULL); /* not a directory */
    CHECK(strstr(err, file) != NULL);
    path_in(under, "plain-file/sub");
    err[0] = '\0';
    CHECK(mw_certdir_open(under, err, sizeof err) == NULL);
    CHECK(strstr(err, under) != NULL);
    path_in(under, "missing-parent/sub");
    CHECK(mw_certdir_open(under, err, sizeof err) == NULL);

    path_in(dir, "readonly");
    CHECK(mkdir(dir, 0555) == 0);
    if (geteuid() != 0) { /* root writes anyway */
        err[0] = '\0';
        CHECK(mw_certdir_open(dir, err, sizeof err) == NULL);
        CHECK(strstr(err, dir) != NULL);
    }

    /* The directory vanishes after opening: every put fails, counted. */
    path_in(dir, "vanishing");
    mw_certdir *d = mw_certdir_open(dir, err, sizeof err);
    CHECK(d != NULL);
    CHECK(rmdir(dir) == 0);
    if (d) {
        mw_stats st;
        memset(&st, 0, sizeof st);
        uint8_t md[32], b[3] = {1, 2, 3};
        SHA256(b, sizeof b, md);
        mw_certdir_put(d, md, b, sizeof b, &st);
        mw_certdir_put(d, md, b, sizeof b, NULL);
        CHECK_EQ_U(st.output.certs_written, 0);
        CHECK_EQ_U(st.output.certs_write_failed, 1);
        mw_certdir_close(d);
    }
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_real_and_garbage);
    RUN(test_many);
    RUN(test_errors);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_summary();
}
