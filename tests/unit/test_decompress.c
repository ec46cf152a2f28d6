/*
 * test_decompress.c - capture bytes decompressed by content.
 *
 * The compressed files are made by the formats' own command-line tools
 * (gzip, xz, zstd, bzip2), an implementation independent of the reader's
 * use of the libraries; every test compares the bytes read with the
 * original ones.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/decompress.h"
#include "check.h"

static char tmpdir[] = "/tmp/mw_test_decompress.XXXXXX";

/* 2.5 MB: text-like runs and noise, over several bzip2 (900 kB) and zstd
 * (128 kB) blocks. */
#define DATA_LEN ((size_t)2500 * 1000)
static uint8_t *data;

static void make_data(void)
{
    uint32_t x = 7;
    data = malloc(DATA_LEN);
    for (size_t i = 0; i < DATA_LEN; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (i / 4096) % 2 ? (uint8_t)(x >> 16) : (uint8_t)("mitmwatch "[i % 10]);
    }
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_U(fwrite(p, 1, n, f), n);
        fclose(f);
    }
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = malloc(DATA_LEN * 2);
    *n = f ? fread(b, 1, DATA_LEN * 2, f) : 0;
    if (f)
        fclose(f);
    return b;
}

/* tool -c < from > to */
static void compress_with(const char *tool, const char *from, const char *to)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s -c < '%s' > '%s'", tool, from, to);
    CHECK_EQ_U(system(cmd), 0);
}

/* Reads all of path in chunks of `chunk`; returns the bytes read and
 * whether it ended in an error (with its message in err). */
static size_t read_all(const char *path, size_t chunk, uint8_t *out, size_t cap,
                       mw_zkind *kind, int *failed, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY);
    mw_zreader *z = mw_zreader_open(fd);
    size_t got = 0;
    *failed = 0;
    CHECK(z != NULL);
    if (!z)
        return 0;
    *kind = mw_zreader_kind(z);
    for (;;) {
        size_t want = chunk < cap - got ? chunk : cap - got;
        ssize_t n = mw_zreader_read(z, out + got, want);
        if (n < 0) {
            *failed = 1;
            snprintf(err, errlen, "%s", mw_zreader_error(z));
            CHECK(mw_zreader_read(z, out, 1) < 0); /* stays failed */
            break;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (got == cap)
            break;
    }
    mw_zreader_close(z);
    return got;
}

static const struct {
    const char *tool;
    mw_zkind kind;
} tools[] = {
    {"gzip", MW_Z_GZIP}, {"xz", MW_Z_XZ}, {"zstd -q", MW_Z_ZSTD}, {"bzip2", MW_Z_BZIP2},
};

static void test_roundtrip(void)
{
    char plain[300], comp[300], err[200];
    uint8_t *out = malloc(DATA_LEN + 16);
    snprintf(plain, sizeof plain, "%s/plain", tmpdir);
    write_file(plain, data, DATA_LEN);
    static const size_t chunks[] = {1, 3, 4096, 65536, (size_t)1 << 22};
    for (size_t t = 0; t < sizeof tools / sizeof tools[0]; t++) {
        snprintf(comp, sizeof comp, "%s/comp%zu", tmpdir, t);
        compress_with(tools[t].tool, plain, comp);
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            /* One-byte reads of 2.5 MB take long: a prefix is enough. */
            size_t cap = chunks[c] == 1 ? 200000 : DATA_LEN + 16;
            mw_zkind k;
            int failed;
            size_t got = read_all(comp, chunks[c], out, cap, &k, &failed, err, sizeof err);
            CHECK_EQ_U(k, tools[t].kind);
            CHECK(!failed);
            CHECK_EQ_U(got, cap < DATA_LEN ? cap : DATA_LEN);
            CHECK(memcmp(out, data, got) == 0);
        }
    }
    /* Plain bytes pass through unchanged. */
    mw_zkind k;
    int failed;
    size_t got = read_all(plain, 65536, out, DATA_LEN + 16, &k, &failed, err, sizeof err);
    CHECK_EQ_U(k, MW_Z_NONE);
    CHECK(!failed);
    CHECK_EQ_U(got, DATA_LEN);
    CHECK(memcmp(out, data, got) == 0);
    free(out);
}

/* Truncated: a prefix of the original, then "unexpected end of file".
 * Concatenated streams: the whole. Trailing garbage: the whole, then an
 * error (never a silent end). */
