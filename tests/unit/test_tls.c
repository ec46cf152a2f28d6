/*
 * test_tls.c - the TLS handshake dissector on hand-built handshakes.
 *
 * Expected fingerprints are worked out independently of the code:
 *  - JA4 of the FoxIO spec's worked example (technical_details/JA4.md):
 *    t13d1516h2_8daaf6152771_e5627efa2ab1, built here from the very cipher,
 *    extension and signature-algorithm lists the spec lists.
 *  - MD5/SHA-256 values were computed once with coreutils, e.g.
 *    printf '%s' '771,4865-...' | md5sum, and are quoted next to each use.
 *  - A real handshake (tests/data/tls/badssl_mismatch_*.bin: the TCP payload
 *    of each direction of the one flow of nDPI's ssl-cert-name-mismatch.pcap)
 *    is checked against nDPI's own result for that capture.
 */

#ifndef MW_TEST_DATA_DIR
#define MW_TEST_DATA_DIR "tests/data"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "dissectors/tls.h"
#include "dissectors/tls_fingerprint.h"

/* ---- byte builders ---- */

#include "bytebuf.h"

static void u16s(bb *b, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        u16(b, v[i]);
}

/* Appends handshake message type/body. */
static void hs_msg(bb *out, unsigned type, const bb *body)
{
    u8(out, type);
    u24(out, (unsigned)body->n);
    bb_put(out, body->p, body->n);
}

/* Wraps payload in records of at most `chunk` bytes. */
static void records(bb *out, unsigned type, const bb *payload, size_t chunk)
{
    size_t off = 0;
    do {
        size_t n = payload->n - off < chunk ? payload->n - off : chunk;
        u8(out, type);
        u16(out, 0x0303);
        u16(out, (unsigned)n);
        bb_put(out, payload->p + off, n);
        off += n;
    } while (off < payload->n);
}

static void ext(bb *b, unsigned type, const bb *data)
{
    u16(b, type);
    u16(b, (unsigned)data->n);
    bb_put(b, data->p, data->n);
}

static void ext_raw(bb *b, unsigned type, const void *data, size_t n)
{
    u16(b, type);
    u16(b, (unsigned)n);
    bb_put(b, data, n);
}

/* The JA4 spec's example lists, plus GREASE that both JA3 and JA4 skip. */
static const uint16_t spec_ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                        0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
                                        0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t spec_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                        0x0805, 0x0501, 0x0806, 0x0601};

/* ClientHello body in the JA4 spec's extension order:
 * 001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015
 * with GREASE 0x1a1a first and 0x2a2a last. */
static void client_hello_body(bb *m, const char *sni, size_t sni_len, const uint8_t sid[32],
                              bool with_sid)
{
    bb e = {0}, d = {0};
    static const uint8_t random[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                       31, 32};

    u16(m, 0x0303);
    bb_put(m, random, 32);
    u8(m, with_sid ? 32 : 0);
    if (with_sid)
        bb_put(m, sid, 32);
    u16(m, sizeof(spec_ciphers));
    u16s(m, spec_ciphers, sizeof(spec_ciphers) / 2);
    u8(m, 1);
    u8(m, 0);

    ext_raw(&e, 0x1a1a, NULL, 0);
    ext_raw(&e, 0x001b, "\x02\x00\x02", 3);
    /* server_name: list, host_name type 0 */
    u16(&d, (unsigned)sni_len + 3);
    u8(&d, 0);
    u16(&d, (unsigned)sni_len);
    bb_put(&d, sni, sni_len);
    ext(&e, 0x0000, &d);
    d.n = 0;
    ext_raw(&e, 0x0033, "\x00\x06\x00\x1d\x00\x02\xaa\xbb", 8);
    ext_raw(&e, 0x0010, "\x00\x0c\x02h2\x08http/1.1", 14);
    ext_raw(&e, 0x4469, "\x00\x03\x02h2", 5);
    ext_raw(&e, 0x0017, NULL, 0);
    ext_raw(&e, 0x002d, "\x01\x01", 2);
    u16(&d, sizeof(spec_sigalgs));
    u16s(&d, spec_sigalgs, sizeof(spec_sigalgs) / 2);
    ext(&e, 0x000d, &d);
    d.n = 0;
    ext_raw(&e, 0x0005, "\x01\x00\x00\x00\x00", 5);
    ext_raw(&e, 0x0023, NULL, 0);
    ext_raw(&e, 0x0012, NULL, 0);
    ext_raw(&e, 0x002b, "\x06\x3a\x3a\x03\x04\x03\x03", 7);
    ext_raw(&e, 0xff01, "\x00", 1);
    ext_raw(&e, 0x000b, "\x01\x00", 2);
    ext_raw(&e, 0x000a, "\x00\x08\x4a\x4a\x00\x1d\x00\x17\x00\x18", 10);
    ext_raw(&e, 0x0015, "\x00\x00\x00", 3);
    ext_raw(&e, 0x2a2a, "\x00", 1);

    u16(m, (unsigned)e.n);
    bb_put(m, e.p, e.n);
    bb_free(&e);
    bb_free(&d);
}

static void client_hello_record(bb *out, const char *sni, size_t sni_len)
{
    bb body = {0}, msg = {0};
    client_hello_body(&body, sni, sni_len, NULL, false);
    hs_msg(&msg, 1, &body);
    records(out, 22, &msg, 16384);
    bb_free(&body);
    bb_free(&msg);
}

/* ServerHello body: version, fixed random, session id, cipher, no
 * compression, then the extensions given raw. */
static void server_hello_body(bb *m, unsigned version, const uint8_t *random,
                              const uint8_t *sid, size_t sid_len, unsigned cipher,
                              const bb *exts)
{
    static const uint8_t def_random[32] = {0x55, 0x55, 0x55, 0x55};
    u16(m, version);
    bb_put(m, random ? random : def_random, 32);
    u8(m, (unsigned)sid_len);
    bb_put(m, sid, sid_len);
    u16(m, cipher);
    u8(m, 0);
    if (exts) {
        u16(m, (unsigned)exts->n);
        bb_put(m, exts->p, exts->n);
    }
}

