/*
 * test_flow.c - the flow table, driven by hand-built mw_packet structs.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flow/flow.h"

#define SEC 1000000ull
#define T0 (1700000000ull * SEC)

/* What the end callback saw. */
typedef struct rec {
    unsigned calls;
    unsigned bad; /* calls where f->ended / f->end_reason were not set */
    uint64_t ids[64];
    mw_flow_end reasons[64];
    unsigned by_reason[MW_FLOW_END_EOF + 1];
    uint8_t *per_id; /* stress test: calls per flow id */
    size_t per_id_n;
} rec;

static void on_end(void *arg, mw_flow *f, mw_flow_end reason)
{
    rec *r = arg;

    if (!f->ended || f->end_reason != reason)
        r->bad++;
    if (r->calls < 64) {
        r->ids[r->calls] = f->id;
        r->reasons[r->calls] = reason;
    }
    r->calls++;
    r->by_reason[reason]++;
    if (r->per_id != NULL && f->id < r->per_id_n)
        r->per_id[f->id]++;
}

static mw_flow_config config(uint32_t max_flows)
{
    mw_flow_config cfg;
    const uint64_t s[MW_FLOW_STATE_COUNT] = MW_FLOW_DEFAULT_TIMEOUTS_S;

    memset(&cfg, 0, sizeof(cfg));
    cfg.max_flows = max_flows;
    for (int i = 0; i < MW_FLOW_STATE_COUNT; i++)
        cfg.timeout_us[i] = s[i] * SEC;
    return cfg;
}

static mw_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    mw_addr x;
    memset(&x, 0, sizeof(x));
    x.family = 4;
    x.bytes[0] = a;
    x.bytes[1] = b;
    x.bytes[2] = c;
    x.bytes[3] = d;
    return x;
}

/* 2001:db8::last */
static mw_addr v6(uint8_t last)
{
    mw_addr x;
    memset(&x, 0, sizeof(x));
    x.family = 6;
    x.bytes[0] = 0x20;
    x.bytes[1] = 0x01;
    x.bytes[2] = 0x0d;
    x.bytes[3] = 0xb8;
    x.bytes[15] = last;
    return x;
}

static mw_packet pkt(uint8_t proto, mw_addr src, uint16_t sport, mw_addr dst,
                     uint16_t dport, uint8_t flags, uint32_t len, uint64_t ts)
{
    mw_packet p;
    memset(&p, 0, sizeof(p));
    p.ts_us = ts;
    p.ip_version = src.family;
    p.l4_proto = proto;
    p.tcp_flags = flags;
    p.src = src;
    p.dst = dst;
    p.sport = sport;
    p.dport = dport;
    p.payload_wire_len = len;
    return p;
}

/* Reversed copy of p: the same flow, the other direction. */
static mw_packet rev(const mw_packet *p, uint8_t flags, uint32_t len, uint64_t ts)
{
    return pkt(p->l4_proto, p->dst, p->dport, p->src, p->sport, flags, len, ts);
}

#define SYN MW_TCP_SYN
#define ACK MW_TCP_ACK
#define FIN MW_TCP_FIN
#define RST MW_TCP_RST
#define PSH MW_TCP_PSH

static void test_names(void)
{
    CHECK_EQ_S(mw_flow_end_name(MW_FLOW_END_FIN), "fin");
    CHECK_EQ_S(mw_flow_end_name(MW_FLOW_END_RST), "rst");
    CHECK_EQ_S(mw_flow_end_name(MW_FLOW_END_TIMEOUT), "timeout");
    CHECK_EQ_S(mw_flow_end_name(MW_FLOW_END_EVICTED), "evicted");
    CHECK_EQ_S(mw_flow_end_name(MW_FLOW_END_EOF), "eof");
    CHECK_EQ_S(mw_client_basis_name(MW_CLIENT_SYN), "syn");
    CHECK_EQ_S(mw_client_basis_name(MW_CLIENT_SYNACK), "synack");
    CHECK_EQ_S(mw_client_basis_name(MW_CLIENT_PORT), "port");
    CHECK_EQ_S(mw_client_basis_name(MW_CLIENT_FIRST_PACKET), "first_packet");
}

static void test_bad_config(void)
{
    mw_flow_config cfg = config(0);
    CHECK(mw_flow_table_new(&cfg, NULL, NULL, NULL) == NULL);
    CHECK(mw_flow_table_new(NULL, NULL, NULL, NULL) == NULL);
}

static int key_eq(const mw_flow_key *a, const mw_flow_key *b)
{
    return a->lo_addr.family == b->lo_addr.family &&
           a->hi_addr.family == b->hi_addr.family &&
           memcmp(a->lo_addr.bytes, b->lo_addr.bytes, 16) == 0 &&
           memcmp(a->hi_addr.bytes, b->hi_addr.bytes, 16) == 0 &&
           a->lo_port == b->lo_port && a->hi_port == b->hi_port &&
           a->proto == b->proto;
}

static void test_key(void)
{
    mw_flow_key k1, k2;
    mw_packet a = pkt(6, v4(10, 0, 0, 2), 443, v4(10, 0, 0, 1), 40000, ACK, 0, T0);
    mw_packet b = rev(&a, ACK, 0, T0);

    mw_flow_key_from_packet(&a, &k1);
    mw_flow_key_from_packet(&b, &k2);
    CHECK(key_eq(&k1, &k2));
    /* 10.0.0.1 < 10.0.0.2, so the 40000 side is lo. */
    CHECK_EQ_U(k1.lo_addr.family, 4);
    CHECK_EQ_U(k1.lo_addr.bytes[3], 1);
    CHECK_EQ_U(k1.hi_addr.bytes[3], 2);
    CHECK_EQ_U(k1.lo_port, 40000);
    CHECK_EQ_U(k1.hi_port, 443);
    CHECK_EQ_U(k1.proto, 6);

    /* Same address both ends: the port decides. */
    mw_packet c = pkt(17, v4(127, 0, 0, 1), 9000, v4(127, 0, 0, 1), 53, 0, 0, T0);
    mw_flow_key_from_packet(&c, &k1);
    CHECK_EQ_U(k1.lo_port, 53);
    CHECK_EQ_U(k1.hi_port, 9000);

    /* Padding is zeroed: keys from garbage-filled memory compare as bytes. */
    uint8_t raw1[sizeof(mw_flow_key)], raw2[sizeof(mw_flow_key)];
    memset(&k1, 0xaa, sizeof(k1));
    memset(&k2, 0x55, sizeof(k2));
    mw_flow_key_from_packet(&a, &k1);
    mw_flow_key_from_packet(&b, &k2);
    memcpy(raw1, &k1, sizeof(raw1));
    memcpy(raw2, &k2, sizeof(raw2));
    CHECK_MEM(raw1, raw2, sizeof(raw1));

    /* IPv4 bytes past the fourth are not part of the key. */
    mw_packet d = a;
    d.src.bytes[9] = 0xee;
    mw_flow_key_from_packet(&a, &k1);
    mw_flow_key_from_packet(&d, &k2);
    CHECK(key_eq(&k1, &k2));
}

