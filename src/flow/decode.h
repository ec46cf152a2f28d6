/*
 * decode.h - link layer, IP and TCP/UDP headers of one captured frame.
 *
 * The decoder turns a frame into an mw_packet: addresses, ports, TCP fields
 * and a cursor over the L4 payload. It never copies the frame, except to
 * hold IP fragments until their datagram is whole (ipfrag.h). Anything it
 * cannot or will not decode is counted in mw_decode_stats under one kind.
 *
 * Supported link types (pcap LINKTYPE_ values): NULL (0), EN10MB (1),
 * PPP (9, with or without address/control bytes and protocol compression;
 * Cisco HDLC frames found under it are read as such), RAW (101, and the
 * DLT_RAW aliases 12 and 14), C_HDLC (104), LOOP (108), LINUX_SLL (113),
 * IPV4 (228), IPV6 (229), LINUX_SLL2 (276). Over Ethernet, SLL and Cisco
 * HDLC: 802.1Q and 802.1ad tags (stacked), MPLS label stacks, PPPoE
 * sessions. IP-in-IP (4in4, 6in4, 4in6, 6in6), VXLAN (UDP destination port
 * 4789, inner Ethernet) and GTP-U G-PDUs (UDP port 2152 either side) are
 * crossed to the inner packet, whose addresses and ports the packet then
 * carries; a malformed VXLAN or GTP-U header leaves it plain UDP.
 */
#ifndef MW_DECODE_H
#define MW_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"
#include "common/stats.h"

/* An IP address; IPv4 lives in bytes[0..3] with the rest zero. */
typedef struct mw_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t bytes[16];
} mw_addr;

#define MW_TCP_FIN 0x01
#define MW_TCP_SYN 0x02
#define MW_TCP_RST 0x04
#define MW_TCP_PSH 0x08
#define MW_TCP_ACK 0x10
#define MW_TCP_URG 0x20
#define MW_TCP_NO_WSCALE 0xFF

/* A datagram whose fragments overlapped with different bytes has two
 * versions; the one with a right TCP/UDP checksum is the one a receiver
 * could have accepted (ipfrag.h). */
typedef enum mw_frag_versions {
    MW_FRAG_ONE_VERSION,  /* no differing overlap */
    MW_FRAG_FIRST_KEPT,   /* the later copy's checksum was wrong */
    MW_FRAG_LATER_KEPT,   /* the first copy's checksum was wrong */
    MW_FRAG_UNDECIDED,    /* both or neither right, or not checked: first kept */
} mw_frag_versions;

typedef struct mw_packet {
    /* Filled by the caller before mw_decode(). */
    uint64_t ts_us;      /* capture time, microseconds since the epoch */
    uint64_t number;     /* 1-based record number within its input */
    uint32_t wirelen;    /* original length on the wire */
    const char *capture; /* input's name, stable while the input is open */

    /* Filled by mw_decode() on MW_DECODE_OK. */
    uint8_t ip_version; /* of the innermost IP header: 4 or 6 */
    uint8_t l4_proto;   /* 6 (TCP) or 17 (UDP) */
    uint8_t ttl;        /* innermost IPv4 TTL or IPv6 hop limit */
    uint8_t tcp_flags;  /* MW_TCP_* */
    mw_addr src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack; /* TCP only */
    uint16_t window;   /* TCP only */
    uint8_t tcp_wscale; /* a SYN's window scale option, or MW_TCP_NO_WSCALE */
    bool reassembled;  /* rebuilt from IP fragments */
    uint8_t frag_versions; /* mw_frag_versions: overlapping fragments differed */
    uint8_t csum;      /* mw_csum_status of all its checksums (checksum.h) */
    bool payload_cut;  /* the snaplen cut the L4 payload short */
    uint32_t payload_wire_len; /* L4 payload length the headers claim */
    mw_cursor payload;         /* L4 payload bytes actually captured */
    mw_cursor l3;              /* innermost IP header and what follows, as
                                  captured (for nDPI); empty when the
                                  packet was rebuilt from fragments */
} mw_packet;

typedef enum mw_decode_status {
    MW_DECODE_OK,    /* a TCP or UDP packet, fields valid */
    MW_DECODE_SKIP,  /* not IP, or not TCP/UDP: counted, nothing to do */
    MW_DECODE_HELD,  /* an IP fragment, held until its datagram is whole */
    MW_DECODE_ERROR, /* malformed: counted; mw_decoder_error() says why */
} mw_decode_status;

typedef struct mw_frag_config {
    uint32_t max_datagrams;  /* datagrams in reassembly at once */
    uint32_t max_size;       /* largest reassembled datagram, bytes */
    uint64_t timeout_us;     /* incomplete datagrams are dropped after */
} mw_frag_config;

#define MW_FRAG_DEFAULT_MAX_DATAGRAMS 1024u
#define MW_FRAG_DEFAULT_MAX_SIZE 65535u
#define MW_FRAG_DEFAULT_TIMEOUT_US (30ull * 1000000ull)

typedef struct mw_decoder mw_decoder;

/* Counters go to *stats, which must outlive the decoder. NULL when out of
 * memory. */
mw_decoder *mw_decoder_new(const mw_frag_config *frag, mw_stats *stats);
void mw_decoder_free(mw_decoder *d);

bool mw_linktype_supported(int linktype);

/*
 * Decodes one frame of the given pcap link type. The caller has set ts_us,
 * number, wirelen and capture in *pkt. On MW_DECODE_OK, pkt->payload views
 * either the frame or, for a reassembled datagram, a decoder buffer; both
 * are valid until the next call.
 */
mw_decode_status mw_decode(mw_decoder *d, int linktype, const uint8_t *frame,
                           size_t caplen, mw_packet *pkt);

/* After MW_DECODE_ERROR: a short static description ("IPv4 header length
 * 12 below 20" style messages are written into a decoder buffer). */
const char *mw_decoder_error(const mw_decoder *d);

/* Dispatch mode (the --threads reader): fragments are not held but
 * returned at once as MW_DECODE_HELD with pkt->src and pkt->dst set to
 * their datagram's address pair, so all of them go to one worker. */
void mw_decoder_set_dispatch(mw_decoder *d, bool on);

/* Checksum verification (off by default): IPv4 headers, TCP and UDP are
 * checked and pkt->csum says how it went; bad ones are counted in
 * stats->checksum, and an IPv4 fragment with a bad header is dropped
 * there, but other packets are returned as usual for the caller to judge.
 * A segment cut by the snaplen, an offload super-packet, an IPv6 packet
 * with a routing header and UDP with checksum 0 are not checked. */
void mw_decoder_set_verify(mw_decoder *d, bool on);

/* Drops fragmented datagrams idle since before now_us - timeout. */
void mw_decoder_expire(mw_decoder *d, uint64_t now_us);

/* End of an input: counts still-incomplete datagrams and drops them. */
void mw_decoder_flush(mw_decoder *d);

/* "192.0.2.1" or "2001:db8::1"; buf holds at least MW_ADDR_STRLEN. */
#define MW_ADDR_STRLEN 46
const char *mw_addr_format(const mw_addr *a, char *buf, size_t buflen);

#endif /* MW_DECODE_H */
