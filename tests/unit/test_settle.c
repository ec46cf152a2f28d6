/*
 * Unit tests for waiting on the peers' ACKs before a TCP session is
 * judged (src/session/settle.h), first on hand-built flow and packet
 * fields, then through a worker and the sessions consumer with
 * hand-built frames: a ClientHello, a TLS 1.3 ServerHello, garbage
 * copies first (issue 18, docs/evasion.md).
 */
#include <stdlib.h>

#include "check.h"
#include "flow/pipeline.h"
#include "session/session.h"
#include "session/settle.h"
#include "session/versions.h"

/* ---- the wait alone --------------------------------------------------- */

static mw_packet ack_packet(uint32_t ack, uint64_t ts_us)
{
    mw_packet p;
    memset(&p, 0, sizeof p);
    p.tcp_flags = MW_TCP_ACK;
    p.ack = ack;
    p.ts_us = ts_us;
    return p;
}

static void test_targets_and_acks(void)
{
    mw_flow f;
    memset(&f, 0, sizeof f);
    f.stream[0].isn_known = f.stream[1].isn_known = true;
    f.stream[0].isn = 1001; /* stream offset 0 of the client's bytes */
    f.stream[1].isn = 0xfffffff0u; /* the server's wraps */
    f.stream[0].contiguous = 517;
    f.stream[1].contiguous = 0;

    mw_settle st;
    memset(&st, 0, sizeof st);
    mw_packet p = ack_packet(1001 + 300, 10);
    /* Not waiting: ACKs are learned, no check is due. */
    CHECK(!mw_settle_packet(&st, &f, MW_DIR_TO_CLIENT, &p));
    CHECK_EQ_U(st.acked[0], 300);

    mw_settle_begin(&st, &f, 1000);
    CHECK(st.waiting);
    CHECK_EQ_U(st.target[0], 517);
    CHECK_EQ_U(st.target[1], 0);
    /* One byte short of the ClientHello's end: not covered. */
    p = ack_packet(1001 + 516, 2000);
    CHECK(!mw_settle_packet(&st, &f, MW_DIR_TO_CLIENT, &p));
    /* The client's own ACKs say nothing of its bytes. */
    p = ack_packet(0xfffffff0u, 2000);
    CHECK(!mw_settle_packet(&st, &f, MW_DIR_TO_SERVER, &p));
    CHECK_EQ_U(st.acked[1], 0);
    /* Exactly the end: covered, and the server direction has nothing
     * to cover: the first check is due. */
    p = ack_packet(1001 + 517, 2000);
    CHECK(mw_settle_packet(&st, &f, MW_DIR_TO_CLIENT, &p));

    /* A check that was not final: the server's 1200 bytes held now must
     * be acknowledged, across the wrap of its sequence numbers. */
    st.checks = 1;
    f.stream[1].contiguous = 1200;
    mw_settle_retarget(&st, &f);
    CHECK_EQ_U(st.target[1], 1200);
    p = ack_packet(0xfffffff0u + 1199, 3000);
    CHECK(!mw_settle_packet(&st, &f, MW_DIR_TO_SERVER, &p));
    CHECK_EQ_U(st.acked[1], 1199);
    /* An ACK from the upper half of the space lies before the stream
     * (an old one, or one for a decoy ISN): ignored. */
    p = ack_packet(0xfffffff0u - 5, 3000);
    CHECK(!mw_settle_packet(&st, &f, MW_DIR_TO_SERVER, &p));
    CHECK_EQ_U(st.acked[1], 1199);
    p = ack_packet(0xfffffff0u + 1200, 3000);
    CHECK(mw_settle_packet(&st, &f, MW_DIR_TO_SERVER, &p));
    /* After a check, the same ACKs again are no reason for another. */
    mw_settle_retarget(&st, &f);
    CHECK(!mw_settle_packet(&st, &f, MW_DIR_TO_SERVER, &p));
    CHECK(!mw_settle_moved(&st));
    /* A bare ACK without the flag counts for nothing. */
    p = ack_packet(0xfffffff0u + 1300, 3000);
    p.tcp_flags = 0;
    CHECK(!mw_settle_packet(&st, &f, MW_DIR_TO_SERVER, &p));
    CHECK_EQ_U(st.acked[1], 1200);
}

