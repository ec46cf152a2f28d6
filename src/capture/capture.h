/*
 * capture.h - packet sources: capture files, standard input, interfaces.
 *
 * A file is pcap or pcapng, either of them optionally gzip-, xz-, zstd- or
 * bzip2-compressed. Format and compression are recognised by their magic
 * bytes, never by the name, and decompressed on the fly (decompress.h;
 * nothing is written to disk), so standard input works the same. Files and live interfaces share one
 * interface so everything downstream treats them alike.
 *
 * A damaged file is read as far as it is readable: mw_source_next() then
 * returns MW_SOURCE_ERROR once, with a message naming the byte offset (in
 * the decompressed stream) and the pcap packet or pcapng block (number and
 * type) where reading stopped (capwalk.h).
 */
#ifndef MW_CAPTURE_H
#define MW_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/stats.h"

typedef struct mw_capture_config {
    int snaplen;         /* live: bytes kept per packet (default 65535) */
    bool promisc;        /* live: promiscuous mode */
    int buffer_mib;      /* live: kernel buffer size, 0 = libpcap default */
    const char *filter;  /* BPF expression, or NULL */
    /* live: join PACKET_FANOUT group fanout_id (hash mode, defragmented)
     * after activation, so that several sockets on one interface share
     * its packets by flow (--threads N). False: a socket of its own. */
    bool fanout;
    uint16_t fanout_id;
} mw_capture_config;

#define MW_CAPTURE_DEFAULT_SNAPLEN 65535

typedef struct mw_source mw_source;

typedef struct mw_source_packet {
    uint64_t ts_us;      /* capture time, microseconds since the epoch */
    uint64_t number;     /* 1-based record number in this input */
    uint32_t caplen;     /* bytes at data */
    uint32_t wirelen;    /* length on the wire */
    const uint8_t *data; /* valid until the next mw_source_next() */
} mw_source_packet;

typedef enum mw_source_status {
    MW_SOURCE_PACKET, /* *out holds a packet */
    MW_SOURCE_IDLE,   /* live: no packet within the read timeout */
    MW_SOURCE_END,    /* end of file, or capture stopped */
    MW_SOURCE_ERROR,  /* read error or damage; mw_source_error() says what */
} mw_source_status;

/* Maximum length of error messages written by this module. */
#define MW_CAPTURE_ERRLEN 512

/*
 * Opens a capture file, or standard input for "-". On failure returns NULL
 * with a message naming the path in err. A BPF filter that does not compile
 * is reported the same way. Counters (inputs, gzip, filtered packets) go to
 * *stats, which must outlive the source.
 */
mw_source *mw_source_open_file(const char *path, const mw_capture_config *cfg,
                               mw_capture_stats *stats, char *err, size_t errlen);

/* Opens a live capture on an interface. */
mw_source *mw_source_open_live(const char *iface, const mw_capture_config *cfg,
                               mw_capture_stats *stats, char *err, size_t errlen);

/* Packets that the BPF filter rejects are skipped here and counted. */
mw_source_status mw_source_next(mw_source *s, mw_source_packet *out);

/* Makes a blocked or later mw_source_next() return MW_SOURCE_END.
 * Async-signal-safe: meant for SIGINT/SIGTERM handlers. */
void mw_source_stop(mw_source *s);

/* The input's display name: the file's base name, "stdin", or the
 * interface. Stable until mw_source_close(). */
const char *mw_source_name(const mw_source *s);
const char *mw_source_path(const mw_source *s);
int mw_source_linktype(const mw_source *s);
bool mw_source_is_live(const mw_source *s);
bool mw_source_is_gzip(const mw_source *s);
/* The file's compression by content ("gzip", "xz", "zstd", "bzip2"), or
 * NULL for none and for live sources (decompress.h). */
const char *mw_source_compression(const mw_source *s);
/* Files: bytes of the file read so far (compressed ones as stored), for
 * progress against its size; 0 for live sources. */
uint64_t mw_source_bytes_in(const mw_source *s);

/* After MW_SOURCE_ERROR: "<path>: byte P, packet N: <problem>" (pcap) or
 * "<path>: byte P, block N (Type): <problem>" (pcapng). A file that ends
 * inside a record or block says "truncated record (X of Y bytes)" or
 * "truncated block (X of Y bytes)", then libpcap's words. Open errors
 * of the file header have the same form. */
const char *mw_source_error(const mw_source *s);

/* Adds libpcap's receive and drop counters (live captures) to *stats. */
void mw_source_add_drop_stats(mw_source *s, mw_capture_stats *stats);

/* Live, at stop: reads on without waiting until the kernel buffer is
 * empty (at most 2 s), then mw_source_next() returns MW_SOURCE_END. */
void mw_source_drain(mw_source *s);
/* Live, after the last read: kernel received - dropped - read, into
 * stats->packets_not_read (0 when nothing was left). */
void mw_source_count_not_read(mw_source *s, mw_capture_stats *stats);

void mw_source_close(mw_source *s);

/* True when the file starts like a capture (pcap in either byte order and
 * time resolution, or pcapng), looking inside gzip: a gzip file counts only
 * if it holds a capture. Used to pick files in a directory. */
bool mw_capture_file_looks_like_capture(const char *path);

/*
 * Expands a directory into the capture files it holds (not recursive;
 * sorted by name; entries that are not captures are counted in
 * stats->dir_entries_skipped; entries that cannot be read, such as a broken
 * link or a file without read permission, are listed so that opening them
 * fails and says why). Returns a malloc'd array of malloc'd paths
 * in *paths and its length, or -1 with err filled when the directory cannot
 * be read. The caller frees with mw_capture_free_paths().
 */
int mw_capture_list_dir(const char *dir, mw_capture_stats *stats, char ***paths,
                        char *err, size_t errlen);
void mw_capture_free_paths(char **paths, int n);

#endif /* MW_CAPTURE_H */
