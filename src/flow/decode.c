/*
 * decode.c - link layer, IP and TCP/UDP headers of one captured frame.
 *
 * One pass, front to back, through a cursor over the frame. Alongside the
 * cursor the decoder tracks `claimed`: how many bytes the enclosing headers
 * say the current layer has. Captured bytes fall short of it only when the
 * packet was cut (snaplen), which is still worth decoding; a header that
 * claims more than its enclosing header is a lie, and an error.
 *
 * Every packet ends in exactly one place: tcp/udp (OK), non_ip, other_l4,
 * link unsupported (SKIP), the fragment table (HELD, or a frag drop
 * counter), or one err_* counter (ERROR). A UDP datagram that carries a
 * VXLAN or GTP-U tunnel ends where its inner packet ends and is not counted
 * in udp; one whose tunnel header is malformed counts bad_tunnel and then
 * ends as plain UDP (not an error: the outer datagram itself is sound).
 */
#include "flow/decode.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "flow/checksum.h"
#include "flow/decode_internal.h"
#include "flow/ipfrag.h"

/* pcap LINKTYPE_ values; the DLT_ macros differ across platforms for RAW. */
#define MW_LT_NULL 0
#define MW_LT_EN10MB 1
#define MW_LT_PPP 9
#define MW_LT_RAW_BSD1 12
#define MW_LT_RAW_BSD2 14
#define MW_LT_RAW 101
#define MW_LT_C_HDLC 104
#define MW_LT_LOOP 108
#define MW_LT_LINUX_SLL 113
#define MW_LT_IPV4 228
#define MW_LT_IPV6 229
#define MW_LT_LINUX_SLL2 276

#define MW_ET_IPV4 0x0800
#define MW_ET_IPV6 0x86DD
#define MW_ET_VLAN 0x8100
#define MW_ET_QINQ 0x88A8
#define MW_ET_QINQ_OLD 0x9100
#define MW_ET_MPLS_UC 0x8847
#define MW_ET_MPLS_MC 0x8848
#define MW_ET_PPPOE_SESS 0x8864

#define MW_PPP_IPV4 0x0021
#define MW_PPP_IPV6 0x0057

/* Cisco HDLC address bytes; also how Cisco HDLC shows up under LINKTYPE_PPP
 * (as Wireshark reads it: no PPP protocol starts with these). */
#define MW_CHDLC_UNICAST 0x0F
#define MW_CHDLC_MULTICAST 0x8F

#define MW_PORT_VXLAN 4789
#define MW_PORT_GTPU 2152

#define MW_IPPROTO_HOPOPTS 0
#define MW_IPPROTO_IPIP 4
#define MW_IPPROTO_TCP 6
#define MW_IPPROTO_UDP 17
#define MW_IPPROTO_IPV6 41
#define MW_IPPROTO_ROUTING 43
#define MW_IPPROTO_FRAGMENT 44
#define MW_IPPROTO_AH 51
#define MW_IPPROTO_DSTOPTS 60

/* IPv6 extension headers in one IPv6 header chain. */
#define MW_MAX_IPV6_EXT 8


mw_decoder *mw_decoder_new(const mw_frag_config *frag, mw_stats *stats)
{
    mw_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->stats = stats;
    d->frag = mw_frag_new(frag, &stats->frag);
    if (!d->frag) {
        free(d);
        return NULL;
    }
    snprintf(d->err, sizeof(d->err), "no error");
    return d;
}

void mw_decoder_free(mw_decoder *d)
{
    if (!d)
        return;
    mw_frag_free(d->frag);
    free(d);
}