static void test_bound(void)
{
    mw_flow f;
    memset(&f, 0, sizeof f);
    mw_settle st;
    memset(&st, 0, sizeof st);
    CHECK(!mw_settle_expired(&st, 5000000)); /* not waiting */
    mw_settle_begin(&st, &f, 1000000);
    CHECK(!mw_settle_expired(&st, 1000000 + MW_SETTLE_BOUND_US - 1));
    CHECK(mw_settle_expired(&st, 1000000 + MW_SETTLE_BOUND_US));
    /* A clock that went back (another input) does not end it. */
    CHECK(!mw_settle_expired(&st, 10));
    /* Begun once: a second begin keeps the first start. */
    mw_settle_begin(&st, &f, 3000000);
    CHECK_EQ_U(st.since_us, 1000000);
}

/* Which version's verdict is reported (versions.h). */
static void test_second_decides(void)
{
    static mw_verdict a, b; /* large: not on the stack */
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.kind = MW_VERDICT_CLEAN;
    b.kind = MW_VERDICT_INTERCEPTED;
    CHECK(mw_versions_second_decides(&a, &b));
    CHECK(!mw_versions_second_decides(&b, &a));
    /* Garbage in one version is no judgment: never worse than clean. */
    b.kind = MW_VERDICT_INCOMPLETE;
    CHECK(!mw_versions_second_decides(&a, &b));
    b.kind = MW_VERDICT_OPAQUE;
    CHECK(!mw_versions_second_decides(&a, &b));
    /* As bad: the one with more reasons (a chainless decoy suspicious by
     * TTL alone against the real chain, untrusted too). */
    a.kind = b.kind = MW_VERDICT_SUSPICIOUS;
    a.n_reasons = 1;
    b.n_reasons = 2;
    CHECK(mw_versions_second_decides(&a, &b));
    CHECK(!mw_versions_second_decides(&b, &a));
    b.n_reasons = 1;
    CHECK(!mw_versions_second_decides(&a, &b)); /* a tie: the first */
}

/* ---- through the worker and the sessions consumer --------------------- */

#define CLIENT_IP 0xc0000201u /* 192.0.2.1 */
#define SERVER_IP 0xc6336402u /* 198.51.100.2 */
#define C_ISN 1000u
#define S_ISN 5000u

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* A TLS record holding one handshake message of type type with body. */
static size_t hs_record(uint8_t *out, uint8_t type, const uint8_t *body, size_t n)
{
    out[0] = 0x16;
    put16(out + 1, 0x0301);
    put16(out + 3, (uint16_t)(n + 4));
    out[5] = type;
    out[6] = 0;
    put16(out + 7, (uint16_t)n);
    memcpy(out + 9, body, n);
    return n + 9;
}

/* ClientHello: TLS 1.2 legacy version, one suite, no extensions. */
static size_t client_hello(uint8_t *out)
{
    uint8_t b[64];
    size_t n = 0;
    put16(b, 0x0303);
    n += 2;
    memset(b + n, 0x11, 32);
    n += 32;
    b[n++] = 0;            /* session id */
    put16(b + n, 2);       /* cipher suites */
    put16(b + n + 2, 0x1301);
    n += 4;
    b[n++] = 1;            /* compression methods */
    b[n++] = 0;
    put16(b + n, 0);       /* extensions */
    n += 2;
    return hs_record(out, 1, b, n);
}

/* ServerHello choosing TLS 1.3 (supported_versions): the rest of the
 * server's flight is encrypted, so the handshake ends here. */
static size_t server_hello(uint8_t *out)
{
    uint8_t b[64];
    size_t n = 0;
    put16(b, 0x0303);
    n += 2;
    memset(b + n, 0x22, 32);
    n += 32;
    b[n++] = 0;
    put16(b + n, 0x1301);
    n += 2;
    b[n++] = 0;
    put16(b + n, 6);
    put16(b + n + 2, 0x002b); /* supported_versions */
    put16(b + n + 4, 2);
    put16(b + n + 6, 0x0304);
    n += 8;
    return hs_record(out, 2, b, n);
}

typedef struct rig {
    mw_worker *w;
    mw_sessions *s;
    FILE *events;
    uint64_t number, ts;
} rig;

static void rig_init(rig *r)
{
    memset(r, 0, sizeof *r);
    r->events = tmpfile();
    CHECK(r->events != NULL);
    mw_session_config sc;
    memset(&sc, 0, sizeof sc);
    sc.events = r->events;
    r->s = mw_sessions_new(&sc);
    CHECK(r->s != NULL);
    mw_config cfg;
    mw_config_defaults(&cfg);
    cfg.flow.max_flows = 64;
    r->w = mw_worker_new(&cfg, mw_sessions_consumer(r->s), r->s);
    CHECK(r->w != NULL);
    r->ts = 1563701400ull * 1000000u;
}