static void test_both_directions(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir = -1;
    bool created = false;

    mw_packet c2s = pkt(6, v4(192, 168, 1, 10), 51000, v4(93, 184, 216, 34), 443,
                        SYN, 0, T0);
    mw_flow *f = mw_flow_packet(t, &c2s, &dir, &created);
    CHECK(f != NULL);
    CHECK(created);
    CHECK_EQ_U(dir, MW_DIR_TO_SERVER);
    CHECK_EQ_U(f->id, 1);
    CHECK_EQ_U(f->proto, 6);

    mw_packet s2c = rev(&c2s, SYN | ACK, 0, T0 + 1000);
    mw_flow *g = mw_flow_packet(t, &s2c, &dir, &created);
    CHECK(g == f);
    CHECK(!created);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);

    mw_packet data = rev(&s2c, ACK | PSH, 517, T0 + 2000);
    g = mw_flow_packet(t, &data, &dir, &created);
    CHECK(g == f);
    CHECK_EQ_U(dir, MW_DIR_TO_SERVER);
    mw_packet reply = rev(&data, ACK, 1400, T0 + 3000);
    g = mw_flow_packet(t, &reply, &dir, &created);
    CHECK(g == f);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);

    CHECK_EQ_U(f->packets[MW_DIR_TO_SERVER], 2);
    CHECK_EQ_U(f->packets[MW_DIR_TO_CLIENT], 2);
    CHECK_EQ_U(f->bytes[MW_DIR_TO_SERVER], 517);
    CHECK_EQ_U(f->bytes[MW_DIR_TO_CLIENT], 1400);
    CHECK_EQ_U(f->first_ts_us, T0);
    CHECK_EQ_U(f->last_ts_us, T0 + 3000);
    CHECK_EQ_U(mw_flow_count(t), 1);
    CHECK_EQ_U(st.created, 1);
    CHECK_EQ_U(st.created_tcp, 1);
    CHECK_EQ_U(st.created_udp, 0);
    CHECK_EQ_U(st.active_peak, 1);

    /* Neither TCP nor UDP. */
    mw_packet icmp = c2s;
    icmp.l4_proto = 1;
    CHECK(mw_flow_packet(t, &icmp, &dir, &created) == NULL);
    CHECK_EQ_U(mw_flow_count(t), 1);

    /* Same addresses and ports, other protocol: another flow. */
    mw_packet udp = c2s;
    udp.l4_proto = 17;
    g = mw_flow_packet(t, &udp, &dir, &created);
    CHECK(g != f);
    CHECK(created);
    CHECK_EQ_U(mw_flow_count(t), 2);

    CHECK_EQ_U(r.calls, 0);
    mw_flow_table_free(t);
}

static void test_client_syn(void)
{
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, NULL, NULL);
    int dir;
    bool created;

    /* The SYN comes from the 443 side: the SYN outranks the port hint. */
    mw_packet syn = pkt(6, v4(10, 1, 1, 1), 443, v4(10, 2, 2, 2), 50000, SYN, 0, T0);
    mw_flow *f = mw_flow_packet(t, &syn, &dir, &created);
    CHECK_EQ_U(f->client_basis, MW_CLIENT_SYN);
    CHECK_EQ_U(f->client_ip.bytes[0], 10);
    CHECK_EQ_U(f->client_ip.bytes[1], 1);
    CHECK_EQ_U(f->client_port, 443);
    CHECK_EQ_U(f->server_ip.bytes[1], 2);
    CHECK_EQ_U(f->server_port, 50000);
    CHECK_EQ_U(f->state, MW_FLOW_SYN);
    CHECK_EQ_U(dir, MW_DIR_TO_SERVER);
    CHECK_EQ_U(st.client_by_syn, 1);

    /* A retransmitted SYN changes nothing. */
    syn.ts_us += SEC;
    CHECK(mw_flow_packet(t, &syn, &dir, &created) == f);
    CHECK_EQ_U(f->state, MW_FLOW_SYN);
    CHECK(!created);

    mw_packet sa = rev(&syn, SYN | ACK, 0, T0 + 2 * SEC);
    mw_flow_packet(t, &sa, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_ESTABLISHED);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);
    CHECK_EQ_U(st.client_by_syn, 1);
    CHECK_EQ_U(st.created, 1);
    mw_flow_table_free(t);
}

static void test_client_synack(void)
{
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, NULL, NULL);
    int dir;
    bool created;

    /* SYN missed: the SYN-ACK's receiver is the client, whatever the ports. */
    mw_packet sa = pkt(6, v4(10, 0, 0, 2), 5000, v4(10, 0, 0, 1), 443, SYN | ACK, 0, T0);
    mw_flow *f = mw_flow_packet(t, &sa, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(f->client_basis, MW_CLIENT_SYNACK);
    CHECK_EQ_U(f->client_ip.bytes[3], 1);
    CHECK_EQ_U(f->client_port, 443);
    CHECK_EQ_U(f->server_ip.bytes[3], 2);
    CHECK_EQ_U(f->server_port, 5000);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);
    CHECK_EQ_U(f->state, MW_FLOW_ESTABLISHED);
    CHECK_EQ_U(st.client_by_synack, 1);
    CHECK_EQ_U(st.client_by_syn, 0);

    /* A SYN that lost its SYN-ACK, then the client's ACK: established. */
    mw_packet syn = pkt(6, v4(10, 0, 0, 3), 40000, v4(10, 0, 0, 4), 40001, SYN, 0, T0);
    f = mw_flow_packet(t, &syn, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_SYN);
    mw_packet ack = syn;
    ack.tcp_flags = ACK;
    mw_flow_packet(t, &ack, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_ESTABLISHED);
    mw_flow_table_free(t);
}

