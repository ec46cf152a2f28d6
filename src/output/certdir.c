/*
 * certdir.c - --certs DIR (certdir.h).
 *
 * Everything is relative to a descriptor of DIR, so the names used are the
 * directory opened, whatever happens to the path or the working directory.
 */
#include "output/certdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#define NAME_LEN (64 + 4) /* hex + ".pem" */
#define MIN_SLOTS 1024u

struct mw_certdir {
    int dfd;
    unsigned long pid;
    unsigned long counter; /* makes temporary names unique in this process */
    /* Open-addressing set of the hashes written or found this run. */
    uint8_t (*slots)[32];
    bool *used;
    size_t nslots, count;
};

mw_certdir *mw_certdir_open(const char *dir, char *err, size_t errlen)
{
    struct stat sb;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
        return NULL;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", dir,
                 e == ENOTDIR ? "exists and is not a directory" : strerror(e));
        return NULL;
    }
    if (fstat(dfd, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", dir);
        close(dfd);
        return NULL;
    }
    if (faccessat(dfd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        snprintf(err, errlen, "%s: directory not writable: %s", dir, strerror(errno));
        close(dfd);
        return NULL;
    }
    mw_certdir *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "%s: out of memory", dir);
        close(dfd);
        return NULL;
    }
    d->dfd = dfd;
    d->pid = (unsigned long)getpid();
    return d;
}

void mw_certdir_close(mw_certdir *d)
{
    if (!d)
        return;
    close(d->dfd);
    free(d->slots);
    free(d->used);
    free(d);
}

/* ---- the set of known hashes ------------------------------------------------ */

static size_t slot_of(const uint8_t h[32], size_t nslots)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | h[i]; /* a SHA-256 is uniform already */
    return (size_t)(v & (nslots - 1));
}

static bool known(const mw_certdir *d, const uint8_t h[32])
{
    if (!d->nslots)
        return false;
    for (size_t i = slot_of(h, d->nslots);; i = (i + 1) & (d->nslots - 1)) {
        if (!d->used[i])
            return false;
        if (memcmp(d->slots[i], h, 32) == 0)
            return true;
    }
}

static void insert_slot(uint8_t (*slots)[32], bool *used, size_t nslots, const uint8_t h[32])
{
    size_t i = slot_of(h, nslots);
    while (used[i])
        i = (i + 1) & (nslots - 1);
    memcpy(slots[i], h, 32);
    used[i] = true;
}

/* Remembers h; when the set is full or memory short, it is simply not
 * remembered and the next put of it checks the directory. */
static void remember(mw_certdir *d, const uint8_t h[32])
{
    if (d->count >= MW_CERTDIR_MAX_KNOWN || known(d, h))
        return;
    if ((d->count + 1) * 2 > d->nslots) { /* load at most 1/2 */
        size_t n = d->nslots ? d->nslots * 2 : MIN_SLOTS;
        uint8_t(*slots)[32] = calloc(n, sizeof *slots);
        bool *used = calloc(n, sizeof *used);
        if (!slots || !used) {
            free(slots);
            free(used);
            return;
        }
        for (size_t i = 0; i < d->nslots; i++)
            if (d->used[i])
                insert_slot(slots, used, n, d->slots[i]);
        free(d->slots);
        free(d->used);
        d->slots = slots;
        d->used = used;
        d->nslots = n;
    }
    insert_slot(d->slots, d->used, d->nslots, h);
    d->count++;
}

/* ---- writing ------------------------------------------------------------------ */

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The PEM text of the DER as given (no parsing). */
static BIO *pem_of(const uint8_t *der, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return NULL;
    if (len > (size_t)INT32_MAX ||
        PEM_write_bio(b, "CERTIFICATE", "", der, (long)len) <= 0) {
        BIO_free(b);
        return NULL;
    }
    return b;
}

/* Moves tmp to name unless name exists. 1: moved, 0: name existed,
 * -1: error. */
static int publish(int dfd, const char *tmp, const char *name)
{
#ifdef RENAME_NOREPLACE
    if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
        return 1;
    if (errno == EEXIST)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return -1;
#endif
    /* Without an atomic no-replace rename, a concurrent run may replace
     * the file between the check and the rename: with the same bytes. */
    struct stat sb;
    if (fstatat(dfd, name, &sb, 0) == 0)
        return 0;
    return renameat(dfd, tmp, dfd, name) == 0 ? 1 : -1;
}

/* 1: written, 0: already there, -1: failed. */
static int write_cert(mw_certdir *d, const char *name, const uint8_t *der, size_t len)
{
    BIO *pem = pem_of(der, len);
    if (!pem)
        return -1;
    char *text;
    long tlen = BIO_get_mem_data(pem, &text);

    char tmp[NAME_LEN + 64];
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf(tmp, sizeof tmp, ".tmp-%.16s-%lu-%lu", name, d->pid, d->counter++);
        fd = openat(d->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        BIO_free(pem);
        return -1;
    }
    /* Synced before the rename, so the name never shows a partial file. */
    bool ok = tlen > 0 && write_all(fd, text, (size_t)tlen) && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    BIO_free(pem);
    int r = ok ? publish(d->dfd, tmp, name) : -1;
    if (r != 1)
        unlinkat(d->dfd, tmp, 0);
    return r;
}

void mw_certdir_put(mw_certdir *d, const uint8_t sha256[32], const uint8_t *der,
                    size_t len, mw_stats *st)
{
    static const char hex[] = "0123456789abcdef";
    char name[NAME_LEN + 1];
    struct stat sb;

    if (known(d, sha256))
        return;
    for (size_t i = 0; i < 32; i++) {
        name[2 * i] = hex[sha256[i] >> 4];
        name[2 * i + 1] = hex[sha256[i] & 15];
    }
    memcpy(name + 64, ".pem", 5);

    if (fstatat(d->dfd, name, &sb, 0) == 0) {
        remember(d, sha256);
        return;
    }
    int r = write_cert(d, name, der, len);
    if (r >= 0)
        remember(d, sha256);
    if (st && r == 1)
        st->output.certs_written++;
    else if (st && r < 0)
        st->output.certs_write_failed++;
}
