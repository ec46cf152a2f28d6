/*
 * capture.c - packet sources on top of libpcap, with decompression
 * underneath files.
 *
 * Every file goes through decompress.h, which recognises gzip, xz, zstd
 * and bzip2 by content and passes any other bytes through unchanged, so
 * plain and compressed captures, seekable or not (stdin, pipes), take the
 * same path. libpcap reads a FILE*, so the reader is wrapped in one with
 * fopencookie(); nothing touches the disk.
 *
 * libpcap limitation worth knowing: a pcapng section whose interfaces have
 * different link types is refused by libpcap at the first interface that
 * differs; that surfaces here as a read error at that point of the file.
 */
#include "capture/capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <poll.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "capture/capwalk.h"
#include "capture/decompress.h"
#include "common/cursor.h"

#define MW_MAGIC_PCAP_US 0xa1b2c3d4u
#define MW_MAGIC_PCAP_US_SWAPPED 0xd4c3b2a1u
#define MW_MAGIC_PCAP_NS 0xa1b23c4du
#define MW_MAGIC_PCAP_NS_SWAPPED 0x4d3cb2a1u
#define MW_MAGIC_PCAPNG 0x0a0d0d0au

#define MW_LIVE_TIMEOUT_MS 200   /* how often a blocked read rechecks stop */
#define MW_ZERRLEN 128

/* Keeps sec * 1000000 + usec (usec clamped to 32 bits) within 64 bits. */
#define MW_TS_MAX_SEC ((UINT64_MAX - UINT32_MAX) / 1000000u)

struct mw_source {
    pcap_t *pcap;
    mw_capture_stats *stats;
    struct bpf_program bpf;     /* files: filter applied in mw_source_next */
    bool have_bpf;
    bool live;
    mw_zkind zkind;             /* the file's compression, or MW_Z_NONE */
    bool done;                  /* END or ERROR already returned */
    bool draining;              /* live, stopping: read until empty */
    int fd;                     /* live: the descriptor to poll */
    bool idle_polled;           /* live: waited once since the last packet */
    uint64_t drain_until_ms;    /* monotonic deadline of the drain */
    volatile sig_atomic_t stop;
    uint64_t number;            /* records read so far, filtered ones too */
    int linktype;

    /* File reading; owned by the cookie FILE once it exists. */
    mw_zreader *z;
    uint8_t prefix[4];          /* bytes consumed by the format check */
    size_t prefix_len;
    size_t prefix_pos;
    bool zfailed;
    mw_capwalk *walk;           /* block framing, for the place of errors */
    char zerr[MW_ZERRLEN];      /* the reader's message for the first error */

    char *path;                 /* as given */
    const char *label;          /* in error messages: path, or "stdin" */
    const char *name;           /* base name, "stdin", or the interface */
    char err[MW_CAPTURE_ERRLEN];
};

static void mw_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mw_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Remembers the reader's explanation before errno-style reporting
 * through libpcap loses it. */
static void mw_source_note_zerr(mw_source *s)
{
    if (s->zfailed)
        return;
    snprintf(s->zerr, sizeof(s->zerr), "%s", mw_zreader_error(s->z));
    s->zfailed = true;
}

/* "gzip stream damaged", ..., or "read error" for a plain file. */
static void mw_source_damage_words(const mw_source *s, char *buf, size_t n)
{
    const char *kind = mw_zkind_name(s->zkind);
    if (kind)
        snprintf(buf, n, "%s stream damaged", kind);
    else
        snprintf(buf, n, "read error");
}

static ssize_t mw_cookie_read(void *cookie, char *buf, size_t size)
{
    mw_source *s = cookie;
    size_t done = 0;
    ssize_t n;

    if (s->zfailed) {
        errno = EIO;
        return -1;
    }
    while (done < size && s->prefix_pos < s->prefix_len)
        buf[done++] = (char)s->prefix[s->prefix_pos++];
    if (done == size) {
        mw_capwalk_feed(s->walk, (const uint8_t *)buf, done);
        return (ssize_t)done;
    }

    n = mw_zreader_read(s->z, buf + done, size - done);
    if (n > 0)
        done += (size_t)n;
    mw_capwalk_feed(s->walk, (const uint8_t *)buf, done);
    if (n == 0 && done == 0)
        mw_capwalk_eof(s->walk);
    if (n >= 0 || done > 0)
        return (ssize_t)done;
    mw_source_note_zerr(s);
    errno = EIO;
    return -1;
}