/* Creates a mid-stream TCP flow (ACK with data) and returns it. */
static mw_flow *midstream(mw_flow_table *t, uint16_t sport, uint16_t dport, int *dir)
{
    bool created;
    mw_packet p = pkt(6, v4(172, 16, 0, 1), sport, v4(172, 16, 0, 2), dport,
                      ACK | PSH, 100, T0);
    mw_flow *f = mw_flow_packet(t, &p, dir, &created);
    CHECK(created);
    return f;
}

static void test_client_port(void)
{
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(64);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, NULL, NULL);
    int dir;

    /* Server speaks first from 443. */
    mw_flow *f = midstream(t, 443, 51000, &dir);
    CHECK_EQ_U(f->client_basis, MW_CLIENT_PORT);
    CHECK_EQ_U(f->server_port, 443);
    CHECK_EQ_U(f->server_ip.bytes[3], 1);
    CHECK_EQ_U(f->client_port, 51000);
    CHECK_EQ_U(f->client_ip.bytes[3], 2);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);
    CHECK_EQ_U(f->state, MW_FLOW_ESTABLISHED);

    /* Client speaks first to 443. */
    f = midstream(t, 51001, 443, &dir);
    CHECK_EQ_U(f->server_port, 443);
    CHECK_EQ_U(dir, MW_DIR_TO_SERVER);

    /* Listed port above 1024 against an ephemeral one. */
    f = midstream(t, 8443, 60000, &dir);
    CHECK_EQ_U(f->server_port, 8443);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);

    /* Unlisted low port against an ephemeral one. */
    f = midstream(t, 50000, 22, &dir);
    CHECK_EQ_U(f->server_port, 22);
    CHECK_EQ_U(dir, MW_DIR_TO_SERVER);

    /* Two listed ports: the lower one. */
    f = midstream(t, 587, 25, &dir);
    CHECK_EQ_U(f->server_port, 25);
    CHECK_EQ_U(dir, MW_DIR_TO_SERVER);
    f = midstream(t, 443, 8443, &dir);
    CHECK_EQ_U(f->server_port, 443);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);

    /* Listed outranks unlisted low. */
    f = midstream(t, 443, 80, &dir);
    CHECK_EQ_U(f->server_port, 443);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);

    CHECK_EQ_U(st.client_by_port, 7);
    CHECK_EQ_U(st.client_by_first_packet, 0);
    mw_flow_table_free(t);
}

static void test_client_first_packet(void)
{
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, NULL, NULL);
    int dir;

    /* Both ephemeral: the first sender is the client, whichever is lower. */
    mw_flow *f = midstream(t, 50000, 40000, &dir);
    CHECK_EQ_U(f->client_basis, MW_CLIENT_FIRST_PACKET);
    CHECK_EQ_U(f->client_port, 50000);
    CHECK_EQ_U(f->client_ip.bytes[3], 1);
    CHECK_EQ_U(f->server_port, 40000);
    CHECK_EQ_U(dir, MW_DIR_TO_SERVER);

    /* Two unlisted low ports: no hint. */
    f = midstream(t, 80, 22, &dir);
    CHECK_EQ_U(f->client_basis, MW_CLIENT_FIRST_PACKET);
    CHECK_EQ_U(f->client_port, 80);

    /* Same listed port both sides. */
    f = midstream(t, 443, 443, &dir);
    CHECK_EQ_U(f->client_basis, MW_CLIENT_FIRST_PACKET);
    CHECK_EQ_U(f->client_ip.bytes[3], 1);

    CHECK_EQ_U(st.client_by_first_packet, 3);
    CHECK_EQ_U(st.client_by_port, 0);
    mw_flow_table_free(t);
}

static void test_udp(void)
{
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, NULL, NULL);
    int dir;
    bool created;

    /* QUIC server packet seen first. */
    mw_packet p = pkt(17, v4(8, 8, 8, 8), 443, v4(192, 168, 0, 9), 55555, 0, 1200, T0);
    mw_flow *f = mw_flow_packet(t, &p, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(f->state, MW_FLOW_UDP);
    CHECK_EQ_U(f->proto, 17);
    CHECK_EQ_U(f->client_basis, MW_CLIENT_PORT);
    CHECK_EQ_U(f->client_port, 55555);
    CHECK_EQ_U(f->client_ip.bytes[0], 192);
    CHECK_EQ_U(f->server_port, 443);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);
    CHECK_EQ_U(f->bytes[MW_DIR_TO_CLIENT], 1200);

    mw_packet q = rev(&p, 0, 1250, T0 + 10);
    CHECK(mw_flow_packet(t, &q, &dir, &created) == f);
    CHECK_EQ_U(dir, MW_DIR_TO_SERVER);
    CHECK_EQ_U(f->state, MW_FLOW_UDP);

    /* STUN, listed for UDP only. */
    mw_packet s = pkt(17, v4(10, 0, 0, 1), 50000, v4(10, 0, 0, 2), 3478, 0, 20, T0);
    f = mw_flow_packet(t, &s, &dir, &created);
    CHECK_EQ_U(f->server_port, 3478);
    CHECK_EQ_U(f->client_basis, MW_CLIENT_PORT);

    /* TCP flags on a UDP packet mean nothing. */
    mw_packet u = pkt(17, v4(10, 0, 0, 3), 50000, v4(10, 0, 0, 4), 50001, SYN | RST, 0, T0);
    f = mw_flow_packet(t, &u, &dir, &created);
    CHECK_EQ_U(f->client_basis, MW_CLIENT_FIRST_PACKET);
    CHECK_EQ_U(f->state, MW_FLOW_UDP);
    CHECK(!f->rst_seen);

    CHECK_EQ_U(st.created_udp, 3);
    CHECK_EQ_U(st.created_tcp, 0);
    CHECK_EQ_U(st.closed_rst, 0);
    mw_flow_table_free(t);
}

