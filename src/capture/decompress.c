/*
 * decompress.c - see decompress.h.
 *
 * One loop drives the four decoders: fill the input buffer from the file,
 * let the decoder turn input into output (a "step"), and decide from what
 * moved. A step that ends a stream starts the next one (concatenated
 * streams); a step that moves nothing once the file has ended means the
 * stream was cut short. The decoders' own "no progress" codes (zlib's
 * Z_BUF_ERROR, liblzma's LZMA_BUF_ERROR) are therefore not errors here:
 * only the loop, which knows whether more input can come, decides.
 */
#include "capture/decompress.h"

#include <bzlib.h>
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* Read from the file at once; the decoders keep their own windows. */
#define MW_Z_INBUF ((size_t)64 * 1024)
/* Enough to tell the formats apart (xz's magic is the longest). */
#define MW_Z_SNIFF 6
/* zstd frames asking for a bigger window (zstd --long=31) are refused
 * rather than allowed to take 2 GiB: 2^27 = 128 MiB, zstd's own default. */
#define MW_Z_ZSTD_WINDOW_LOG_MAX 27

typedef enum mw_zstep {
    MW_ZSTEP_MORE,  /* went on (maybe without moving: see the loop) */
    MW_ZSTEP_END,   /* a stream ended here */
    MW_ZSTEP_ERROR, /* z->err says why */
} mw_zstep;

struct mw_zreader {
    int fd;
    mw_zkind kind;
    uint8_t *in;
    size_t in_pos, in_len;
    bool eof;       /* the file has no more bytes */
    bool in_stream; /* a stream has begun and not ended */
    bool ended;     /* clean end returned */
    bool failed;    /* err set; every later read fails */
    bool dec_ready; /* the decoder below is initialised */
    int sniff_errno;
    uint64_t bytes_in; /* read from the file so far (progress) */
    char err[160];

    z_stream gz;
    lzma_stream xz;
    ZSTD_DStream *zs;
    bz_stream bz;
};

static void mw_zfail(mw_zreader *z, const char *msg)
{
    if (!z->failed)
        (void)snprintf(z->err, sizeof z->err, "%s", msg && *msg ? msg : "invalid data");
    z->failed = true;
}

/* 1: input available, 0: the file has ended, -1: read error. */
static int mw_zfill(mw_zreader *z)
{
    if (z->in_pos < z->in_len)
        return 1;
    if (z->eof)
        return 0;
    for (;;) {
        ssize_t n = read(z->fd, z->in, MW_Z_INBUF);
        if (n > 0) {
            z->bytes_in += (size_t)n;
            z->in_pos = 0;
            z->in_len = (size_t)n;
            return 1;
        }
        if (n == 0) {
            z->eof = true;
            return 0;
        }
        if (errno != EINTR) {
            mw_zfail(z, strerror(errno));
            return -1;
        }
    }
}

static const char *mw_lzma_msg(lzma_ret r)
{
    switch (r) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "needs more memory than allowed";
    case LZMA_FORMAT_ERROR: return "not an xz stream";
    case LZMA_OPTIONS_ERROR: return "unsupported xz options";
    case LZMA_DATA_ERROR: return "compressed data is corrupt";
    case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
    default: return "xz decoder error";
    }
}

static const char *mw_bz_msg(int r)
{
    switch (r) {
    case BZ_MEM_ERROR: return "out of memory";
    case BZ_DATA_ERROR: return "compressed data is corrupt (CRC or block error)";
    case BZ_DATA_ERROR_MAGIC: return "not a bzip2 stream";
    default: return "bzip2 decoder error";
    }
}