/* Only ftell() is answered (the bytes handed out so far; stdio subtracts
 * what it buffers): libpcap never seeks, and the position is what names
 * the place of an error. */
static int mw_cookie_seek(void *cookie, off64_t *offset, int whence)
{
    mw_source *s = cookie;

    if (whence == SEEK_CUR && *offset == 0) {
        *offset = (off64_t)mw_capwalk_total(s->walk);
        return 0;
    }
    errno = ESPIPE;
    return -1;
}

/*
 * "byte P, block N (Type)" (pcapng) or "byte P, packet N" (pcap): where
 * libpcap stopped in the decompressed stream. When the file ends inside
 * that block, *problem gets the walker's measure of it.
 */
static void mw_source_where(mw_source *s, FILE *fp, char *where, size_t wlen,
                            char *problem, size_t plen)
{
    long pos = fp != NULL ? ftell(fp) : -1;
    bool truncated;

    if (pos < 0)
        pos = (long)mw_capwalk_total(s->walk);
    mw_capwalk_describe(s->walk, (uint64_t)pos, where, wlen, problem, plen, &truncated);
}

static int mw_cookie_close(void *cookie)
{
    mw_source *s = cookie;

    mw_zreader_close(s->z);
    s->z = NULL;
    return 0;
}

static bool mw_magic_is_capture(uint32_t magic)
{
    switch (magic) {
    case MW_MAGIC_PCAP_US:
    case MW_MAGIC_PCAP_US_SWAPPED:
    case MW_MAGIC_PCAP_NS:
    case MW_MAGIC_PCAP_NS_SWAPPED:
    case MW_MAGIC_PCAPNG:
        return true;
    default:
        return false;
    }
}

static uint32_t mw_prefix_magic(const uint8_t *p, size_t len)
{
    mw_cursor c;
    uint32_t magic = 0;

    mw_cursor_init(&c, p, len);
    (void)mw_cursor_get_u32(&c, &magic);
    return magic;
}

static const char *mw_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL || slash[1] == '\0')
        return path;
    return slash + 1;
}

static mw_source *mw_source_new(const char *path, bool is_stdin,
                                mw_capture_stats *stats)
{
    mw_source *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->path = strdup(path);
    if (s->path == NULL) {
        free(s);
        return NULL;
    }
    s->stats = stats;
    s->label = is_stdin ? "stdin" : s->path;
    s->name = is_stdin ? "stdin" : mw_base_name(s->path);
    return s;
}

static void mw_source_free(mw_source *s)
{
    if (s->have_bpf)
        pcap_freecode(&s->bpf);
    mw_capwalk_free(s->walk);
    free(s->path);
    free(s);
}

/*
 * Reads the first four (decompressed) bytes into s->prefix and explains
 * what is wrong if they cannot start a capture.
 */
