/*
 * decompress.h - a capture file's bytes, decompressed by content.
 *
 * Long-term archives are gzip, xz, zstd or bzip2; the compression is
 * recognised by the stream's first bytes (never by the file name) and
 * decoded as it is read, in constant memory, from files and pipes alike:
 *
 *   gzip   1f 8b                zlib (inflate, gzip wrapper)
 *   xz     fd 37 7a 58 5a 00    liblzma (.xz container; raw .lzma is not)
 *   zstd   28 b5 2f fd          libzstd (frames; skippable frames skipped)
 *   bzip2  42 5a 68 '1'-'9'     libbz2
 *
 * Anything else passes through unchanged. Concatenated streams (what
 * `cat a.gz b.gz`, pigz, pxz and zstd -T write) are read one after the
 * other, as the command-line tools do. A stream that ends before its
 * decoder's end mark is truncated and reported so, after every byte that
 * could be decoded: a damaged archive is read as far as it is readable.
 */
#ifndef MW_DECOMPRESS_H
#define MW_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum mw_zkind {
    MW_Z_NONE,
    MW_Z_GZIP,
    MW_Z_XZ,
    MW_Z_ZSTD,
    MW_Z_BZIP2,
} mw_zkind;

typedef struct mw_zreader mw_zreader;

/* Reads the first bytes of fd to recognise the compression. Takes fd
 * (closed by mw_zreader_close); NULL only when out of memory (fd is then
 * closed). A read error shows at the first mw_zreader_read. */
mw_zreader *mw_zreader_open(int fd);

mw_zkind mw_zreader_kind(const mw_zreader *z);
/* Bytes read from the file so far, compressed: progress against its size. */
uint64_t mw_zreader_bytes_in(const mw_zreader *z);
/* "gzip", "xz", "zstd", "bzip2", or NULL for none. */
const char *mw_zkind_name(mw_zkind k);

/* Up to n decompressed bytes into buf: the count (> 0), 0 at a clean end,
 * -1 on an error (then mw_zreader_error; every later call returns -1). A
 * short count is not an end. */
ssize_t mw_zreader_read(mw_zreader *z, void *buf, size_t n);

/* What went wrong, without the file name: "unexpected end of file" for a
 * truncated stream, the decoder's words for damage, strerror for I/O. */
const char *mw_zreader_error(const mw_zreader *z);

void mw_zreader_close(mw_zreader *z);

#endif /* MW_DECOMPRESS_H */