static void rig_free(rig *r)
{
    mw_worker_free(r->w);
    mw_sessions_free(r->s);
    fclose(r->events);
}

/* One IPv4/TCP frame; step_us of capture time after the previous one. */
static void send_tcp(rig *r, bool to_server, uint32_t seq, uint32_t ack, uint8_t flags,
                     const uint8_t *payload, size_t plen, uint64_t step_us)
{
    uint8_t f[1600];
    memset(f, 0, 54);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(40 + plen));
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, to_server ? CLIENT_IP : SERVER_IP);
    put32(ip + 16, to_server ? SERVER_IP : CLIENT_IP);
    uint8_t *tcp = ip + 20;
    put16(tcp, to_server ? 40000 : 443);
    put16(tcp + 2, to_server ? 443 : 40000);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    if (plen)
        memcpy(tcp + 20, payload, plen);
    mw_source_packet p;
    p.caplen = p.wirelen = (uint32_t)(54 + plen);
    p.data = f;
    p.number = ++r->number;
    r->ts += step_us;
    p.ts_us = r->ts;
    mw_worker_packet(r->w, 1, "test.pcap", &p);
}

static void tcp_handshake(rig *r)
{
    send_tcp(r, true, C_ISN, 0, MW_TCP_SYN, NULL, 0, 1000);
    send_tcp(r, false, S_ISN, C_ISN + 1, MW_TCP_SYN | MW_TCP_ACK, NULL, 0, 1000);
    send_tcp(r, true, C_ISN + 1, S_ISN + 1, MW_TCP_ACK, NULL, 0, 1000);
}

/* The tls events written so far: how many, and the last one's line. */
static unsigned tls_events(rig *r, char *last, size_t n)
{
    unsigned count = 0;
    char line[8192];
    fflush(r->events);
    rewind(r->events);
    last[0] = '\0';
    while (fgets(line, sizeof line, r->events)) {
        if (strstr(line, "\"event\":\"tls\"")) {
            count++;
            (void)snprintf(last, n, "%s", line);
        }
    }
    fseek(r->events, 0, SEEK_END);
    return count;
}

static void garbage(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(0x80 | ((i * 37) & 0x7f)); /* never 0x16 */
}

static void test_event_waits_for_the_ack(void)
{
    rig r;
    char last[8192];
    uint8_t ch[128], sh[128];
    size_t chn = client_hello(ch), shn = server_hello(sh);
    rig_init(&r);
    tcp_handshake(&r);
    send_tcp(&r, true, C_ISN + 1, S_ISN + 1, MW_TCP_ACK | MW_TCP_PSH, ch, chn, 1000);
    send_tcp(&r, false, S_ISN + 1, C_ISN + 1 + (uint32_t)chn, MW_TCP_ACK | MW_TCP_PSH, sh,
             shn, 1000);
    /* The handshake parsed to its end, but the client has not
     * acknowledged the ServerHello yet: no event. */
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 0);
    send_tcp(&r, true, C_ISN + 1 + (uint32_t)chn, S_ISN + 1 + (uint32_t)shn, MW_TCP_ACK, NULL,
             0, 1000);
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 1);
    CHECK(strstr(last, "\"version\":\"TLSv1.3\"") != NULL);
    const mw_session_stats *st = mw_sessions_stats(r.s);
    CHECK_EQ_U(st->settle_waited, 1);
    CHECK_EQ_U(st->settle_bound, 0);
    CHECK_EQ_U(st->second_version_only, 0);
    mw_worker_end_input(r.w);
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 1);
    rig_free(&r);
}