static bool mw_source_check_format(mw_source *s, char *err, size_t errlen)
{
    const char *kind = mw_zkind_name(s->zkind);
    char words[64];
    ssize_t n = 0;
    uint32_t magic;

    /* A stream cut after the first bytes is read as far as it goes, like
     * any damaged file; only fail here when nothing usable came. */
    while ((size_t)n < sizeof(s->prefix)) {
        ssize_t k = mw_zreader_read(s->z, s->prefix + n, sizeof(s->prefix) - (size_t)n);
        if (k <= 0) {
            if (k < 0) {
                mw_source_note_zerr(s);
                mw_source_damage_words(s, words, sizeof words);
                mw_set_err(err, errlen, "%s: %s: %s", s->label, words, s->zerr);
                return false;
            }
            break;
        }
        n += k;
    }
    s->prefix_len = (size_t)n;
    if (n == 0) {
        if (kind)
            mw_set_err(err, errlen, "%s: empty file (%s-compressed, nothing inside)",
                       s->label, kind);
        else
            mw_set_err(err, errlen, "%s: empty file", s->label);
        return false;
    }
    if ((size_t)n < sizeof(s->prefix)) {
        mw_set_err(err, errlen, "%s: not a pcap or pcapng file (only %d byte%s%s%s)",
                   s->label, (int)n, n == 1 ? "" : "s", kind ? " inside the " : "",
                   kind ? kind : "");
        return false;
    }
    magic = mw_prefix_magic(s->prefix, s->prefix_len);
    if (!mw_magic_is_capture(magic)) {
        if (kind)
            mw_set_err(err, errlen, "%s: %s-compressed, but not a pcap or "
                       "pcapng file inside (magic 0x%08x)", s->label, kind, magic);
        else
            mw_set_err(err, errlen, "%s: not a pcap or pcapng file (magic 0x%08x)",
                       s->label, magic);
        return false;
    }
    return true;
}

/* Compiles cfg->filter; files keep it for pcap_offline_filter(). */
static bool mw_source_compile_filter(mw_source *s, const char *filter,
                                     bpf_u_int32 netmask, char *err, size_t errlen)
{
    if (filter == NULL || *filter == '\0')
        return true;
    if (pcap_compile(s->pcap, &s->bpf, filter, 1, netmask) != 0) {
        mw_set_err(err, errlen, "%s: bad filter expression '%s': %s", s->label,
                   filter, pcap_geterr(s->pcap));
        return false;
    }
    s->have_bpf = true;
    return true;
}

static int mw_open_fd(const char *path, bool is_stdin, char *err, size_t errlen)
{
    struct stat st;
    int fd;

    /* dup() stdin so closing the reader never closes descriptor 0. */
    if (is_stdin)
        fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    else
        fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mw_set_err(err, errlen, "%s: %s", is_stdin ? "stdin" : path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        mw_set_err(err, errlen, "%s: is a directory, not a capture file",
                   is_stdin ? "stdin" : path);
        close(fd);
        return -1;
    }
    return fd;
}

mw_source *mw_source_open_file(const char *path, const mw_capture_config *cfg,
                               mw_capture_stats *stats, char *err, size_t errlen)
{
    static const cookie_io_functions_t io = {
        .read = mw_cookie_read,
        .write = NULL,
        .seek = mw_cookie_seek,
        .close = mw_cookie_close,
    };
    char errbuf[PCAP_ERRBUF_SIZE];
    bool is_stdin;
    mw_source *s;
    FILE *fp;
    int fd;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (path == NULL) {
        mw_set_err(err, errlen, "(null): no path given");
        stats->inputs_failed++;
        return NULL;
    }
    is_stdin = strcmp(path, "-") == 0;
    s = mw_source_new(path, is_stdin, stats);
    if (s == NULL) {
        mw_set_err(err, errlen, "%s: out of memory", path);
        stats->inputs_failed++;
        return NULL;
    }
    fd = mw_open_fd(path, is_stdin, err, errlen);
    if (fd < 0)
        goto fail;
    s->z = mw_zreader_open(fd);
    if (s->z == NULL) {
        mw_set_err(err, errlen, "%s: out of memory", s->label);
        goto fail;
    }
    s->zkind = mw_zreader_kind(s->z);
    s->walk = mw_capwalk_new();
    if (s->walk == NULL) {
        mw_set_err(err, errlen, "%s: out of memory", s->label);
        goto fail_z;
    }
    if (!mw_source_check_format(s, err, errlen))
        goto fail_z;

    fp = fopencookie(s, "r", io);
    if (fp == NULL) {
        mw_set_err(err, errlen, "%s: %s", s->label, strerror(errno));
        goto fail_z;
    }
    /* From here fclose()/pcap_close() own s->z through the cookie. */
    /* The walker's ring covers this much readahead (capwalk.h). */
    (void)setvbuf(fp, NULL, _IOFBF, MW_CAPWALK_BUFSIZE);
    errbuf[0] = '\0';
    s->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO,
                                                       errbuf);
    if (s->pcap == NULL) {
        char where[96], problem[96];
        mw_source_where(s, fp, where, sizeof where, problem, sizeof problem);
        if (s->zfailed) {
            char words[64];
            mw_source_damage_words(s, words, sizeof words);
            mw_set_err(err, errlen, "%s: %s: %s: %s", s->label, where, words, s->zerr);
        } else if (problem[0])
            mw_set_err(err, errlen, "%s: %s: %s (libpcap: %s)", s->label, where, problem,
                       errbuf[0] ? errbuf : "cannot read the capture header");
        else
            mw_set_err(err, errlen, "%s: %s: %s", s->label, where,
                       errbuf[0] ? errbuf : "cannot read the capture header");
        fclose(fp);
        goto fail;
    }
    s->linktype = pcap_datalink(s->pcap);
    if (cfg != NULL && !mw_source_compile_filter(s, cfg->filter, PCAP_NETMASK_UNKNOWN,
                                                 err, errlen)) {
        pcap_close(s->pcap);
        goto fail;
    }
    stats->inputs_opened++;
    switch (s->zkind) {
    case MW_Z_GZIP: stats->inputs_gzip++; break;
    case MW_Z_XZ: stats->inputs_xz++; break;
    case MW_Z_ZSTD: stats->inputs_zstd++; break;
    case MW_Z_BZIP2: stats->inputs_bzip2++; break;
    case MW_Z_NONE: break;
    }
    return s;