static bool mw_zdec_init(mw_zreader *z)
{
    switch (z->kind) {
    case MW_Z_GZIP:
        /* 15 + 16: a 32 KiB window inside a gzip wrapper (RFC 1952). */
        if (inflateInit2(&z->gz, 15 + 16) != Z_OK)
            return false;
        break;
    case MW_Z_XZ: {
        lzma_stream init = LZMA_STREAM_INIT;
        z->xz = init;
        /* LZMA_CONCATENATED: xz's own rule for several streams and the
         * zero padding between them. */
        if (lzma_stream_decoder(&z->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
            return false;
        break;
    }
    case MW_Z_ZSTD:
        z->zs = ZSTD_createDStream();
        if (!z->zs || ZSTD_isError(ZSTD_initDStream(z->zs)) ||
            ZSTD_isError(ZSTD_DCtx_setParameter(z->zs, ZSTD_d_windowLogMax,
                                                MW_Z_ZSTD_WINDOW_LOG_MAX)))
            return false;
        break;
    case MW_Z_BZIP2:
        if (BZ2_bzDecompressInit(&z->bz, 0, 0) != BZ_OK)
            return false;
        break;
    case MW_Z_NONE:
        break;
    }
    z->dec_ready = true;
    return true;
}

static void mw_zdec_end(mw_zreader *z)
{
    if (!z->dec_ready)
        return;
    switch (z->kind) {
    case MW_Z_GZIP: (void)inflateEnd(&z->gz); break;
    case MW_Z_XZ: lzma_end(&z->xz); break;
    case MW_Z_ZSTD: (void)ZSTD_freeDStream(z->zs); z->zs = NULL; break;
    case MW_Z_BZIP2: (void)BZ2_bzDecompressEnd(&z->bz); break;
    case MW_Z_NONE: break;
    }
    z->dec_ready = false;
}

/* One decoder call on in[*ip..il) into out[*op..ol); advances *ip, *op. */
static mw_zstep mw_zstep_run(mw_zreader *z, size_t *ip, size_t il, uint8_t *out,
                             size_t *op, size_t ol)
{
    uint8_t *in = z->in; /* not const: zlib's and libbz2's next_in are not */
    /* zlib and libbz2 count in unsigned int: clamp, the loop comes back. */
    size_t in_n = il - *ip, out_n = ol - *op;
    if (in_n > UINT_MAX)
        in_n = UINT_MAX;
    if (out_n > UINT_MAX)
        out_n = UINT_MAX;

    switch (z->kind) {
    case MW_Z_GZIP: {
        z->gz.next_in = in + *ip;
        z->gz.avail_in = (uInt)in_n;
        z->gz.next_out = out + *op;
        z->gz.avail_out = (uInt)out_n;
        int r = inflate(&z->gz, Z_NO_FLUSH);
        *ip += in_n - z->gz.avail_in;
        *op += out_n - z->gz.avail_out;
        if (r == Z_STREAM_END) {
            (void)inflateReset(&z->gz); /* ready for a following member */
            return MW_ZSTEP_END;
        }
        if (r == Z_OK || r == Z_BUF_ERROR)
            return MW_ZSTEP_MORE;
        mw_zfail(z, r == Z_MEM_ERROR ? "out of memory" : z->gz.msg);
        return MW_ZSTEP_ERROR;
    }
    case MW_Z_XZ: {
        z->xz.next_in = in + *ip;
        z->xz.avail_in = in_n;
        z->xz.next_out = out + *op;
        z->xz.avail_out = out_n;
        lzma_ret r = lzma_code(&z->xz, z->eof ? LZMA_FINISH : LZMA_RUN);
        *ip += in_n - z->xz.avail_in;
        *op += out_n - z->xz.avail_out;
        if (r == LZMA_STREAM_END)
            return MW_ZSTEP_END; /* every stream: LZMA_CONCATENATED */
        if (r == LZMA_OK || r == LZMA_BUF_ERROR)
            return MW_ZSTEP_MORE;
        mw_zfail(z, mw_lzma_msg(r));
        return MW_ZSTEP_ERROR;
    }
    case MW_Z_ZSTD: {
        ZSTD_inBuffer zin = {in + *ip, in_n, 0};
        ZSTD_outBuffer zout = {out + *op, out_n, 0};
        size_t r = ZSTD_decompressStream(z->zs, &zout, &zin);
        *ip += zin.pos;
        *op += zout.pos;
        if (ZSTD_isError(r)) {
            mw_zfail(z, ZSTD_getErrorName(r));
            return MW_ZSTEP_ERROR;
        }
        /* 0: a frame is decoded and flushed; the next bytes begin another. */
        return r == 0 ? MW_ZSTEP_END : MW_ZSTEP_MORE;
    }
    case MW_Z_BZIP2: {
        z->bz.next_in = (char *)(in + *ip);
        z->bz.avail_in = (unsigned)in_n;
        z->bz.next_out = (char *)(out + *op);
        z->bz.avail_out = (unsigned)out_n;
        int r = BZ2_bzDecompress(&z->bz);
        *ip += in_n - z->bz.avail_in;
        *op += out_n - z->bz.avail_out;
        if (r == BZ_STREAM_END) {
            /* libbz2 has no reset: a following stream needs a new state. */
            (void)BZ2_bzDecompressEnd(&z->bz);
            z->dec_ready = false;
            if (!mw_zdec_init(z)) {
                mw_zfail(z, "out of memory");
                return MW_ZSTEP_ERROR;
            }
            return MW_ZSTEP_END;
        }
        if (r == BZ_OK)
            return MW_ZSTEP_MORE;
        mw_zfail(z, mw_bz_msg(r));
        return MW_ZSTEP_ERROR;
    }
    case MW_Z_NONE:
        break;
    }
    return MW_ZSTEP_ERROR;
}

static mw_zkind mw_zsniff(const uint8_t *p, size_t n)
{
    static const uint8_t xz[MW_Z_SNIFF] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return MW_Z_GZIP;
    if (n >= sizeof xz && memcmp(p, xz, sizeof xz) == 0)
        return MW_Z_XZ;
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
        return MW_Z_ZSTD;
    if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9')
        return MW_Z_BZIP2;
    return MW_Z_NONE;
}

mw_zreader *mw_zreader_open(int fd)
{
    mw_zreader *z = calloc(1, sizeof *z);
    if (z)
        z->in = malloc(MW_Z_INBUF);
    if (!z || !z->in) {
        free(z);
        (void)close(fd);
        return NULL;
    }
    z->fd = fd;
    /* The first bytes, through short reads of a pipe; they stay in the
     * buffer as the decoder's (or the caller's) first input. */
    uint8_t head[MW_Z_SNIFF] = {0};
    while (z->in_len < MW_Z_SNIFF) {
        ssize_t n = read(fd, head + z->in_len, MW_Z_SNIFF - z->in_len);
        if (n > 0) {
            z->in_len += (size_t)n;
            z->bytes_in += (size_t)n;
        } else if (n == 0) {
            z->eof = true;
            break;
        } else if (errno != EINTR) {
            z->sniff_errno = errno;
            break;
        }
    }
    memcpy(z->in, head, z->in_len);
    z->kind = mw_zsniff(head, z->in_len);
    if (z->kind != MW_Z_NONE && !mw_zdec_init(z)) {
        mw_zreader_close(z);
        return NULL;
    }
    return z;
}

mw_zkind mw_zreader_kind(const mw_zreader *z) { return z->kind; }
uint64_t mw_zreader_bytes_in(const mw_zreader *z) { return z->bytes_in; }

const char *mw_zkind_name(mw_zkind k)
{
    switch (k) {
    case MW_Z_GZIP: return "gzip";
    case MW_Z_XZ: return "xz";
    case MW_Z_ZSTD: return "zstd";
    case MW_Z_BZIP2: return "bzip2";
    case MW_Z_NONE: break;
    }
    return NULL;
}

const char *mw_zreader_error(const mw_zreader *z)
{
    return z->failed ? z->err : "no error";
}

static ssize_t mw_zread_plain(mw_zreader *z, uint8_t *out, size_t n)
{
    if (z->in_pos < z->in_len) {
        size_t k = z->in_len - z->in_pos;
        if (k > n)
            k = n;
        memcpy(out, z->in + z->in_pos, k);
        z->in_pos += k;
        return (ssize_t)k;
    }
    if (z->eof)
        return 0;
    for (;;) {
        ssize_t r = read(z->fd, out, n);
        if (r >= 0) {
            z->bytes_in += (size_t)r;
            z->eof = r == 0;
            return r;
        }
        if (errno != EINTR) {
            mw_zfail(z, strerror(errno));
            return -1;
        }
    }
}

ssize_t mw_zreader_read(mw_zreader *z, void *buf, size_t n)
{
    if (z->failed)
        return -1;
    if (z->sniff_errno) {
        mw_zfail(z, strerror(z->sniff_errno));
        return -1;
    }
    if (z->ended || n == 0)
        return 0;
    if (n > SSIZE_MAX)
        n = SSIZE_MAX;
    if (z->kind == MW_Z_NONE)
        return mw_zread_plain(z, buf, n);

    size_t produced = 0;
    while (produced == 0 && !z->failed) {
        int have = mw_zfill(z);
        if (have < 0)
            break;
        if (have == 0 && !z->in_stream && z->kind != MW_Z_XZ) {
            z->ended = true; /* the file ended between streams */
            break;
        }
        if (have > 0)
            z->in_stream = true;
        size_t in_before = z->in_pos, out_before = produced;
        mw_zstep st = mw_zstep_run(z, &z->in_pos, z->in_len, buf, &produced, n);
        if (st == MW_ZSTEP_ERROR)
            break;
        if (st == MW_ZSTEP_END) {
            z->in_stream = false;
            /* xz decodes every stream and the padding as one: its end is
             * the file's. */
            if (z->kind == MW_Z_XZ)
                z->ended = true;
            if (z->ended)
                break;
            continue;
        }
        if (have == 0 && z->in_pos == in_before && produced == out_before)
            mw_zfail(z, "unexpected end of file");
    }
    /* Bytes decoded before an error are the caller's; the error comes at
     * the next call. */
    if (produced > 0)
        return (ssize_t)produced;
    return z->failed ? -1 : 0;
}

void mw_zreader_close(mw_zreader *z)
{
    if (!z)
        return;
    mw_zdec_end(z);
    (void)close(z->fd);
    free(z->in);
    free(z);
}
