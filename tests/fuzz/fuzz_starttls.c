/*
 * fuzz_starttls - cleartext preambles before a TLS handshake (SMTP, IMAP,
 * POP3, FTP, XMPP, LDAP, PostgreSQL, MySQL, RDP, ...): the session layer
 * finds the handshake by content in the first MW_SESSION_SCAN_BYTES of each
 * TCP direction (src/session/session.c). This target runs the real
 * pipeline (decode, flow, reassembly, nDPI, sessions) on one TCP flow made
 * from the input. Input: a port selector byte, then segments as
 * [dir byte][u16 length][bytes]; dir bit 1 sends the segment a second
 * time (a retransmission), bit 2 ends it with FIN.
 */
#include "flow/pipeline.h"
#include "session/session.h"
#include "fuzz_common.h"

static const uint16_t ports[] = {25, 587, 143, 110, 21, 5222, 389, 5432, 3306, 3389, 443, 8080};

typedef struct tcp_side {
    uint32_t seq; /* next sequence number this side sends */
} tcp_side;

/* An IPv4 + TCP packet (LINKTYPE_RAW) from side dir carrying n bytes. */
static size_t build(uint8_t *pkt, int dir, uint16_t sport, uint16_t dport, uint32_t seq,
                    uint32_t ack, uint8_t flags, const uint8_t *p, size_t n)
{
    size_t tot = 40 + n;
    memset(pkt, 0, 40);
    pkt[0] = 0x45;
    pkt[2] = (uint8_t)(tot >> 8);
    pkt[3] = (uint8_t)tot;
    pkt[8] = 64;
    pkt[9] = 6;
    const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    memcpy(pkt + 12, dir ? b : a, 4);
    memcpy(pkt + 16, dir ? a : b, 4);
    uint8_t *t = pkt + 20;
    t[0] = (uint8_t)(sport >> 8);
    t[1] = (uint8_t)sport;
    t[2] = (uint8_t)(dport >> 8);
    t[3] = (uint8_t)dport;
    for (int i = 0; i < 4; i++) {
        t[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
        t[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
    }
    t[12] = 0x50;
    t[13] = flags;
    t[14] = 0xff;
    t[15] = 0xff;
    if (n)
        memcpy(pkt + 40, p, n);
    return tot;
}

static void send_pkt(mw_worker *w, uint8_t *pkt, size_t len, uint64_t *now, uint64_t *number)
{
    mw_source_packet sp = {*now, ++*number, (uint32_t)len, (uint32_t)len, pkt};
    mw_worker_packet(w, 101, "fuzz", &sp);
    *now += 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *null = fopen("/dev/null", "w");
    if (!null)
        return 0;
    mw_config cfg;
    mw_config_defaults(&cfg);
    cfg.flow.max_flows = 16;
    mw_session_config scfg;
    memset(&scfg, 0, sizeof scfg);
    scfg.events = null;
    scfg.flow_records = true;
    mw_sessions *ss = mw_sessions_new(&scfg);
    mw_worker *w = ss ? mw_worker_new(&cfg, mw_sessions_consumer(ss), ss) : NULL;
    uint8_t *pkt = malloc(40 + 65535);
    if (!w || !pkt)
        goto out;
    mwf_in in = {data, size};
    uint16_t cport = 40000, sport = ports[mwf_u8(&in) % (sizeof ports / sizeof ports[0])];
    uint16_t port[2] = {cport, sport};
    tcp_side side[2] = {{1000}, {5000}};
    uint64_t now = 1600000000000000ull, number = 0;
    size_t len;
    len = build(pkt, 0, cport, sport, side[0].seq++, 0, MW_TCP_SYN, NULL, 0);
    send_pkt(w, pkt, len, &now, &number);
    len = build(pkt, 1, sport, cport, side[1].seq++, side[0].seq, MW_TCP_SYN | MW_TCP_ACK, NULL, 0);
    send_pkt(w, pkt, len, &now, &number);
    len = build(pkt, 0, cport, sport, side[0].seq, side[1].seq, MW_TCP_ACK, NULL, 0);
    send_pkt(w, pkt, len, &now, &number);
    while (in.left > 0) {
        uint8_t h = mwf_u8(&in);
        int dir = h & 1;
        size_t n;
        const uint8_t *p = mwf_take(&in, mwf_u16(&in), &n);
        uint8_t flags = MW_TCP_ACK | MW_TCP_PSH | ((h & 4) ? MW_TCP_FIN : 0);
        len = build(pkt, dir, port[dir], port[!dir], side[dir].seq, side[!dir].seq, flags, p, n);
        send_pkt(w, pkt, len, &now, &number);
        if (h & 2)
            send_pkt(w, pkt, len, &now, &number);
        side[dir].seq += (uint32_t)n + ((h & 4) ? 1u : 0u);
    }
    mw_worker_end_input(w);
out:
    free(pkt);
    mw_worker_free(w);
    mw_sessions_free(ss);
    fclose(null);
    return 0;
}