fail_z:
    mw_zreader_close(s->z);
    s->z = NULL;
fail:
    stats->inputs_failed++;
    mw_source_free(s);
    return NULL;
}

/* pcap_geterr() is sometimes empty after pcap_activate(); then say why. */
static const char *mw_pcap_problem(pcap_t *p, int rc)
{
    const char *msg = pcap_geterr(p);

    return msg != NULL && *msg ? msg : pcap_statustostr(rc);
}

mw_source *mw_source_open_live(const char *iface, const mw_capture_config *cfg,
                               mw_capture_stats *stats, char *err, size_t errlen)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    bpf_u_int32 net = 0, mask = 0;
    bpf_u_int32 netmask = PCAP_NETMASK_UNKNOWN;
    int snaplen = MW_CAPTURE_DEFAULT_SNAPLEN;
    mw_source *s;
    int rc;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (iface == NULL || *iface == '\0') {
        mw_set_err(err, errlen, "(none): no interface given");
        stats->inputs_failed++;
        return NULL;
    }
    s = mw_source_new(iface, false, stats);
    if (s == NULL) {
        mw_set_err(err, errlen, "%s: out of memory", iface);
        stats->inputs_failed++;
        return NULL;
    }
    s->live = true;
    s->name = s->path;  /* interface names may contain '/' in theory */
    errbuf[0] = '\0';
    s->pcap = pcap_create(iface, errbuf);
    if (s->pcap == NULL) {
        mw_set_err(err, errlen, "%s: %s", iface, errbuf[0] ? errbuf : "cannot open");
        goto fail;
    }
    if (cfg != NULL && cfg->snaplen > 0)
        snaplen = cfg->snaplen;
    (void)pcap_set_snaplen(s->pcap, snaplen);
    (void)pcap_set_promisc(s->pcap, cfg != NULL && cfg->promisc);
    (void)pcap_set_timeout(s->pcap, MW_LIVE_TIMEOUT_MS);
    if (cfg != NULL && cfg->buffer_mib > 0) {
        int mib = cfg->buffer_mib > INT_MAX / (1024 * 1024) ? INT_MAX / (1024 * 1024)
                                                             : cfg->buffer_mib;
        (void)pcap_set_buffer_size(s->pcap, mib * 1024 * 1024);
    }
    rc = pcap_activate(s->pcap);
    if (rc < 0) {
        /* Warnings (rc > 0), e.g. promiscuous mode refused, are not fatal. */
        mw_set_err(err, errlen, "%s: %s", iface, mw_pcap_problem(s->pcap, rc));
        goto fail_pcap;
    }
    s->linktype = pcap_datalink(s->pcap);
    if (cfg != NULL && cfg->filter != NULL && *cfg->filter != '\0') {
        /* The netmask only matters for "ip broadcast"; unknown is fine. */
        if (pcap_lookupnet(iface, &net, &mask, errbuf) == 0)
            netmask = mask;
        if (!mw_source_compile_filter(s, cfg->filter, netmask, err, errlen))
            goto fail_pcap;
        /* Live filtering happens in the kernel: rejected packets cost
         * nothing and are not counted. */
        if (pcap_setfilter(s->pcap, &s->bpf) != 0) {
            mw_set_err(err, errlen, "%s: cannot set filter '%s': %s", iface,
                       cfg->filter, pcap_geterr(s->pcap));
            goto fail_pcap;
        }
        pcap_freecode(&s->bpf);
        s->have_bpf = false;
    }
    /* Nonblocking, waiting in poll() with a timeout: a blocked read on a
     * quiet interface (TPACKET_V3 waits without a timeout until a block
     * fills) would never see a stop or SIGHUP. */
    s->fd = pcap_get_selectable_fd(s->pcap);
    if (s->fd < 0 || pcap_setnonblock(s->pcap, 1, errbuf) != 0) {
        mw_set_err(err, errlen, "%s: cannot read without blocking", iface);
        goto fail_pcap;
    }
    /* libpcap has bound its TPACKET_V3 socket by now; the kernel lets a
     * bound packet socket join a fanout group (and only then). Hash mode
     * is symmetric (both directions of a flow go to one socket); the
     * defrag flag reassembles IPv4 fragments first, so a datagram's
     * fragments cannot be split between two sockets. */
    if (cfg != NULL && cfg->fanout) {
        /* The kernel reads an int: the id in the low 16 bits, mode and
         * flags above (the defrag flag is the sign bit: built unsigned). */
        uint32_t v = (uint32_t)cfg->fanout_id |
                     (uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16;
        if (setsockopt(pcap_fileno(s->pcap), SOL_PACKET, PACKET_FANOUT, &v, sizeof v) != 0) {
            mw_set_err(err, errlen, "%s: cannot join PACKET_FANOUT group %u: %s", iface,
                       (unsigned)cfg->fanout_id, strerror(errno));
            goto fail_pcap;
        }
    }
    stats->inputs_opened++;
    return s;

fail_pcap:
    pcap_close(s->pcap);
fail:
    stats->inputs_failed++;
    mw_source_free(s);
    return NULL;
}