/* Certificate body: n certificates, certificate i is len bytes of i+1. */
static void certificate_body(bb *m, unsigned n, size_t len)
{
    u24(m, (unsigned)(n * (3 + len)));
    for (unsigned i = 0; i < n; i++) {
        u24(m, (unsigned)len);
        for (size_t j = 0; j < len; j++)
            u8(m, (i + 1) & 0xff);
    }
}

/* TLS 1.2 server flight: ServerHello (ext renegotiation_info, ec_point_formats,
 * ALPN "h2"), Certificate of 2 certs of 300 bytes, ServerHelloDone. */
static void server_flight_12(bb *msgs)
{
    bb e = {0}, b = {0};
    ext_raw(&e, 0xff01, "\x00", 1);
    ext_raw(&e, 0x000b, "\x01\x00", 2);
    ext_raw(&e, 0x0010, "\x00\x03\x02h2", 5);
    server_hello_body(&b, 0x0303, NULL, NULL, 0, 0xc02f, &e);
    hs_msg(msgs, 2, &b);
    b.n = 0;
    certificate_body(&b, 2, 300);
    hs_msg(msgs, 11, &b);
    b.n = 0;
    hs_msg(msgs, 14, &b);
    bb_free(&e);
    bb_free(&b);
}

static mw_tls_status feed_all(mw_tls_session *s, int dir, const bb *b)
{
    mw_cursor c;
    mw_cursor_init(&c, b->p, b->n);
    return mw_tls_feed(s, dir, &c, 0);
}

static mw_tls_status feed_bytewise(mw_tls_session *s, int dir, const bb *b)
{
    mw_tls_status st = MW_TLS_NEED_MORE;
    for (size_t i = 1; i <= b->n; i++) {
        mw_cursor c;
        mw_cursor_init(&c, b->p, i);
        st = mw_tls_feed(s, dir, &c, (uint32_t)(i - 1));
    }
    return st;
}

static bool cert_is(const mw_tls_bytes *c, size_t len, uint8_t fill)
{
    if (c->len != len || !c->data)
        return false;
    for (size_t i = 0; i < len; i++)
        if (c->data[i] != fill)
            return false;
    return true;
}

/* ---- tests ---- */

static void check_spec_client_hello(const mw_tls_client_hello *ch)
{
    CHECK(ch->seen);
    CHECK(!ch->sslv2);
    CHECK_EQ_U(ch->legacy_version, 0x0303);
    CHECK_EQ_U(ch->random[0], 1);
    CHECK_EQ_U(ch->random[31], 32);
    CHECK_EQ_U(ch->ciphers.n, 16);
    CHECK_EQ_U(ch->ciphers.v[0], 0x0a0a);
    CHECK_EQ_U(ch->ciphers.v[15], 0x0035);
    CHECK_EQ_U(ch->compression.len, 1);
    CHECK_EQ_U(ch->extensions.n, 18);
    CHECK_EQ_U(ch->extensions.v[0], 0x1a1a);
    CHECK_EQ_U(ch->extensions.v[2], 0x0000);
    CHECK_EQ_U(ch->extensions.v[17], 0x2a2a);
    CHECK(ch->has_sni);
    CHECK_EQ_U(ch->sni.len, 11);
    CHECK_MEM(ch->sni.data, "example.com", 11);
    CHECK_EQ_U(ch->n_alpn, 2);
    if (ch->n_alpn == 2) {
        CHECK_EQ_U(ch->alpn[0].len, 2);
        CHECK_MEM(ch->alpn[0].data, "h2", 2);
        CHECK_EQ_U(ch->alpn[1].len, 8);
        CHECK_MEM(ch->alpn[1].data, "http/1.1", 8);
    }
    CHECK_EQ_U(ch->supported_versions.n, 3);
    CHECK_EQ_U(ch->supported_versions.v[1], 0x0304);
    CHECK_EQ_U(ch->supported_groups.n, 4);
    CHECK_EQ_U(ch->supported_groups.v[1], 0x001d);
    CHECK_EQ_U(ch->ec_point_formats.len, 1);
    CHECK_EQ_U(ch->signature_algorithms.n, 8);
    CHECK_EQ_U(ch->signature_algorithms.v[7], 0x0601);
    /* GREASE 0x0a0a, 0x1a1a, 0x2a2a, 0x4a4a left out; decimals by printf %d. */
    CHECK_EQ_S(ch->ja3, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-"
                        "49172-156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-"
                        "11-10-21,29-23-24,0");
    /* printf '%s' '<ja3 above>' | md5sum */
    CHECK_EQ_S(ch->ja3_md5, "c000e2caf3a25423f9de6c8a4b12a975");
    /* The JA4 spec's published example. */
    CHECK_EQ_S(ch->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
}

static void test_client_hello(void)
{
    bb c = {0};
    client_hello_record(&c, "example.com", 11);
    mw_tls_session *s = mw_tls_new(NULL);
    CHECK_EQ_U(feed_all(s, 0, &c), MW_TLS_NEED_MORE);
    const mw_tls_facts *f = mw_tls_get_facts(s);
    check_spec_client_hello(&f->ch);
    CHECK_EQ_U(f->records[0], 1);
    CHECK_EQ_U(f->handshake_msgs[0], 1);
    CHECK_EQ_U(f->state, MW_TLS_HS_INCOMPLETE);
    CHECK(f->error_reason == NULL);
    mw_tls_free(s);
    bb_free(&c);
}

static void test_ja4_transport_and_alpn_hex(void)
{
    /* QUIC transport letter; ALPN whose first value is non-alphanumeric:
     * 0x30 0xAB -> "3b" (spec example). No SNI -> "i". */
    bb body = {0}, msg = {0}, rec = {0}, e = {0};
    u16(&body, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&body, 0);
    u8(&body, 0);
    u16(&body, 4);
    u16(&body, 0x1301);
    u16(&body, 0x002f);
    u8(&body, 1);
    u8(&body, 0);
    ext_raw(&e, 0x0010, "\x00\x03\x02\x30\xab", 5);
    u16(&body, (unsigned)e.n);
    bb_put(&body, e.p, e.n);
    hs_msg(&msg, 1, &body);
    records(&rec, 22, &msg, 16384);

    mw_tls_limits lim;
    mw_tls_limits_default(&lim);
    lim.transport = 'q';
    mw_tls_session *s = mw_tls_new(&lim);
    feed_all(s, 0, &rec);
    const mw_tls_facts *f = mw_tls_get_facts(s);
    /* ciphers: printf '%s' '002f,1301' | sha256sum -> 84cdcbea686c...;
     * extensions minus ALPN: none -> 000000000000 */
    CHECK_EQ_S(f->ch.ja4, "q12i02013b_84cdcbea686c_000000000000");
    CHECK_EQ_S(f->ch.ja3, "771,4865-47,16,,");
    CHECK(!f->ch.has_sni);
    mw_tls_free(s);
    bb_free(&body);
    bb_free(&msg);
    bb_free(&rec);
    bb_free(&e);
}

static void check_tls12_server(const mw_tls_facts *f)
{
    CHECK(f->sh.seen);
    CHECK_EQ_U(f->sh.legacy_version, 0x0303);
    CHECK_EQ_U(f->sh.cipher, 0xc02f);
    CHECK_EQ_U(f->sh.extensions.n, 3);
    CHECK_EQ_U(f->sh.alpn.len, 2);
    CHECK_MEM(f->sh.alpn.data, "h2", 2);
    CHECK_EQ_S(f->sh.ja3s, "771,49199,65281-11-16");
    /* printf '%s' '771,49199,65281-11-16' | md5sum */
    CHECK_EQ_S(f->sh.ja3s_md5, "1089ea6f0461a29006cc96dfe7a11d80");
    CHECK_EQ_U(f->version, 0x0303);
    CHECK_EQ_S(f->version_name, "TLSv1.2");
    CHECK_EQ_U(f->state, MW_TLS_HS_COMPLETE);
    CHECK(f->cert_seen);
    CHECK_EQ_U(f->n_certs, 2);
    if (f->n_certs == 2) {
        CHECK(cert_is(&f->certs[0], 300, 1));
        CHECK(cert_is(&f->certs[1], 300, 2));
    }
    CHECK(!f->chain_truncated);
    CHECK(!f->hrr);
    CHECK(f->error_reason == NULL);
}

/* Three messages in one record. */
static void test_tls12_one_record(void)
{
    bb c = {0}, msgs = {0}, srv = {0};
    client_hello_record(&c, "example.com", 11);
    server_flight_12(&msgs);
    records(&srv, 22, &msgs, 16384);

    mw_tls_session *s = mw_tls_new(NULL);
    CHECK_EQ_U(feed_all(s, 0, &c), MW_TLS_NEED_MORE);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_DONE);
    const mw_tls_facts *f = mw_tls_get_facts(s);
    check_tls12_server(f);
    CHECK_EQ_U(f->records[1], 1);
    CHECK_EQ_U(f->handshake_msgs[1], 3);
    mw_tls_free(s);
    bb_free(&c);
    bb_free(&msgs);
    bb_free(&srv);
}

