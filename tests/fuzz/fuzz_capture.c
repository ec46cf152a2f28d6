/*
 * fuzz_capture - the capture file readers (src/capture): pcap in both byte
 * orders and time resolutions, pcapng, and the gzip, xz, zstd and bzip2
 * decompression in front of them (decompress.c). The input is the file;
 * every packet is read and touched until the end or the first error.
 */
#include "capture/capture.h"
#include "common/stats.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = mwf_file(data, size, ".pcap");
    if (!path)
        return 0;
    mw_capture_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.snaplen = 65535;
    mw_capture_stats st;
    memset(&st, 0, sizeof st);
    char err[256];
    (void)mw_capture_file_looks_like_capture(path);
    mw_source *s = mw_source_open_file(path, &cfg, &st, err, sizeof err);
    if (!s)
        return 0;
    (void)mw_source_linktype(s);
    (void)mw_source_compression(s);
    mw_source_packet p;
    /* A bound on the work one input can cause (decompression bombs). */
    for (unsigned i = 0; i < 100000; i++) {
        mw_source_status r = mw_source_next(s, &p);
        if (r == MW_SOURCE_ERROR) {
            (void)mw_source_error(s);
            break;
        }
        if (r != MW_SOURCE_PACKET)
            break;
        volatile uint8_t sum = 0;
        for (uint32_t k = 0; k < p.caplen; k++)
            sum = (uint8_t)(sum + p.data[k]); /* caplen must be true */
        (void)sum;
    }
    (void)mw_source_bytes_in(s);
    mw_source_close(s);
    return 0;
}