static uint64_t mw_ts_us(const struct timeval *tv)
{
    uint64_t sec, usec;

    /* libpcap reads the 32-bit pcap seconds field as signed, so times past
     * 2038 come out negative; the format means it unsigned. Anything more
     * negative (pcapng, hostile values) is clamped, never wrapped. */
    if (tv->tv_sec >= 0)
        sec = (uint64_t)tv->tv_sec;
    else if (tv->tv_sec >= INT32_MIN)
        sec = (uint64_t)(tv->tv_sec + 4294967296LL);
    else
        sec = 0;
    usec = tv->tv_usec > 0 ? (uint64_t)tv->tv_usec : 0;
    if (sec > MW_TS_MAX_SEC)
        sec = MW_TS_MAX_SEC;
    if (usec > UINT32_MAX)
        usec = UINT32_MAX;
    return sec * 1000000u + usec;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void mw_source_drain(mw_source *s)
{
    if (!s->live || s->pcap == NULL || s->draining)
        return;
    /* Nonblocking: pcap_next_ex() returns 0 as soon as nothing is left. */
    s->draining = true;
    s->drain_until_ms = mono_ms() + 2000u;
}

void mw_source_count_not_read(mw_source *s, mw_capture_stats *stats)
{
    struct pcap_stat ps;
    if (!s->live || pcap_stats(s->pcap, &ps) != 0)
        return;
    /* Linux counts drops in ps_recv too (tp_packets includes tp_drops). */
    uint64_t kept = ps.ps_recv > ps.ps_drop ? (uint64_t)ps.ps_recv - ps.ps_drop : 0;
    if (kept > s->number)
        stats->packets_not_read += kept - s->number;
}

mw_source_status mw_source_next(mw_source *s, mw_source_packet *out)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc;

    for (;;) {
        if (s->stop || s->done)
            return MW_SOURCE_END;
        if (s->draining && mono_ms() >= s->drain_until_ms) {
            s->done = true; /* what is still there counts as not read */
            return MW_SOURCE_END;
        }
        rc = pcap_next_ex(s->pcap, &hdr, &data);
        if (rc == 0 && s->draining) {
            s->done = true; /* the kernel buffer is empty */
            return MW_SOURCE_END;
        }
        if (rc == 0 && s->live && !s->idle_polled) {
            /* Wait for the kernel (a signal also ends the wait), then
             * try once more before saying idle. */
            struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
            (void)poll(&pfd, 1, MW_LIVE_TIMEOUT_MS);
            s->idle_polled = true;
            continue;
        }
        s->idle_polled = false;
        if (rc == 0)
            return MW_SOURCE_IDLE;
        if (rc == PCAP_ERROR_BREAK) {
            s->done = true;
            return MW_SOURCE_END;
        }
        if (rc != 1) {
            s->done = true;
            if (s->stop)
                return MW_SOURCE_END;
            s->stats->inputs_damaged++;
            char where[96], problem[96];
            if (s->live || s->walk == NULL) {
                /* No file bytes to place it in: an interface's error
                 * (it went down, disappeared) follows its packet count. */
                snprintf(s->err, sizeof(s->err), "%s: packet %llu: %s", s->label,
                         (unsigned long long)s->number + 1, pcap_geterr(s->pcap));
                return MW_SOURCE_ERROR;
            }
            mw_source_where(s, pcap_file(s->pcap), where, sizeof where, problem,
                            sizeof problem);
            if (s->zfailed) {
                char words[64];
                mw_source_damage_words(s, words, sizeof words);
                snprintf(s->err, sizeof(s->err), "%s: %s: %s: %s", s->label, where,
                         words, s->zerr);
            } else if (problem[0])
                snprintf(s->err, sizeof(s->err), "%s: %s: %s (libpcap: %s)", s->label,
                         where, problem, pcap_geterr(s->pcap));
            else
                snprintf(s->err, sizeof(s->err), "%s: %s: %s", s->label, where,
                         pcap_geterr(s->pcap));
            return MW_SOURCE_ERROR;
        }

        /* Numbers count every record, filtered or not, so they match the
         * frame numbers Wireshark shows. */
        s->number++;
        s->stats->packets++;
        s->stats->bytes += hdr->len;
        s->stats->bytes_captured += hdr->caplen;
        if (hdr->caplen < hdr->len)
            s->stats->packets_snaplen_cut++;
        if (s->have_bpf && pcap_offline_filter(&s->bpf, hdr, data) == 0) {
            s->stats->packets_filtered_out++;
            continue;
        }
        out->ts_us = mw_ts_us(&hdr->ts);
        out->number = s->number;
        out->caplen = hdr->caplen;
        out->wirelen = hdr->len;
        out->data = data;
        return MW_SOURCE_PACKET;
    }
}