/* Every message split over records of 100 bytes (Certificate over 7). */
static void test_tls12_split_records(void)
{
    bb c = {0}, msgs = {0}, srv = {0};
    client_hello_record(&c, "example.com", 11);
    server_flight_12(&msgs);
    records(&srv, 22, &msgs, 100);

    mw_tls_session *s = mw_tls_new(NULL);
    feed_all(s, 0, &c);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_DONE);
    const mw_tls_facts *f = mw_tls_get_facts(s);
    check_tls12_server(f);
    CHECK_EQ_U(f->records[1], (msgs.n + 99) / 100);
    mw_tls_free(s);
    bb_free(&c);
    bb_free(&msgs);
    bb_free(&srv);
}

/* One byte per call, from = len - 1: same facts. Also the ClientHello split
 * over two records, which must then be assembled. */
static void test_bytewise(void)
{
    bb body = {0}, msg = {0}, c = {0}, msgs = {0}, srv = {0};
    client_hello_body(&body, "example.com", 11, NULL, false);
    hs_msg(&msg, 1, &body);
    records(&c, 22, &msg, 50);
    server_flight_12(&msgs);
    records(&srv, 22, &msgs, 333);

    mw_tls_session *s = mw_tls_new(NULL);
    CHECK_EQ_U(feed_bytewise(s, 0, &c), MW_TLS_NEED_MORE);
    CHECK_EQ_U(feed_bytewise(s, 1, &srv), MW_TLS_DONE);
    const mw_tls_facts *f = mw_tls_get_facts(s);
    check_spec_client_hello(&f->ch);
    check_tls12_server(f);
    mw_tls_free(s);
    bb_free(&body);
    bb_free(&msg);
    bb_free(&c);
    bb_free(&msgs);
    bb_free(&srv);
}

static void tls13_server_hello(bb *rec, const uint8_t *random, unsigned cipher)
{
    bb e = {0}, b = {0}, m = {0};
    ext_raw(&e, 0x0033, "\x00\x1d\x00\x02\xcc\xdd", 6);
    ext_raw(&e, 0x002b, "\x03\x04", 2);
    server_hello_body(&b, 0x0303, random, NULL, 0, cipher, &e);
    hs_msg(&m, 2, &b);
    records(rec, 22, &m, 16384);
    bb_free(&e);
    bb_free(&b);
    bb_free(&m);
}