static void test_damage_and_concatenation(void)
{
    char plain[300], comp[300], path[300], err[200];
    uint8_t *out = malloc(DATA_LEN + 16);
    snprintf(plain, sizeof plain, "%s/plain", tmpdir);
    write_file(plain, data, DATA_LEN);
    for (size_t t = 0; t < sizeof tools / sizeof tools[0]; t++) {
        size_t n;
        snprintf(comp, sizeof comp, "%s/comp%zu", tmpdir, t);
        compress_with(tools[t].tool, plain, comp);
        uint8_t *z = read_file(comp, &n);
        mw_zkind k;
        int failed;

        snprintf(path, sizeof path, "%s/cut%zu", tmpdir, t);
        write_file(path, z, n * 7 / 10);
        size_t got = read_all(path, 65536, out, DATA_LEN + 16, &k, &failed, err, sizeof err);
        CHECK(failed);
        CHECK_EQ_S(err, "unexpected end of file");
        CHECK(got > DATA_LEN / 4 && got < DATA_LEN); /* several blocks survive */
        CHECK(memcmp(out, data, got) == 0);

        snprintf(path, sizeof path, "%s/two%zu", tmpdir, t);
        uint8_t *two = malloc(2 * n);
        memcpy(two, z, n);
        memcpy(two + n, z, n);
        write_file(path, two, 2 * n);
        uint8_t *out2 = malloc(2 * DATA_LEN + 16);
        got = read_all(path, 65536, out2, 2 * DATA_LEN + 16, &k, &failed, err, sizeof err);
        CHECK(!failed);
        CHECK_EQ_U(got, 2 * DATA_LEN);
        CHECK(memcmp(out2, data, DATA_LEN) == 0 && memcmp(out2 + DATA_LEN, data, DATA_LEN) == 0);
        free(out2);

        snprintf(path, sizeof path, "%s/garbage%zu", tmpdir, t);
        memcpy(two + n, "garbage after the stream", 24);
        write_file(path, two, n + 24);
        got = read_all(path, 65536, out, DATA_LEN + 16, &k, &failed, err, sizeof err);
        CHECK(failed);
        CHECK_EQ_U(got, DATA_LEN);
        fprintf(stderr, "  (%s, garbage after the stream: %s)\n", tools[t].tool, err);
        free(two);
        free(z);
    }
    free(out);
}

/* A pipe delivering the compressed bytes a few at a time (short reads)
 * reads the same as the file. */
static void test_pipe_short_reads(void)
{
    char plain[300], comp[300], err[200];
    size_t n;
    snprintf(plain, sizeof plain, "%s/small", tmpdir);
    write_file(plain, data, 100000);
    snprintf(comp, sizeof comp, "%s/small.xz", tmpdir);
    compress_with("xz", plain, comp);
    uint8_t *z = read_file(comp, &n);
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        for (size_t i = 0; i < n; i += 5) {
            size_t k = n - i < 5 ? n - i : 5;
            if (write(fds[1], z + i, k) != (ssize_t)k)
                _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    mw_zreader *r = mw_zreader_open(fds[0]);
    CHECK_EQ_U(mw_zreader_kind(r), MW_Z_XZ);
    uint8_t *out = malloc(200000);
    size_t got = 0;
    ssize_t k;
    while ((k = mw_zreader_read(r, out + got, 200000 - got)) > 0)
        got += (size_t)k;
    snprintf(err, sizeof err, "%s", mw_zreader_error(r));
    CHECK_EQ_U(k, 0);
    CHECK_EQ_U(got, 100000);
    CHECK(memcmp(out, data, 100000) == 0);
    mw_zreader_close(r);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(out);
    free(z);
}

static void test_names(void)
{
    CHECK_EQ_S(mw_zkind_name(MW_Z_GZIP), "gzip");
    CHECK_EQ_S(mw_zkind_name(MW_Z_XZ), "xz");
    CHECK_EQ_S(mw_zkind_name(MW_Z_ZSTD), "zstd");
    CHECK_EQ_S(mw_zkind_name(MW_Z_BZIP2), "bzip2");
    CHECK(mw_zkind_name(MW_Z_NONE) == NULL);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    make_data();
    RUN(test_names);
    RUN(test_roundtrip);
    RUN(test_damage_and_concatenation);
    RUN(test_pipe_short_reads);
    free(data);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_summary();
}