static void test_fin_close(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir;
    bool created;

    mw_packet syn = pkt(6, v4(10, 0, 0, 1), 40000, v4(10, 0, 0, 2), 443, SYN, 0, T0);
    mw_flow *f = mw_flow_packet(t, &syn, &dir, &created);
    mw_packet sa = rev(&syn, SYN | ACK, 0, T0 + 1);
    mw_flow_packet(t, &sa, &dir, &created);
    mw_packet ack = rev(&sa, ACK, 0, T0 + 2);
    mw_flow_packet(t, &ack, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_ESTABLISHED);

    mw_packet fin1 = rev(&sa, FIN | ACK, 0, T0 + 3);
    mw_flow_packet(t, &fin1, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSING);
    CHECK(f->fin_seen[MW_DIR_TO_SERVER]);
    CHECK(!f->fin_seen[MW_DIR_TO_CLIENT]);

    /* A retransmitted FIN in the same direction does not close. */
    mw_flow_packet(t, &fin1, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSING);
    CHECK_EQ_U(st.closed_fin, 0);

    mw_packet fin2 = rev(&fin1, FIN | ACK, 0, T0 + 4);
    mw_flow_packet(t, &fin2, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSED);
    CHECK(f->fin_seen[MW_DIR_TO_CLIENT]);
    CHECK_EQ_U(st.closed_fin, 1);
    CHECK(!f->ended);
    CHECK_EQ_U(r.calls, 0); /* the pipeline ends it, not the table */

    /* Trailing ACK and FIN retransmission: still CLOSED, counted once. */
    mw_packet last = rev(&fin2, ACK, 0, T0 + 5);
    CHECK(mw_flow_packet(t, &last, &dir, &created) == f);
    mw_flow_packet(t, &fin2, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSED);
    CHECK_EQ_U(st.closed_fin, 1);
    CHECK_EQ_U(st.closed_rst, 0);
    CHECK_EQ_U(r.calls, 0);

    mw_flow_end_now(t, f, MW_FLOW_END_FIN);
    CHECK_EQ_U(r.calls, 1);
    CHECK_EQ_U(r.reasons[0], MW_FLOW_END_FIN);
    CHECK(f->ended);
    CHECK_EQ_U(f->end_reason, MW_FLOW_END_FIN);
    CHECK_EQ_U(mw_flow_count(t), 1); /* lingers for trailing packets */
    CHECK_EQ_U(r.bad, 0);
    mw_flow_table_free(t);
}

static void test_rst_close(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir;
    bool created;

    mw_packet d = pkt(6, v4(10, 0, 0, 1), 40000, v4(10, 0, 0, 2), 443, ACK, 10, T0);
    mw_flow *f = mw_flow_packet(t, &d, &dir, &created);
    mw_packet fin = d;
    fin.tcp_flags = FIN | ACK;
    mw_flow_packet(t, &fin, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSING);

    mw_packet rst = rev(&d, RST, 0, T0 + 1);
    mw_flow_packet(t, &rst, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSED);
    CHECK(f->rst_seen);
    CHECK_EQ_U(st.closed_rst, 1);
    CHECK_EQ_U(st.closed_fin, 0);

    mw_flow_packet(t, &rst, &dir, &created);
    mw_flow_packet(t, &d, &dir, &created);
    CHECK_EQ_U(st.closed_rst, 1);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSED);

    /* A SYN refused at once. */
    mw_packet syn = pkt(6, v4(10, 0, 0, 5), 40000, v4(10, 0, 0, 6), 25, SYN, 0, T0);
    f = mw_flow_packet(t, &syn, &dir, &created);
    mw_packet refuse = rev(&syn, RST | ACK, 0, T0);
    mw_flow_packet(t, &refuse, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSED);
    CHECK_EQ_U(st.closed_rst, 2);
    CHECK_EQ_U(r.calls, 0);
    mw_flow_table_free(t);
}