static void test_tls13_opaque(void)
{
    bb c = {0}, srv = {0};
    client_hello_record(&c, "example.com", 11);
    tls13_server_hello(&srv, NULL, 0x1301);
    /* dummy CCS then "encrypted" handshake records: never parsed */
    bb_put(&srv, "\x14\x03\x03\x00\x01\x01", 6);
    bb_put(&srv, "\x17\x03\x03\x00\x05\x0b\x00\x00\x01\x00", 10);

    mw_tls_session *s = mw_tls_new(NULL);
    feed_all(s, 0, &c);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_DONE);
    const mw_tls_facts *f = mw_tls_get_facts(s);
    CHECK_EQ_U(f->state, MW_TLS_HS_OPAQUE);
    CHECK_EQ_U(f->version, 0x0304);
    CHECK_EQ_S(f->version_name, "TLSv1.3");
    CHECK_EQ_U(f->sh.selected_version, 0x0304);
    CHECK_EQ_S(f->sh.ja3s, "771,4865,51-43");
    /* printf '%s' '771,4865,51-43' | md5sum */
    CHECK_EQ_S(f->sh.ja3s_md5, "eb1d94daa7e0344597e756a1fb6e7054");
    CHECK_EQ_U(f->n_certs, 0);
    CHECK(!f->cert_seen);
    CHECK_EQ_U(f->records[1], 1);
    mw_tls_free(s);
    bb_free(&c);
    bb_free(&srv);
}

static void test_hrr(void)
{
    static const uint8_t hrr[32] = {
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
        0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
        0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
    bb c = {0}, srv = {0};
    mw_tls_session *s = mw_tls_new(NULL);
    mw_cursor cur;

    client_hello_record(&c, "first.example", 13);
    tls13_server_hello(&srv, hrr, 0x1302);
    bb_put(&srv, "\x14\x03\x03\x00\x01\x01", 6); /* compat CCS after HRR */

    CHECK_EQ_U(feed_all(s, 0, &c), MW_TLS_NEED_MORE);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_NEED_MORE);
    CHECK(mw_tls_get_facts(s)->hrr);
    CHECK(!mw_tls_get_facts(s)->sh.seen);

    /* client: compat CCS, then the second ClientHello */
    size_t from = c.n;
    bb_put(&c, "\x14\x03\x03\x00\x01\x01", 6);
    client_hello_record(&c, "second.example", 14);
    mw_cursor_init(&cur, c.p, c.n);
    CHECK_EQ_U(mw_tls_feed(s, 0, &cur, (uint32_t)from), MW_TLS_NEED_MORE);

    from = srv.n;
    tls13_server_hello(&srv, NULL, 0x1301);
    mw_cursor_init(&cur, srv.p, srv.n);
    CHECK_EQ_U(mw_tls_feed(s, 1, &cur, (uint32_t)from), MW_TLS_DONE);

    const mw_tls_facts *f = mw_tls_get_facts(s);
    CHECK(f->hrr);
    CHECK_EQ_U(f->ch.sni.len, 14);
    CHECK_MEM(f->ch.sni.data, "second.example", 14);
    CHECK_EQ_U(f->sh.cipher, 0x1301);
    CHECK_EQ_U(f->state, MW_TLS_HS_OPAQUE);
    CHECK_EQ_S(f->version_name, "TLSv1.3");
    CHECK(f->ccs[0] && f->ccs[1]);
    mw_tls_free(s);
    bb_free(&c);
    bb_free(&srv);
}

static void test_resumed(void)
{
    static const uint8_t sid[32] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                    9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 7};
    /* (a) session id echoed */
    bb body = {0}, msg = {0}, c = {0}, sb = {0}, sm = {0}, srv = {0};
    client_hello_body(&body, "example.com", 11, sid, true);
    hs_msg(&msg, 1, &body);
    records(&c, 22, &msg, 16384);
    server_hello_body(&sb, 0x0303, NULL, sid, 32, 0xc02f, NULL);
    hs_msg(&sm, 2, &sb);
    records(&srv, 22, &sm, 16384);

    mw_tls_session *s = mw_tls_new(NULL);
    feed_all(s, 0, &c);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_DONE);
    CHECK_EQ_U(mw_tls_get_facts(s)->state, MW_TLS_HS_RESUMED);
    CHECK_EQ_U(mw_tls_get_facts(s)->ch.session_id_len, 32);
    CHECK_EQ_S(mw_tls_get_facts(s)->sh.ja3s, "771,49199,");
    mw_tls_free(s);

    /* (b) new session id (ticket): ServerHello then CCS, no Certificate */
    sb.n = sm.n = srv.n = 0;
    server_hello_body(&sb, 0x0303, NULL, (const uint8_t *)"abcd", 4, 0xc02f, NULL);
    hs_msg(&sm, 2, &sb);
    records(&srv, 22, &sm, 16384);
    s = mw_tls_new(NULL);
    feed_all(s, 0, &c);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_NEED_MORE);
    bb_put(&srv, "\x14\x03\x03\x00\x01\x01", 6);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_DONE);
    CHECK_EQ_U(mw_tls_get_facts(s)->state, MW_TLS_HS_RESUMED);
    CHECK(mw_tls_get_facts(s)->ccs[1]);
    CHECK_EQ_U(mw_tls_get_facts(s)->n_certs, 0);
    mw_tls_free(s);

    bb_free(&body);
    bb_free(&msg);
    bb_free(&c);
    bb_free(&sb);
    bb_free(&sm);
    bb_free(&srv);
}

static void test_sslv2_hello(void)
{
    /* SSLv2 CLIENT-HELLO: version 3.1, specs 000004, 010080 (SSLv2 only),
     * 00002f; no session id; 16-byte challenge 0xc0..0xcf. */
    static const uint8_t v2[] = {
        0x80, 0x22, 0x01, 0x03, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x10,
        0x00, 0x00, 0x04, 0x01, 0x00, 0x80, 0x00, 0x00, 0x2f,
        0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
        0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf};
    mw_cursor c;
    mw_cursor_init(&c, v2, sizeof(v2));
    CHECK(mw_tls_looks_like_handshake(&c));

    mw_tls_session *s = mw_tls_new(NULL);
    CHECK_EQ_U(mw_tls_feed(s, 0, &c, 0), MW_TLS_NEED_MORE);
    const mw_tls_facts *f = mw_tls_get_facts(s);
    CHECK(f->ch.seen);
    CHECK(f->ch.sslv2);
    CHECK_EQ_U(f->ch.legacy_version, 0x0301);
    CHECK_EQ_U(f->ch.ciphers.n, 2);
    CHECK_EQ_U(f->ch.random[15], 0);
    CHECK_EQ_U(f->ch.random[16], 0xc0);
    CHECK_EQ_U(f->ch.random[31], 0xcf);
    CHECK_EQ_S(f->ch.ja3, "769,4-47,,,");
    /* printf '%s' '769,4-47,,,' | md5sum */
    CHECK_EQ_S(f->ch.ja3_md5, "6152418f9219f3e07011d82c3f047ba4");
    /* printf '%s' '0004,002f' | sha256sum -> a4abc63723ae... */
    CHECK_EQ_S(f->ch.ja4, "t10i020000_a4abc63723ae_000000000000");
    mw_tls_free(s);
}