static void test_garbage_first_same_ttl(void)
{
    rig r;
    char last[8192];
    uint8_t ch[128], sh[128], g[128];
    size_t chn = client_hello(ch), shn = server_hello(sh);
    uint32_t c_end = C_ISN + 1 + (uint32_t)chn, s_end = S_ISN + 1 + (uint32_t)shn;
    rig_init(&r);
    tcp_handshake(&r);
    /* Before each real segment a garbage copy: same sequence numbers,
     * same TTL; nothing tells them apart but the peer's ACK. */
    garbage(g, chn);
    send_tcp(&r, true, C_ISN + 1, S_ISN + 1, MW_TCP_ACK | MW_TCP_PSH, g, chn, 1000);
    send_tcp(&r, true, C_ISN + 1, S_ISN + 1, MW_TCP_ACK | MW_TCP_PSH, ch, chn, 1000);
    garbage(g, shn);
    send_tcp(&r, false, S_ISN + 1, c_end, MW_TCP_ACK | MW_TCP_PSH, g, shn, 1000);
    send_tcp(&r, false, S_ISN + 1, c_end, MW_TCP_ACK | MW_TCP_PSH, sh, shn, 1000);
    /* The first version is garbage from its first byte (once a bypass at
     * once): the flow is still followed. */
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 0);
    CHECK_EQ_U(mw_worker_stats(r.w)->flow.bypassed, 0);
    send_tcp(&r, true, c_end, s_end, MW_TCP_ACK, NULL, 0, 1000);
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 1);
    CHECK(strstr(last, "\"version\":\"TLSv1.3\"") != NULL);
    const mw_session_stats *st = mw_sessions_stats(r.s);
    CHECK_EQ_U(st->second_version_only, 1);
    CHECK_EQ_U(st->tls, 1);
    CHECK_EQ_U(st->not_tls, 0);
    CHECK_EQ_U(st->prefiltered, 0);
    /* Checks: at the server's first ACK of the ClientHello (no server
     * bytes yet: not final), not at the real ServerHello (its ACK did not
     * move), then at the client's ACK, which settles it. */
    CHECK_EQ_U(st->settle_reparsed, 2);
    CHECK_EQ_U(mw_worker_stats(r.w)->reasm.alt_versions, 2);
    mw_worker_end_input(r.w);
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 1);
    rig_free(&r);
}

static void test_no_ack_bound(void)
{
    rig r;
    char last[8192];
    uint8_t ch[128], sh[128];
    size_t chn = client_hello(ch), shn = server_hello(sh);
    rig_init(&r);
    tcp_handshake(&r);
    send_tcp(&r, true, C_ISN + 1, S_ISN + 1, MW_TCP_ACK | MW_TCP_PSH, ch, chn, 1000);
    send_tcp(&r, false, S_ISN + 1, C_ISN + 1 + (uint32_t)chn, MW_TCP_ACK | MW_TCP_PSH, sh,
             shn, 1000);
    /* The client's ACKs never cover the ServerHello (a tap that lost
     * them): 0.9 s later still waiting, at 1 s judged. */
    send_tcp(&r, true, C_ISN + 1 + (uint32_t)chn, S_ISN + 1, MW_TCP_ACK, NULL, 0, 900000);
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 0);
    send_tcp(&r, true, C_ISN + 1 + (uint32_t)chn, S_ISN + 1, MW_TCP_ACK, NULL, 0, 100000);
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 1);
    CHECK_EQ_U(mw_sessions_stats(r.s)->settle_bound, 1);
    rig_free(&r);
}

static void test_idle_tick_bound(void)
{
    rig r;
    char last[8192];
    uint8_t ch[128], sh[128];
    size_t chn = client_hello(ch), shn = server_hello(sh);
    rig_init(&r);
    tcp_handshake(&r);
    send_tcp(&r, true, C_ISN + 1, S_ISN + 1, MW_TCP_ACK | MW_TCP_PSH, ch, chn, 1000);
    send_tcp(&r, false, S_ISN + 1, C_ISN + 1 + (uint32_t)chn, MW_TCP_ACK | MW_TCP_PSH, sh,
             shn, 1000);
    /* Live, nothing more arrives: the idle tick judges it at the bound. */
    mw_worker_tick(r.w, r.ts + MW_SETTLE_BOUND_US / 2);
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 0);
    mw_worker_tick(r.w, r.ts + MW_SETTLE_BOUND_US);
    CHECK_EQ_U(tls_events(&r, last, sizeof last), 1);
    CHECK_EQ_U(mw_sessions_stats(r.s)->settle_bound, 1);
    rig_free(&r);
}

int main(void)
{
    RUN(test_targets_and_acks);
    RUN(test_bound);
    RUN(test_second_decides);
    RUN(test_event_waits_for_the_ack);
    RUN(test_garbage_first_same_ttl);
    RUN(test_no_ack_bound);
    RUN(test_idle_tick_bound);
    return check_summary();
}