static void test_port_reuse(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir;
    bool created;

    mw_packet syn = pkt(6, v4(10, 0, 0, 1), 40000, v4(10, 0, 0, 2), 443, SYN, 0, T0);
    mw_flow *f = mw_flow_packet(t, &syn, &dir, &created);
    mw_packet fin = syn;
    fin.tcp_flags = FIN | ACK;
    mw_flow_packet(t, &fin, &dir, &created);
    mw_packet fin2 = rev(&fin, FIN | ACK, 0, T0);
    mw_flow_packet(t, &fin2, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSED);
    mw_flow_end_now(t, f, MW_FLOW_END_FIN);
    CHECK_EQ_U(r.calls, 1);

    /* A SYN-ACK is not a new connection. */
    mw_packet sa = rev(&syn, SYN | ACK, 0, T0 + SEC);
    CHECK(mw_flow_packet(t, &sa, &dir, &created) == f);
    CHECK(!created);

    syn.ts_us = T0 + 2 * SEC;
    mw_flow *g = mw_flow_packet(t, &syn, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(g->id, 2);
    CHECK_EQ_U(g->state, MW_FLOW_SYN);
    CHECK_EQ_U(g->client_basis, MW_CLIENT_SYN);
    CHECK(!g->ended);
    CHECK(!g->fin_seen[0] && !g->fin_seen[1]);
    CHECK_EQ_U(g->packets[MW_DIR_TO_SERVER], 1);
    CHECK_EQ_U(g->packets[MW_DIR_TO_CLIENT], 0);
    CHECK_EQ_U(g->first_ts_us, T0 + 2 * SEC);
    CHECK_EQ_U(mw_flow_count(t), 1);
    CHECK_EQ_U(r.calls, 1); /* the old one had ended already */
    CHECK_EQ_U(st.created, 2);

    /* Closed by RST, never ended by the caller: the reuse ends it. */
    mw_packet rst = rev(&syn, RST | ACK, 0, T0 + 3 * SEC);
    mw_flow_packet(t, &rst, &dir, &created);
    CHECK_EQ_U(g->state, MW_FLOW_CLOSED);
    syn.ts_us = T0 + 4 * SEC;
    mw_flow *h = mw_flow_packet(t, &syn, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(h->id, 3);
    CHECK_EQ_U(r.calls, 2);
    CHECK_EQ_U(r.ids[1], 2);
    CHECK_EQ_U(r.reasons[1], MW_FLOW_END_RST);
    CHECK_EQ_U(mw_flow_count(t), 1);

    /* Closed by FIN, never ended: ends with FIN. */
    mw_packet hf = syn;
    hf.tcp_flags = FIN | ACK;
    mw_flow_packet(t, &hf, &dir, &created);
    mw_packet hf2 = rev(&hf, FIN | ACK, 0, T0 + 4 * SEC);
    mw_flow_packet(t, &hf2, &dir, &created);
    mw_flow *k = mw_flow_packet(t, &syn, &dir, &created);
    CHECK_EQ_U(k->id, 4);
    CHECK_EQ_U(r.calls, 3);
    CHECK_EQ_U(r.ids[2], 3);
    CHECK_EQ_U(r.reasons[2], MW_FLOW_END_FIN);
    CHECK_EQ_U(r.bad, 0);
    mw_flow_table_free(t);
}

static void test_expiry(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir;
    bool created;

    /* One flow per state, all last seen at T0. */
    mw_packet u = pkt(17, v4(10, 0, 0, 1), 5000, v4(10, 0, 0, 2), 53, 0, 0, T0);
    mw_flow *fu = mw_flow_packet(t, &u, &dir, &created);
    mw_packet s = pkt(6, v4(10, 0, 1, 1), 5000, v4(10, 0, 1, 2), 443, SYN, 0, T0);
    mw_flow *fs = mw_flow_packet(t, &s, &dir, &created);
    mw_packet e = pkt(6, v4(10, 0, 2, 1), 5000, v4(10, 0, 2, 2), 443, ACK, 0, T0);
    mw_flow *fe = mw_flow_packet(t, &e, &dir, &created);
    mw_packet c = pkt(6, v4(10, 0, 3, 1), 5000, v4(10, 0, 3, 2), 443, FIN, 0, T0);
    mw_flow *fc = mw_flow_packet(t, &c, &dir, &created);
    mw_packet d = pkt(6, v4(10, 0, 4, 1), 5000, v4(10, 0, 4, 2), 443, RST, 0, T0);
    mw_flow *fd = mw_flow_packet(t, &d, &dir, &created);
    CHECK_EQ_U(fu->state, MW_FLOW_UDP);
    CHECK_EQ_U(fs->state, MW_FLOW_SYN);
    CHECK_EQ_U(fe->state, MW_FLOW_ESTABLISHED);
    CHECK_EQ_U(fc->state, MW_FLOW_CLOSING);
    CHECK_EQ_U(fd->state, MW_FLOW_CLOSED);
    uint64_t idu = fu->id, ids = fs->id, ide = fe->id, idc = fc->id, idd = fd->id;
    CHECK_EQ_U(mw_flow_count(t), 5);

    /* Before every flow's last packet: nothing, and no underflow. */
    mw_flow_expire(t, T0 - 700 * SEC);
    CHECK_EQ_U(mw_flow_count(t), 5);

    mw_flow_expire(t, T0 + 10 * SEC - 1);
    CHECK_EQ_U(mw_flow_count(t), 5);
    mw_flow_expire(t, T0 + 10 * SEC); /* CLOSED: 10 s */
    CHECK_EQ_U(mw_flow_count(t), 4);
    CHECK_EQ_U(r.calls, 1);
    CHECK_EQ_U(r.ids[0], idd);

    mw_flow_expire(t, T0 + 30 * SEC - 1); /* t + 29.999999 s */
    CHECK_EQ_U(mw_flow_count(t), 4);
    mw_flow_expire(t, T0 + 30 * SEC); /* SYN: 30 s */
    CHECK_EQ_U(mw_flow_count(t), 3);
    CHECK_EQ_U(r.ids[1], ids);

    mw_flow_expire(t, T0 + 60 * SEC - 1);
    CHECK_EQ_U(mw_flow_count(t), 3);
    mw_flow_expire(t, T0 + 60 * SEC); /* UDP: 60 s */
    CHECK_EQ_U(mw_flow_count(t), 2);
    CHECK_EQ_U(r.ids[2], idu);

    mw_flow_expire(t, T0 + 120 * SEC - 1);
    CHECK_EQ_U(mw_flow_count(t), 2);
    mw_flow_expire(t, T0 + 120 * SEC); /* CLOSING: 120 s */
    CHECK_EQ_U(mw_flow_count(t), 1);
    CHECK_EQ_U(r.ids[3], idc);

    mw_flow_expire(t, T0 + 600 * SEC - 1);
    CHECK_EQ_U(mw_flow_count(t), 1);
    mw_flow_expire(t, T0 + 600 * SEC); /* ESTABLISHED: 600 s */
    CHECK_EQ_U(mw_flow_count(t), 0);
    CHECK_EQ_U(r.ids[4], ide);

    CHECK_EQ_U(r.calls, 5);
    /* The reset flow lingered in CLOSED: it ended by its RST, not by a
     * timeout, and was counted in closed_rst when it closed. */
    CHECK_EQ_U(r.by_reason[MW_FLOW_END_TIMEOUT], 4);
    CHECK_EQ_U(r.by_reason[MW_FLOW_END_RST], 1);
    CHECK_EQ_U(st.timed_out, 4);
    CHECK_EQ_U(st.closed_rst, 1);
    CHECK_EQ_U(r.bad, 0);
    mw_flow_table_free(t);
}

static void test_expiry_lru_order(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(16);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir;
    bool created;

    mw_packet a = pkt(17, v4(10, 0, 0, 1), 5000, v4(10, 0, 0, 2), 53, 0, 0, T0);
    mw_packet b = pkt(17, v4(10, 0, 0, 3), 5000, v4(10, 0, 0, 4), 53, 0, 0, T0 + SEC);
    mw_flow *fa = mw_flow_packet(t, &a, &dir, &created);
    mw_flow *fb = mw_flow_packet(t, &b, &dir, &created);
    uint64_t idb = fb->id;
    /* a is touched again later: b becomes the older one. */
    a.ts_us = T0 + 5 * SEC;
    mw_flow_packet(t, &a, &dir, &created);
    /* A late packet from the past does not move last_ts back. */
    mw_packet late = rev(&a, 0, 0, T0 - 3 * SEC);
    mw_flow_packet(t, &late, &dir, &created);
    CHECK_EQ_U(fa->last_ts_us, T0 + 5 * SEC);
    CHECK_EQ_U(fa->first_ts_us, T0 - 3 * SEC);

    mw_flow_expire(t, T0 + 61 * SEC);
    CHECK_EQ_U(mw_flow_count(t), 1);
    CHECK_EQ_U(r.calls, 1);
    CHECK_EQ_U(r.ids[0], idb);
    mw_flow_expire(t, T0 + 65 * SEC);
    CHECK_EQ_U(mw_flow_count(t), 0);
    CHECK_EQ_U(r.calls, 2);
    mw_flow_table_free(t);

    /* A timeout that cannot be reached does not overflow. */
    cfg.timeout_us[MW_FLOW_UDP] = UINT64_MAX;
    t = mw_flow_table_new(&cfg, &st, on_end, &r);
    mw_flow_packet(t, &b, &dir, &created);
    mw_flow_expire(t, UINT64_MAX);
    CHECK_EQ_U(mw_flow_count(t), 1);
    mw_flow_table_free(t);
}

static void test_eviction(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(3);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir;
    bool created;

    /* Three flows on three different state lists. */
    mw_packet a = pkt(17, v4(10, 0, 0, 1), 5000, v4(10, 0, 0, 2), 53, 0, 0, T0 + 1);
    mw_packet b = pkt(6, v4(10, 0, 0, 3), 5000, v4(10, 0, 0, 4), 443, SYN, 0, T0 + 2);
    mw_packet c = pkt(6, v4(10, 0, 0, 5), 5000, v4(10, 0, 0, 6), 443, ACK, 9, T0 + 3);
    mw_flow *fa = mw_flow_packet(t, &a, &dir, &created);
    mw_flow *fb = mw_flow_packet(t, &b, &dir, &created);
    mw_flow *fc = mw_flow_packet(t, &c, &dir, &created);
    uint64_t ida = fa->id, idb = fb->id, idc = fc->id;
    CHECK_EQ_U(mw_flow_count(t), 3);

    a.ts_us = T0 + 4; /* a touched: b is now the least recently used */
    mw_flow_packet(t, &a, &dir, &created);

    mw_packet d = pkt(17, v4(10, 0, 0, 7), 5000, v4(10, 0, 0, 8), 53, 0, 0, T0 + 5);
    mw_flow *fd = mw_flow_packet(t, &d, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(fd->id, 4);
    CHECK_EQ_U(mw_flow_count(t), 3);
    CHECK_EQ_U(r.calls, 1);
    CHECK_EQ_U(r.ids[0], idb);
    CHECK_EQ_U(r.reasons[0], MW_FLOW_END_EVICTED);
    CHECK_EQ_U(st.evicted, 1);
    /* The recycled struct starts clean. */
    CHECK_EQ_U(fd->packets[MW_DIR_TO_CLIENT], 0);
    CHECK_EQ_U(fd->stream[0].isn, 0);
    CHECK(fd->consumer_state == NULL);

    /* b is gone: its next packet makes a new flow, evicting c (ts 3). */
    b.ts_us = T0 + 6;
    mw_flow *fb2 = mw_flow_packet(t, &b, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(fb2->id, 5);
    CHECK_EQ_U(r.calls, 2);
    CHECK_EQ_U(r.ids[1], idc);
    CHECK_EQ_U(st.evicted, 2);

    /* An ended flow lingering in CLOSED goes without a second callback and
     * is not counted as evicted. */
    mw_flow_end_now(t, fa, MW_FLOW_END_FIN); /* a: ts 4, the oldest */
    CHECK_EQ_U(r.calls, 3);
    CHECK_EQ_U(r.ids[2], ida);
    mw_packet e = pkt(17, v4(10, 0, 0, 9), 5000, v4(10, 0, 0, 10), 53, 0, 0, T0 + 7);
    mw_flow_packet(t, &e, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(r.calls, 3);
    CHECK_EQ_U(st.evicted, 2);
    CHECK_EQ_U(mw_flow_count(t), 3);
    /* a's next packet is a new flow: the old one is really gone. */
    a.ts_us = T0 + 8;
    mw_flow *fa2 = mw_flow_packet(t, &a, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(fa2->id, 7);
    CHECK(!fa2->ended);
    CHECK_EQ_U(st.active_peak, 3);
    CHECK_EQ_U(st.created, 7);
    CHECK_EQ_U(r.bad, 0);
    mw_flow_table_free(t);
}

static void test_flush(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(8);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir;
    bool created;

    mw_packet a = pkt(17, v4(10, 0, 0, 1), 5000, v4(10, 0, 0, 2), 53, 0, 0, T0);
    mw_packet b = pkt(6, v4(10, 0, 0, 3), 5000, v4(10, 0, 0, 4), 443, SYN, 0, T0);
    mw_packet c = pkt(6, v4(10, 0, 0, 5), 5000, v4(10, 0, 0, 6), 443, ACK, 9, T0);
    mw_flow_packet(t, &a, &dir, &created);
    mw_flow *fb = mw_flow_packet(t, &b, &dir, &created);
    mw_flow_packet(t, &c, &dir, &created);
    mw_flow_end_now(t, fb, MW_FLOW_END_RST);
    CHECK_EQ_U(r.calls, 1);
    CHECK_EQ_U(fb->state, MW_FLOW_CLOSED);

    mw_flow_flush(t, MW_FLOW_END_EOF);
    CHECK_EQ_U(mw_flow_count(t), 0);
    CHECK_EQ_U(r.calls, 3);
    CHECK_EQ_U(r.by_reason[MW_FLOW_END_EOF], 2);
    CHECK_EQ_U(r.by_reason[MW_FLOW_END_RST], 1);
    CHECK_EQ_U(st.ended_at_eof, 2);

    /* The table works on after a flush; ids keep counting. */
    mw_flow *f = mw_flow_packet(t, &a, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(f->id, 4);
    CHECK_EQ_U(mw_flow_count(t), 1);
    mw_flow_flush(t, MW_FLOW_END_EOF);
    CHECK_EQ_U(st.ended_at_eof, 3);
    mw_flow_table_free(t);

    /* No callback at all is fine. */
    t = mw_flow_table_new(&cfg, NULL, NULL, NULL);
    mw_flow_packet(t, &a, &dir, &created);
    mw_flow_packet(t, &b, &dir, &created);
    mw_flow_flush(t, MW_FLOW_END_EOF);
    CHECK_EQ_U(mw_flow_count(t), 0);
    mw_flow_table_free(t);
}

static void test_ipv6(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(8);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir;
    bool created;
    mw_flow_key k;

    mw_packet p = pkt(6, v6(2), 443, v6(1), 50000, ACK, 1000, T0);
    mw_flow_key_from_packet(&p, &k);
    CHECK_EQ_U(k.lo_addr.family, 6);
    CHECK_EQ_U(k.lo_addr.bytes[0], 0x20);
    CHECK_EQ_U(k.lo_addr.bytes[15], 1);
    CHECK_EQ_U(k.hi_addr.bytes[15], 2);
    CHECK_EQ_U(k.lo_port, 50000);

    mw_flow *f = mw_flow_packet(t, &p, &dir, &created);
    CHECK(created);
    CHECK_EQ_U(dir, MW_DIR_TO_CLIENT);
    CHECK_EQ_U(f->server_port, 443);
    CHECK_EQ_U(f->server_ip.family, 6);
    CHECK_EQ_U(f->server_ip.bytes[15], 2);
    CHECK_EQ_U(f->client_ip.bytes[15], 1);

    mw_packet q = rev(&p, ACK, 200, T0 + 1);
    CHECK(mw_flow_packet(t, &q, &dir, &created) == f);
    CHECK_EQ_U(dir, MW_DIR_TO_SERVER);

    /* Differing only in the last address byte: another flow. */
    mw_packet o = pkt(6, v6(3), 443, v6(1), 50000, ACK, 0, T0);
    CHECK(mw_flow_packet(t, &o, &dir, &created) != f);
    CHECK(created);

    /* An IPv4 address whose bytes match an IPv6 prefix is not the same. */
    mw_addr a4 = v4(0x20, 0x01, 0x0d, 0xb8);
    mw_addr a6;
    memset(&a6, 0, sizeof(a6));
    a6.family = 6;
    memcpy(a6.bytes, a4.bytes, 4);
    mw_packet p4 = pkt(17, a4, 1000, a4, 2000, 0, 0, T0);
    mw_packet p6 = pkt(17, a6, 1000, a6, 2000, 0, 0, T0);
    mw_flow *g4 = mw_flow_packet(t, &p4, &dir, &created);
    mw_flow *g6 = mw_flow_packet(t, &p6, &dir, &created);
    CHECK(g4 != g6);
    CHECK_EQ_U(mw_flow_count(t), 4);

    /* The order is memcmp's over all 16 bytes: x differs from y first at
     * byte 7 (1 > 0), although y has the larger byte 8. */
    mw_addr x6, y6;
    memset(&x6, 0, sizeof(x6));
    x6.family = 6;
    y6 = x6;
    x6.bytes[7] = 1;
    y6.bytes[8] = 0xff;
    mw_packet xy = pkt(6, x6, 443, y6, 1234, ACK, 0, T0);
    mw_flow_key_from_packet(&xy, &k);
    CHECK_EQ_U(k.lo_port, 1234);
    CHECK_EQ_U(k.lo_addr.bytes[8], 0xff);
    CHECK_EQ_U(k.hi_addr.bytes[7], 1);
    /* Within one half too: byte 0 (1 > 0) before byte 1 (0 < 0xff). */
    memset(&x6.bytes, 0, 16);
    memset(&y6.bytes, 0, 16);
    x6.bytes[0] = 1;
    y6.bytes[1] = 0xff;
    mw_packet xw = pkt(6, x6, 443, y6, 1234, ACK, 0, T0);
    mw_flow_key_from_packet(&xw, &k);
    CHECK_EQ_U(k.lo_port, 1234);
    CHECK_EQ_U(k.lo_addr.bytes[1], 0xff);
    /* Equal first halves: the second half decides (byte 15). */
    y6 = x6;
    y6.bytes[15] = 1;
    mw_packet xz = pkt(6, y6, 443, x6, 1234, ACK, 0, T0);
    mw_flow_key_from_packet(&xz, &k);
    CHECK_EQ_U(k.lo_port, 1234);
    CHECK_EQ_U(k.hi_addr.bytes[15], 1);

    /* Mixed families in one key: IPv4 sorts first. */
    mw_packet m = pkt(17, v6(9), 1, v4(1, 2, 3, 4), 2, 0, 0, T0);
    mw_flow_key_from_packet(&m, &k);
    CHECK_EQ_U(k.lo_addr.family, 4);
    CHECK_EQ_U(k.lo_port, 2);
    mw_flow_table_free(t);
}

static void test_end_once(void)
{
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(8);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    int dir;
    bool created;

    mw_packet a = pkt(6, v4(10, 0, 0, 1), 40000, v4(10, 0, 0, 2), 443, ACK, 5, T0);
    mw_flow *f = mw_flow_packet(t, &a, &dir, &created);
    CHECK_EQ_U(f->state, MW_FLOW_ESTABLISHED);
    mw_flow_end_now(t, f, MW_FLOW_END_EOF);
    CHECK_EQ_U(f->state, MW_FLOW_CLOSED);
    CHECK_EQ_U(st.ended_at_eof, 1);
    mw_flow_end_now(t, f, MW_FLOW_END_RST);
    CHECK_EQ_U(r.calls, 1);
    CHECK_EQ_U(f->end_reason, MW_FLOW_END_EOF);

    /* Trailing packet after the end finds the same flow. */
    mw_packet b = rev(&a, ACK, 0, T0 + 1);
    CHECK(mw_flow_packet(t, &b, &dir, &created) == f);
    CHECK(!created);

    mw_flow_expire(t, T0 + 3600 * SEC);
    CHECK_EQ_U(mw_flow_count(t), 0);
    CHECK_EQ_U(r.calls, 1);
    CHECK_EQ_U(st.timed_out, 0);

    /* Ended, then flushed: still once. */
    f = mw_flow_packet(t, &a, &dir, &created);
    mw_flow_end_now(t, f, MW_FLOW_END_FIN);
    mw_flow_flush(t, MW_FLOW_END_EOF);
    CHECK_EQ_U(r.calls, 2);
    CHECK_EQ_U(st.ended_at_eof, 1);
    CHECK_EQ_U(r.bad, 0);
    mw_flow_table_free(t);
}

static uint32_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

static void test_stress(void)
{
    enum { FLOWS = 100000, MAX = 1000 };
    rec r = {0};
    mw_flow_stats st = {0};
    mw_flow_config cfg = config(MAX);
    mw_flow_table *t = mw_flow_table_new(&cfg, &st, on_end, &r);
    uint64_t seed = 42, ts = T0;
    uint32_t next = 0;
    unsigned over = 0, ended_now = 0;
    const uint8_t flag_set[] = {SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, RST};

    /* Ids never exceed the number of created flows, which is at most one
     * per packet; 4 * FLOWS bounds the packets sent. */
    r.per_id_n = 4u * FLOWS + 1;
    r.per_id = calloc(r.per_id_n, 1);
    CHECK(r.per_id != NULL);
    if (r.per_id == NULL)
        return;

    for (unsigned i = 0; next < FLOWS && i < 4u * FLOWS - 1; i++) {
        uint32_t k;
        if (next == 0 || lcg(&seed) % 2 == 0)
            k = next++;
        else
            k = next - 1 - lcg(&seed) % (next < 2000 ? next : 2000);

        ts += lcg(&seed) % 20000;
        if (lcg(&seed) % 5000 == 0)
            ts += 45 * SEC; /* a lull: SYN and CLOSED flows time out */
        uint64_t pts = ts;
        if (lcg(&seed) % 16 == 0)
            pts -= lcg(&seed) % 100000; /* disordered */
        uint8_t proto = k % 5 == 0 ? 17 : 6;
        mw_packet p = pkt(proto, v4(10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k),
                          (uint16_t)(1024 + k % 60000), v4(192, 0, 2, (uint8_t)(k % 7)),
                          k % 3 ? 443 : 8000, flag_set[lcg(&seed) % 6],
                          lcg(&seed) % 1500, pts);
        if (lcg(&seed) % 2)
            p = rev(&p, p.tcp_flags, p.payload_wire_len, p.ts_us);

        int dir;
        bool created;
        mw_flow *f = mw_flow_packet(t, &p, &dir, &created);
        if (f == NULL) {
            over++;
            continue;
        }
        if (mw_flow_count(t) > MAX)
            over++;
        /* What the pipeline does once a flow closes. */
        if (f->state == MW_FLOW_CLOSED && !f->ended) {
            mw_flow_end_now(t, f, f->rst_seen ? MW_FLOW_END_RST : MW_FLOW_END_FIN);
            ended_now++;
        }
        if (i % 997 == 0)
            mw_flow_expire(t, ts);
    }
    CHECK_EQ_U(next, FLOWS);
    CHECK_EQ_U(over, 0);
    CHECK(st.created > FLOWS / 2);
    CHECK(st.evicted > 0);
    CHECK(st.timed_out > 0);
    CHECK_EQ_U(st.active_peak, MAX);

    mw_flow_flush(t, MW_FLOW_END_EOF);
    CHECK_EQ_U(mw_flow_count(t), 0);
    CHECK_EQ_U(r.calls, st.created);
    CHECK_EQ_U(r.by_reason[MW_FLOW_END_FIN] + r.by_reason[MW_FLOW_END_RST], ended_now);
    CHECK_EQ_U(r.by_reason[MW_FLOW_END_TIMEOUT], st.timed_out);
    CHECK_EQ_U(r.by_reason[MW_FLOW_END_EVICTED], st.evicted);
    CHECK_EQ_U(r.by_reason[MW_FLOW_END_EOF], st.ended_at_eof);
    CHECK_EQ_U(st.created, st.created_tcp + st.created_udp);
    CHECK_EQ_U(st.created, st.client_by_syn + st.client_by_synack + st.client_by_port +
                               st.client_by_first_packet);

    unsigned wrong = 0;
    for (uint64_t id = 1; id < r.per_id_n; id++)
        if (r.per_id[id] != (id <= st.created ? 1 : 0))
            wrong++;
    CHECK_EQ_U(wrong, 0);
    CHECK_EQ_U(r.bad, 0);
    free(r.per_id);
    mw_flow_table_free(t);
}

int main(void)
{
    RUN(test_names);
    RUN(test_bad_config);
    RUN(test_key);
    RUN(test_both_directions);
    RUN(test_client_syn);
    RUN(test_client_synack);
    RUN(test_client_port);
    RUN(test_client_first_packet);
    RUN(test_udp);
    RUN(test_fin_close);
    RUN(test_rst_close);
    RUN(test_port_reuse);
    RUN(test_expiry);
    RUN(test_expiry_lru_order);
    RUN(test_eviction);
    RUN(test_flush);
    RUN(test_ipv6);
    RUN(test_end_once);
    RUN(test_stress);
    return check_summary();
}