static void test_sniff(void)
{
    bb c = {0};
    client_hello_record(&c, "example.com", 11);
    mw_cursor cur;
    mw_cursor_init(&cur, c.p, c.n);
    CHECK(mw_tls_looks_like_handshake(&cur));
    mw_cursor_init(&cur, c.p, 5);
    CHECK(!mw_tls_looks_like_handshake(&cur)); /* too short to tell */

    static const uint8_t http[] = "GET / HTTP/1.1\r\n";
    mw_cursor_init(&cur, http, sizeof(http) - 1);
    CHECK(!mw_tls_looks_like_handshake(&cur));
    static const uint8_t appdata[] = {0x17, 0x03, 0x03, 0x00, 0x10, 0x01};
    mw_cursor_init(&cur, appdata, sizeof(appdata));
    CHECK(!mw_tls_looks_like_handshake(&cur));
    static const uint8_t huge[] = {0x16, 0x03, 0x01, 0x48, 0x01, 0x01};
    mw_cursor_init(&cur, huge, sizeof(huge));
    CHECK(!mw_tls_looks_like_handshake(&cur));
    static const uint8_t sh[] = {0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0, 0, 0x3c, 0x03, 0x03};
    mw_cursor_init(&cur, sh, sizeof(sh));
    CHECK(mw_tls_looks_like_handshake(&cur));
    static const uint8_t v2bad[] = {0x80, 0x22, 0x04, 0x00, 0x02};
    mw_cursor_init(&cur, v2bad, sizeof(v2bad));
    CHECK(!mw_tls_looks_like_handshake(&cur));
    bb_free(&c);
}

static void test_not_tls_and_garbage(void)
{
    static const uint8_t http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    mw_cursor c;
    mw_tls_session *s = mw_tls_new(NULL);
    mw_cursor_init(&c, http, sizeof(http) - 1);
    CHECK_EQ_U(mw_tls_feed(s, 0, &c, 0), MW_TLS_NOT_TLS);
    mw_tls_free(s);

    /* First record longer than 2^14 + 2048: not TLS. */
    static const uint8_t big[] = {0x16, 0x03, 0x01, 0x48, 0x01, 0x01, 0x00};
    s = mw_tls_new(NULL);
    mw_cursor_init(&c, big, sizeof(big));
    CHECK_EQ_U(mw_tls_feed(s, 0, &c, 0), MW_TLS_NOT_TLS);
    mw_tls_free(s);

    /* A valid ClientHello, then an oversized record: error. */
    bb b = {0};
    client_hello_record(&b, "example.com", 11);
    bb_put(&b, big, sizeof(big));
    s = mw_tls_new(NULL);
    CHECK_EQ_U(feed_all(s, 0, &b), MW_TLS_ERROR);
    CHECK_EQ_S(mw_tls_get_facts(s)->error_reason, "record too long");
    CHECK(mw_tls_get_facts(s)->ch.seen);
    mw_tls_free(s);
    bb_free(&b);

    /* Pseudo-random garbage of many lengths (deterministic LCG). */
    uint8_t junk[512];
    uint32_t x = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(junk); i++) {
            x = x * 1103515245u + 12345u;
            junk[i] = (uint8_t)(x >> 16);
        }
        if (round % 2)
            junk[0] = 0x16; /* make it past the first byte sometimes */
        s = mw_tls_new(NULL);
        mw_cursor_init(&c, junk, (size_t)round * 2 + 1);
        mw_tls_status st = mw_tls_feed(s, round & 1, &c, 0);
        CHECK(st == MW_TLS_NOT_TLS || st == MW_TLS_ERROR || st == MW_TLS_NEED_MORE);
        mw_tls_free(s);
    }
}

/* Each mutation of a valid handshake is parsed without harm (ASan/UBSan
 * runs catch the harm); the flip positions cover every byte. */
static void test_mutations(void)
{
    bb c = {0}, msgs = {0}, srv = {0};
    client_hello_record(&c, "example.com", 11);
    server_flight_12(&msgs);
    records(&srv, 22, &msgs, 200);
    int errors = 0;
    for (size_t i = 0; i < c.n; i++) {
        uint8_t save = c.p[i];
        c.p[i] ^= (uint8_t)(0x80 >> (i % 8)) | 0x01;
        mw_tls_session *s = mw_tls_new(NULL);
        errors += feed_all(s, 0, &c) == MW_TLS_ERROR;
        mw_tls_free(s);
        c.p[i] = save;
    }
    for (size_t i = 0; i < srv.n; i += 3) {
        uint8_t save = srv.p[i];
        srv.p[i] = 0xff;
        mw_tls_session *s = mw_tls_new(NULL);
        feed_all(s, 0, &c);
        errors += feed_all(s, 1, &srv) == MW_TLS_ERROR;
        mw_tls_free(s);
        srv.p[i] = save;
    }
    CHECK(errors > 0); /* length fields were hit */
    bb_free(&c);
    bb_free(&msgs);
    bb_free(&srv);
}