void mw_source_stop(mw_source *s)
{
    s->stop = 1;
    if (s->pcap != NULL)
        pcap_breakloop(s->pcap);
}

const char *mw_source_name(const mw_source *s) { return s->name; }
const char *mw_source_path(const mw_source *s) { return s->path; }
int mw_source_linktype(const mw_source *s) { return s->linktype; }
bool mw_source_is_live(const mw_source *s) { return s->live; }
bool mw_source_is_gzip(const mw_source *s) { return s->zkind == MW_Z_GZIP; }
const char *mw_source_compression(const mw_source *s) { return mw_zkind_name(s->zkind); }
uint64_t mw_source_bytes_in(const mw_source *s) { return s->z ? mw_zreader_bytes_in(s->z) : 0; }
const char *mw_source_error(const mw_source *s) { return s->err; }

void mw_source_add_drop_stats(mw_source *s, mw_capture_stats *stats)
{
    struct pcap_stat ps;

    if (!s->live || pcap_stats(s->pcap, &ps) != 0)
        return;
    stats->pcap_received += ps.ps_recv;
    stats->pcap_dropped += ps.ps_drop;
    stats->pcap_if_dropped += ps.ps_ifdrop;
}

void mw_source_close(mw_source *s)
{
    if (s == NULL)
        return;
    if (s->pcap != NULL)
        pcap_close(s->pcap);  /* closes the cookie FILE, hence the reader */
    mw_source_free(s);
}