bool mw_linktype_supported(int linktype)
{
    switch (linktype) {
    case MW_LT_NULL:
    case MW_LT_EN10MB:
    case MW_LT_PPP:
    case MW_LT_C_HDLC:
    case MW_LT_RAW_BSD1:
    case MW_LT_RAW_BSD2:
    case MW_LT_RAW:
    case MW_LT_LOOP:
    case MW_LT_LINUX_SLL:
    case MW_LT_IPV4:
    case MW_LT_IPV6:
    case MW_LT_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}

const char *mw_decoder_error(const mw_decoder *d)
{
    return d->err;
}

void mw_decoder_set_dispatch(mw_decoder *d, bool on)
{
    d->dispatch = on;
}

void mw_decoder_set_verify(mw_decoder *d, bool on)
{
    d->verify = on;
}

void mw_decoder_expire(mw_decoder *d, uint64_t now_us)
{
    mw_frag_expire(d->frag, now_us);
}

void mw_decoder_flush(mw_decoder *d)
{
    mw_frag_flush(d->frag);
}

const char *mw_addr_format(const mw_addr *a, char *buf, size_t buflen)
{
    int af = a->family == 6 ? AF_INET6 : AF_INET;
    if (buflen == 0)
        return buf;
    if (!inet_ntop(af, a->bytes, buf, (socklen_t)(buflen > 0xffff ? 0xffff : buflen)))
        buf[0] = '\0';
    return buf;
}

mw_decode_status mwd_failed(uint64_t *counter)
{
    (*counter)++;
    return MW_DECODE_ERROR;
}

/* Records why in the decoder, counts, returns MW_DECODE_ERROR. A macro so
 * the format string is checked at each call. */

mw_decode_status mwd_skip_non_ip(mw_dstate *s)
{
    s->st->non_ip++;
    return MW_DECODE_SKIP;
}

static mw_decode_status skip_other_l4(mw_dstate *s)
{
    s->st->other_l4++;
    return MW_DECODE_SKIP;
}

bool mwd_deeper(mw_dstate *s)
{
    return ++s->depth <= MW_MAX_DEPTH;
}

/* Consumes n header bytes from both the captured and the claimed length. */
void mwd_consume(mw_dstate *s, size_t n)
{
    (void)mw_cursor_skip(&s->c, n);
    if (s->claimed != SIZE_MAX)
        s->claimed -= n;
}

/* Narrows the layer to the n bytes its header claims. False when that is
 * more than the enclosing layer holds; with the snaplen cut the frame,
 * captured bytes may still be fewer than n. */
bool mwd_set_claimed(mw_dstate *s, size_t n)
{
    if (s->claimed != SIZE_MAX && n > s->claimed)
        return false;
    s->claimed = n;
    if (mw_cursor_len(&s->c) > n)
        (void)mw_cursor_truncate(&s->c, n);
    return true;
}

static bool is_cut(const mw_dstate *s)
{
    return s->claimed == SIZE_MAX || s->claimed > mw_cursor_len(&s->c);
}

static void count_ip(mw_dstate *s, int version)
{
    if (s->counted_ip)
        return;
    s->counted_ip = true;
    if (version == 4)
        s->st->ipv4++;
    else
        s->st->ipv6++;
}

static void addr_set(mw_addr *a, uint8_t family, const uint8_t *bytes, size_t n)
{
    memset(a, 0, sizeof(*a));
    a->family = family;
    memcpy(a->bytes, bytes, n);
}

/* ---- L4 ---- */

/* UDP tunnels lead back to the link and IP layers. */

/* Verifies the TCP or UDP checksum over the whole current layer (header
 * and payload) with the innermost IP header's pseudo-header. Only a layer
 * captured whole can be checked. */
static void verify_l4(mw_dstate *s, uint8_t proto)
{
    const mw_packet *pkt = s->pkt;
    mw_csum sum;

    if (!s->d->verify || s->l4_uncheckable || is_cut(s))
        return;
    if (mw_cursor_len(&s->c) > 0xffffffffu)
        return;
    mw_csum_pseudo(&sum, pkt->src.bytes, pkt->dst.bytes, pkt->ip_version == 4 ? 4 : 16, proto,
                   (uint32_t)mw_cursor_len(&s->c));
    mw_csum_add(&sum, &s->c);
    if (mw_csum_fold(&sum) == MW_CSUM_VALID) {
        s->csum_ok = true;
    } else {
        s->csum_bad = true;
        if (proto == MW_IPPROTO_TCP)
            s->d->stats->checksum.bad_tcp++;
        else
            s->d->stats->checksum.bad_udp++;
    }
}

static mw_decode_status set_payload(mw_dstate *s)
{
    mw_packet *pkt = s->pkt;
    size_t have = mw_cursor_len(&s->c);
    size_t wire = s->claimed == SIZE_MAX ? have : s->claimed;

    pkt->payload = s->c;
    pkt->payload_wire_len = (uint32_t)wire;
    pkt->payload_cut = have < wire;
    if (pkt->payload_cut)
        s->st->l4_payload_cut++;
    return MW_DECODE_OK;
}

/* The window scale option of a SYN (RFC 7323 2.2), capped at 14, or
 * MW_TCP_NO_WSCALE. opts holds the options, n bytes of them. */
static uint8_t syn_wscale(mw_cursor opts, size_t n)
{
    mw_cursor o = opts;
    if (!mw_cursor_truncate(&o, n))
        return MW_TCP_NO_WSCALE;
    uint8_t kind = 0, len = 0, shift = 0;
    while (mw_cursor_get_u8(&o, &kind) && kind != 0) {
        if (kind == 1)
            continue;
        if (!mw_cursor_get_u8(&o, &len) || len < 2)
            break;
        if (kind == 3 && len == 3 && mw_cursor_get_u8(&o, &shift))
            return shift > 14 ? 14 : shift;
        if (!mw_cursor_skip(&o, (size_t)len - 2))
            break;
    }
    return MW_TCP_NO_WSCALE;
}

static mw_decode_status decode_tcp(mw_dstate *s)
{
    mw_packet *pkt = s->pkt;
    mw_cursor h = s->c;
    uint8_t off_byte = 0, flags = 0;
    size_t have = mw_cursor_len(&s->c);

    if (have < 20)
        return MW_FAIL(s, &s->st->err_truncated_tcp, "TCP header truncated: %zu of 20 bytes", have);
    (void)mw_cursor_get_u16(&h, &pkt->sport);
    (void)mw_cursor_get_u16(&h, &pkt->dport);
    (void)mw_cursor_get_u32(&h, &pkt->seq);
    (void)mw_cursor_get_u32(&h, &pkt->ack);
    (void)mw_cursor_get_u8(&h, &off_byte);
    (void)mw_cursor_get_u8(&h, &flags);
    (void)mw_cursor_get_u16(&h, &pkt->window);

    size_t hlen = (size_t)(off_byte >> 4) * 4;
    if (hlen < 20)
        return MW_FAIL(s, &s->st->err_bad_tcp_header, "TCP data offset %u below 5",
                       (unsigned)(off_byte >> 4));
    if (s->claimed != SIZE_MAX && hlen > s->claimed)
        return MW_FAIL(s, &s->st->err_bad_tcp_header,
                       "TCP header length %zu beyond the %zu bytes of the segment", hlen,
                       s->claimed);
    if (hlen > have)
        return MW_FAIL(s, &s->st->err_truncated_tcp, "TCP header truncated: %zu of %zu bytes",
                       have, hlen);
    if (flags & MW_TCP_SYN)
        pkt->tcp_wscale = syn_wscale(h, hlen - 20);
    verify_l4(s, MW_IPPROTO_TCP);
    mwd_consume(s, hlen);
    pkt->l4_proto = MW_IPPROTO_TCP;
    pkt->tcp_flags = flags & 0x3f;
    s->st->tcp++;
    return set_payload(s);
}

static mw_decode_status decode_udp(mw_dstate *s)
{
    mw_packet *pkt = s->pkt;
    mw_cursor h = s->c;
    uint16_t ulen = 0;
    size_t have = mw_cursor_len(&s->c);

    if (have < 8)
        return MW_FAIL(s, &s->st->err_truncated_udp, "UDP header truncated: %zu of 8 bytes", have);
    (void)mw_cursor_get_u16(&h, &pkt->sport);
    (void)mw_cursor_get_u16(&h, &pkt->dport);
    (void)mw_cursor_get_u16(&h, &ulen);
    if (ulen < 8)
        return MW_FAIL(s, &s->st->err_bad_udp_length, "UDP length %u below 8", (unsigned)ulen);
    /* A shorter UDP length is trusted (trailing bytes are not payload); a
     * longer one contradicts IP. */
    if (!mwd_set_claimed(s, ulen))
        return MW_FAIL(s, &s->st->err_bad_udp_length,
                       "UDP length %u beyond the %zu bytes of the IP payload", (unsigned)ulen,
                       s->claimed);
    /* A zero checksum is "none" over IPv4 (RFC 768) and, for tunnels,
     * over IPv6 too (RFC 6935); it is taken so in both. */
    uint16_t ucsum = 0;
    if (mw_cursor_peek_u16(&s->c, 6, &ucsum) && ucsum != 0)
        verify_l4(s, MW_IPPROTO_UDP);
    mwd_consume(s, 8);
    if (pkt->dport == MW_PORT_VXLAN || pkt->sport == MW_PORT_GTPU ||
        pkt->dport == MW_PORT_GTPU) {
        bool crossed;
        mw_decode_status r = pkt->dport == MW_PORT_VXLAN ? mwd_decode_vxlan(s, &crossed)
                                                          : mwd_decode_gtpu(s, &crossed);
        if (crossed)
            return r;
    }
    pkt->l4_proto = MW_IPPROTO_UDP;
    s->st->udp++;
    return set_payload(s);
}

/* ---- IP ---- */

/* Whether c, a whole TCP or UDP datagram, has a right checksum. */
static bool l4_sum_ok(const mw_dstate *s, uint8_t proto, const mw_cursor *c)
{
    const mw_packet *pkt = s->pkt;
    mw_csum sum;
    uint16_t field = 0;

    if (proto == MW_IPPROTO_UDP && (!mw_cursor_peek_u16(c, 6, &field) || field == 0))
        return false; /* no checksum: it cannot tell the versions apart */
    mw_csum_pseudo(&sum, pkt->src.bytes, pkt->dst.bytes, pkt->ip_version == 4 ? 4 : 16, proto,
                   (uint32_t)mw_cursor_len(c));
    mw_csum_add(&sum, c);
    return mw_csum_fold(&sum) == MW_CSUM_VALID;
}

/*
 * Overlapping fragments with different bytes: receivers differ in which
 * copy they keep (first, last, or, Linux, neither), but whichever they
 * keep must pass the L4 checksum, so a version that fails it is one no
 * receiver accepted. One right and one wrong decides; otherwise (both,
 * neither, --checksums off, not TCP/UDP) the first copy stays. Either way
 * the packet says so, and the flow reports INJECTION.
 */
static mw_cursor pick_version(mw_dstate *s, uint8_t proto, const mw_cursor *first,
                              const mw_cursor *later)
{
    mw_frag_stats *fs = &s->d->stats->frag;
    bool l4 = proto == MW_IPPROTO_TCP || proto == MW_IPPROTO_UDP;
    bool a = l4 && s->d->verify && l4_sum_ok(s, proto, first);
    bool b = l4 && s->d->verify && l4_sum_ok(s, proto, later);

    if (a != b) {
        s->pkt->frag_versions = a ? MW_FRAG_FIRST_KEPT : MW_FRAG_LATER_KEPT;
        if (b)
            fs->overlap_later_kept++;
        return b ? *later : *first;
    }
    s->pkt->frag_versions = MW_FRAG_UNDECIDED;
    fs->overlap_undecided++;
    return *first;
}

/*
 * Hands the current layer, one fragment, to the table. On completion the
 * layer becomes the reassembled payload and *done is false: decoding goes
 * on from there.
 */
static mw_decode_status fragment(mw_dstate *s, const mw_frag_key *key, uint32_t offset,
                                 bool more, bool *done)
{
    mw_frag_stats *fs = &s->d->stats->frag;
    mw_cursor out;

    *done = true;
    if (s->d->dispatch)
        return MW_DECODE_HELD;
    /* A fragment cut by the snaplen would leave a hole of zeros, and a
     * second fragmentation inside a reassembled datagram would recycle the
     * buffer the current layer views: neither can be reassembled. */
    if (is_cut(s) || s->pkt->reassembled) {
        fs->fragments++;
        fs->dropped_bad++;
        return MW_DECODE_SKIP;
    }
    /* A fragment the receiver drops must not fill a datagram's bytes: the
     * table cannot take it back once joined. */
    if (s->csum_bad) {
        fs->fragments++;
        s->d->stats->checksum.dropped_fragments++;
        return MW_DECODE_SKIP;
    }
    switch (mw_frag_add(s->d->frag, key, offset, more, s->c, s->pkt->ts_us, &out)) {
    case MW_FRAG_HELD:
        return MW_DECODE_HELD;
    case MW_FRAG_DROPPED:
        return MW_DECODE_SKIP;
    case MW_FRAG_COMPLETE:
    default:
        break;
    }
    mw_cursor alt;
    if (mw_frag_alt(s->d->frag, &alt))
        out = pick_version(s, key->proto, &out, &alt);
    s->c = out;
    s->claimed = mw_cursor_len(&out);
    s->pkt->reassembled = true;
    *done = false;
    return MW_DECODE_OK;
}

/* Parses one IPv4 header; on success *proto is the next protocol and the
 * layer is its payload (reassembled if it was a fragment). */
static mw_decode_status decode_ipv4(mw_dstate *s, uint8_t *proto, bool *done)
{
    mw_packet *pkt = s->pkt;
    mw_cursor h = s->c;
    uint8_t vihl = 0, tos = 0, ttl = 0, addrs[8] = { 0 };
    uint16_t total = 0, id = 0, fragw = 0, csum = 0;
    size_t have = mw_cursor_len(&s->c);

    *done = true;
    if (have < 20)
        return MW_FAIL(s, &s->st->err_truncated_ip, "IPv4 header truncated: %zu of 20 bytes", have);
    (void)mw_cursor_get_u8(&h, &vihl);
    if (vihl >> 4 != 4)
        return MW_FAIL(s, &s->st->err_bad_ip_version, "IP version %u where 4 was expected",
                       (unsigned)(vihl >> 4));
    count_ip(s, 4);
    (void)mw_cursor_get_u8(&h, &tos);
    (void)mw_cursor_get_u16(&h, &total);
    (void)mw_cursor_get_u16(&h, &id);
    (void)mw_cursor_get_u16(&h, &fragw);
    (void)mw_cursor_get_u8(&h, &ttl);
    (void)mw_cursor_get_u8(&h, proto);
    (void)mw_cursor_get_u16(&h, &csum);
    (void)mw_cursor_copy(&h, addrs, sizeof(addrs));

    size_t hlen = (size_t)(vihl & 0x0f) * 4;
    size_t len = total;
    if (hlen < 20)
        return MW_FAIL(s, &s->st->err_bad_ip_header, "IPv4 header length %zu below 20", hlen);
    /* Length 0 in an outermost header is a segmentation-offload (TSO)
     * super-packet captured before the NIC split it, as Wireshark reads it. */
    if (total == 0 && s->claimed == SIZE_MAX) {
        len = mw_cursor_len(&s->c);
        s->l4_uncheckable = true; /* the NIC fills it per segment */
    }
    if (len < hlen)
        return MW_FAIL(s, &s->st->err_bad_ip_length,
                       "IPv4 total length %zu below its header length %zu", len, hlen);
    size_t outer = s->claimed;
    if (!mwd_set_claimed(s, len))
        return MW_FAIL(s, &s->st->err_bad_ip_length,
                       "IPv4 total length %zu beyond the %zu bytes that carry it", len, outer);
    if (hlen > mw_cursor_len(&s->c))
        return MW_FAIL(s, &s->st->err_truncated_ip, "IPv4 header truncated: %zu of %zu bytes",
                       mw_cursor_len(&s->c), hlen);
    pkt->l3 = s->c;
    if (s->d->verify) {
        mw_cursor hc = s->c;
        mw_csum sum = {0, 0};
        (void)mw_cursor_truncate(&hc, hlen);
        mw_csum_add(&sum, &hc);
        if (mw_csum_fold(&sum) == MW_CSUM_VALID) {
            s->csum_ok = true;
        } else {
            s->csum_bad = true;
            s->d->stats->checksum.bad_ipv4++;
        }
    }
    mwd_consume(s, hlen); /* options are skipped */

    pkt->ip_version = 4;
    pkt->ttl = ttl;
    addr_set(&pkt->src, 4, addrs, 4);
    addr_set(&pkt->dst, 4, addrs + 4, 4);

    uint32_t offset = (uint32_t)(fragw & 0x1fff) * 8;
    bool more = (fragw & 0x2000) != 0;
    if (!more && offset == 0) {
        *done = false;
        return MW_DECODE_OK;
    }
    mw_frag_key key;
    memset(&key, 0, sizeof(key));
    key.src = pkt->src;
    key.dst = pkt->dst;
    key.id = id;
    key.proto = *proto;
    return fragment(s, &key, offset, more, done);
}

/* Parses one IPv6 header and its extension headers; on success *proto is
 * the upper-layer protocol and the layer is its payload. */
static mw_decode_status decode_ipv6(mw_dstate *s, uint8_t *proto, bool *done)
{
    mw_packet *pkt = s->pkt;
    mw_cursor h = s->c;
    uint32_t vtcfl = 0;
    uint16_t plen = 0;
    uint8_t nh = 0, hlim = 0, addrs[32] = { 0 };
    size_t have = mw_cursor_len(&s->c);

    *done = true;
    if (have < 40)
        return MW_FAIL(s, &s->st->err_truncated_ip, "IPv6 header truncated: %zu of 40 bytes", have);
    (void)mw_cursor_get_u32(&h, &vtcfl);
    if (vtcfl >> 28 != 6)
        return MW_FAIL(s, &s->st->err_bad_ip_version, "IP version %u where 6 was expected",
                       (unsigned)(vtcfl >> 28));
    count_ip(s, 6);
    (void)mw_cursor_get_u16(&h, &plen);
    (void)mw_cursor_get_u8(&h, &nh);
    (void)mw_cursor_get_u8(&h, &hlim);
    (void)mw_cursor_copy(&h, addrs, sizeof(addrs));

    /* Payload length 0 before hop-by-hop options is a jumbogram (RFC 2675);
     * otherwise, outermost, an offload super-packet as for IPv4. */
    size_t total = (size_t)plen + 40;
    if (plen == 0 && nh == MW_IPPROTO_HOPOPTS)
        return MW_FAIL(s, &s->st->err_bad_ip_length, "IPv6 jumbogram not supported");
    if (plen == 0 && s->claimed == SIZE_MAX) {
        total = have;
        s->l4_uncheckable = true;
    }
    size_t outer = s->claimed;
    if (!mwd_set_claimed(s, total))
        return MW_FAIL(s, &s->st->err_bad_ip_length,
                       "IPv6 payload length %u beyond the %zu bytes that carry it",
                       (unsigned)plen, outer == SIZE_MAX ? 0 : outer - 40);
    pkt->l3 = s->c;
    mwd_consume(s, 40);

    pkt->ip_version = 6;
    pkt->ttl = hlim;
    addr_set(&pkt->src, 6, addrs, 16);
    addr_set(&pkt->dst, 6, addrs + 16, 16);

    for (unsigned next = 0;; next++) {
        mw_cursor e = s->c;
        uint8_t enh = 0, elen = 0;
        size_t len;

        switch (nh) {
        case MW_IPPROTO_HOPOPTS:
        case MW_IPPROTO_ROUTING:
        case MW_IPPROTO_DSTOPTS:
        case MW_IPPROTO_AH:
        case MW_IPPROTO_FRAGMENT:
            break;
        default:
            *proto = nh;
            *done = false;
            return MW_DECODE_OK;
        }
        if (next >= MW_MAX_IPV6_EXT)
            return MW_FAIL(s, &s->st->err_too_deep, "more than %d IPv6 extension headers",
                           MW_MAX_IPV6_EXT);
        if (!mw_cursor_get_u8(&e, &enh) || !mw_cursor_get_u8(&e, &elen))
            return MW_FAIL(s, &s->st->err_bad_ipv6_ext, "IPv6 extension header %u truncated",
                           (unsigned)nh);
        if (nh == MW_IPPROTO_FRAGMENT) {
            uint16_t fragw = 0;
            uint32_t id = 0;
            if (!mw_cursor_get_u16(&e, &fragw) || !mw_cursor_get_u32(&e, &id))
                return MW_FAIL(s, &s->st->err_bad_ipv6_ext, "IPv6 fragment header truncated");
            mwd_consume(s, 8);
            nh = enh;
            uint32_t offset = fragw & 0xfff8;
            bool more = (fragw & 1) != 0;
            if (!more && offset == 0)
                continue; /* atomic fragment (RFC 6946): nothing to join */
            mw_frag_key key;
            memset(&key, 0, sizeof(key));
            key.src = pkt->src;
            key.dst = pkt->dst;
            key.id = id;
            key.proto = enh;
            bool stop;
            mw_decode_status r = fragment(s, &key, offset, more, &stop);
            if (stop)
                return r;
            continue;
        }
        /* The pseudo-header then holds the final destination, which
         * only the routing header knows: not worth parsing for this. */
        if (nh == MW_IPPROTO_ROUTING)
            s->l4_uncheckable = true;
        len = nh == MW_IPPROTO_AH ? ((size_t)elen + 2) * 4 : ((size_t)elen + 1) * 8;
        if (len > mw_cursor_len(&s->c))
            return MW_FAIL(s, &s->st->err_bad_ipv6_ext,
                           "IPv6 extension header %u truncated: %zu of %zu bytes", (unsigned)nh,
                           mw_cursor_len(&s->c), len);
        mwd_consume(s, len);
        nh = enh;
    }
}

/* From an IP header of the given version down to TCP or UDP, crossing
 * IP-in-IP tunnels. */
mw_decode_status mwd_decode_ip(mw_dstate *s, int version)
{
    for (;;) {
        uint8_t proto = 0;
        bool done;
        mw_decode_status r = version == 4 ? decode_ipv4(s, &proto, &done)
                                          : decode_ipv6(s, &proto, &done);
        if (done)
            return r;
        switch (proto) {
        case MW_IPPROTO_TCP:
            return decode_tcp(s);
        case MW_IPPROTO_UDP:
            return decode_udp(s);
        case MW_IPPROTO_IPIP:
        case MW_IPPROTO_IPV6:
            if (!mwd_deeper(s))
                return MW_FAIL(s, &s->st->err_too_deep, "more than %d encapsulations",
                               MW_MAX_DEPTH);
            s->st->ip_tunnels++;
            version = proto == MW_IPPROTO_IPIP ? 4 : 6;
            break;
        default:
            return skip_other_l4(s);
        }
    }
}

/* First nibble, for link types that do not say which IP version follows. */
static mw_decode_status decode_ip_any(mw_dstate *s)
{
    uint8_t b;
    if (!mw_cursor_peek_u8(&s->c, 0, &b))
        return MW_FAIL(s, &s->st->err_truncated_ip, "IP header truncated: empty packet");
    if (b >> 4 == 4 || b >> 4 == 6)
        return mwd_decode_ip(s, b >> 4);
    return MW_FAIL(s, &s->st->err_bad_ip_version, "IP version %u", (unsigned)(b >> 4));
}

/* ---- link layer ---- */

/* Splits the next n bytes off as a link header. */
static bool take(mw_dstate *s, size_t n, mw_cursor *hdr)
{
    if (!mw_cursor_get_bytes(&s->c, hdr, n))
        return false;
    if (s->claimed != SIZE_MAX)
        s->claimed -= n;
    return true;
}

static mw_decode_status decode_mpls(mw_dstate *s)
{
    for (;;) {
        mw_cursor h;
        uint32_t entry = 0;
        if (!mwd_deeper(s))
            return MW_FAIL(s, &s->st->err_too_deep, "more than %d encapsulations", MW_MAX_DEPTH);
        if (!take(s, 4, &h))
            return MW_FAIL(s, &s->st->err_truncated_link, "MPLS label truncated");
        (void)mw_cursor_get_u32(&h, &entry);
        s->st->mpls_labels++;
        if (entry & 0x100)
            break; /* bottom of stack */
    }
    /* No protocol field: guess from the first nibble, as Wireshark does. A
     * pseudowire (control word 0, then Ethernet) is not IP. */
    uint8_t b;
    if (mw_cursor_peek_u8(&s->c, 0, &b) && (b >> 4 == 4 || b >> 4 == 6))
        return mwd_decode_ip(s, b >> 4);
    return mwd_skip_non_ip(s);
}

mw_decode_status mwd_decode_ethertype(mw_dstate *s, uint16_t type)
{
    for (;;) {
        mw_cursor h;
        uint16_t ppp = 0;

        switch (type) {
        case MW_ET_IPV4:
            return mwd_decode_ip(s, 4);
        case MW_ET_IPV6:
            return mwd_decode_ip(s, 6);
        case MW_ET_VLAN:
        case MW_ET_QINQ:
        case MW_ET_QINQ_OLD:
            if (!mwd_deeper(s))
                return MW_FAIL(s, &s->st->err_too_deep, "more than %d encapsulations",
                               MW_MAX_DEPTH);
            if (!take(s, 4, &h))
                return MW_FAIL(s, &s->st->err_truncated_link, "VLAN tag truncated");
            (void)mw_cursor_skip(&h, 2); /* priority, DEI, VLAN id */
            (void)mw_cursor_get_u16(&h, &type);
            s->st->vlan_tags++;
            break;
        case MW_ET_MPLS_UC:
        case MW_ET_MPLS_MC:
            return decode_mpls(s);
        case MW_ET_PPPOE_SESS:
            if (!mwd_deeper(s))
                return MW_FAIL(s, &s->st->err_too_deep, "more than %d encapsulations",
                               MW_MAX_DEPTH);
            /* version/type, code, session id, length; then PPP protocol */
            if (!take(s, 8, &h))
                return MW_FAIL(s, &s->st->err_truncated_link, "PPPoE header truncated");
            (void)mw_cursor_skip(&h, 6);
            (void)mw_cursor_get_u16(&h, &ppp);
            s->st->pppoe++;
            if (ppp == MW_PPP_IPV4)
                return mwd_decode_ip(s, 4);
            if (ppp == MW_PPP_IPV6)
                return mwd_decode_ip(s, 6);
            return mwd_skip_non_ip(s);
        default:
            /* 802.3 lengths (< 0x0600), ARP, LLDP, PPPoE discovery, ... */
            return mwd_skip_non_ip(s);
        }
    }
}

/* PPP (RFC 1661) with or without the HDLC-like address and control bytes
 * of RFC 1662, and with or without protocol field compression: a protocol
 * value's low byte is odd, so an odd first byte is the whole field. */
static mw_decode_status decode_ppp(mw_dstate *s)
{
    mw_cursor h;
    uint16_t proto = 0;
    uint8_t b = 0;

    if (mw_cursor_peek_u16(&s->c, 0, &proto) && proto == 0xFF03)
        (void)take(s, 2, &h);
    if (!mw_cursor_peek_u8(&s->c, 0, &b))
        return MW_FAIL(s, &s->st->err_truncated_link, "PPP header truncated: no protocol");
    if (b & 1) {
        (void)take(s, 1, &h);
        proto = b;
    } else if (!take(s, 2, &h)) {
        return MW_FAIL(s, &s->st->err_truncated_link, "PPP protocol truncated: 1 of 2 bytes");
    } else {
        (void)mw_cursor_get_u16(&h, &proto);
    }
    if (proto == MW_PPP_IPV4)
        return mwd_decode_ip(s, 4);
    if (proto == MW_PPP_IPV6)
        return mwd_decode_ip(s, 6);
    return mwd_skip_non_ip(s); /* LCP, IPCP, compressed TCP/IP, ... */
}

/* Cisco HDLC: address, control, then an ethertype. */
static mw_decode_status decode_chdlc(mw_dstate *s)
{
    mw_cursor h;
    uint16_t type = 0;

    s->d->stats->link.cisco_hdlc++;
    if (!take(s, 4, &h))
        return MW_FAIL(s, &s->st->err_truncated_link,
                       "Cisco HDLC header truncated: %zu of 4 bytes", mw_cursor_len(&s->c));
    (void)mw_cursor_skip(&h, 2);
    (void)mw_cursor_get_u16(&h, &type);
    return mwd_decode_ethertype(s, type); /* SLARP and CDP land in non_ip */
}

/* BSD address family values for IPv6 differ by OS: 24 (NetBSD, OpenBSD),
 * 28 (FreeBSD), 30 (macOS). */
static int bsd_family_version(uint32_t af)
{
    if (af == 2)
        return 4;
    if (af == 24 || af == 28 || af == 30)
        return 6;
    return 0;
}

static mw_decode_status decode_link(mw_dstate *s, int linktype)
{
    mw_link_stats *ls = &s->d->stats->link;
    mw_cursor h;
    uint16_t type = 0;
    uint32_t af_le = 0, af_be = 0;
    uint8_t b = 0;
    int v;

    switch (linktype) {
    case MW_LT_PPP:
        if (mw_cursor_peek_u8(&s->c, 0, &b) &&
            (b == MW_CHDLC_UNICAST || b == MW_CHDLC_MULTICAST))
            return decode_chdlc(s);
        ls->ppp++;
        return decode_ppp(s);
    case MW_LT_C_HDLC:
        return decode_chdlc(s);
    case MW_LT_EN10MB:
        ls->ethernet++;
        if (!take(s, 14, &h))
            return MW_FAIL(s, &s->st->err_truncated_link,
                           "Ethernet header truncated: %zu of 14 bytes", mw_cursor_len(&s->c));
        (void)mw_cursor_skip(&h, 12); /* destination, source */
        (void)mw_cursor_get_u16(&h, &type);
        return mwd_decode_ethertype(s, type);
    case MW_LT_LINUX_SLL:
        ls->linux_sll++;
        if (!take(s, 16, &h))
            return MW_FAIL(s, &s->st->err_truncated_link, "SLL header truncated: %zu of 16 bytes",
                           mw_cursor_len(&s->c));
        (void)mw_cursor_skip(&h, 14);
        (void)mw_cursor_get_u16(&h, &type);
        return mwd_decode_ethertype(s, type);
    case MW_LT_LINUX_SLL2:
        ls->linux_sll2++;
        if (!take(s, 20, &h))
            return MW_FAIL(s, &s->st->err_truncated_link, "SLL2 header truncated: %zu of 20 bytes",
                           mw_cursor_len(&s->c));
        (void)mw_cursor_get_u16(&h, &type);
        return mwd_decode_ethertype(s, type);
    case MW_LT_RAW:
    case MW_LT_RAW_BSD1:
    case MW_LT_RAW_BSD2:
        ls->raw_ip++;
        return decode_ip_any(s);
    case MW_LT_IPV4:
        ls->raw_ip++;
        return mwd_decode_ip(s, 4);
    case MW_LT_IPV6:
        ls->raw_ip++;
        return mwd_decode_ip(s, 6);
    case MW_LT_NULL:
        ls->bsd_null++;
        if (!take(s, 4, &h))
            return MW_FAIL(s, &s->st->err_truncated_link, "NULL header truncated: %zu of 4 bytes",
                           mw_cursor_len(&s->c));
        /* Host order of the capturing machine, which we do not know; no
         * accepted value reads as another accepted value swapped. */
        {
            mw_cursor h2 = h;
            (void)mw_cursor_get_u32_le(&h, &af_le);
            (void)mw_cursor_get_u32(&h2, &af_be);
        }
        v = bsd_family_version(af_le);
        if (!v)
            v = bsd_family_version(af_be);
        return v ? mwd_decode_ip(s, v) : mwd_skip_non_ip(s);
    case MW_LT_LOOP:
        ls->bsd_null++;
        if (!take(s, 4, &h))
            return MW_FAIL(s, &s->st->err_truncated_link, "LOOP header truncated: %zu of 4 bytes",
                           mw_cursor_len(&s->c));
        (void)mw_cursor_get_u32(&h, &af_be);
        v = bsd_family_version(af_be);
        return v ? mwd_decode_ip(s, v) : mwd_skip_non_ip(s);
    default:
        ls->unsupported++;
        snprintf(s->d->err, sizeof(s->d->err), "unsupported link type %d", linktype);
        return MW_DECODE_SKIP;
    }
}

mw_decode_status mw_decode(mw_decoder *d, int linktype, const uint8_t *frame, size_t caplen,
                           mw_packet *pkt)
{
    mw_dstate s;

    pkt->ip_version = 0;
    pkt->l4_proto = 0;
    pkt->ttl = 0;
    pkt->tcp_flags = 0;
    memset(&pkt->src, 0, sizeof(pkt->src));
    memset(&pkt->dst, 0, sizeof(pkt->dst));
    pkt->sport = pkt->dport = 0;
    pkt->seq = pkt->ack = 0;
    pkt->window = 0;
    pkt->tcp_wscale = MW_TCP_NO_WSCALE;
    pkt->reassembled = false;
    pkt->frag_versions = MW_FRAG_ONE_VERSION;
    pkt->csum = MW_CSUM_UNCHECKED;
    pkt->payload_cut = false;
    pkt->payload_wire_len = 0;
    mw_cursor_init(&pkt->payload, NULL, 0);
    mw_cursor_init(&pkt->l3, NULL, 0);

    s.d = d;
    s.st = &d->stats->decode;
    s.pkt = pkt;
    mw_cursor_init(&s.c, frame, caplen);
    /* The outermost IP length is trusted over the frame's: wirelen cannot
     * tell a cut (slicing tools often rewrite it to caplen, and it may count
     * an FCS), so a shortfall there is taken as the snaplen's doing. */
    s.claimed = SIZE_MAX;
    s.depth = 0;
    s.counted_ip = false;
    s.csum_bad = s.csum_ok = s.l4_uncheckable = false;
    mw_decode_status r = decode_link(&s, linktype);
    pkt->csum = s.csum_bad ? MW_CSUM_BAD : s.csum_ok ? MW_CSUM_OK : MW_CSUM_UNCHECKED;
    if (pkt->reassembled)
        mw_cursor_init(&pkt->l3, NULL, 0);
    return r;
}