static void test_truncated_and_lying(void)
{
    mw_tls_session *s;
    mw_cursor c;

    /* Cipher-suite length larger than the message. */
    bb lb = {0}, lm = {0}, lr = {0};
    u16(&lb, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&lb, 0);
    u8(&lb, 0);
    u16(&lb, 0xfffe);
    u16(&lb, 0x1301);
    hs_msg(&lm, 1, &lb);
    records(&lr, 22, &lm, 16384);
    CHECK_EQ_U(lr.n, 5 + 4 + 2 + 32 + 1 + 2 + 2);
    s = mw_tls_new(NULL);
    CHECK_EQ_U(feed_all(s, 0, &lr), MW_TLS_ERROR);
    CHECK_EQ_S(mw_tls_get_facts(s)->error_reason, "truncated ClientHello cipher suites");
    CHECK(!mw_tls_get_facts(s)->ch.seen);
    mw_tls_free(s);
    bb_free(&lb);
    bb_free(&lm);
    bb_free(&lr);

    /* Zero-length ClientHello. */
    static const uint8_t zero[] = {0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00};
    s = mw_tls_new(NULL);
    mw_cursor_init(&c, zero, sizeof(zero));
    CHECK_EQ_U(mw_tls_feed(s, 0, &c, 0), MW_TLS_ERROR);
    CHECK_EQ_S(mw_tls_get_facts(s)->error_reason, "truncated ClientHello");
    mw_tls_free(s);

    /* Zero-length record, then a record that stops half-way: waits. */
    static const uint8_t part[] = {0x16, 0x03, 0x01, 0x00, 0x00, 0x16, 0x03, 0x01, 0x00,
                                   0x30, 0x01, 0x00};
    s = mw_tls_new(NULL);
    mw_cursor_init(&c, part, sizeof(part));
    CHECK_EQ_U(mw_tls_feed(s, 0, &c, 0), MW_TLS_NEED_MORE);
    CHECK_EQ_U(mw_tls_get_facts(s)->records[0], 1);
    mw_tls_free(s);

    /* Handshake length 0xFFFFFF: over the cap, skipped and counted. */
    static const uint8_t ff[] = {0x16, 0x03, 0x01, 0x00, 0x0c, 0x01, 0xff, 0xff, 0xff,
                                 1, 2, 3, 4, 5, 6, 7, 8};
    s = mw_tls_new(NULL);
    mw_cursor_init(&c, ff, sizeof(ff));
    CHECK_EQ_U(mw_tls_feed(s, 0, &c, 0), MW_TLS_NEED_MORE);
    CHECK_EQ_U(mw_tls_get_facts(s)->msgs_over_cap[0], 1);
    CHECK_EQ_U(mw_tls_get_facts(s)->msg_bytes_over_cap[0], 12);
    CHECK(!mw_tls_get_facts(s)->ch.seen);
    mw_tls_free(s);

    /* Server Certificate whose inner length lies (0xFFFFFF) or is zero. */
    static const uint8_t sh_cert_lie[] = {
        0x16, 0x03, 0x03, 0x00, 0x0e, 0x0b, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x07,
        0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04};
    s = mw_tls_new(NULL);
    mw_cursor_init(&c, sh_cert_lie, sizeof(sh_cert_lie));
    CHECK_EQ_U(mw_tls_feed(s, 1, &c, 0), MW_TLS_ERROR);
    CHECK_EQ_S(mw_tls_get_facts(s)->error_reason, "truncated certificate");
    mw_tls_free(s);
    static const uint8_t sh_cert_zero[] = {
        0x16, 0x03, 0x03, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x06, 0x00, 0x00, 0x03,
        0x00, 0x00, 0x00};
    s = mw_tls_new(NULL);
    mw_cursor_init(&c, sh_cert_zero, sizeof(sh_cert_zero));
    CHECK_EQ_U(mw_tls_feed(s, 1, &c, 0), MW_TLS_ERROR);
    CHECK_EQ_S(mw_tls_get_facts(s)->error_reason, "empty certificate");
    mw_tls_free(s);

    /* Extension list claiming more than is there. */
    bb body = {0}, msg = {0}, rec = {0};
    client_hello_body(&body, "example.com", 11, NULL, false);
    body.p[2 + 32 + 1 + 2 + sizeof(spec_ciphers) + 2] ^= 0x40; /* ext length hi */
    hs_msg(&msg, 1, &body);
    records(&rec, 22, &msg, 16384);
    s = mw_tls_new(NULL);
    CHECK_EQ_U(feed_all(s, 0, &rec), MW_TLS_ERROR);
    CHECK_EQ_S(mw_tls_get_facts(s)->error_reason, "truncated ClientHello extensions");
    mw_tls_free(s);
    bb_free(&body);
    bb_free(&msg);
    bb_free(&rec);

    /* Bad direction and a view shorter than `from`. */
    s = mw_tls_new(NULL);
    mw_cursor_init(&c, zero, sizeof(zero));
    CHECK_EQ_U(mw_tls_feed(s, 2, &c, 0), MW_TLS_ERROR);
    mw_tls_free(s);
    s = mw_tls_new(NULL);
    CHECK_EQ_U(mw_tls_feed(s, 0, &c, 100), MW_TLS_ERROR);
    mw_tls_free(s);
}

/* 100 certificates of 200 bytes: 20 KB, spans two records; cap keeps 64. */
static void test_hundred_certs(void)
{
    bb c = {0}, msgs = {0}, srv = {0}, b = {0};
    client_hello_record(&c, "example.com", 11);
    server_hello_body(&b, 0x0303, NULL, NULL, 0, 0x009c, NULL);
    hs_msg(&msgs, 2, &b);
    b.n = 0;
    certificate_body(&b, 100, 200);
    hs_msg(&msgs, 11, &b);
    records(&srv, 22, &msgs, 16384);

    mw_tls_session *s = mw_tls_new(NULL);
    feed_all(s, 0, &c);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_DONE);
    const mw_tls_facts *f = mw_tls_get_facts(s);
    CHECK_EQ_U(f->n_certs, 64);
    CHECK_EQ_U(f->certs_dropped, 36);
    CHECK(f->chain_truncated);
    CHECK(cert_is(&f->certs[0], 200, 1));
    CHECK(cert_is(&f->certs[63], 200, 64));
    CHECK_EQ_U(f->state, MW_TLS_HS_COMPLETE);
    CHECK_EQ_U(f->records[1], 2);
    mw_tls_free(s);

    /* A small message cap: the Certificate is skipped, counted. */
    mw_tls_limits lim;
    mw_tls_limits_default(&lim);
    lim.max_msg_bytes = 4096;
    s = mw_tls_new(&lim);
    feed_all(s, 0, &c);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_DONE);
    f = mw_tls_get_facts(s);
    CHECK_EQ_U(f->n_certs, 0);
    CHECK(f->chain_truncated);
    CHECK_EQ_U(f->msgs_over_cap[1], 1);
    CHECK_EQ_U(f->msg_bytes_over_cap[1], 4 + 3 + 100 * 203);
    mw_tls_free(s);

    bb_free(&c);
    bb_free(&msgs);
    bb_free(&srv);
    bb_free(&b);
}

