/*
 * pcap_floor.c - the floor mitmwatch is measured against: a bare libpcap
 * loop that reads every packet of a file and touches one byte of each (so
 * the data is really brought in) and nothing else. Whatever mitmwatch costs
 * above this is its own work.
 *
 * usage: pcap-floor FILE   (prints "<packets> <bytes>" on stdout)
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) {
        fprintf(stderr, "usage: pcap-floor FILE\n");
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "pcap-floor: %s\n", err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t packets = 0, bytes = 0, touch = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
        if (h->caplen)
            touch += data[h->caplen - 1];
    }
    pcap_close(p);
    printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", packets, bytes, touch & 1);
    return rc == -1 ? 1 : 0;
}