/* 1: a capture, 0: not one, -1: it cannot be opened (errno says why). */
static int mw_probe_capture(const char *path)
{
    uint8_t head[4];
    struct stat st;
    mw_zreader *z;
    size_t n = 0;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    /* Never block on a FIFO or device met while scanning a directory. */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    /* Blocking again: a regular file never blocks, and the reader's
     * loop must not take EAGAIN for damage. */
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    z = mw_zreader_open(fd);
    if (z == NULL)
        return 0;
    while (n < sizeof(head)) {
        ssize_t k = mw_zreader_read(z, head + n, sizeof(head) - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    mw_zreader_close(z);
    return n == sizeof(head) && mw_magic_is_capture(mw_prefix_magic(head, sizeof(head)));
}

bool mw_capture_file_looks_like_capture(const char *path)
{
    return mw_probe_capture(path) == 1;
}

static int mw_cmp_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int mw_capture_list_dir(const char *dir, mw_capture_stats *stats, char ***paths,
                        char *err, size_t errlen)
{
    struct dirent *de;
    struct stat st;
    char **list = NULL, **grown, *full;
    size_t n = 0, cap = 0, dlen;
    bool slash;
    DIR *d;
    int rc;

    *paths = NULL;
    d = opendir(dir);
    if (d == NULL) {
        mw_set_err(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    dlen = strlen(dir);
    slash = dlen > 0 && dir[dlen - 1] == '/';
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (de == NULL)
            break;
        if (de->d_name[0] == '.')
            continue;
        if (asprintf(&full, "%s%s%s", dir, slash ? "" : "/", de->d_name) < 0)
            goto oom;
        /* stat(), not d_type: symlinks to captures count, and some file
         * systems report DT_UNKNOWN. Subdirectories are not entries we
         * could have read, so they are not counted as skipped. */
        rc = stat(full, &st);
        /* An entry that cannot be read (a broken link, no permission) may
         * well be a capture: it stays in the list, so opening it fails
         * loudly, is counted (inputs_failed) and the exit status says so. */
        int probe = rc != 0 ? -1 : S_ISREG(st.st_mode) ? mw_probe_capture(full) : 0;
        if (probe == 0 && !S_ISREG(st.st_mode)) {
            if (!S_ISDIR(st.st_mode))
                stats->dir_entries_skipped++;
            free(full);
            continue;
        }
        if (probe == 0) {
            stats->dir_entries_skipped++;
            free(full);
            continue;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            if (ncap > (size_t)INT_MAX) {
                free(full);
                mw_set_err(err, errlen, "%s: too many files", dir);
                goto fail;
            }
            grown = realloc(list, ncap * sizeof(*list));
            if (grown == NULL) {
                free(full);
                goto oom;
            }
            list = grown;
            cap = ncap;
        }
        list[n++] = full;
    }
    if (errno != 0) {
        mw_set_err(err, errlen, "%s: %s", dir, strerror(errno));
        goto fail;
    }
    closedir(d);
    if (n > 1)
        qsort(list, n, sizeof(*list), mw_cmp_paths);
    *paths = list;
    return (int)n;

oom:
    mw_set_err(err, errlen, "%s: out of memory", dir);
fail:
    closedir(d);
    mw_capture_free_paths(list, (int)n);
    return -1;
}

void mw_capture_free_paths(char **paths, int n)
{
    if (paths == NULL)
        return;
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}