static void test_alert_gap_nul_sni(void)
{
    /* Alert from the server in answer to the ClientHello. */
    bb c = {0};
    static const char nul_sni[] = {'a', '\0', 'b'};
    client_hello_record(&c, nul_sni, 3);
    static const uint8_t al[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    mw_cursor cur;
    mw_tls_session *s = mw_tls_new(NULL);
    feed_all(s, 0, &c);
    mw_cursor_init(&cur, al, sizeof(al));
    CHECK_EQ_U(mw_tls_feed(s, 1, &cur, 0), MW_TLS_NEED_MORE);
    const mw_tls_facts *f = mw_tls_get_facts(s);
    CHECK_EQ_U(f->alerts[1], 1);
    CHECK_EQ_U(f->alert_level[1], 2);
    CHECK_EQ_U(f->alert_desc[1], 40);
    CHECK_EQ_U(f->ch.sni.len, 3);
    CHECK_MEM(f->ch.sni.data, nul_sni, 3);

    /* Lost server bytes: that direction stops; the client's too -> done. */
    CHECK_EQ_U(mw_tls_gap(s, 1, 7, 100), MW_TLS_NEED_MORE);
    CHECK(f->gap[1]);
    CHECK_EQ_U(mw_tls_gap(s, 0, c.n, 10), MW_TLS_DONE);
    CHECK_EQ_U(f->state, MW_TLS_HS_INCOMPLETE);
    mw_tls_free(s);

    /* Application data first: TLS seen, nothing more to learn there. */
    static const uint8_t ad[] = {0x17, 0x03, 0x03, 0x00, 0x02, 0xaa, 0xbb};
    s = mw_tls_new(NULL);
    mw_cursor_init(&cur, ad, sizeof(ad));
    CHECK_EQ_U(mw_tls_feed(s, 1, &cur, 0), MW_TLS_NEED_MORE);
    CHECK(mw_tls_get_facts(s)->app_data[1]);
    mw_tls_free(s);
    bb_free(&c);
}

static void test_no_cert(void)
{
    bb c = {0}, msgs = {0}, srv = {0}, b = {0};
    client_hello_record(&c, "example.com", 11);
    server_hello_body(&b, 0x0301, NULL, NULL, 0, 0x0034, NULL); /* anon DH */
    hs_msg(&msgs, 2, &b);
    b.n = 0;
    hs_msg(&msgs, 14, &b);
    records(&srv, 22, &msgs, 16384);
    mw_tls_session *s = mw_tls_new(NULL);
    feed_all(s, 0, &c);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_DONE);
    CHECK_EQ_U(mw_tls_get_facts(s)->state, MW_TLS_HS_NO_CERT);
    CHECK_EQ_S(mw_tls_get_facts(s)->version_name, "TLSv1.0");
    mw_tls_free(s);
    bb_free(&c);
    bb_free(&msgs);
    bb_free(&srv);
    bb_free(&b);
}

static bool load(const char *name, bb *out)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/tls/%s", MW_TEST_DATA_DIR, name);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "cannot open %s (set MW_TEST_DATA_DIR)\n", path);
        return false;
    }
    uint8_t tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
        bb_put(out, tmp, n);
    fclose(fp);
    return true;
}

static void sha1_hex(const mw_tls_bytes *b, char out[41])
{
    static const char hx[] = "0123456789abcdef";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(b->data, b->len, d, &n, EVP_sha1(), NULL))
        n = 0;
    for (size_t i = 0; i < 20; i++) {
        out[2 * i] = i < n ? hx[d[i] >> 4] : '?';
        out[2 * i + 1] = i < n ? hx[d[i] & 0xf] : '?';
    }
    out[40] = '\0';
}

/* Expected values from /work/shared/corpus/ndpi/result/
 * ssl-cert-name-mismatch.pcap.out (nDPI): SNI wrong.host.badssl.com,
 * TLSv1.2, JA3C 4e69e4e5627c5e4c2846ba3e64d23fb9, JA3S
 * b898351eb5e266aefd3723d466935494, JA4 t12d3810ht_845d1e55a368_7448b1316cd7,
 * Certificate SHA-1 18:45:B2:16:EF:D0:83:9A:18:51:A9:57:32:5D:A3:36:21:70:49:CB.
 * nDPI prints the JA4 ALPN part as the first two characters of "http/1.1";
 * the FoxIO spec (first and last) gives "h1", which is what we emit. */
static void check_real(mw_tls_session *s)
{
    const mw_tls_facts *f = mw_tls_get_facts(s);
    CHECK_EQ_U(f->ch.sni.len, 21);
    CHECK_MEM(f->ch.sni.data, "wrong.host.badssl.com", 21);
    CHECK_EQ_S(f->version_name, "TLSv1.2");
    CHECK_EQ_S(f->ch.ja3_md5, "4e69e4e5627c5e4c2846ba3e64d23fb9");
    CHECK_EQ_S(f->sh.ja3s_md5, "b898351eb5e266aefd3723d466935494");
    CHECK_EQ_S(f->ch.ja4, "t12d3810h1_845d1e55a368_7448b1316cd7");
    CHECK_EQ_U(f->state, MW_TLS_HS_COMPLETE);
    CHECK_EQ_U(f->n_certs, 2);
    if (f->n_certs >= 1) {
        char hex[41];
        CHECK_EQ_U(f->certs[0].len, 1708);
        sha1_hex(&f->certs[0], hex);
        CHECK_EQ_S(hex, "1845b216efd0839a1851a957325da336217049cb");
    }
}

