/*
 * fuzz_common.h - helpers shared by the fuzz targets (tests/fuzz/README.md).
 *
 * Every target defines LLVMFuzzerTestOneInput(). Built with -DMW_FUZZ=ON
 * (clang) it links libFuzzer; otherwise replay_main.c drives it with files.
 * Inputs that describe a sequence (packets, datagrams, segments) are split
 * into records by mwf_take(): each record is a header the target reads
 * followed by up to a 16-bit length of bytes, so one input is many calls.
 */
#ifndef MW_FUZZ_COMMON_H
#define MW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A reader over the fuzz input: running out gives zeros and empty slices,
 * never a read past the end. */
typedef struct mwf_in {
    const uint8_t *p;
    size_t left;
} mwf_in;

static inline uint8_t mwf_u8(mwf_in *in)
{
    if (in->left == 0)
        return 0;
    in->left--;
    return *in->p++;
}

static inline uint16_t mwf_u16(mwf_in *in)
{
    uint16_t hi = mwf_u8(in);
    return (uint16_t)((hi << 8) | mwf_u8(in));
}

static inline uint32_t mwf_u32(mwf_in *in)
{
    uint32_t hi = mwf_u16(in);
    return (hi << 16) | mwf_u16(in);
}

/* Up to n bytes (fewer at the end of the input). */
static inline const uint8_t *mwf_take(mwf_in *in, size_t n, size_t *got)
{
    if (n > in->left)
        n = in->left;
    const uint8_t *at = in->p;
    in->p += n;
    in->left -= n;
    *got = n;
    return at;
}

/* The input written to one temporary file per process (for the readers
 * that take a path); the path, or NULL when it cannot be written. */
static char mwf_path[64];

static inline void mwf_unlink(void)
{
    (void)unlink(mwf_path);
}

static inline const char *mwf_file(const uint8_t *data, size_t size, const char *suffix)
{
    char *path = mwf_path;
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof mwf_path, "%s/mwfuzz-%ld%s", dir && *dir ? dir : "/tmp",
                 (long)getpid(), suffix);
        atexit(mwf_unlink);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || put != size)
        return NULL;
    return path;
}

#endif /* MW_FUZZ_COMMON_H */