static void test_real_capture(void)
{
    bb c = {0}, srv = {0};
    CHECK(load("badssl_mismatch_c2s.bin", &c));
    CHECK(load("badssl_mismatch_s2c.bin", &srv));
    if (!c.n || !srv.n)
        return;
    CHECK(mw_tls_looks_like_handshake(&(mw_cursor){c.p, c.n}));
    CHECK(mw_tls_looks_like_handshake(&(mw_cursor){srv.p, srv.n}));

    mw_tls_session *s = mw_tls_new(NULL);
    CHECK_EQ_U(feed_all(s, 0, &c), MW_TLS_NEED_MORE);
    CHECK_EQ_U(feed_all(s, 1, &srv), MW_TLS_DONE);
    check_real(s);
    mw_tls_free(s);

    s = mw_tls_new(NULL);
    feed_bytewise(s, 0, &c);
    CHECK_EQ_U(feed_bytewise(s, 1, &srv), MW_TLS_DONE);
    check_real(s);
    mw_tls_free(s);
    bb_free(&c);
    bb_free(&srv);
}

/* The hand-written appenders of tls_fingerprint.c against printf's own
 * formatting (an independent implementation of the same text), on the
 * extreme values of each field, and the JA4 of a hello too long for its
 * stack buffers (300 ciphers: the heap path) against the digest of the
 * list formatted here with snprintf. */
static void sha256_12(const char *text, char out[13])
{
    static const char hx[] = "0123456789abcdef";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    CHECK(EVP_Digest(text, strlen(text), d, &n, EVP_sha256(), NULL) == 1);
    for (int i = 0; i < 12; i++)
        out[i] = hx[(i & 1) ? d[i / 2] & 0xf : d[i / 2] >> 4];
    out[12] = '\0';
}

static void test_fingerprint_text_vs_printf(void)
{
    enum { NC = 300 };
    static uint16_t ciphers[NC];
    static const uint16_t exts[] = {0, 9, 10, 99, 100, 65535, 0x1a1a, 4660};
    static const uint16_t groups[] = {65535, 29, 1};
    static const uint8_t pf[] = {0, 255, 9, 10};
    for (size_t i = 0; i < NC; i++)
        ciphers[i] = (uint16_t)(65535 - 217 * i);
    mw_tls_client_hello ch;
    memset(&ch, 0, sizeof ch);
    ch.legacy_version = 65535;
    ch.ciphers = (mw_tls_u16_list){ciphers, NC};
    ch.extensions = (mw_tls_u16_list){exts, sizeof exts / sizeof exts[0]};
    ch.supported_groups = (mw_tls_u16_list){groups, 3};
    ch.ec_point_formats = (mw_tls_bytes){pf, sizeof pf};

    size_t cap = mw_tls_ja3_cap(&ch);
    char *got = malloc(cap), *want = malloc(cap + 64);
    char md5[33];
    CHECK(got && want);
    mw_tls_ja3(&ch, got, cap, md5);
    size_t o = (size_t)snprintf(want, cap, "%u,", 65535u);
    for (size_t i = 0; i < NC; i++)
        if (!mw_tls_is_grease(ciphers[i]))
            o += (size_t)snprintf(want + o, cap - o, i ? "-%u" : "%u", ciphers[i]);
    o += (size_t)snprintf(want + o, cap - o, ",0-9-10-99-100-65535-4660,65535-29-1,0-255-9-10");
    CHECK_EQ_S(got, want);

    char ja4[37], hb[13];
    CHECK(mw_tls_ja4(&ch, 't', ja4));
    /* 'd': extension 0 (server_name) is in the list. JA4_b: the
     * non-GREASE ciphers sorted, as %04x joined by ','. */
    uint16_t sorted[NC];
    size_t ns = 0;
    for (size_t i = 0; i < NC; i++)
        if (!mw_tls_is_grease(ciphers[i]))
            sorted[ns++] = ciphers[i];
    for (size_t i = 1; i < ns; i++)
        for (size_t k = i; k && sorted[k - 1] > sorted[k]; k--) {
            uint16_t t = sorted[k];
            sorted[k] = sorted[k - 1];
            sorted[k - 1] = t;
        }
    o = 0;
    for (size_t i = 0; i < ns; i++)
        o += (size_t)snprintf(want + o, cap + 64 - o, i ? ",%04x" : "%04x", sorted[i]);
    sha256_12(want, hb);
    snprintf(want, cap, "t00d9907%s_%s_", "00", hb);
    CHECK(strncmp(ja4, want, strlen(want)) == 0);
    CHECK_EQ_U(strlen(ja4), 36);

    mw_tls_server_hello sh;
    memset(&sh, 0, sizeof sh);
    sh.legacy_version = 0;
    sh.cipher = 65535;
    sh.extensions = (mw_tls_u16_list){exts, sizeof exts / sizeof exts[0]};
    cap = mw_tls_ja3s_cap(&sh);
    mw_tls_ja3s(&sh, got, cap, md5);
    CHECK_EQ_S(got, "0,65535,0-9-10-99-100-65535-4660");
    free(got);
    free(want);
}

int main(void)
{
    RUN(test_client_hello);
    RUN(test_ja4_transport_and_alpn_hex);
    RUN(test_fingerprint_text_vs_printf);
    RUN(test_tls12_one_record);
    RUN(test_tls12_split_records);
    RUN(test_bytewise);
    RUN(test_tls13_opaque);
    RUN(test_hrr);
    RUN(test_resumed);
    RUN(test_sslv2_hello);
    RUN(test_sniff);
    RUN(test_not_tls_and_garbage);
    RUN(test_mutations);
    RUN(test_truncated_and_lying);
    RUN(test_hundred_certs);
    RUN(test_alert_gap_nul_sni);
    RUN(test_no_cert);
    RUN(test_real_capture);
    return check_summary();
}
